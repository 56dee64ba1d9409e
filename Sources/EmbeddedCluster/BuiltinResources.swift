// Generated from shared/fixtures/kube-apiserver-v1.36/01-discovery (aggregated discovery of a real
// kube-apiserver v1.36.2), filtered to the kinds a GitOps tool touches. Do not edit by hand.

extension ResourceType {
    /// The built-in resources the embedded cluster serves, in discovery order.
    static let builtins: [ResourceType] = [
        ResourceType(
            group: "", version: "v1", resource: "configmaps", kind: "ConfigMap",
            singular: "configmap", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["cm"], categories: [], subresources: []),
        ResourceType(
            group: "", version: "v1", resource: "events", kind: "Event",
            singular: "event", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ev"], categories: [], subresources: []),
        ResourceType(
            group: "", version: "v1", resource: "namespaces", kind: "Namespace",
            singular: "namespace", namespaced: false, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
            shortNames: ["ns"], categories: [], subresources: ["finalize", "status"]),
        ResourceType(
            group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim",
            singular: "persistentvolumeclaim", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["pvc"], categories: [], subresources: ["status"]),
        ResourceType(
            group: "", version: "v1", resource: "pods", kind: "Pod",
            singular: "pod", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["po"], categories: ["all"], subresources: ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"]),
        ResourceType(
            group: "", version: "v1", resource: "secrets", kind: "Secret",
            singular: "secret", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
        ResourceType(
            group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount",
            singular: "serviceaccount", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["sa"], categories: [], subresources: ["token"]),
        ResourceType(
            group: "", version: "v1", resource: "services", kind: "Service",
            singular: "service", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["svc"], categories: ["all"], subresources: ["proxy", "status"]),
        ResourceType(
            group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet",
            singular: "daemonset", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ds"], categories: ["all"], subresources: ["status"]),
        ResourceType(
            group: "apps", version: "v1", resource: "deployments", kind: "Deployment",
            singular: "deployment", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["deploy"], categories: ["all"], subresources: ["scale", "status"]),
        ResourceType(
            group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet",
            singular: "replicaset", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["rs"], categories: ["all"], subresources: ["scale", "status"]),
        ResourceType(
            group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet",
            singular: "statefulset", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["sts"], categories: ["all"], subresources: ["scale", "status"]),
        ResourceType(
            group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler",
            singular: "horizontalpodautoscaler", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["hpa"], categories: ["all"], subresources: ["status"]),
        ResourceType(
            group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob",
            singular: "cronjob", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["cj"], categories: ["all"], subresources: ["status"]),
        ResourceType(
            group: "batch", version: "v1", resource: "jobs", kind: "Job",
            singular: "job", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: ["all"], subresources: ["status"]),
        ResourceType(
            group: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress",
            singular: "ingress", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ing"], categories: [], subresources: ["status"]),
        ResourceType(
            group: "networking.k8s.io", version: "v1", resource: "networkpolicies", kind: "NetworkPolicy",
            singular: "networkpolicy", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["netpol"], categories: [], subresources: []),
        ResourceType(
            group: "policy", version: "v1", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget",
            singular: "poddisruptionbudget", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["pdb"], categories: [], subresources: ["status"]),
        ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings", kind: "ClusterRoleBinding",
            singular: "clusterrolebinding", namespaced: false, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
        ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", kind: "ClusterRole",
            singular: "clusterrole", namespaced: false, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
        ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", kind: "RoleBinding",
            singular: "rolebinding", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
        ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role",
            singular: "role", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
        ResourceType(
            group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", kind: "CustomResourceDefinition",
            singular: "customresourcedefinition", namespaced: false, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["crd", "crds"], categories: ["api-extensions"], subresources: ["status"]),
        ResourceType(
            group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease",
            singular: "lease", namespaced: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [], categories: [], subresources: []),
    ]
}
