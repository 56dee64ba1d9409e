print("gitops-health")
