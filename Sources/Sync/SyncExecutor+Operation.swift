import Diff
import Foundation
import Health
import KubeClient
import Manifests

/// One sync operation in progress: the state a ``SyncExecutor/run(desired:revision:live:)`` call
/// builds up while it walks the plan.
struct Operation: Sendable {
    let executor: SyncExecutor
    let revision: String
    let startedAt = Date()
    var options: SyncOptions { executor.options }

    /// Results so far, in the order the steps ran.
    var results: [ResourceResult] = []
    /// The last phase reached.
    var phase: SyncPhase?
    /// The first failure, which fails the operation.
    var failure: String?
    /// Whether the failure is an error (the operation could not run) rather than a failed step.
    var isError = false
    /// Live objects by key (namespaced keys carry their namespace; cluster-scoped ones none).
    var live: [ResourceKey: KubeObject] = [:]
    /// Discovery of each kind the plan writes; a kind missing here is not served (yet).
    var served: [GroupVersionKind: APIResource] = [:]
    /// CustomResourceDefinitions in the plan: `group/kind` of what they define, and whether namespaced.
    var plannedCRDs: [String: Bool] = [:]
    /// Namespaces the plan creates (and the default namespace when the options create it).
    var plannedNamespaces: Set<String> = []
    /// Namespaces of the plan's own Namespace objects that do not exist live: nothing in them can
    /// be dry-run before they are written.
    var absentNamespaces: Set<String> = []
    /// The last health seen of each object written.
    var healthSeen: [ResourceKey: HealthStatus] = [:]

    init(executor: SyncExecutor, revision: String) {
        self.executor = executor
        self.revision = revision
    }

    func emit(_ event: SyncEvent) { executor.observer?.observe(event) }

    // MARK: the operation

    mutating func run(desired: [KubeObject], live liveObjects: [KubeObject]?) async -> SyncOperationResult {
        emit(.operationStarted(revision: revision, at: startedAt))
        let liveList: [KubeObject]
        if let liveObjects {
            liveList = liveObjects
        } else {
            do { liveList = try await executor.listLive(desired: desired).objects } catch {
                return finish(.error, "cannot read the live objects: \(error)")
            }
        }
        for object in liveList { live[object.key] = object }
        let plan: SyncPlan
        do { plan = try executor.plan(desired: desired, live: liveList) } catch {
            return finish(.error, "cannot plan the sync: \(error)")
        }
        let allSteps = plan.steps + plan.syncFailHooks
        await discover(allSteps)

        // The whole plan, dry-run on the server before anything changes.
        let dryRun = await dryRun(allSteps)
        emit(.dryRunFinished(failures: dryRun.failures))
        if !dryRun.failures.isEmpty {
            results = dryRun.failures
            let first = dryRun.failures[0]
            return finish(
                .failed,
                "the dry run refused \(dryRun.failures.count) of \(allSteps.count) resources; nothing was applied. "
                    + "First: \(first.key): \(first.message)"
            )
        }
        if options.dryRunOnly {
            results = dryRun.predicted + skippedResults(plan)
            return finish(.succeeded, "dry run: \(summary()); nothing was changed", dryRunOnly: true)
        }

        if options.createNamespace { await createDefaultNamespace() }
        if failure == nil {
            for group in plan.groups {
                if Task.isCancelled {
                    fail("the operation was cancelled", error: true)
                    break
                }
                phase = group.phase
                emit(.waveStarted(phase: group.phase, wave: group.wave, resources: group.steps.count))
                if group.isPrune { await prune(group.steps) } else { await apply(group.steps) }
                if failure != nil { break }
            }
        }
        if failure != nil && !plan.syncFailHooks.isEmpty && !Task.isCancelled {
            phase = .syncFail
            var waves: [[SyncPlan.Step]] = []
            for step in plan.syncFailHooks {
                if let last = waves.last?.last, last.wave == step.wave {
                    waves[waves.count - 1].append(step)
                } else {
                    waves.append([step])
                }
            }
            for steps in waves {
                emit(.waveStarted(phase: .syncFail, wave: steps[0].wave, resources: steps.count))
                await apply(steps)
            }
        }
        results += skippedResults(plan)
        for result in results where result.action == .skipped { emit(.resourceSkipped(result)) }
        if let failure { return finish(isError ? .error : .failed, failure) }
        return finish(.succeeded, summary())
    }

