import Foundation
import GitSource
import Logging
import Manifests

extension Reconciler {
    /// The latest operations, oldest first (kept across restarts without per-resource results).
    public var history: SyncHistory { state.withLock { $0.persisted.history } }

    /// Syncs now, whatever the policy: renders `revision` (the reference's latest when `nil`),
    /// and carries out the plan. Waits for a pass or operation in progress to finish first.
    ///
    /// - Parameters:
    ///   - revision: the revision to sync; `nil` for the one the reference names now.
    ///   - prune: whether to prune; `nil` for the application's policy.
    /// - Returns: the operation's result (a failed sync is a result, not an error).
    /// - Throws: the source's error when the revision cannot be resolved or fetched, the
    ///   renderer's when it does not render, `CancellationError` when cancelled before starting.
    @discardableResult
    public func sync(revision: Revision? = nil, prune: Bool? = nil) async throws -> SyncOperationResult {
        try await lock.withLock {
            await self.loadStateOnce()
            let target: Revision
            if let revision {
                target = revision
            } else {
                let source = self.application.source
                target = try await source.provider.latestRevision(source.reference)
            }
            let rendered = try await self.render(target)
            try Task.checkCancellation()
            guard
                let result = await self.operate(
                    rendered,
                    trigger: .manual,
                    prune: prune ?? self.application.syncPolicy.prune,
                    id: nil
                )
            else { throw CancellationError() }
            return result
        }
    }

    /// Syncs the revision of history entry `id` again (Argo CD's rollback). Pruning follows the
    /// application's policy unless `prune` says otherwise.
    ///
    /// - Throws: ``SyncError`` `rollbackNotAllowed` when the policy is automated (the next poll
    ///   would sync the newest revision again: make the policy manual first), `unknownHistoryEntry`
    ///   when no entry has `id`; the source's or renderer's error as ``sync(revision:prune:)``.
    @discardableResult
    public func rollback(to id: Int, prune: Bool? = nil) async throws -> SyncOperationResult {
        guard application.syncPolicy.mode == .manual else {
            throw SyncError(
                .rollbackNotAllowed,
                object: nil,
                message: "application '\(application.name)' syncs automatically; a rollback needs a manual sync policy"
            )
        }
        await lock.withLock { await self.loadStateOnce() }
        guard let entry = history.entry(id: id) else {
            let ids = history.entries.map { String($0.id) }.joined(separator: ", ")
            throw SyncError(
                .unknownHistoryEntry,
                object: nil,
                message:
                    "no history entry \(id) for application '\(application.name)' (entries: \(ids.isEmpty ? "none" : ids))"
            )
        }
        return try await lock.withLock {
            let rendered = try await self.render(Revision(commit: entry.result.revision))
            try Task.checkCancellation()
            guard
                let result = await self.operate(
                    rendered,
                    trigger: .rollback,
                    prune: prune ?? self.application.syncPolicy.prune,
                    id: nil
                )
            else { throw CancellationError() }
            return result
        }
    }

    /// Carries out an operation found in the saved state, if any (called once at start).
    func resumeInterruptedOperation() async {
        guard let record = state.withLock({ $0.persisted.inFlight }) else { return }
        var logger = self.logger
        logger[metadataKey: "revision"] = "\(record.revision.commit)"
        logger.notice("resuming an interrupted operation", metadata: ["trigger": "\(record.trigger.rawValue)"])
        broadcaster.send(.operationResumed(record))
        let rendered: Rendered
        do {
            rendered = try await render(record.revision)
        } catch {
            if Task.isCancelled { return }
            raise(
                .renderError,
                "the interrupted operation at \(record.revision.commit.prefix(12)) cannot be resumed: \(error)"
            )
            state.withLock { $0.persisted.inFlight = nil }
            await saveState()
            return
        }
        _ = await operate(rendered, trigger: record.trigger, prune: record.prune, id: record.id)
    }

