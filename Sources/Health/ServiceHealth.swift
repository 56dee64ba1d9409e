import Manifests

/// Rules for networking and storage kinds whose health is one field (gitops-engine `pkg/health`).
enum ServiceHealth {
    /// Service: a `LoadBalancer` Service is Progressing until `status.loadBalancer.ingress` has an
    /// entry; every other Service is Healthy.
    static func service(_ object: KubeObject) -> HealthStatus {
        guard object.spec.member("type")?.stringValue == "LoadBalancer" else { return .healthy() }
        return object.statusValue.member("loadBalancer")?.member("ingress")?.arrayValue?.isEmpty == false
            ? .healthy() : .progressing()
    }

    /// Ingress: Healthy once `status.loadBalancer.ingress` has an entry, Progressing before.
    static func ingress(_ object: KubeObject) -> HealthStatus {
        object.statusValue.member("loadBalancer")?.member("ingress")?.arrayValue?.isEmpty == false
            ? .healthy() : .progressing()
    }

    /// PersistentVolumeClaim: Bound is Healthy, Pending is Progressing, Lost is Degraded, any
    /// other phase is Unknown.
    static func persistentVolumeClaim(_ object: KubeObject) -> HealthStatus {
        switch object.statusValue.member("phase")?.stringValue {
        case "Bound": return .healthy()
        case "Pending": return .progressing()
        case "Lost": return .degraded()
        default: return .unknown()
        }
    }

    /// APIService: the `Available` condition decides (True is Healthy, anything else Progressing,
    /// with `reason: message`); without it, Progressing "Waiting to be processed".
    static func apiService(_ object: KubeObject) -> HealthStatus {
        for c in object.conditions where c.type == "Available" {
            let message = "\(c.reason): \(c.message)"
            return c.status == "True" ? .healthy(message) : .progressing(message)
        }
        return .progressing("Waiting to be processed")
    }
}