    mutating func fail(_ message: String, error: Bool = false) {
        if failure == nil {
            failure = message
            isError = error
        }
    }

    func finish(
        _ status: SyncOperationResult.Status,
        _ message: String,
        dryRunOnly: Bool = false
    )
        -> SyncOperationResult
    {
        let result = SyncOperationResult(
            revision: revision,
            startedAt: startedAt,
            finishedAt: Date(),
            status: status,
            message: message,
            phase: phase,
            dryRun: dryRunOnly,
            resources: results
        )
        emit(.operationFinished(result))
        return result
    }

    func summary() -> String {
        var counts: [ResourceAction: Int] = [:]
        for r in results { counts[r.action, default: 0] += 1 }
        let parts = ResourceAction.allCases.compactMap { a in counts[a].map { "\($0) \(a.rawValue)" } }
        return parts.isEmpty ? "nothing to sync" : parts.joined(separator: ", ")
    }

    func skippedResults(_ plan: SyncPlan) -> [ResourceResult] {
        plan.skipped.map { ResourceResult(key: $0.key, phase: .sync, wave: 0, action: .skipped, message: $0.reason) }
    }

    // MARK: discovery and object preparation

    /// Finds how each kind of the plan is served, and which kinds the plan's own CRDs define.
    mutating func discover(_ steps: [SyncPlan.Step]) async {
        for step in steps where step.key.kind == "CustomResourceDefinition" && step.key.group == "apiextensions.k8s.io"
        {
            let spec = step.object["spec"]
            if let group = spec?["group"]?.stringValue, let kind = spec?["names"]?["kind"]?.stringValue {
                plannedCRDs[group + "/" + kind] = spec?["scope"]?.stringValue != "Cluster"
            }
        }
        for step in steps where step.key.kind == "Namespace" && step.key.group.isEmpty && step.action != .prune {
            plannedNamespaces.insert(step.key.name)
            if liveObject(step.key) == nil { absentNamespaces.insert(step.key.name) }
        }
        if options.createNamespace { plannedNamespaces.insert(options.plan.defaultNamespace) }
        var kinds: [GroupVersionKind] = []
        var seen: Set<GroupVersionKind> = []
        for step in steps {
            if let gvk = step.object.groupVersionKind, seen.insert(gvk).inserted { kinds.append(gvk) }
        }
        let client = executor.client
        let found =
            (try? await executor.concurrentMap(kinds, limit: options.concurrency) { gvk in
                try? await client.resource(for: gvk)
            }) ?? []
        for (gvk, resource) in zip(kinds, found) { if let resource { served[gvk] = resource } }
    }

    /// Whether objects of `gvk` are namespaced: discovery, or the plan's CRD, or namespaced.
    func isNamespaced(_ gvk: GroupVersionKind) -> Bool {
        if let r = served[gvk] { return r.namespaced }
        if let planned = plannedCRDs[gvk.group + "/" + gvk.kind] { return planned }
        return !SyncPlan.clusterScopedKinds.contains(gvk.kind)
    }

    /// The live counterpart of a step's object.
    func liveObject(_ key: ResourceKey) -> KubeObject? {
        if let o = live[key] { return o }
        var k = key
        k.namespace = ""
        return live[k]
    }

    /// The object a step writes: the namespace set as its kind needs, a Namespace marked as
    /// created by this application when it is.
    func prepared(_ step: SyncPlan.Step) -> KubeObject {
        var object = step.object
        if let gvk = object.groupVersionKind {
            if isNamespaced(gvk) {
                if (object.namespace ?? "").isEmpty { object.namespace = step.key.namespace }
            } else if object.namespace != nil {
                object.namespace = nil
            }
        }
        if step.key.kind == "Namespace" && step.key.group.isEmpty {
            let existing = liveObject(step.key)
            if existing == nil || existing?.annotation(SyncExecutor.createdByAnnotation) == options.plan.app {
                object.setAnnotation(SyncExecutor.createdByAnnotation, to: options.plan.app)
            }
        }
        return object
    }

