import KubeClient
import Manifests

/// Hooks: created in their phase, waited for, deleted by their delete policies.
extension Operation {
    /// Creates a hook's object: with `generateName`, a new object each time; with a name, the
    /// previous object is deleted first when the policy is `BeforeHookCreation`, then applied.
    func createHook(_ step: SyncPlan.Step) async -> (ResourceResult, KubeObject?) {
        let object = prepared(step)
        let client = executor.client
        do {
            if let name = object.name, !name.isEmpty, let gvk = object.groupVersionKind {
                var note = "hook"
                if step.annotations.deletePolicies.contains(.beforeHookCreation) {
                    do {
                        let previous = try await client.get(gvk, name: name, namespace: object.namespace)
                        try await deleteAndWait(previous)
                        note = "hook; the previous one deleted (BeforeHookCreation)"
                    } catch let e as KubeError where e.isNotFound {}
                }
                let written = try await client.apply(
                    object,
                    options: ApplyOptions(fieldManager: options.fieldManager, force: options.forceConflicts)
                )
                return (result(step, .created, note, key: written.key), written)
            }
            let written = try await client.create(object, options: WriteOptions(fieldManager: options.fieldManager))
            return (result(step, .created, "hook", key: written.key), written)
        } catch {
            return (result(step, .failed, "hook: \(Self.describe(error))"), nil)
        }
    }

    /// Finishes a hook after the wave's wait: records success or failure, fails the operation on
    /// failure, and deletes the object when its policy says so.
    mutating func finishHook(_ p: Pending) async {
        let succeeded = p.verdict == .ready
        if p.verdict == .waiting { return }  // the wave stopped before it finished; it is left as is
        let policies = p.step.annotations.deletePolicies
        var notes: [String] = [succeeded ? "succeeded" : "failed"]
        if (succeeded && policies.contains(.hookSucceeded)) || (!succeeded && policies.contains(.hookFailed)) {
            do {
                if let gvk = p.object.groupVersionKind, let name = p.object.name {
                    _ = try await executor.client.delete(
                        gvk,
                        name: name,
                        namespace: p.object.namespace,
                        options: DeleteOptions(propagationPolicy: .background)
                    )
                }
                notes.append("deleted (\(succeeded ? "HookSucceeded" : "HookFailed"))")
            } catch let e as KubeError where e.isNotFound {
                notes.append("already gone")
            } catch {
                notes.append("could not be deleted: \(Self.describe(error))")
            }
        }
        let r = results[p.index]
        if !succeeded && r.action != .failed {
            results[p.index].action = .failed
            fail("hook \(r.key) failed: \(r.health.map { "\($0)" } ?? "Degraded")")
        }
        results[p.index].message = Self.joined(r.message, notes.joined(separator: "; "))
        emit(.hookFinished(results[p.index]))
    }
}
