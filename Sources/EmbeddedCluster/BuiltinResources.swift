// Generated from shared/fixtures/kube-apiserver-v1.36/01-discovery (aggregated discovery of a real
// kube-apiserver v1.36.2), filtered to the kinds a GitOps tool touches. Do not edit by hand.

extension ResourceType {
    /// The built-in resources the embedded cluster serves, in discovery order.
    static let builtins: [ResourceType] = [
        ResourceType(
            group: "",
            version: "v1",
            resource: "configmaps",
            kind: "ConfigMap",
            singular: "configmap",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["cm"],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "events",
            kind: "Event",
            singular: "event",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ev"],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "namespaces",
            kind: "Namespace",
            singular: "namespace",
            namespaced: false,
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
            shortNames: ["ns"],
            categories: [],
            subresourceDetails: [
                Subresource(name: "finalize", group: "", version: "", kind: "Namespace", verbs: ["update"]),
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "Namespace",
                    verbs: ["get", "patch", "update"]
                ),
            ]
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "persistentvolumeclaims",
            kind: "PersistentVolumeClaim",
            singular: "persistentvolumeclaim",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["pvc"],
            categories: [],
            subresourceDetails: [
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "PersistentVolumeClaim",
                    verbs: ["get", "patch", "update"]
                )
            ]
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "pods",
            kind: "Pod",
            singular: "pod",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["po"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "attach",
                    group: "",
                    version: "",
                    kind: "PodAttachOptions",
                    verbs: ["create", "get"]
                ),
                Subresource(name: "binding", group: "", version: "", kind: "Binding", verbs: ["create"]),
                Subresource(
                    name: "ephemeralcontainers",
                    group: "",
                    version: "",
                    kind: "Pod",
                    verbs: ["get", "patch", "update"]
                ),
                Subresource(name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"]),
                Subresource(name: "exec", group: "", version: "", kind: "PodExecOptions", verbs: ["create", "get"]),
                Subresource(name: "log", group: "", version: "", kind: "Pod", verbs: ["get"]),
                Subresource(
                    name: "portforward",
                    group: "",
                    version: "",
                    kind: "PodPortForwardOptions",
                    verbs: ["create", "get"]
                ),
                Subresource(
                    name: "proxy",
                    group: "",
                    version: "",
                    kind: "PodProxyOptions",
                    verbs: ["create", "delete", "get", "patch", "update"]
                ),
                Subresource(name: "resize", group: "", version: "", kind: "Pod", verbs: ["get", "patch", "update"]),
                Subresource(name: "status", group: "", version: "", kind: "Pod", verbs: ["get", "patch", "update"]),
            ]
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "secrets",
            kind: "Secret",
            singular: "secret",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "serviceaccounts",
            kind: "ServiceAccount",
            singular: "serviceaccount",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["sa"],
            categories: [],
            subresourceDetails: [
                Subresource(
                    name: "token",
                    group: "authentication.k8s.io",
                    version: "v1",
                    kind: "TokenRequest",
                    verbs: ["create"]
                )
            ]
        ),
        ResourceType(
            group: "",
            version: "v1",
            resource: "services",
            kind: "Service",
            singular: "service",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["svc"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "proxy",
                    group: "",
                    version: "",
                    kind: "ServiceProxyOptions",
                    verbs: ["create", "delete", "get", "patch", "update"]
                ),
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "Service",
                    verbs: ["get", "patch", "update"]
                ),
            ]
        ),
        ResourceType(
            group: "apps",
            version: "v1",
            resource: "daemonsets",
            kind: "DaemonSet",
            singular: "daemonset",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ds"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "DaemonSet",
                    verbs: ["get", "patch", "update"]
                )
            ]
        ),
        ResourceType(
            group: "apps",
            version: "v1",
            resource: "deployments",
            kind: "Deployment",
            singular: "deployment",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["deploy"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "scale",
                    group: "autoscaling",
                    version: "v1",
                    kind: "Scale",
                    verbs: ["get", "patch", "update"]
                ),
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "Deployment",
                    verbs: ["get", "patch", "update"]
                ),
            ]
        ),
        ResourceType(
            group: "apps",
            version: "v1",
            resource: "replicasets",
            kind: "ReplicaSet",
            singular: "replicaset",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["rs"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "scale",
                    group: "autoscaling",
                    version: "v1",
                    kind: "Scale",
                    verbs: ["get", "patch", "update"]
                ),
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "ReplicaSet",
                    verbs: ["get", "patch", "update"]
                ),
            ]
        ),
        ResourceType(
            group: "apps",
            version: "v1",
            resource: "statefulsets",
            kind: "StatefulSet",
            singular: "statefulset",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["sts"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "scale",
                    group: "autoscaling",
                    version: "v1",
                    kind: "Scale",
                    verbs: ["get", "patch", "update"]
                ),
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "StatefulSet",
                    verbs: ["get", "patch", "update"]
                ),
            ]
        ),
        ResourceType(
            group: "autoscaling",
            version: "v2",
            resource: "horizontalpodautoscalers",
            kind: "HorizontalPodAutoscaler",
            singular: "horizontalpodautoscaler",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["hpa"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "HorizontalPodAutoscaler",
                    verbs: ["get", "patch", "update"]
                )
            ]
        ),
        ResourceType(
            group: "batch",
            version: "v1",
            resource: "cronjobs",
            kind: "CronJob",
            singular: "cronjob",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["cj"],
            categories: ["all"],
            subresourceDetails: [
                Subresource(name: "status", group: "", version: "", kind: "CronJob", verbs: ["get", "patch", "update"])
            ]
        ),
        ResourceType(
            group: "batch",
            version: "v1",
            resource: "jobs",
            kind: "Job",
            singular: "job",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: ["all"],
            subresourceDetails: [
                Subresource(name: "status", group: "", version: "", kind: "Job", verbs: ["get", "patch", "update"])
            ]
        ),
        ResourceType(
            group: "networking.k8s.io",
            version: "v1",
            resource: "ingresses",
            kind: "Ingress",
            singular: "ingress",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["ing"],
            categories: [],
            subresourceDetails: [
                Subresource(name: "status", group: "", version: "", kind: "Ingress", verbs: ["get", "patch", "update"])
            ]
        ),
        ResourceType(
            group: "networking.k8s.io",
            version: "v1",
            resource: "networkpolicies",
            kind: "NetworkPolicy",
            singular: "networkpolicy",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["netpol"],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "policy",
            version: "v1",
            resource: "poddisruptionbudgets",
            kind: "PodDisruptionBudget",
            singular: "poddisruptionbudget",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["pdb"],
            categories: [],
            subresourceDetails: [
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "PodDisruptionBudget",
                    verbs: ["get", "patch", "update"]
                )
            ]
        ),
        ResourceType(
            group: "rbac.authorization.k8s.io",
            version: "v1",
            resource: "clusterrolebindings",
            kind: "ClusterRoleBinding",
            singular: "clusterrolebinding",
            namespaced: false,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "rbac.authorization.k8s.io",
            version: "v1",
            resource: "clusterroles",
            kind: "ClusterRole",
            singular: "clusterrole",
            namespaced: false,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "rbac.authorization.k8s.io",
            version: "v1",
            resource: "rolebindings",
            kind: "RoleBinding",
            singular: "rolebinding",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "rbac.authorization.k8s.io",
            version: "v1",
            resource: "roles",
            kind: "Role",
            singular: "role",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        ResourceType(
            group: "apiextensions.k8s.io",
            version: "v1",
            resource: "customresourcedefinitions",
            kind: "CustomResourceDefinition",
            singular: "customresourcedefinition",
            namespaced: false,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: ["crd", "crds"],
            categories: ["api-extensions"],
            subresourceDetails: [
                Subresource(
                    name: "status",
                    group: "",
                    version: "",
                    kind: "CustomResourceDefinition",
                    verbs: ["get", "patch", "update"]
                )
            ]
        ),
        ResourceType(
            group: "coordination.k8s.io",
            version: "v1",
            resource: "leases",
            kind: "Lease",
            singular: "lease",
            namespaced: true,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
        // authorization.k8s.io (hand-written from the same discovery document): every review is allowed.
        ResourceType(
            group: "authorization.k8s.io",
            version: "v1",
            resource: "selfsubjectaccessreviews",
            kind: "SelfSubjectAccessReview",
            singular: "selfsubjectaccessreview",
            namespaced: false,
            verbs: ["create"],
            shortNames: [],
            categories: [],
            subresourceDetails: []
        ),
    ]
}