    func result(
        _ step: SyncPlan.Step,
        _ action: ResourceAction,
        _ message: String = "",
        key: ResourceKey? = nil
    )
        -> ResourceResult
    {
        ResourceResult(
            key: key ?? step.key,
            phase: step.phase,
            wave: step.wave,
            action: action,
            message: message,
            isHook: step.action == .hook
        )
    }

    // MARK: dry run

    struct DryRun {
        var failures: [ResourceResult] = []
        var predicted: [ResourceResult] = []
    }

    /// Every step dry-run on the server at once (bounded): writes with `dryRun=All`, hooks as
    /// dry-run creates, prunes as dry-run deletes.
    func dryRun(_ steps: [SyncPlan.Step]) async -> DryRun {
        let this = self
        let outcomes =
            (try? await executor.concurrentMap(steps, limit: options.concurrency) { step in
                await this.dryRunStep(step)
            }) ?? []
        var dry = DryRun()
        for outcome in outcomes {
            if outcome.action == .failed { dry.failures.append(outcome) } else { dry.predicted.append(outcome) }
        }
        return dry
    }

    func dryRunStep(_ step: SyncPlan.Step) async -> ResourceResult {
        let client = executor.client
        let object = prepared(step)
        guard let gvk = object.groupVersionKind else {
            return result(step, .failed, "dry run: the object has no apiVersion or kind")
        }
        if served[gvk] == nil {
            if plannedCRDs[gvk.group + "/" + gvk.kind] != nil {
                return result(
                    step,
                    step.action == .prune ? .pruned : .created,
                    "its CustomResourceDefinition is created by this sync"
                )
            }
            return result(
                step,
                .failed,
                "the cluster does not serve \(gvk.apiVersion) \(gvk.kind): is its CustomResourceDefinition installed?"
            )
        }
        let existing = liveObject(step.key)
        if step.action != .prune && existing == nil && isNamespaced(gvk) && absentNamespaces.contains(step.key.namespace) {
            // The server cannot dry-run an object in a namespace that does not exist yet: after
            // authorization and decoding it answers that the namespace is not found. The request
            // is not sent; the object is checked when it is written, after its namespace.
            return result(step, .created, "dry run: not sent, its namespace is created by this sync")
        }
        do {
            switch step.action {
            case .prune:
                if let reason = pruneRefusal(step) { return result(step, .skipped, reason) }
                _ = try await client.delete(
                    gvk,
                    name: step.key.name,
                    namespace: isNamespaced(gvk) ? step.key.namespace : nil,
                    options: DeleteOptions(propagationPolicy: options.deletionPropagation, dryRun: true)
                )
                return result(step, .pruned, "dry run")
            case .hook:
                _ = try await client.create(
                    object,
                    options: WriteOptions(fieldManager: options.fieldManager, dryRun: true)
                )
                return result(step, .created, "dry run")
            case .apply:
                let predicted = try await write(object, step: step, live: existing, dryRun: true)
                guard let existing else { return result(step, .created, "dry run") }
                let differ = Differ(DiffOptions(fieldManager: options.fieldManager))
                let inSync = (try? differ.serverSideDiff(predicted: predicted, live: existing).isInSync) ?? false
                return result(step, inSync ? .unchanged : .configured, "dry run")
            }
        } catch {
            if let e = error as? KubeError {
                if e.isNotFound && plannedNamespaces.contains(step.key.namespace) {
                    return result(step, .created, "dry run: its namespace is created by this sync")
                }
                if step.action == .hook && e.isAlreadyExists { return result(step, .created, "dry run") }
                if step.action == .prune && e.isNotFound { return result(step, .pruned, "dry run: already gone") }
                if step.action == .apply, let fields = Self.immutableFields(e) {
                    if recreates(step) { return result(step, .configured, "dry run: will be deleted and re-created") }
                    return result(step, .failed, Self.immutableMessage(fields, e))
                }
            }
            return result(step, .failed, "dry run: \(Self.describe(error))")
        }
    }

