print("gitops-render")
