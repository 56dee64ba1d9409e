import Diff
import Health
import Manifests

/// One comparison of an application's desired objects with the live ones: the diff, each
/// resource's state and health, the application's sync status and health.
///
/// This is the read-only half of a reconcile pass, usable alone (a pull-request check, a
/// dashboard): it changes nothing. Hooks and objects marked `Skip` are left out, as they are not
/// kept in sync; live objects count only when Git holds them or they carry this application's
/// tracking (those are left to prune).
///
/// ```swift
/// let comparison = try ApplicationComparison(desired: rendered, live: liveObjects, application: app)
/// print(comparison.sync, comparison.health.status)
/// for resource in comparison.report.resources(in: .outOfSync) { print(resource.diff?.unifiedDiff() ?? "") }
/// ```
public struct ApplicationComparison: Sendable {
    /// The diff of desired (tracking annotation set) against live, prune candidates included.
    public var report: DiffReport
    /// Synced when every resource is live and equal and nothing is left to prune.
    public var sync: SyncStatusCode
    /// The application's health, from the live resources Git holds (missing ones count as Missing).
    public var health: ApplicationHealth
    /// Each resource's state and health, in the report's order.
    public var resources: [ResourceStatus]
    /// The kinds of every desired object and live object compared.
    public var kinds: Set<GroupVersionKind>

    /// Compares `desired` (as rendered) with `live` (every object of the kinds involved, from any
    /// namespace; those that are not the application's are ignored).
    ///
    /// - Throws: what a custom ``Normalizer`` of the application throws.
    public init(desired: [KubeObject], live: [KubeObject], application: Application) throws {
        try self.init(
            desired: desired,
            live: live,
            app: application.name,
            tracking: application.tracking,
            defaultNamespace: application.destination.namespace,
            differ: application.differ,
            health: application.health
        )
    }

    /// Compares as ``init(desired:live:application:)`` with the parts given one by one.
    ///
    /// - Throws: what a custom ``Normalizer`` of `differ` throws.
    public init(
        desired: [KubeObject],
        live: [KubeObject],
        app: String,
        tracking: Tracking,
        defaultNamespace: String,
        differ: Differ,
        health registry: HealthRegistry
    ) throws {
        var kinds: Set<GroupVersionKind> = []
        var marked: [KubeObject] = []
        marked.reserveCapacity(desired.count)
        var desiredKeys: Set<ResourceKey> = []
        desiredKeys.reserveCapacity(desired.count)
        for object in desired {
            if let gvk = object.groupVersionKind { kinds.insert(gvk) }
            if ApplicationHealth.isHook(object) { continue }
            let key = Self.normalizedKey(object, defaultNamespace: defaultNamespace)
            desiredKeys.insert(key)
            marked.append(tracking.marked(object, app: app, defaultNamespace: key.namespace))
        }
        var relevant: [KubeObject] = []
        relevant.reserveCapacity(min(live.count, desired.count + 16))
        for object in live {
            if let gvk = object.groupVersionKind { kinds.insert(gvk) }
            let key = Self.normalizedKey(object, defaultNamespace: defaultNamespace)
            if desiredKeys.contains(key) {
                relevant.append(object)
            } else if tracking.isTracked(object, by: app), !ApplicationHealth.isHook(object),
                object.deletionTimestamp == nil
            {
                relevant.append(object)
            }
        }
        let report = try differ.diff(desired: marked, live: relevant)
        var resources: [ResourceStatus] = []
        resources.reserveCapacity(report.resources.count)
        var counted: [ApplicationHealth.Resource] = []
        counted.reserveCapacity(report.resources.count)
        var inSync = true
        for resource in report.resources {
            var health: HealthStatus?
            switch resource.state {
            case .inSync, .outOfSync:
                if let live = resource.live { health = registry.health(of: live) }
            case .missingLive:
                health = .missing()
            case .pruneCandidate:
                health = nil
            }
            if resource.state != .inSync { inSync = false }
            if let health { counted.append(ApplicationHealth.Resource(resource.key, health)) }
            resources.append(ResourceStatus(key: resource.key, state: resource.state, health: health))
        }
        self.report = report
        self.resources = resources
        self.health = ApplicationHealth(resources: counted)
        self.sync = inSync ? .synced : .outOfSync
        self.kinds = kinds
    }

    /// The keys of resources that are out of sync or missing from the cluster.
    public var outOfSync: [ResourceKey] {
        resources.filter { $0.state == .outOfSync || $0.state == .missingLive }.map(\.key)
    }

    /// The keys of live objects this application owns that Git no longer holds.
    public var pruneCandidates: [ResourceKey] {
        resources.filter { $0.state == .pruneCandidate }.map(\.key)
    }

    /// An object's key with the default namespace filled in for namespaced kinds.
    static func normalizedKey(_ object: KubeObject, defaultNamespace: String) -> ResourceKey {
        var key = object.key
        if key.namespace.isEmpty && !SyncPlan.clusterScopedKinds.contains(key.kind) {
            key.namespace = defaultNamespace
        }
        return key
    }
}