    // MARK: writes

    /// Whether the object may be deleted and re-created when a change is refused as immutable.
    func recreates(_ step: SyncPlan.Step) -> Bool {
        options.replace || options.recreateOnImmutableChange || step.annotations.isEnabled("Replace")
            || step.annotations.isEnabled("Force")
    }

    /// Writes `object` as the options and its sync options say: replace, server-side apply, or
    /// client-side apply.
    func write(_ object: KubeObject, step: SyncPlan.Step, live: KubeObject?, dryRun: Bool) async throws -> KubeObject {
        let client = executor.client
        let manager = options.fieldManager
        if options.replace || step.annotations.isEnabled("Replace") {
            guard let live else {
                return try await client.create(object, options: WriteOptions(fieldManager: manager, dryRun: dryRun))
            }
            var replacement = object
            replacement.resourceVersion = live.resourceVersion
            return try await client.update(replacement, options: WriteOptions(fieldManager: manager, dryRun: dryRun))
        }
        let serverSide =
            step.annotations.isEnabled("ServerSideApply")
            || (options.serverSideApply && !step.annotations.isDisabled("ServerSideApply"))
        if serverSide {
            return try await client.apply(
                object,
                options: ApplyOptions(fieldManager: manager, force: options.forceConflicts, dryRun: dryRun)
            )
        }
        // Client-side apply: the last applied configuration rides along in an annotation, and a
        // merge patch removes what it had and the new one has not.
        var applied = object
        applied.setAnnotation(SyncExecutor.lastAppliedAnnotation, to: nil)
        let text = try applied.value.jsonString()
        applied.setAnnotation(SyncExecutor.lastAppliedAnnotation, to: text)
        guard let live, let gvk = object.groupVersionKind, let name = object.name else {
            return try await client.create(applied, options: WriteOptions(fieldManager: manager, dryRun: dryRun))
        }
        let previous = live.annotation(SyncExecutor.lastAppliedAnnotation).flatMap { try? Value(json: $0) }
        let patch = Self.mergePatch(from: previous, to: applied.value)
        return try await client.patch(
            gvk,
            name: name,
            namespace: object.namespace,
            patch: .merge(patch),
            options: WriteOptions(fieldManager: manager, dryRun: dryRun)
        )
    }

    /// A JSON merge patch that takes an object applied as `old` to `new`: every field of `new`,
    /// and `null` for each field `old` had and `new` has not.
    static func mergePatch(from old: Value?, to new: Value) -> Value {
        guard case .object(let n) = new else { return new }
        var patch = n
        if case .object(let o)? = old {
            for (key, oldValue) in o {
                if let newValue = n[key] {
                    if case .object = newValue, case .object = oldValue {
                        patch.updateValue(mergePatch(from: oldValue, to: newValue), forKey: key)
                    }
                } else {
                    patch.updateValue(.null, forKey: key)
                }
            }
        }
        return .object(patch)
    }

    /// Writes one step's object for real; returns the result and the object as stored.
    func writeStep(_ step: SyncPlan.Step) async -> (ResourceResult, KubeObject?) {
        let object = prepared(step)
        let existing = liveObject(step.key)
        if options.applyOutOfSyncOnly, let existing {
            let differ = Differ(DiffOptions(fieldManager: options.fieldManager))
            if let diff = try? differ.diff(desired: object, live: existing), diff.isInSync {
                return (result(step, .unchanged, "in sync; not written"), existing)
            }
        }
        do {
            let written = try await write(object, step: step, live: existing, dryRun: false)
            let action: ResourceAction =
                existing == nil
                ? .created : written.resourceVersion == existing?.resourceVersion ? .unchanged : .configured
            return (result(step, action), written)
        } catch let e as KubeError {
            if let fields = Self.immutableFields(e) {
                guard recreates(step), let existing else {
                    return (result(step, .failed, Self.immutableMessage(fields, e)), nil)
                }
                do {
                    try await deleteAndWait(existing)
                    let written = try await write(object, step: step, live: nil, dryRun: false)
                    let list = fields.isEmpty ? "an immutable field" : fields.joined(separator: ", ")
                    return (
                        result(step, .configured, "deleted and re-created: \(list) cannot change in place"), written
                    )
                } catch {
                    return (result(step, .failed, "re-creating it failed: \(Self.describe(error))"), nil)
                }
            }
            if e.isNotFound, let gvk = object.groupVersionKind, served[gvk] == nil {
                return (result(step, .failed, "the cluster does not serve \(gvk.apiVersion) \(gvk.kind)"), nil)
            }
            return (result(step, .failed, Self.describe(e)), nil)
        } catch {
            return (result(step, .failed, Self.describe(error)), nil)
        }
    }

