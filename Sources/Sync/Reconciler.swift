import Diff
import Foundation
import GitSource
import Health
import KubeClient
import Logging
import Manifests
import ServiceLifecycle
import Synchronization

/// Keeps a cluster equal to a revision of a source: the reconcile loop.
///
/// Each pass resolves the application's reference, renders the revision (once per commit),
/// lists the live objects of the kinds the application manages, compares them
/// (``ApplicationComparison``) and, under an automated ``SyncPolicy``, syncs through a
/// ``SyncExecutor`` when a new revision arrives or, with self-heal, when the cluster drifted.
/// Passes run at ``ReconcilerOptions/pollInterval``, on ``refresh()``, and within moments of a
/// change to one of the application's objects (the kinds are watched).
///
/// Errors of the source, the render or the cluster become ``ApplicationCondition``s, never
/// crashes; the last good state stays applied. The status is readable at any time
/// (``status``), the events are an `AsyncSequence` (``events()``), and the loop is a
/// swift-service-lifecycle `Service`:
///
/// ```swift
/// let reconciler = Reconciler(application: app)
/// let group = ServiceGroup(services: [reconciler], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// The operation in flight is saved (``ReconcilerOptions/statePersistence``) before it starts;
/// a reconciler stopped in the middle (a graceful shutdown cancels the operation, a crash just
/// stops it) carries it out when it runs again.
public final class Reconciler: Service, Sendable {
    /// The application reconciled.
    public let application: Application
    /// How the loop runs.
    public let options: ReconcilerOptions

    let clock: LoopClock
    let logger: Logger
    let store: (any ReconcilerStateStore)?
    let broadcaster: EventBroadcaster
    let lock = AsyncLock()
    let state = Mutex(LoopState())

    struct Rendered {
        var revision: Revision
        var objects: [KubeObject]
    }

    struct Failures {
        var commit: String
        var count: Int
        var lastEnd: Duration
    }

    enum WakeReason: String, Sendable {
        case start, poll, refresh, drift, backoff
    }

    struct LoopState {
        var status = ApplicationStatus()
        var persisted = ReconcilerState()
        var persistedLoaded = false
        var rendered: Rendered?
        var desiredKeys: Set<ResourceKey> = []
        var failures: Failures?
        var selfHealCount = 0
        var lastSelfHealEnd: Duration?
        var running = false
        var wake: AsyncStream<WakeReason>.Continuation?
        var timers: [WakeReason: Task<Void, Never>] = [:]
        var watches: [GroupVersionKind: Task<Void, Never>] = [:]
        var current: Task<Void, Never>?
        var operation: Task<SyncOperationResult, Never>?
        var stopping = false
    }

    /// A reconciler of `application`.
    public init(application: Application, options: ReconcilerOptions = ReconcilerOptions()) {
        self.application = application
        self.options = options
        self.clock = LoopClock(options.clock)
        var logger = options.logger
        logger[metadataKey: "app"] = "\(application.name)"
        self.logger = logger
        self.broadcaster = EventBroadcaster(bufferSize: options.eventBufferSize)
        switch options.statePersistence {
        case .configMap(let namespace, let name):
            store = ConfigMapStateStore(
                client: application.destination.client,
                namespace: namespace ?? application.destination.namespace,
                name: name ?? ConfigMapStateStore.defaultName(app: application.name)
            )
        case .file(let path):
            store = FileStateStore(path: path)
        case .custom(let custom):
            store = custom
        case .none:
            store = nil
        }
    }

    // MARK: Reading

    /// The application's status now.
    public var status: ApplicationStatus { state.withLock { $0.status } }

    /// The events from now on; see ``ReconcilerEvents``.
    public func events() -> ReconcilerEvents { broadcaster.subscribe() }

    // MARK: Driving

    /// Asks the loop for a pass now (a webhook announced a push, say). Does nothing when the loop
    /// is not running; ``reconcile()`` runs a pass directly.
    public func refresh() { wake(.refresh) }

