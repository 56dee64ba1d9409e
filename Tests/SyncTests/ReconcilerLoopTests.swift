import EmbeddedCluster
import Foundation
import GitSource
import GitTestSupport
import KubeClient
import Manifests
import ServiceLifecycle
import Sync
import Testing

/// The reconcile loop end to end: a real `git daemon`, the embedded cluster with workload
/// simulation, and a `Reconciler` running as it would in a controller.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReconcilerLoopTests {
    static let initialFiles = [
        "deploy/settings.yaml": configMapYAML("settings", ["color": "blue"]),
        "deploy/web.yaml": loopDeploymentYAML("web"),
        "deploy/extra.yaml": configMapYAML("extra", ["k": "v"]),
        "README.md": "apps\n",
    ]

    @Test func syncsFollowsCommitsHealsAndPrunes() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        // No poll during the test: commits arrive through refresh() (a webhook), drift through
        // the watches.
        var options = fixture.options()
        options.pollInterval = .seconds(3600)
        let reconciler = Reconciler(application: try fixture.application(), options: options)
        let log = ReconcilerEventLog(reconciler)
        let running = Task { try await reconciler.run() }
        do {
            // First sync: everything applied, tracked, healthy.
            let first = try fixture.repo.head()
            try await eventually("the first sync is done and healthy") {
                let s = reconciler.status
                return s.sync == .synced && s.health.code == .healthy && s.revision?.commit == first
            }
            let settings = try #require(try await fixture.configMap("settings"))
            #expect(settings["data"]?["color"]?.stringValue == "blue")
            #expect(settings.annotation(Tracking.argoCDKey) == "shop:/ConfigMap:default/settings")
            #expect(reconciler.status.syncedRevision?.commit == first)
            #expect(reconciler.status.lastOperation?.succeeded == true)

            // A commit changes a field: the cluster follows.
            let second = try fixture.repo.commit(
                ["deploy/settings.yaml": configMapYAML("settings", ["color": "green"])],
                message: "green"
            )
            try fixture.repo.push()
            reconciler.refresh()
            try await eventually("the cluster has the new color") {
                try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "green"
            }
            try await eventually("the status names the new revision") {
                reconciler.status.sync == .synced && reconciler.status.syncedRevision?.commit == second
            }

            // Drift: a field edited by hand is put back (self-heal, seen through the watch).
            _ = try await fixture.client.patch(
                configMapKind,
                name: "settings",
                namespace: "default",
                patch: .merge(["data": ["color": "red"]]),
                options: WriteOptions(fieldManager: "kubectl-edit")
            )
            try await eventually("the hand edit is undone") {
                try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "green"
            }
            // Drift: an object deleted by hand comes back.
            _ = try await fixture.client.delete(
                deploymentKind,
                name: "web",
                namespace: "default",
                options: DeleteOptions()
            )
            try await eventually("the deleted Deployment is back and healthy") {
                let web = try? await fixture.client.get(deploymentKind, name: "web", namespace: "default")
                return web != nil && reconciler.status.sync == .synced && reconciler.status.health.code == .healthy
            }
            #expect(
                log.all.contains {
                    if case .operationStarted(let r) = $0 { return r.trigger == .selfHeal }
                    return false
                }
            )

            // A file removed from Git is pruned; an object nobody tracks stays.
            _ = try await fixture.client.create(
                KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "hand-made", namespace: "default"),
                options: WriteOptions(fieldManager: "kubectl")
            )
            try fixture.repo.commit([:], message: "drop extra", remove: ["deploy/extra.yaml"])
            try fixture.repo.push()
            reconciler.refresh()
            try await eventually("extra is pruned") { try await fixture.configMap("extra") == nil }
            #expect(try await fixture.configMap("hand-made") != nil)
            #expect(try await fixture.configMap("settings") != nil)
            #expect(
                log.all.contains {
                    if case .resourcePruned(let r) = $0 { return r.key.name == "extra" }
                    return false
                }
            )
            #expect(reconciler.history.count >= 4)
        } catch {
            running.cancel()
            _ = await running.result
            await fixture.shutdown()
            throw error
        }
        running.cancel()
        _ = await running.result
        log.stop()
        await fixture.shutdown()

        // The events: in order, a revision, a diff, an operation with applies, health, the end.
        let events = log.all
        func index(_ match: (ReconcilerEvent) -> Bool) -> Int? { events.firstIndex(where: match) }
        let found = index { if case .revisionFound = $0 { return true } else { return false } }
        let diff = index { if case .diffComputed = $0 { return true } else { return false } }
        let applied = index { if case .resourceApplied = $0 { return true } else { return false } }
        let finished = index { if case .operationFinished = $0 { return true } else { return false } }
        let health = index { if case .healthChanged = $0 { return true } else { return false } }
        #expect(found != nil && diff != nil && applied != nil && finished != nil && health != nil)
        if let found, let diff, let applied, let finished {
            #expect(found < diff && diff < applied && applied < finished)
        }
    }

    @Test func renderErrorKeepsTheLastGoodStateAndShowsACondition() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        let reconciler = Reconciler(application: try fixture.application(), options: fixture.options())
        let running = Task { try await reconciler.run() }
        do {
            try await eventually("the first sync is done") { reconciler.status.sync == .synced }
            let good = try fixture.repo.head()
            try fixture.repo.commit(
                [
                    "deploy/settings.yaml":
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: [unclosed\n"
                ],
                message: "broken"
            )
            try fixture.repo.push()
            reconciler.refresh()
            try await eventually("a render error condition shows") {
                reconciler.status.condition(.renderError) != nil
            }
            let status = reconciler.status
            let condition = try #require(status.condition(.renderError))
            #expect(condition.message.contains("settings.yaml"))
            #expect(status.sync == .unknown)
            #expect(status.syncedRevision?.commit == good)
            // The last good state stays applied, untouched.
            #expect(try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "blue")
            #expect(try await fixture.configMap("extra") != nil)

            // Fixed in Git: the condition goes and the cluster follows.
            try fixture.repo.commit(
                ["deploy/settings.yaml": configMapYAML("settings", ["color": "orange"])],
                message: "fixed"
            )
            try fixture.repo.push()
            reconciler.refresh()
            try await eventually("the fix is synced") {
                try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "orange"
                    && reconciler.status.condition(.renderError) == nil && reconciler.status.sync == .synced
            }
        } catch {
            running.cancel()
            _ = await running.result
            await fixture.shutdown()
            throw error
        }
        running.cancel()
        _ = await running.result
        await fixture.shutdown()
    }

    @Test func anOperationStoppedInTheMiddleFinishesAfterARestart() async throws {
        // Wave 0: a Deployment that becomes healthy only after 4 s; wave 1: a ConfigMap.
        let files = [
            "deploy/web.yaml": loopDeploymentYAML("web"),
            "deploy/after.yaml": configMapYAML(
                "after",
                ["k": "v"],
                annotations: ["argocd.argoproj.io/sync-wave": "1"]
            ),
        ]
        let fixture = try await LoopFixture.start(files: files, simulationDelay: 4)
        let stateFile = fixture.root.path + "/state.json"
        let app = try fixture.application(policy: .manual)
        do {
            let first = Reconciler(application: app, options: fixture.options())
            let log = ReconcilerEventLog(first)
            let group = ServiceGroup(services: [first], logger: first.options.logger)
            let running = Task { try await group.run() }
            let syncing = Task { try await first.sync() }
            try await eventually("wave 0 is applied") {
                log.all.contains {
                    if case .resourceApplied(let r) = $0 { return r.key.name == "web" }
                    return false
                }
            }
            // Stop in the middle, while wave 0 waits for health.
            await group.triggerGracefulShutdown()
            _ = await syncing.result
            try await running.value
            log.stop()
            #expect(try await fixture.configMap("after") == nil)
            let saved = try #require(try await FileStateStore(path: stateFile).load())
            let record = try #require(saved.inFlight)
            #expect(record.trigger == .manual)
            #expect(record.revision.commit == (try fixture.repo.head()))
            #expect(
                log.all.contains {
                    if case .operationInterrupted = $0 { return true }
                    return false
                }
            )

            // A new reconciler (a restarted process) with the same state finishes the job, though
            // its policy is manual and nobody asks it to sync.
            let second = Reconciler(application: app, options: fixture.options())
            let log2 = ReconcilerEventLog(second)
            let running2 = Task { try await second.run() }
            try await eventually("the interrupted sync finished") {
                try await fixture.configMap("after") != nil && second.status.lastOperation?.succeeded == true
            }
            #expect(
                log2.all.contains {
                    if case .operationResumed(let r) = $0 { return r.id == record.id }
                    return false
                }
            )
            try await eventually("the state no longer holds an operation in flight") {
                try await FileStateStore(path: stateFile).load()?.inFlight == nil
            }
            #expect(second.status.sync == .synced)
            running2.cancel()
            _ = await running2.result
            log2.stop()
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    @Test func manualPolicyReportsDriftAndRollsBack() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        do {
            let app = try fixture.application(policy: .manual)
            var options = fixture.options()
            options.statePersistence = .configMap()
            let reconciler = Reconciler(application: app, options: options)
            // Before any sync: OutOfSync, Missing, nothing applied.
            let before = await reconciler.reconcile()
            #expect(before.sync == .outOfSync)
            #expect(before.health.code == .missing)
            #expect(try await fixture.configMap("settings") == nil)

            let first = try await reconciler.sync()
            #expect(first.succeeded)
            try fixture.repo.commit(
                ["deploy/settings.yaml": configMapYAML("settings", ["color": "yellow"])],
                message: "yellow"
            )
            try fixture.repo.push()
            let afterCommit = await reconciler.reconcile()
            #expect(afterCommit.sync == .outOfSync)
            #expect(afterCommit.resources.contains { $0.key.name == "settings" && $0.state == .outOfSync })
            #expect(try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "blue")
            #expect(try await reconciler.sync().succeeded)
            #expect(try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "yellow")

            // Rollback to the first entry of the history.
            let entries = reconciler.history.entries
            #expect(entries.count == 2)
            let rolled = try await reconciler.rollback(to: entries[0].id)
            #expect(rolled.succeeded && rolled.revision == first.revision)
            #expect(try await fixture.configMap("settings")?["data"]?["color"]?.stringValue == "blue")
            do {
                try await reconciler.rollback(to: 99)
                Issue.record("a rollback to an unknown entry was accepted")
            } catch let error as SyncError {
                #expect(error.code == .unknownHistoryEntry)
            }

            // The state lives in a ConfigMap of the cluster, untracked (never pruned).
            let state = try #require(try await fixture.configMap("gitops-state-shop"))
            #expect(state.annotation(Tracking.argoCDKey) == nil)
            let saved = try ReconcilerState(
                json: try #require(state["data"]?["state.json"]?.stringValue),
                source: "state"
            )
            #expect(saved.history.count == 3 && saved.inFlight == nil)
            #expect(saved.managedKinds.contains(configMapKind))

            // An automated application refuses rollbacks.
            let automated = Reconciler(application: try fixture.application(), options: fixture.options())
            do {
                try await automated.rollback(to: 1)
                Issue.record("an automated application rolled back")
            } catch let error as SyncError {
                #expect(error.code == .rollbackNotAllowed)
            }
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    @Test func aFailingSyncIsRetriedWithBackoffUpToTheLimit() async throws {
        // The Deployment never becomes healthy: the simulated controller reports
        // ProgressDeadlineExceeded, so every sync fails on its health.
        let files = [
            "deploy/web.yaml": loopDeploymentYAML("web", annotations: ["embedded-cluster.gitops.dev/simulate": "fail"])
        ]
        let fixture = try await LoopFixture.start(files: files)
        let reconciler = Reconciler(
            application: try fixture.application(policy: .automated()),
            options: fixture.options()
        )
        let log = ReconcilerEventLog(reconciler)
        let running = Task { try await reconciler.run() }
        do {
            // Retry limit 2: one attempt and two retries, then a SyncError condition.
            try await eventually("the retries are spent") { reconciler.status.condition(.syncError) != nil }
            let triggers = log.all.compactMap { event -> OperationTrigger? in
                if case .operationStarted(let r) = event { return r.trigger }
                return nil
            }
            #expect(triggers == [.automated, .retry, .retry])
            #expect(reconciler.status.lastOperation?.succeeded == false)
            #expect(reconciler.status.health.code == .degraded)
            // No further attempt on later passes.
            reconciler.refresh()
            try await Task.sleep(for: .seconds(2))
            let after = log.all.filter {
                if case .operationStarted = $0 { return true }
                return false
            }
            #expect(after.count == 3)
        } catch {
            running.cancel()
            _ = await running.result
            await fixture.shutdown()
            throw error
        }
        running.cancel()
        _ = await running.result
        log.stop()
        await fixture.shutdown()
    }

    @Test func repeatedDriftIsHealedWithGrowingDelays() async throws {
        let fixture = try await LoopFixture.start(files: [
            "deploy/settings.yaml": configMapYAML("settings", ["color": "blue"])
        ])
        var options = fixture.options()
        options.pollInterval = .seconds(3600)
        options.selfHealBackoff = Backoff(initial: .seconds(1), factor: 3, maximum: .seconds(60))
        let reconciler = Reconciler(application: try fixture.application(), options: options)
        let log = ReconcilerEventLog(reconciler)
        let running = Task { try await reconciler.run() }
        func heals() -> [(started: Date, finished: Date?)] {
            var out: [(Date, Date?)] = []
            for event in log.all {
                if case .operationStarted(let r) = event, r.trigger == .selfHeal { out.append((r.startedAt, nil)) }
                if case .operationFinished(let result) = event, !out.isEmpty, out[out.count - 1].1 == nil,
                    result.startedAt >= out[out.count - 1].0.addingTimeInterval(-1)
                {
                    out[out.count - 1].1 = result.finishedAt
                }
            }
            return out
        }
        do {
            try await eventually("the first sync is done") { reconciler.status.sync == .synced }
            for n in 1...3 {
                _ = try await fixture.client.patch(
                    configMapKind,
                    name: "settings",
                    namespace: "default",
                    patch: .merge(["data": ["color": .string("drift-\(n)")]]),
                    options: WriteOptions(fieldManager: "kubectl-edit")
                )
                try await eventually("drift \(n) is healed") {
                    guard heals().count == n, heals().last?.finished != nil else { return false }
                    let color = try await fixture.configMap("settings")?["data"]?["color"]?.stringValue
                    return color == "blue"
                }
            }
            let h = heals()
            // The first heal at once; the second at least 1 s after the first ended, the third 3 s.
            let end0 = try #require(h[0].finished)
            let end1 = try #require(h[1].finished)
            let gap1 = h[1].started.timeIntervalSince(end0)
            let gap2 = h[2].started.timeIntervalSince(end1)
            #expect(gap1 >= 0.9)
            #expect(gap2 >= 2.9)
        } catch {
            running.cancel()
            _ = await running.result
            await fixture.shutdown()
            throw error
        }
        running.cancel()
        _ = await running.result
        log.stop()
        await fixture.shutdown()
    }

    @Test func theStateConfigMapWaitsForTheNamespaceTheSyncCreates() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        do {
            var app = try fixture.application(policy: .manual)
            app.destination.namespace = "fresh"
            app.syncOptions.createNamespace = true
            var options = fixture.options()
            options.statePersistence = .configMap()
            let reconciler = Reconciler(application: app, options: options)
            let log = ReconcilerEventLog(reconciler)
            // The first save (before the sync) fails: namespace "fresh" does not exist yet.
            let result = try await reconciler.sync()
            #expect(result.succeeded)
            try await eventually("the events arrived") {
                log.all.contains {
                    if case .conditionCleared(.stateStoreError) = $0 { return true }
                    return false
                }
            }
            let raised = log.all.compactMap { event -> ApplicationCondition? in
                if case .conditionRaised(let c) = event, c.kind == .stateStoreError { return c }
                return nil
            }
            #expect(raised.count == 1 && raised.first?.message.contains("fresh") == true)
            #expect(reconciler.status.condition(.stateStoreError) == nil)
            let state = try await fixture.client.get(configMapKind, name: "gitops-state-shop", namespace: "fresh")
            let saved = try ReconcilerState(
                json: try #require(state["data"]?["state.json"]?.stringValue),
                source: "state"
            )
            #expect(saved.inFlight == nil && saved.history.count == 1)
            log.stop()
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    @Test func anUnreachableSourceIsAConditionNotACrash() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        do {
            let port = try freePort()  // nothing listens there
            let app = try fixture.application(url: "git://127.0.0.1:\(port)/apps.git")
            let reconciler = Reconciler(application: app, options: fixture.options())
            let status = await reconciler.reconcile()
            let condition = try #require(status.condition(.sourceError))
            #expect(condition.message.contains("127.0.0.1:\(port)"))
            #expect(status.sync == .unknown)
            #expect(status.lastOperation == nil)
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    @Test func eventsEndWhenTheLoopStopsAndOnCancellation() async throws {
        let fixture = try await LoopFixture.start(files: Self.initialFiles)
        do {
            let reconciler = Reconciler(
                application: try fixture.application(policy: .manual),
                options: fixture.options()
            )
            // A consumer cancelled while waiting ends its loop.
            let waiting = Task { () -> Int in
                var n = 0
                for await _ in reconciler.events() { n += 1 }
                return n
            }
            try await Task.sleep(for: .milliseconds(100))
            waiting.cancel()
            _ = await waiting.value

            // The sequences end when run() returns.
            let consumer = Task { () -> Int in
                var n = 0
                for await _ in reconciler.events() { n += 1 }
                return n
            }
            let running = Task { try await reconciler.run() }
            try await eventually("a pass compared") { reconciler.status.reconciledAt != nil }
            running.cancel()
            _ = await running.result
            let count = await consumer.value
            #expect(count > 0)
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }
}
