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
        guard let kind = object.kind, let rule = Self.rule(apiVersion: object.apiVersion ?? "", kind: kind) else {
            return nil
        }
        return try rule.health(of: object)
    }

    /// The kinds with a rule: a plain enum, so dispatch allocates nothing.
    enum Rule {
        case deployment, statefulSet, daemonSet, replicaSet, pod, service, persistentVolumeClaim, job, cronJob
        case ingress, apiService, horizontalPodAutoscaler, customResourceDefinition

        func health(of object: KubeObject) throws -> HealthStatus {
            switch self {
            case .deployment: return WorkloadHealth.deployment(object)
            case .statefulSet: return WorkloadHealth.statefulSet(object)
            case .daemonSet: return WorkloadHealth.daemonSet(object)
            case .replicaSet: return WorkloadHealth.replicaSet(object)
            case .pod: return PodHealth.pod(object)
            case .service: return ServiceHealth.service(object)
            case .persistentVolumeClaim: return ServiceHealth.persistentVolumeClaim(object)
            case .job: return BatchHealth.job(object)
            case .cronJob: return BatchHealth.cronJob(object)
            case .ingress: return ServiceHealth.ingress(object)
            case .apiService: return ServiceHealth.apiService(object)
            case .horizontalPodAutoscaler: return try ClusterHealth.horizontalPodAutoscaler(object)
            case .customResourceDefinition: return ClusterHealth.customResourceDefinition(object)
            }
        }
    }

    static func rule(group: Substring, kind: String) -> Rule? {
        rule(apiVersion: group.isEmpty ? "v1" : "\(group)/", kind: kind)
    }

    /// The rule for `kind` in the group `apiVersion` names, matching the group by prefix so
    /// dispatch copies no text.
    static func rule(apiVersion: String, kind: String) -> Rule? {
        // Most kinds have no rule: their name's length rules them out without comparing text.
        switch kind.utf8.count {
        case 3, 7, 9, 10, 11, 21, 23, 24: break
        default: return nil
        }
        switch kind {
        case "Deployment": return apiVersion.hasPrefix("apps/") ? .deployment : nil
        case "StatefulSet": return apiVersion.hasPrefix("apps/") ? .statefulSet : nil
        case "DaemonSet": return apiVersion.hasPrefix("apps/") ? .daemonSet : nil
        case "ReplicaSet": return apiVersion.hasPrefix("apps/") ? .replicaSet : nil
        case "Pod": return isCore(apiVersion) ? .pod : nil
        case "Service": return isCore(apiVersion) ? .service : nil
        case "PersistentVolumeClaim": return isCore(apiVersion) ? .persistentVolumeClaim : nil
        case "Job": return apiVersion.hasPrefix("batch/") ? .job : nil
        case "CronJob": return apiVersion.hasPrefix("batch/") ? .cronJob : nil
        case "Ingress":
            return apiVersion.hasPrefix("networking.k8s.io/") || apiVersion.hasPrefix("extensions/") ? .ingress : nil
        case "APIService": return apiVersion.hasPrefix("apiregistration.k8s.io/") ? .apiService : nil
        case "HorizontalPodAutoscaler": return apiVersion.hasPrefix("autoscaling/") ? .horizontalPodAutoscaler : nil
        case "CustomResourceDefinition":
            return apiVersion.hasPrefix("apiextensions.k8s.io/") ? .customResourceDefinition : nil
        default: return nil
        }
    }

    /// Whether `apiVersion` is the core group's (`v1`: no group part).
    private static func isCore(_ apiVersion: String) -> Bool {
        apiVersion == "v1" || !apiVersion.utf8.contains(UInt8(ascii: "/"))
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
        if let observed = status.member("observedGeneration")?.intValue, let generation = object.generation,
            observed < generation
        {
            return .progressing(
                "\(object.kind ?? "object") generation is \(generation), but latest observed generation is \(observed)"
            )
        }
        guard let list = status.member("conditions")?.arrayValue, !list.isEmpty else { return nil }
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
