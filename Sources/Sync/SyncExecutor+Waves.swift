import Foundation
import Health
import KubeClient
import Manifests

extension Operation {
    /// An object written in the current group, until it is healthy (or a hook has finished).
    struct Pending: Sendable {
        /// Its result's index in ``Operation/results``.
        var index: Int
        var step: SyncPlan.Step
        var object: KubeObject
        var verdict: Verdict = .waiting
    }

    /// What an object's health means for the wave waiting on it.
    enum Verdict: Sendable {
        /// Healthy, suspended, or nothing assesses it: the wave may go on; a hook succeeded.
        case ready
        /// Progressing, missing or unknown: wait.
        case waiting
        /// Degraded: the sync fails; a hook failed.
        case failed
    }

    /// Steps cut into runs of one kind, in order: a run is written at once (bounded), runs one
    /// after the other, so Namespaces and CRDs exist before what needs them.
    static func kindRuns(_ steps: [SyncPlan.Step]) -> [[SyncPlan.Step]] {
        var runs: [[SyncPlan.Step]] = []
        for step in steps {
            if let last = runs.last?.last, last.key.kind == step.key.kind, last.key.group == step.key.group {
                runs[runs.count - 1].append(step)
            } else {
                runs.append([step])
            }
        }
        return runs
    }

    /// Applies one group (one phase and wave): resources and hooks, then waits for their health
    /// and finishes the hooks.
    mutating func apply(_ steps: [SyncPlan.Step]) async {
        var pending: [Pending] = []
        var firstFailure: ResourceResult?
        for run in Self.kindRuns(steps) {
            if let gvk = run[0].object.groupVersionKind, served[gvk] == nil,
                plannedCRDs[gvk.group + "/" + gvk.kind] != nil
            {
                await waitUntilServed(gvk)
            }
            let this = self
            let outcomes =
                (try? await executor.concurrentMap(run, limit: options.concurrency) { step in
                    step.action == .hook ? await this.createHook(step) : await this.writeStep(step)
                }) ?? []
            for (step, (r, object)) in zip(run, outcomes) {
                results.append(r)
                if r.action == .failed {
                    emit(.resourceFailed(r))
                    if firstFailure == nil { firstFailure = r }
                } else {
                    emit(.resourceApplied(r))
                    if let object { pending.append(Pending(index: results.count - 1, step: step, object: object)) }
                }
            }
        }
        if let firstFailure {
            fail("\(firstFailure.key): \(firstFailure.message)")
            return
        }
        await waitForHealth(&pending)
        for p in pending where p.step.action == .hook { await finishHook(p) }
    }

    /// Waits until every pending object is ready, one fails, or the health timeout passes.
    mutating func waitForHealth(_ pending: inout [Pending]) async {
        for i in pending.indices { assess(&pending[i], pending[i].object) }
        let deadline = ContinuousClock.now + options.healthTimeout
        while pending.contains(where: { $0.verdict == .waiting }) && !pending.contains(where: { $0.verdict == .failed })
        {
            if ContinuousClock.now >= deadline || Task.isCancelled {
                for i in pending.indices where pending[i].verdict == .waiting {
                    let r = results[pending[i].index]
                    let health = r.health.map { "\($0)" } ?? "not assessed"
                    let what = pending[i].step.action == .hook ? "did not finish" : "did not become healthy"
                    results[pending[i].index].action = .failed
                    results[pending[i].index].message = Self.joined(
                        r.message,
                        Task.isCancelled
                            ? "cancelled while waiting (\(health))"
                            : "\(what) within \(options.healthTimeout) (\(health))"
                    )
                    pending[i].verdict = .failed
                    emit(.resourceFailed(results[pending[i].index]))
                    fail("\(r.key) \(what) within \(options.healthTimeout): \(health)", error: Task.isCancelled)
                }
                return
            }
            try? await Task.sleep(for: options.healthPollInterval)
            let waiting = pending.indices.filter { pending[$0].verdict == .waiting }
            let client = executor.client
            let objects = waiting.map { pending[$0].object }
            let current =
                (try? await executor.concurrentMap(objects, limit: options.concurrency) { object -> KubeObject? in
                    guard let gvk = object.groupVersionKind, let name = object.name else { return nil }
                    do { return try await client.get(gvk, name: name, namespace: object.namespace) } catch {
                        return nil
                    }
                }) ?? []
            for (i, object) in zip(waiting, current) {
                if let object {
                    pending[i].object = object
                    assess(&pending[i], object)
                } else {
                    record(pending[i], .missing("not found while waiting for its health"))
                }
            }
        }
        for p in pending where p.verdict == .failed && p.step.action != .hook {
            let r = results[p.index]
            results[p.index].action = .failed
            results[p.index].message = Self.joined(r.message, "\(r.health.map { "\($0)" } ?? "Degraded")")
            emit(.resourceFailed(results[p.index]))
            fail("\(r.key) is \(r.health.map { "\($0)" } ?? "Degraded")")
        }
    }

