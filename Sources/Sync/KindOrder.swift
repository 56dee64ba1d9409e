import Manifests

/// The order in which kinds are applied within one wave: what others depend on comes first.
///
/// Namespaces and CustomResourceDefinitions first, then policies, ServiceAccounts, RBAC,
/// configuration and storage, Services, workloads, and networking in front of workloads; kinds
/// not listed (custom resources among them) come last, by name. Pruning uses the reverse order.
public enum KindOrder {
    /// Built-in kinds in apply order.
    public static let kinds: [String] = [
        "Namespace", "CustomResourceDefinition",
        "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
        "ServiceAccount",
        "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
        "ConfigMap", "Secret", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
        "PriorityClass", "IngressClass",
        "Service",
        "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
        "StatefulSet", "Job", "CronJob",
        "Ingress", "APIService",
    ]

    private static let ranks: [String: Int] = Dictionary(
        uniqueKeysWithValues: kinds.enumerated().map { ($0.element, $0.offset) }
    )

    /// The rank of `kind` in apply order; every kind not listed shares the last rank.
    public static func rank(of kind: String) -> Int { ranks[kind] ?? kinds.count }
}
