import Manifests

/// The built-in rules, one per kind, as a ``HealthCheck``.
///
/// Kinds: Deployment, StatefulSet, DaemonSet, ReplicaSet (`apps`); Pod, Service,
/// PersistentVolumeClaim (core); Job, CronJob (`batch`); Ingress (`networking.k8s.io`,
/// `extensions`); APIService (`apiregistration.k8s.io`); HorizontalPodAutoscaler
/// (`autoscaling`); CustomResourceDefinition (`apiextensions.k8s.io`). Each follows Argo CD's
/// rule for the kind (gitops-engine's Go rules, and Argo CD's bundled `batch/CronJob` script).
/// Other kinds return `nil`.
public struct BuiltInHealthCheck: HealthCheck {
    /// The built-in rules.
    public init() {}

    /// Whether a rule exists for `group` and `kind`.
    public static func handles(group: String, kind: String) -> Bool { rule(group: group[...], kind: kind) != nil }

    /// The kinds with a built-in rule, as `group/kind` (the core group as the bare kind).
    public static let kinds: [String] = [
        "apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "Pod", "Service",
        "PersistentVolumeClaim", "batch/Job", "batch/CronJob", "networking.k8s.io/Ingress", "extensions/Ingress",
        "apiregistration.k8s.io/APIService", "autoscaling/HorizontalPodAutoscaler",
        "apiextensions.k8s.io/CustomResourceDefinition",
    ]

    /// The object's health under its kind's rule, or `nil` for a kind without one.
    ///
    /// - Throws: ``HealthError`` for an HPA whose conditions annotation is not valid JSON.
    public func health(of object: KubeObject) throws -> HealthStatus? {
        guard let kind = object.kind, let rule = Self.rule(group: object.groupName, kind: kind) else { return nil }
        return try rule(object)
    }

    typealias Rule = (KubeObject) throws -> HealthStatus

    static func rule(group: Substring, kind: String) -> Rule? {
        switch group {
        case "apps":
            switch kind {
            case "Deployment": return WorkloadHealth.deployment
            case "StatefulSet": return WorkloadHealth.statefulSet
            case "DaemonSet": return WorkloadHealth.daemonSet
            case "ReplicaSet": return WorkloadHealth.replicaSet
            default: return nil
            }
        case "":
            switch kind {
            case "Pod": return PodHealth.pod
            case "Service": return ServiceHealth.service
            case "PersistentVolumeClaim": return ServiceHealth.persistentVolumeClaim
            default: return nil
            }
        case "batch":
            switch kind {
            case "Job": return BatchHealth.job
            case "CronJob": return BatchHealth.cronJob
            default: return nil
            }
        case "networking.k8s.io", "extensions":
            if kind == "Ingress" { return ServiceHealth.ingress }
            return nil
        case "apiregistration.k8s.io":
            if kind == "APIService" { return ServiceHealth.apiService }
            return nil
        case "autoscaling":
            if kind == "HorizontalPodAutoscaler" { return ClusterHealth.horizontalPodAutoscaler }
            return nil
        case "apiextensions.k8s.io":
            if kind == "CustomResourceDefinition" { return ClusterHealth.customResourceDefinition }
            return nil
        default:
            return nil
        }
    }
}

/// The generic rules for kinds without a rule of their own, after kstatus and the conventions of
/// Kubernetes controllers (Flux, Cluster API, Crossplane...).
///
/// In order: `status.observedGeneration` behind `metadata.generation` is Progressing; a true
/// `Stalled` condition is Degraded; a true `Reconciling` condition is Progressing; a `Ready`
/// condition decides (True Healthy, False Degraded, Unknown Progressing). An object none of these
/// apply to (a ConfigMap, a custom resource without conditions) has no health: `nil`.
/// (`metadata.deletionTimestamp` is handled by the ``HealthRegistry`` for every kind.)
public struct GenericHealthCheck: HealthCheck {
    /// The generic rules.
    public init() {}

    /// The object's health under the generic rules, or `nil` when they do not apply.
    public func health(of object: KubeObject) -> HealthStatus? {
        guard let status = object.status, case .object = status else { return nil }
        if let observed = status["observedGeneration"]?.intValue, let generation = object.generation,
            observed < generation
        {
            return .progressing(
                "\(object.kind ?? "object") generation is \(generation), but latest observed generation is \(observed)")
        }
        guard let list = status["conditions"]?.arrayValue, !list.isEmpty else { return nil }
        var ready: Condition?
        var reconciling: Condition?
        for value in list {
            let c = Condition(value)
            switch c.type {
            case "Stalled" where c.status == "True":
                return .degraded(Self.message(c))
            case "Reconciling" where c.status == "True":
                reconciling = c
            case "Ready":
                ready = c
            default:
                break
            }
        }
        if let reconciling { return .progressing(Self.message(reconciling)) }
        if let ready {
            switch ready.status {
            case "True": return .healthy(ready.message)
            case "False": return .degraded(Self.message(ready))
            default: return .progressing(Self.message(ready))
            }
        }
        return nil
    }

    private static func message(_ c: Condition) -> String {
        if c.reason.isEmpty { return c.message }
        if c.message.isEmpty { return c.reason }
        return "\(c.reason): \(c.message)"
    }
}