    /// Deletes `object` (background) and waits until it is gone, up to the health timeout.
    func deleteAndWait(_ object: KubeObject) async throws {
        let client = executor.client
        guard let gvk = object.groupVersionKind, let name = object.name else { return }
        do {
            _ = try await client.delete(
                gvk,
                name: name,
                namespace: object.namespace,
                options: DeleteOptions(propagationPolicy: .background)
            )
        } catch let e as KubeError where e.isNotFound { return }
        let deadline = ContinuousClock.now + options.healthTimeout
        while ContinuousClock.now < deadline {
            do {
                let current = try await client.get(gvk, name: name, namespace: object.namespace)
                if let uid = object.uid, current.uid != uid { return }  // a new object already
            } catch let e as KubeError where e.isNotFound { return }
            try await Task.sleep(for: options.healthPollInterval)
        }
        throw OperationError("\(object.key) is still being deleted after \(options.healthTimeout)")
    }

    /// The fields an `Invalid` error names as immutable; nil when the error is not about one.
    static func immutableFields(_ error: KubeError) -> [String]? {
        guard error.isInvalid else { return nil }
        let causes = error.status?.causes ?? []
        let fields = causes.filter { $0.message.contains("immutable") }.map(\.field)
        if !fields.isEmpty { return fields }
        return error.message.contains("immutable") ? [] : nil
    }

    static func immutableMessage(_ fields: [String], _ error: KubeError) -> String {
        let list = fields.isEmpty ? "a field that cannot change" : fields.joined(separator: ", ")
        return "the change touches immutable \(list) (\(error.message)); the object must be deleted and re-created: "
            + "set the sync option Replace=true or Force=true on it, or recreateOnImmutableChange for the application"
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? KubeError {
            var text = e.message
            let causes = (e.status?.causes ?? []).filter { !$0.field.isEmpty && !text.contains($0.field) }
            if !causes.isEmpty {
                text += " (" + causes.map { "\($0.field): \($0.message)" }.joined(separator: "; ") + ")"
            }
            return text
        }
        return "\(error)"
    }

    /// Creates the default namespace when it does not exist.
    mutating func createDefaultNamespace() async {
        let name = options.plan.defaultNamespace
        let client = executor.client
        let gvk = GroupVersionKind(group: "", version: "v1", kind: "Namespace")
        do {
            _ = try await client.get(gvk, name: name, namespace: nil)
        } catch let e as KubeError where e.isNotFound {
            var ns = KubeObject(apiVersion: "v1", kind: "Namespace", name: name)
            ns.setAnnotation(SyncExecutor.createdByAnnotation, to: options.plan.app)
            let key = ResourceKey(group: "", kind: "Namespace", namespace: "", name: name)
            do {
                _ = try await client.create(ns, options: WriteOptions(fieldManager: options.fieldManager))
                let r = ResourceResult(key: key, phase: .preSync, wave: 0, action: .created, message: "CreateNamespace")
                results.append(r)
                emit(.resourceApplied(r))
            } catch let e as KubeError where e.isAlreadyExists {
            } catch {
                let r = ResourceResult(
                    key: key,
                    phase: .preSync,
                    wave: 0,
                    action: .failed,
                    message: Self.describe(error)
                )
                results.append(r)
                emit(.resourceFailed(r))
                fail("cannot create namespace \(name): \(Self.describe(error))")
            }
        } catch {
            fail("cannot read namespace \(name): \(Self.describe(error))", error: true)
        }
    }
}

/// A failure inside an operation that has no better type, with its message.
struct OperationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