    /// Runs one sync operation of `rendered`: records it, executes it, records the result.
    /// Returns `nil` when cancelled in the middle (the record stays saved, to be resumed).
    func operate(
        _ rendered: Rendered,
        trigger: OperationTrigger,
        prune: Bool,
        id: String?
    ) async
        -> SyncOperationResult?
    {
        let revision = rendered.revision
        let record = OperationRecord(
            id: id ?? UUID().uuidString.lowercased(),
            revision: revision,
            trigger: trigger,
            prune: prune
        )
        var logger = self.logger
        logger[metadataKey: "revision"] = "\(revision.commit)"
        logger[metadataKey: "operation"] = "\(record.id)"
        let kinds = Set(rendered.objects.compactMap(\.groupVersionKind))
        state.withLock { s in
            s.persisted.inFlight = record
            s.persisted.managedKinds.formUnion(kinds)
            s.status.operationInProgress = record
        }
        await saveState()
        logger.info("operation started", metadata: ["trigger": "\(trigger.rawValue)", "prune": "\(prune)"])
        broadcaster.send(.operationStarted(record))

        var options = application.effectiveSyncOptions
        options.prune = prune
        let broadcaster = self.broadcaster
        let observer = ClosureSyncObserver { event in
            switch event {
            case .resourceApplied(let r): broadcaster.send(.resourceApplied(r))
            case .resourcePruned(let r): broadcaster.send(.resourcePruned(r))
            case .resourceFailed(let r): broadcaster.send(.resourceFailed(r))
            case .operationFinished, .operationStarted: break
            default: broadcaster.send(.sync(event))
            }
        }
        let executor = SyncExecutor(
            client: application.destination.client,
            health: application.health,
            options: options,
            observer: observer
        )
        let desired = rendered.objects
        let execution = Task { await executor.run(desired: desired, revision: revision.commit) }
        let stopping = state.withLock { s -> Bool in
            s.operation = execution
            return s.stopping
        }
        if stopping { execution.cancel() }
        let result = await withTaskCancellationHandler {
            await execution.value
        } onCancel: {
            execution.cancel()
        }
        state.withLock { $0.operation = nil }

        if execution.isCancelled || Task.isCancelled {
            logger.notice("operation interrupted; it is resumed at the next start")
            state.withLock { $0.status.operationInProgress = nil }
            broadcaster.send(.operationInterrupted(record))
            return nil
        }
        let now = clock.now()
        state.withLock { s in
            s.persisted.inFlight = nil
            s.persisted.history.record(result)
            s.status.operationInProgress = nil
            s.status.lastOperation = result
            if result.succeeded {
                s.persisted.syncedRevision = revision
                s.status.syncedRevision = revision
                s.failures = nil
            } else if trigger == .automated || trigger == .retry {
                let count = s.failures?.commit == revision.commit ? (s.failures?.count ?? 0) + 1 : 1
                s.failures = Failures(commit: revision.commit, count: count, lastEnd: now)
            }
            if trigger == .selfHeal {
                s.selfHealCount += 1
                s.lastSelfHealEnd = now
            } else if result.succeeded && trigger != .manual {
                s.selfHealCount = 0
            }
        }
        if result.succeeded { clear(.syncError) }
        await saveState()
        let level: Logger.Level = result.succeeded ? .info : .warning
        logger.log(
            level: level,
            "operation finished",
            metadata: [
                "status": "\(result.status.rawValue)", "message": "\(result.message)",
                "resources": "\(result.resources.count)",
            ]
        )
        broadcaster.send(.operationFinished(result))
        if !result.succeeded, trigger == .automated || trigger == .retry {
            // Wake up for the retry once its backoff has passed.
            let count = state.withLock { $0.failures?.count ?? 1 }
            if count <= application.retry.limit {
                schedule(.backoff, after: application.retry.backoff.delay(attempt: count))
            }
        }
        _ = await compareReporting(rendered)
        return result
    }
}