    /// Runs one pass now, whether or not the loop runs, and returns the status after it.
    ///
    /// Under an automated policy the pass may sync. Errors become conditions of the status.
    @discardableResult
    public func reconcile() async -> ApplicationStatus {
        await lock.withLock {
            await self.loadStateOnce()
            await self.pass(.refresh)
        }
        return status
    }

    // MARK: The loop

    /// Runs the loop until the task is cancelled or a graceful shutdown is triggered: resumes an
    /// interrupted operation first, then reconciles at each poll, refresh and watched change.
    ///
    /// On graceful shutdown the loop stops polling and watching and cancels the operation in
    /// flight, whose record stays saved so the next run finishes it. The ``events()`` sequences
    /// end when this returns.
    ///
    /// - Throws: ``SyncError`` (`invalidApplication`) when this reconciler already runs.
    public func run() async throws {
        let (wakes, continuation) = AsyncStream<WakeReason>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let started = state.withLock { s -> Bool in
            if s.running { return false }
            s.running = true
            s.stopping = false
            s.wake = continuation
            return true
        }
        guard started else {
            throw SyncError(
                .invalidApplication,
                object: nil,
                message: "the reconciler of application '\(application.name)' is already running"
            )
        }
        logger.info("reconciler starting", metadata: ["repository": "\(application.source.repositoryURL)"])
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.loop(wakes)
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.logger.info("graceful shutdown: stopping the loop")
            self.stop()
        }
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            let all = Array(s.timers.values) + Array(s.watches.values)
            s.timers.removeAll()
            s.watches.removeAll()
            s.wake = nil
            s.current = nil
            s.running = false
            s.stopping = false
            return all
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        logger.info("reconciler stopped")
        broadcaster.finishAll()
    }

    private func loop(_ wakes: AsyncStream<WakeReason>) async {
        wake(.start)
        for await reason in wakes {
            if Task.isCancelled || state.withLock({ $0.stopping }) { break }
            let task = Task {
                await self.lock.withLock {
                    guard !Task.isCancelled else { return }
                    await self.loadStateOnce()
                    if reason == .start { await self.resumeInterruptedOperation() }
                    guard !Task.isCancelled else { return }
                    await self.pass(reason)
                }
            }
            let stopping = state.withLock { s -> Bool in
                s.current = task
                return s.stopping
            }
            if stopping { task.cancel() }
            await task.value
            state.withLock { $0.current = nil }
            if Task.isCancelled || state.withLock({ $0.stopping }) { break }
            schedule(.poll, after: options.pollInterval)
        }
    }

    /// Ends the loop: no more passes; the one running is cancelled.
    private func stop() {
        let (wake, current, operation) = state.withLock { s in
            s.stopping = true
            return (s.wake, s.current, s.operation)
        }
        wake?.finish()
        current?.cancel()
        operation?.cancel()
    }

    func wake(_ reason: WakeReason) {
        _ = state.withLock { $0.wake }?.yield(reason)
    }

    /// Wakes the loop after `delay`, replacing an earlier timer for the same reason.
    func schedule(_ reason: WakeReason, after delay: Duration) {
        let sleep = clock.sleep
        let task = Task { [weak self] in
            do { try await sleep(delay) } catch { return }
            self?.wake(reason)
        }
        let old = state.withLock { s -> Task<Void, Never>? in
            guard s.running, !s.stopping else { return nil }
            let old = s.timers[reason]
            s.timers[reason] = task
            return old
        }
        old?.cancel()
        if state.withLock({ $0.timers[reason] }) == nil { task.cancel() }
    }

    // MARK: One pass

    /// Resolve, render, compare and, under the policy, sync.
    func pass(_ reason: WakeReason) async {
        logger.debug("reconcile pass", metadata: ["reason": "\(reason.rawValue)"])
        guard let revision = await resolveLatest() else { return }
        guard let rendered = await renderReporting(revision) else { return }
        guard let comparison = await compareReporting(rendered) else { return }
        guard application.syncPolicy.mode == .automated, !Task.isCancelled else { return }

        let now = clock.now()
        // A failed automated sync of this revision is retried (after its backoff) whatever the
        // comparison says: a sync that failed on health leaves the objects in sync but unhealthy.
        let failures = state.withLock { s -> Failures? in
            if let f = s.failures, f.commit != revision.commit { s.failures = nil }
            return s.failures
        }
        if let f = failures {
            if f.count > application.retry.limit {
                raise(
                    .syncError,
                    "the sync of \(revision.commit.prefix(12)) failed \(f.count) times; not retried again until a new revision or a manual sync"
                )
                return
            }
            let wait = application.retry.backoff.delay(attempt: f.count) - (now - f.lastEnd)
            if wait > .zero {
                schedule(.backoff, after: wait)
                return
            }
            _ = await operate(rendered, trigger: .retry, prune: application.syncPolicy.prune, id: nil)
            return
        }
        clear(.syncError)
        let persisted = state.withLock { $0.persisted }
        if comparison.sync == .synced {
            state.withLock { s in
                if s.persisted.syncedRevision?.commit != revision.commit {
                    s.persisted.syncedRevision = revision
                    s.status.syncedRevision = revision
                }
            }
            return
        }
        if onlyPruningLeft(comparison) { return }
        let trigger: OperationTrigger
        if persisted.syncedRevision?.commit != revision.commit {
            trigger = .automated
        } else {
            guard application.syncPolicy.selfHeal else { return }
            let (count, lastEnd) = state.withLock { ($0.selfHealCount, $0.lastSelfHealEnd) }
            if let lastEnd {
                let wait = options.selfHealBackoff.delay(attempt: count) - (now - lastEnd)
                if wait > .zero {
                    logger.debug("self-heal waits", metadata: ["seconds": "\(Backoff.seconds(wait))"])
                    schedule(.backoff, after: wait)
                    return
                }
            }
            trigger = .selfHeal
        }
        _ = await operate(rendered, trigger: trigger, prune: application.syncPolicy.prune, id: nil)
    }

    /// Whether the only differences are objects to prune that this sync would not delete.
    private func onlyPruningLeft(_ comparison: ApplicationComparison) -> Bool {
        guard comparison.outOfSync.isEmpty else { return false }
        if !application.syncPolicy.prune { return true }
        let prunable = comparison.report.resources.filter { r in
            guard r.state == .pruneCandidate, let live = r.live else { return false }
            return !((try? SyncAnnotations(of: live))?.isDisabled("Prune") ?? false)
        }
        return prunable.isEmpty
    }

    /// The revision the reference names now; `nil` (and a condition) when the source fails.
    func resolveLatest() async -> Revision? {
        let source = application.source
        do {
            let revision = try await source.provider.latestRevision(source.reference)
            clear(.sourceError)
            return revision
        } catch {
            if Task.isCancelled { return nil }
            raise(.sourceError, "cannot resolve \(source.reference) of \(source.repositoryURL): \(error)")
            state.withLock { s in
                if s.status.revision == nil { s.status.sync = .unknown }
            }
            return nil
        }
    }

    /// The objects of `revision` (rendered once per commit); `nil` and a condition on an error.
    func renderReporting(_ revision: Revision) async -> Rendered? {
        do {
            return try await render(revision)
        } catch {
            if Task.isCancelled { return nil }
            let kind: ApplicationCondition.Kind = error is GitSourceError ? .sourceError : .renderError
            raise(kind, "revision \(revision.commit.prefix(12)): \(error)")
            let changed = state.withLock { s -> (SyncStatusCode, SyncStatusCode)? in
                let old = s.status.sync
                s.status.sync = .unknown
                return old == .unknown ? nil : (old, .unknown)
            }
            if let (from, to) = changed { broadcaster.send(.syncStatusChanged(from: from, to: to)) }
            return nil
        }
    }

    /// Materializes and renders `revision`, reusing the last render of the same commit.
    func render(_ revision: Revision) async throws -> Rendered {
        if let cached = state.withLock({ $0.rendered }), cached.revision.commit == revision.commit {
            return cached
        }
        let source = application.source
        let checkout = try await source.provider.materialize(revision, subdirectory: nil)
        let root = checkout.directory.path
        let directory = source.path.isEmpty ? root : root + "/" + source.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SyncError(
                .invalidApplication,
                object: nil,
                message: "path '\(source.path)' is not a directory in revision \(revision.commit.prefix(12))"
            )
        }
        let objects = try await source.renderer.render(
            RenderInput(directory: directory, root: root, environment: source.environment)
        )
        let rendered = Rendered(revision: revision, objects: objects)
        let previous = state.withLock { s -> Revision? in
            let previous = s.rendered?.revision
            s.rendered = rendered
            return previous
        }
        clear(.renderError)
        logger.info(
            "revision rendered",
            metadata: ["revision": "\(revision.commit)", "objects": "\(objects.count)"]
        )
        broadcaster.send(.revisionFound(revision, previous: previous))
        return rendered
    }

    /// Lists the live objects of every kind the application manages or renders.
    func listLive(kinds: Set<GroupVersionKind>) async throws -> [KubeObject] {
        let client = application.destination.client
        var live: [KubeObject] = []
        for kind in kinds.sorted(by: { $0.description < $1.description }) {
            do {
                live += try await client.list(kind, namespace: nil, options: ListOptions()).items
            } catch let error as KubeError where error.isNotFound {
                continue  // a kind not served (yet): it has no objects
            }
        }
        return live
    }

    /// Compares the render with the cluster and publishes the result; `nil` and a condition when
    /// the cluster cannot be read.
    func compareReporting(_ rendered: Rendered) async -> ApplicationComparison? {
        let kinds = state.withLock { $0.persisted.managedKinds }.union(
            rendered.objects.compactMap(\.groupVersionKind)
        )
        let comparison: ApplicationComparison
        do {
            let live = try await listLive(kinds: kinds)
            comparison = try ApplicationComparison(desired: rendered.objects, live: live, application: application)
        } catch {
            if Task.isCancelled { return nil }
            raise(.comparisonError, "\(error)")
            return nil
        }
        clear(.comparisonError)
        publish(comparison, revision: rendered.revision)
        if options.watchResources { ensureWatches(comparison.kinds.union(kinds)) }
        return comparison
    }

    /// Stores a comparison in the status and sends the events it calls for.
    func publish(_ comparison: ApplicationComparison, revision: Revision) {
        let keys = Set(comparison.resources.filter { $0.state != .pruneCandidate }.map(\.key))
        let (oldSync, oldHealth) = state.withLock { s -> (SyncStatusCode, HealthStatus) in
            let old = (s.status.sync, s.status.health)
            s.status.sync = comparison.sync
            s.status.health = comparison.health.status
            s.status.resources = comparison.resources
            s.status.revision = revision
            s.status.reconciledAt = Date()
            s.desiredKeys = keys
            return old
        }
        let summary = DiffSummary(
            revision: revision,
            sync: comparison.sync,
            outOfSync: comparison.outOfSync,
            pruneCandidates: comparison.pruneCandidates,
            resourceCount: comparison.resources.count
        )
        logger.debug(
            "diff computed",
            metadata: [
                "revision": "\(revision.commit)", "sync": "\(comparison.sync)",
                "outOfSync": "\(summary.outOfSync.count)", "prune": "\(summary.pruneCandidates.count)",
            ]
        )
        broadcaster.send(.diffComputed(summary))
        if oldSync != comparison.sync {
            logger.info("sync status changed", metadata: ["from": "\(oldSync)", "to": "\(comparison.sync)"])
            broadcaster.send(.syncStatusChanged(from: oldSync, to: comparison.sync))
        }
        if oldHealth.code != comparison.health.status.code {
            logger.info(
                "health changed",
                metadata: ["from": "\(oldHealth.code)", "to": "\(comparison.health.status.code)"]
            )
            broadcaster.send(.healthChanged(from: oldHealth, to: comparison.health.status))
        }
        let shared = comparison.report.resources.compactMap { r -> String? in
            guard let live = r.live, let owner = try? application.tracking.owner(of: live),
                owner.app != application.name
            else { return nil }
            return "\(r.key) is tracked by application '\(owner.app)'"
        }
        if shared.isEmpty {
            clear(.sharedResourceWarning)
        } else {
            raise(.sharedResourceWarning, shared.joined(separator: "; "))
        }
    }

    // MARK: Conditions

    func raise(_ kind: ApplicationCondition.Kind, _ message: String) {
        let raised = state.withLock { s -> ApplicationCondition? in
            if let i = s.status.conditions.firstIndex(where: { $0.kind == kind }) {
                if s.status.conditions[i].message == message { return nil }
                s.status.conditions[i].message = message
                return s.status.conditions[i]
            }
            let condition = ApplicationCondition(kind: kind, message: message)
            s.status.conditions.append(condition)
            return condition
        }
        if let raised {
            logger.warning("condition", metadata: ["condition": "\(kind.rawValue)", "message": "\(message)"])
            broadcaster.send(.conditionRaised(raised))
        }
    }

    func clear(_ kind: ApplicationCondition.Kind) {
        let removed = state.withLock { s -> Bool in
            let before = s.status.conditions.count
            s.status.conditions.removeAll { $0.kind == kind }
            return s.status.conditions.count != before
        }
        if removed {
            logger.info("condition cleared", metadata: ["condition": "\(kind.rawValue)"])
            broadcaster.send(.conditionCleared(kind))
        }
    }

    // MARK: State

    func loadStateOnce() async {
        guard !state.withLock({ $0.persistedLoaded }), let store else {
            state.withLock { $0.persistedLoaded = true }
            return
        }
        do {
            let loaded = try await store.load()
            state.withLock { s in
                s.persistedLoaded = true
                if let loaded {
                    s.persisted = loaded
                    s.status.syncedRevision = loaded.syncedRevision
                    s.status.operationInProgress = loaded.inFlight
                }
            }
            clear(.stateStoreError)
        } catch {
            raise(.stateStoreError, "\(error)")
        }
    }

    func saveState() async {
        guard let store else { return }
        let persisted = state.withLock { $0.persisted }
        do {
            try await store.save(persisted)
            clear(.stateStoreError)
        } catch {
            raise(.stateStoreError, "\(error)")
        }
    }

    // MARK: Watches

    /// Opens a watch for each kind not watched yet.
    func ensureWatches(_ kinds: Set<GroupVersionKind>) {
        let missing = state.withLock { s -> [GroupVersionKind] in
            guard s.running, !s.stopping else { return [] }
            return kinds.filter { s.watches[$0] == nil }
        }
        for kind in missing {
            let task = Task { [weak self] in
                guard let self else { return }
                await self.watch(kind)
            }
            let keep = state.withLock { s -> Bool in
                guard s.running, !s.stopping, s.watches[kind] == nil else { return false }
                s.watches[kind] = task
                return true
            }
            if !keep { task.cancel() }
        }
    }

    /// Watches `kind` until cancelled, waking the loop when one of the application's objects changes.
    private func watch(_ kind: GroupVersionKind) async {
        let client = application.destination.client
        var failures = 0
        logger.debug("watching", metadata: ["kind": "\(kind)"])
        while !Task.isCancelled {
            do {
                for try await event in client.watch(kind, namespace: nil, options: WatchOptions()) {
                    failures = 0
                    if event.type == .bookmark { continue }
                    if isRelevant(event.object) {
                        logger.trace(
                            "watched change",
                            metadata: ["resource": "\(event.object.key)", "type": "\(event.type.rawValue)"]
                        )
                        wake(.drift)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.debug("watch failed", metadata: ["kind": "\(kind)", "error": "\(error)"])
            }
            if Task.isCancelled { return }
            let delay = options.watchRetryDelay * (1 << min(max(failures - 1, 0), 5))
            do { try await clock.sleep(delay) } catch { return }
        }
    }

    /// Whether a watched object is one the application renders or owns.
    private func isRelevant(_ object: KubeObject) -> Bool {
        if application.tracking.isTracked(object, by: application.name) { return true }
        let key = ApplicationComparison.normalizedKey(object, defaultNamespace: application.destination.namespace)
        return state.withLock { $0.desiredKeys.contains(key) }
    }
}
