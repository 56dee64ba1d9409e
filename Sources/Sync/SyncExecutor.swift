import Diff
import Foundation
import Health
import KubeClient
import Manifests

/// Carries out a sync: plans it (``SyncPlan``), dry-runs the whole plan on the server, then
/// applies it group by group (phase, wave), waiting after each group until its resources are
/// healthy, runs hooks with their delete policies, prunes, and reports every resource in a
/// ``SyncOperationResult``.
///
/// It talks to the cluster only through KubeClient's protocols, so `KubernetesClient`, a client
/// of the `EmbeddedCluster`, or a caller's own client fit.
///
/// - Before anything changes, every step is dry-run on the server (`dryRun=All`); if any object
///   is refused (invalid, forbidden, conflict, an immutable field), nothing is applied and every
///   refusal is reported.
/// - Objects are written with server-side apply as ``SyncOptions/fieldManager`` (or replaced,
///   or client-side applied, as the options and `argocd.argoproj.io/sync-options` ask), carrying
///   the application's tracking annotation.
/// - After each group the executor waits, up to ``SyncOptions/healthTimeout``, until every
///   resource it wrote is healthy (or has no health, like a ConfigMap); a Degraded resource fails
///   the sync and no later group runs. Custom resources wait until their
///   CustomResourceDefinition is Established and served.
/// - Hooks (`argocd.argoproj.io/hook`) are created in their phase (`generateName` is honoured),
///   waited for until they succeed (a Job completes) or fail, and deleted as their
///   `hook-delete-policy` says. A failed hook fails the sync; on any failure the `SyncFail` hooks
///   run.
/// - Pruning deletes only objects carrying this application's tracking, in reverse order, with
///   ``SyncOptions/deletionPropagation``; never `Prune=false` or `Delete=false` objects, never a
///   Namespace this application did not create.
///
/// ```swift
/// let executor = SyncExecutor(client: client, options: SyncOptions(app: "shop", prune: true))
/// let result = await executor.run(desired: rendered, revision: commit)
/// print(result.status, result.resources(.created).map(\.key))
/// ```
public struct SyncExecutor: Sendable {
    /// The cluster.
    public let client: any ClusterReader & ClusterWriter & ResourceDiscovery
    /// How resource health is decided.
    public var health: HealthRegistry
    /// How the sync is carried out.
    public var options: SyncOptions
    /// Who hears the events, if anyone.
    public var observer: (any SyncObserver)?

    /// The annotation that marks a Namespace this application created (value: the application's
    /// name); only such Namespaces are ever pruned.
    public static let createdByAnnotation = "sync.gitops.dev/created-by"
    /// kubectl's annotation for client-side apply.
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// An executor for `client`.
    ///
    /// - Parameters:
    ///   - client: the cluster; reads, writes and discovery.
    ///   - health: decides each resource's health; the built-in and generic rules by default.
    ///   - options: the application and how to sync.
    ///   - observer: hears every ``SyncEvent``.
    public init(
        client: some ClusterReader & ClusterWriter & ResourceDiscovery,
        health: HealthRegistry = HealthRegistry(),
        options: SyncOptions,
        observer: (any SyncObserver)? = nil
    ) {
        self.client = client
        self.health = health
        self.options = options
        self.observer = observer
    }

    /// Plans the sync of `desired` against `live` with this executor's options.
    ///
    /// - Throws: ``SyncError`` for a sync annotation this SDK does not understand.
    public func plan(desired: [KubeObject], live: [KubeObject]) throws -> SyncPlan {
        try SyncPlan(desired: desired, live: live, options: options.plan)
    }

    /// The live objects a sync of `desired` needs: the live counterparts of `desired`, and every
    /// object carrying this application's tracking (the prune candidates), from a list of every
    /// listable kind the cluster serves (Events excepted).
    ///
    /// - Throws: ``KubeError`` when discovery or a list fails.
    public func liveObjects(for desired: [KubeObject]) async throws -> [KubeObject] {
        try await listLive(desired: desired).objects
    }

    /// Syncs the cluster to `desired` (the render of `revision`) and returns what happened. It
    /// lists the live objects itself unless `live` is given (a watch cache, say); a given `live`
    /// must hold the live counterpart of every desired object that exists, as
    /// ``liveObjects(for:)`` does: a desired Namespace missing from it is taken to be created by
    /// this sync, and the objects in it are then not dry-run before the first change.
    ///
    /// Never throws: an operation that cannot run ends with status ``SyncOperationResult/Status/error``
    /// and the reason in its message.
    public func run(
        desired: [KubeObject],
        revision: String,
        live: [KubeObject]? = nil
    ) async
        -> SyncOperationResult
    {
        var operation = Operation(executor: self, revision: revision)
        return await operation.run(desired: desired, live: live)
    }
}