    /// Assesses `object` for the pending entry: records its health and verdict.
    mutating func assess(_ p: inout Pending, _ object: KubeObject) {
        let (health, verdict) = Self.verdict(of: object, registry: executor.health)
        p.verdict = verdict
        if let health { record(p, health) }
    }

    /// Records a health in the result and tells the observer when it changed.
    mutating func record(_ p: Pending, _ health: HealthStatus) {
        let key = results[p.index].key
        let previous = healthSeen[key]
        results[p.index].health = health
        if previous != health {
            healthSeen[key] = health
            emit(.healthChanged(key: key, previous: previous, current: health))
        }
    }

    /// The health of `object` and what it means for a wave. A CustomResourceDefinition is ready
    /// once Established (and fails only when its names are refused).
    static func verdict(of object: KubeObject, registry: HealthRegistry) -> (HealthStatus?, Verdict) {
        if object.kind == "CustomResourceDefinition", object.groupVersionKind?.group == "apiextensions.k8s.io" {
            var established = false
            for c in object.status?["conditions"]?.arrayValue ?? [] {
                let type = c["type"]?.stringValue
                let status = c["status"]?.stringValue
                if type == "Established" && status == "True" { established = true }
                if type == "NamesAccepted" && status == "False" {
                    return (.degraded("CRD names have not been accepted: \(c["message"]?.stringValue ?? "")"), .failed)
                }
            }
            return established
                ? (.healthy("CRD is established"), .ready)
                : (.progressing("waiting for the CRD to be Established"), .waiting)
        }
        guard let health = registry.health(of: object) else { return (nil, .ready) }
        switch health.code {
        case .healthy, .suspended: return (health, .ready)
        case .degraded: return (health, .failed)
        case .progressing, .missing, .unknown: return (health, .waiting)
        }
    }

    /// Waits until the cluster serves `gvk` (its CRD, created by this sync, is established).
    mutating func waitUntilServed(_ gvk: GroupVersionKind) async {
        let deadline = ContinuousClock.now + options.healthTimeout
        while ContinuousClock.now < deadline && !Task.isCancelled {
            if let r = try? await executor.client.resource(for: gvk) {
                served[gvk] = r
                return
            }
            try? await Task.sleep(for: options.healthPollInterval)
        }
    }

    static func joined(_ a: String, _ b: String) -> String { a.isEmpty ? b : "\(a); \(b)" }

    // MARK: prune

    /// Why a prune step is refused at execution, if it is: `Delete=false`, or a Namespace this
    /// application did not create.
    func pruneRefusal(_ step: SyncPlan.Step) -> String? {
        if step.annotations.isDisabled("Delete") { return "Delete=false" }
        if step.key.kind == "Namespace" && step.key.group.isEmpty
            && step.object.annotation(SyncExecutor.createdByAnnotation) != options.plan.app
        {
            return "namespace not created by this application; not deleted"
        }
        return nil
    }

    /// Deletes one prune group, in its (reverse) order, one kind at a time.
    mutating func prune(_ steps: [SyncPlan.Step]) async {
        var firstFailure: ResourceResult?
        for run in Self.kindRuns(steps) {
            let this = self
            let outcomes =
                (try? await executor.concurrentMap(run, limit: options.concurrency) { step in
                    await this.pruneStep(step)
                }) ?? []
            for r in outcomes {
                results.append(r)
                switch r.action {
                case .pruned: emit(.resourcePruned(r))
                case .failed:
                    emit(.resourceFailed(r))
                    if firstFailure == nil { firstFailure = r }
                default: break  // skipped: reported with the others at the end
                }
            }
        }
        if let firstFailure { fail("\(firstFailure.key): \(firstFailure.message)") }
    }

    func pruneStep(_ step: SyncPlan.Step) async -> ResourceResult {
        if let reason = pruneRefusal(step) { return result(step, .skipped, reason) }
        guard let gvk = step.object.groupVersionKind, let name = step.object.name else {
            return result(step, .failed, "the live object has no apiVersion, kind or name")
        }
        do {
            let remaining = try await executor.client.delete(
                gvk,
                name: name,
                namespace: step.object.namespace,
                options: DeleteOptions(propagationPolicy: options.deletionPropagation, preconditionUID: step.object.uid)
            )
            let how = "deleted (\(options.deletionPropagation.rawValue))"
            return result(step, .pruned, remaining == nil ? how : "\(how); finalizers still pending")
        } catch let e as KubeError where e.isNotFound {
            return result(step, .pruned, "already gone")
        } catch {
            return result(step, .failed, "prune failed: \(Self.describe(error))")
        }
    }
}
