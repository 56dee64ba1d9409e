import Manifests

/// The health of an application: the worst health of its resources, and the resource that decided it.
///
/// Hook resources (Argo CD's `argocd.argoproj.io/hook` and Helm's `helm.sh/hook` annotations) and
/// objects whose kind has no health are left out; resources that should exist but do not count as
/// Missing. With no resource left, the application is Healthy.
///
/// ```swift
/// let app = ApplicationHealth(live: objects, missing: [key], registry: registry)
/// print(app.status, app.decidedBy?.description ?? "")
/// ```
public struct ApplicationHealth: Sendable, Hashable {
    /// One resource's part in the application's health.
    public struct Resource: Sendable, Hashable {
        /// The resource.
        public var key: ResourceKey
        /// Its health.
        public var status: HealthStatus
    }

    /// The application's health: the worst resource's code, with a message naming that resource.
    public var status: HealthStatus
    /// The resource that decided ``status``; `nil` when every resource is healthy or there are none.
    public var decidedBy: ResourceKey?
    /// Every resource that counted, in the order given (live objects first, then the missing ones).
    public var resources: [Resource]

    /// Assesses `live` objects with `registry` and counts each of `missing` as Missing.
    public init(live: [KubeObject], missing: [ResourceKey] = [], registry: HealthRegistry = HealthRegistry()) {
        var resources: [Resource] = []
        resources.reserveCapacity(live.count + missing.count)
        for object in live where !Self.isHook(object) {
            if let status = registry.health(of: object) { resources.append(Resource(key: object.key, status: status)) }
        }
        for key in missing { resources.append(Resource(key: key, status: .missing())) }
        self.init(resources: resources)
    }

    /// Aggregates health already assessed: the first resource with the worst code decides.
    public init(resources: [Resource]) {
        self.resources = resources
        var worst: Resource?
        for resource in resources where worst.map({ resource.status.code > $0.status.code }) ?? true {
            worst = resource
        }
        guard let worst, worst.status.code != .healthy else {
            status = .healthy()
            decidedBy = nil
            return
        }
        decidedBy = worst.key
        let what = "\(worst.key.kind) \(worst.key.namespace.isEmpty ? "" : worst.key.namespace + "/")\(worst.key.name)"
        status = HealthStatus(
            worst.status.code,
            worst.status.message.isEmpty ? what : "\(what): \(worst.status.message)"
        )
    }

    /// Whether `object` is a sync hook (Argo CD or Helm), whose health does not count.
    public static func isHook(_ object: KubeObject) -> Bool {
        object.annotation("argocd.argoproj.io/hook") != nil || object.annotation("helm.sh/hook") != nil
    }
}

extension ApplicationHealth.Resource {
    /// A resource's key and health.
    public init(_ key: ResourceKey, _ status: HealthStatus) {
        self.key = key
        self.status = status
    }
}
