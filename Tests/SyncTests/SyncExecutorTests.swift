import EmbeddedCluster
import Foundation
import Health
import KubeClient
import Manifests
import Synchronization
import Testing

@testable import Sync

/// Starts an embedded cluster with workload simulation, runs `body` with a client, stops it.
func withSyncCluster(
    _ body: (KubernetesClient, EmbeddedCluster) async throws -> Void
) async throws {
    let cluster = try await EmbeddedCluster.start(.init(simulateWorkloads: true, simulationDelay: 0.2, threads: 1))
    do {
        var config = try Kubeconfig(yaml: cluster.kubeconfig).resolve()
        config.qps = 0
        config.retry = RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxDelay: 0.2)
        try await body(KubernetesClient(configuration: config), cluster)
    } catch {
        try await cluster.shutdown()
        throw error
    }
    try await cluster.shutdown()
}

/// Collects the events of an executor.
final class EventLog: SyncObserver, Sendable {
    let events = Mutex<[SyncEvent]>([])
    func observe(_ event: SyncEvent) { events.withLock { $0.append(event) } }
    var all: [SyncEvent] { events.withLock { $0 } }

    /// Keys of applied resources, in order.
    var applied: [String] {
        all.compactMap { if case .resourceApplied(let r) = $0 { return r.key.name } else { return nil } }
    }
}

func objects(_ yaml: String) throws -> [KubeObject] {
    try YAML.documents(yaml).compactMap { $0.value.isNull ? nil : try KubeObject($0.value) }
}

let configMapKind = GroupVersionKind(apiVersion: "v1", kind: "ConfigMap")
let deploymentKind = GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment")
let jobKind = GroupVersionKind(apiVersion: "batch/v1", kind: "Job")
let namespaceKind = GroupVersionKind(apiVersion: "v1", kind: "Namespace")

func deploymentYAML(_ name: String, wave: Int = 0, app: String? = nil, fail: Bool = false, extra: String = "") -> String
{
    let label = app ?? name
    var annotations = "argocd.argoproj.io/sync-wave: \"\(wave)\""
    if fail { annotations += ", embedded-cluster.gitops.dev/simulate: fail" }
    if !extra.isEmpty { annotations += ", " + extra }
    return """
        {apiVersion: apps/v1, kind: Deployment, metadata: {name: \(name), annotations: {\(annotations)}},
         spec: {replicas: 1, selector: {matchLabels: {app: \(label)}},
                template: {metadata: {labels: {app: \(label)}}, spec: {containers: [{name: main, image: nginx}]}}}}
        """
}

func jobYAML(_ name: String, hook: String, policy: String? = nil, generate: Bool = false, fail: Bool = false) -> String
{
    var annotations = "argocd.argoproj.io/hook: \(hook)"
    if let policy { annotations += ", argocd.argoproj.io/hook-delete-policy: \(policy)" }
    if fail { annotations += ", embedded-cluster.gitops.dev/simulate: fail" }
    let naming = generate ? "generateName: \(name)-" : "name: \(name)"
    return """
        {apiVersion: batch/v1, kind: Job, metadata: {\(naming), annotations: {\(annotations)}},
         spec: {template: {spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}}}}
        """
}

func isNotFound(_ body: () async throws -> Void) async -> Bool {
    do {
        try await body()
        return false
    } catch let e as KubeError { return e.isNotFound } catch { return false }
}

/// Whether the object is gone within `seconds` (foreground deletion finishes after the sync returns).
func eventuallyNotFound(seconds: Double = 20, _ body: () async throws -> Void) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await isNotFound(body) { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}

@Suite(.timeLimit(.minutes(3))) struct SyncExecutorTests {
    func executor(
        _ client: KubernetesClient,
        _ log: EventLog? = nil,
        configure: (inout SyncOptions) -> Void = { _ in }
    )
        -> SyncExecutor
    {
        var options = SyncOptions(app: "shop", fieldManager: "shop-sync", healthTimeout: .seconds(30))
        options.healthPollInterval = .milliseconds(100)
        configure(&options)
        return SyncExecutor(client: client, options: options, observer: log)
    }

    @Test func firstSyncCreatesInWaveOrderThenNothingChangesThenAFieldIsConfigured() async throws {
        try await withSyncCluster { client, _ in
            let log = EventLog()
            let desired = try objects(
                """
                {apiVersion: v1, kind: ConfigMap, metadata: {name: late, annotations: {argocd.argoproj.io/sync-wave: "2"}}, data: {k: v}}
                ---
                \(deploymentYAML("web", wave: 1))
                ---
                {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: config}, data: {mode: blue}}
                ---
                {apiVersion: v1, kind: Namespace, metadata: {name: shop-extra}}
                """
            )
            let sync = executor(client, log)
            let first = await sync.run(desired: desired, revision: "r1")
            #expect(first.status == .succeeded, "\(first.message)")
            #expect(first.revision == "r1" && first.finishedAt >= first.startedAt)
            #expect(log.applied == ["shop-extra", "config", "web", "web", "late"])
            #expect(first.resources.allSatisfy { $0.action == .created })
            // Wave 2 started only after the Deployment of wave 1 was Healthy.
            let events = log.all
            let healthy = events.firstIndex {
                if case .healthChanged(let key, _, let current) = $0 {
                    return key.name == "web" && current.code == .healthy
                }
                return false
            }
            let wave2 = events.firstIndex {
                if case .waveStarted(_, let wave, _) = $0 { return wave == 2 }
                return false
            }
            #expect(healthy != nil && wave2 != nil && healthy! < wave2!)
            #expect(
                first.resource(ResourceKey(group: "apps", kind: "Deployment", namespace: "default", name: "web"))?
                    .health?.code == .healthy
            )
            if case .operationFinished(let r)? = events.last {
                #expect(r == first)
            } else {
                Issue.record("no operationFinished")
            }

            let live = try await client.get(configMapKind, name: "config", namespace: "default")
            #expect(live.annotation(Tracking.argoCDKey) == "shop:/ConfigMap:default/config")
            #expect(live.managedFields.contains { $0.manager == "shop-sync" && $0.operation == "Apply" })
            let ns = try await client.get(namespaceKind, name: "shop-extra", namespace: nil)
            #expect(ns.annotation(SyncExecutor.createdByAnnotation) == "shop")

            let second = await sync.run(desired: desired, revision: "r1")
            #expect(second.status == .succeeded, "\(second.message)")
            #expect(second.resources.allSatisfy { $0.action == .unchanged }, "\(second.resources)")

            var changed = desired
            let i = changed.firstIndex { $0.name == "config" }!
            changed[i].fields["data"] = ["mode": "green"]
            let third = await sync.run(desired: changed, revision: "r2")
            #expect(third.status == .succeeded, "\(third.message)")
            #expect(third.resources.filter { $0.action == .configured }.map(\.key.name) == ["config"])
            let after = try await client.get(configMapKind, name: "config", namespace: "default")
            #expect(after["data"]?["mode"]?.stringValue == "green")
        }
    }

    @Test func prunesOnlyTrackedObjectsAndKeepsWhatTheRulesProtect() async throws {
        try await withSyncCluster { client, cluster in
            // Not this application's: a plain ConfigMap, and a namespace that existed before.
            try cluster.create(KubeObject(apiVersion: "v1", kind: "Namespace", name: "legacy"))
            var untracked = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "untracked", namespace: "default")
            untracked.fields["data"] = ["k": "v"]
            try cluster.create(untracked)
            let desired = try objects(
                """
                {apiVersion: v1, kind: ConfigMap, metadata: {name: keep}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: gone}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: protected, annotations: {argocd.argoproj.io/sync-options: Prune=false}}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: nodelete, annotations: {argocd.argoproj.io/sync-options: Delete=false}}, data: {k: v}}
                ---
                {apiVersion: v1, kind: Namespace, metadata: {name: legacy}}
                ---
                {apiVersion: v1, kind: Namespace, metadata: {name: ours}}
                """
            )
            let first = await executor(client) { $0.prune = true }.run(desired: desired, revision: "r1")
            #expect(first.status == .succeeded, "\(first.message)")
            // Adopted: it gains the tracking annotation, not the created-by mark.
            #expect(
                first.resource(ResourceKey(group: "", kind: "Namespace", namespace: "", name: "legacy"))?.action
                    == .configured
            )

            // Pruning off: reported, kept.
            let onlyKeep = Array(desired.prefix(1))
            let off = await executor(client).run(desired: onlyKeep, revision: "r2")
            #expect(off.status == .succeeded)
            #expect(off.resources(.skipped).contains { $0.key.name == "gone" && $0.message.contains("pruning is off") })
            _ = try await client.get(configMapKind, name: "gone", namespace: "default")

            // An empty render never prunes without allowEmpty.
            let empty = await executor(client) { $0.prune = true }.run(desired: [], revision: "r3")
            #expect(empty.resources(.pruned).isEmpty)
            #expect(empty.resources(.skipped).contains { $0.message.contains("allow-empty") })
            _ = try await client.get(configMapKind, name: "gone", namespace: "default")

            let log = EventLog()
            let pruned = await executor(client, log) { $0.prune = true }.run(desired: onlyKeep, revision: "r4")
            #expect(pruned.status == .succeeded, "\(pruned.message)")
            #expect(Set(pruned.resources(.pruned).map(\.key.name)) == ["gone", "ours"])
            #expect(
                await eventuallyNotFound { _ = try await client.get(configMapKind, name: "gone", namespace: "default") }
            )
            #expect(await eventuallyNotFound { _ = try await client.get(namespaceKind, name: "ours", namespace: nil) })
            _ = try await client.get(configMapKind, name: "untracked", namespace: "default")
            _ = try await client.get(configMapKind, name: "protected", namespace: "default")
            _ = try await client.get(configMapKind, name: "nodelete", namespace: "default")
            _ = try await client.get(namespaceKind, name: "legacy", namespace: nil)
            let skipped = Dictionary(uniqueKeysWithValues: pruned.resources(.skipped).map { ($0.key.name, $0.message) })
            #expect(skipped["protected"] == "Prune=false")
            #expect(skipped["nodelete"] == "Delete=false")
            #expect(skipped["legacy"]?.contains("not created by this application") == true)
            #expect(skipped["untracked"] == nil)
            #expect(
                log.all.contains {
                    if case .resourcePruned(let r) = $0 { return r.key.name == "gone" } else { return false }
                }
            )
        }
    }

    @Test func aDegradedWaveFailsTheSyncAndStopsTheNext() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                \(deploymentYAML("broken", wave: 0, fail: true))
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: next, annotations: {argocd.argoproj.io/sync-wave: "1"}}}
                """
            )
            let result = await executor(client).run(desired: desired, revision: "r1")
            #expect(result.status == .failed)
            #expect(result.message.contains("broken") && result.message.contains("Degraded"), "\(result.message)")
            let broken = result.resource(
                ResourceKey(group: "apps", kind: "Deployment", namespace: "default", name: "broken")
            )
            #expect(broken?.action == .failed && broken?.health?.code == .degraded)
            #expect(
                result.resource(ResourceKey(group: "", kind: "ConfigMap", namespace: "default", name: "next")) == nil
            )
            #expect(await isNotFound { _ = try await client.get(configMapKind, name: "next", namespace: "default") })
        }
    }

    @Test func aWaveThatNeverBecomesHealthyTimesOut() async throws {
        // Without simulation a Deployment stays Progressing.
        let cluster = try await EmbeddedCluster.start(.init(threads: 1))
        let client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve())
        let result = await executor(client) { $0.healthTimeout = .milliseconds(600) }.run(
            desired: (try? objects(deploymentYAML("slow"))) ?? [],
            revision: "r1"
        )
        #expect(result.status == .failed)
        #expect(result.message.contains("did not become healthy"), "\(result.message)")
        try await cluster.shutdown()
    }

    @Test func hooksRunInTheirPhasesWithTheirDeletePolicies() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                \(jobYAML("migrate", hook: "PreSync", policy: "HookSucceeded", generate: true))
                ---
                \(jobYAML("smoke", hook: "PostSync"))
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: app}}
                """
            )
            let log = EventLog()
            let sync = executor(client, log)
            let result = await sync.run(desired: desired, revision: "r1")
            #expect(result.status == .succeeded, "\(result.message)")
            #expect(result.resources.map(\.phase) == [.preSync, .sync, .postSync])
            let migrate = result.resources[0]
            #expect(
                migrate.isHook && migrate.key.name.hasPrefix("migrate-") && migrate.key.name.count > "migrate-".count
            )
            #expect(migrate.health?.code == .healthy && migrate.message.contains("HookSucceeded"), "\(migrate.message)")
            #expect(
                await isNotFound { _ = try await client.get(jobKind, name: migrate.key.name, namespace: "default") }
            )
            // BeforeHookCreation keeps it until the next sync.
            let smoke = try await client.get(jobKind, name: "smoke", namespace: "default")
            #expect(smoke.annotation(Tracking.argoCDKey) != nil)
            let finished = log.all.filter { if case .hookFinished = $0 { return true } else { return false } }
            #expect(finished.count == 2)

            // The next sync deletes the old PostSync Job before creating it again.
            let again = await sync.run(desired: desired, revision: "r2")
            #expect(again.status == .succeeded, "\(again.message)")
            let smoke2 = try await client.get(jobKind, name: "smoke", namespace: "default")
            #expect(smoke2.uid != smoke.uid)
            #expect(again.resources.last?.message.contains("BeforeHookCreation") == true)
        }
    }

    @Test func aFailedHookFailsTheSyncAndRunsSyncFailHooks() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                \(jobYAML("check", hook: "PreSync", policy: "HookFailed", fail: true))
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: app}}
                ---
                \(jobYAML("alert", hook: "SyncFail"))
                ---
                \(jobYAML("after", hook: "PostSync"))
                """
            )
            let result = await executor(client).run(desired: desired, revision: "r1")
            #expect(result.status == .failed)
            #expect(result.message.contains("check"), "\(result.message)")
            #expect(result.phase == .syncFail)
            let check = result.resources.first { $0.key.name == "check" }
            #expect(check?.action == .failed && check?.health?.code == .degraded)
            #expect(check?.message.contains("HookFailed") == true)
            #expect(await isNotFound { _ = try await client.get(jobKind, name: "check", namespace: "default") })
            #expect(await isNotFound { _ = try await client.get(configMapKind, name: "app", namespace: "default") })
            #expect(await isNotFound { _ = try await client.get(jobKind, name: "after", namespace: "default") })
            let alert = result.resources.first { $0.key.name == "alert" }
            #expect(alert?.phase == .syncFail && alert?.action == .created && alert?.health?.code == .healthy)
            _ = try await client.get(jobKind, name: "alert", namespace: "default")
        }
    }

    @Test func aDryRunFailureAppliesNothingAndReportsEveryFailure() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                {apiVersion: v1, kind: ConfigMap, metadata: {name: fine}}
                ---
                {apiVersion: apps/v1, kind: Deployment, metadata: {name: bad-one},
                 spec: {selector: {matchLabels: {app: a}}, template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, image: i}]}}}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: Bad_Name}}
                ---
                {apiVersion: example.com/v1, kind: Unserved, metadata: {name: x}}
                """
            )
            let log = EventLog()
            let result = await executor(client, log).run(desired: desired, revision: "r1")
            #expect(result.status == .failed)
            #expect(result.phase == nil)
            #expect(Set(result.resources.map(\.key.name)) == ["bad-one", "Bad_Name", "x"])
            #expect(result.resources.allSatisfy { $0.action == .failed })
            #expect(result.message.contains("nothing was applied"))
            let deployment = result.resources.first { $0.key.name == "bad-one" }
            #expect(deployment?.message.contains("selector") == true, "\(deployment?.message ?? "")")
            #expect(result.resources.first { $0.key.name == "x" }?.message.contains("does not serve") == true)
            #expect(await isNotFound { _ = try await client.get(configMapKind, name: "fine", namespace: "default") })
            #expect(log.applied.isEmpty)
        }
    }

    @Test func dryRunOnlyPredictsAndChangesNothing() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}")
            _ = await executor(client).run(desired: desired, revision: "r1")
            var changed = desired
            changed[0].fields["data"] = ["k": "w"]
            changed += try objects("{apiVersion: v1, kind: ConfigMap, metadata: {name: b}}")
            let result = await executor(client) { $0.dryRunOnly = true }.run(desired: changed, revision: "r2")
            #expect(result.status == .succeeded && result.dryRun)
            #expect(result.resources.map(\.action) == [.configured, .created])
            let a = try await client.get(configMapKind, name: "a", namespace: "default")
            #expect(a["data"]?["k"]?.stringValue == "v")
            #expect(await isNotFound { _ = try await client.get(configMapKind, name: "b", namespace: "default") })
        }
    }

    @Test func anImmutableFieldIsReportedAndRecreatedOnlyWhenAsked() async throws {
        try await withSyncCluster { client, _ in
            let sync = executor(client)
            let first = await sync.run(desired: try objects(deploymentYAML("web")), revision: "r1")
            #expect(first.status == .succeeded, "\(first.message)")
            let before = try await client.get(deploymentKind, name: "web", namespace: "default")

            let moved = await sync.run(desired: try objects(deploymentYAML("web", app: "other")), revision: "r2")
            #expect(moved.status == .failed)
            let r = moved.resources.first
            #expect(r?.action == .failed)
            #expect(r?.message.contains("immutable spec.selector") == true, "\(r?.message ?? "")")
            #expect(r?.message.contains("Replace=true") == true)
            let unchanged = try await client.get(deploymentKind, name: "web", namespace: "default")
            #expect(unchanged.uid == before.uid && unchanged.resourceVersion == before.resourceVersion)

            let forced = await sync.run(
                desired: try objects(
                    deploymentYAML("web", app: "other", extra: "argocd.argoproj.io/sync-options: Force=true")
                ),
                revision: "r3"
            )
            #expect(forced.status == .succeeded, "\(forced.message)")
            #expect(forced.resources.first?.message.contains("re-created") == true)
            let after = try await client.get(deploymentKind, name: "web", namespace: "default")
            #expect(after.uid != before.uid)
            #expect(after["spec"]?["selector"]?["matchLabels"]?["app"]?.stringValue == "other")
        }
    }

    @Test func customResourcesWaitForTheirCRD() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                {apiVersion: example.com/v1, kind: Widget, metadata: {name: w1}, spec: {size: 3}}
                ---
                {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: widgets.example.com},
                 spec: {group: example.com, scope: Namespaced, names: {plural: widgets, singular: widget, kind: Widget},
                        versions: [{name: v1, served: true, storage: true,
                                    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}}]}}
                """
            )
            let result = await executor(client).run(desired: desired, revision: "r1")
            #expect(result.status == .succeeded, "\(result.message)")
            #expect(result.resources.map(\.key.kind) == ["CustomResourceDefinition", "Widget"])
            #expect(result.resources.first?.health?.code == .healthy)
            let widget = try await client.get(
                GroupVersionKind(apiVersion: "example.com/v1", kind: "Widget"),
                name: "w1",
                namespace: "default"
            )
            #expect(widget["spec"]?["size"]?.intValue == 3)
        }
    }

    @Test func createsTheNamespaceAndAppliesClientSideOrByReplaceWhenAsked() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects("{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: '1', y: '2'}}")
            let created = await executor(client) {
                $0.defaultNamespace = "fresh"
                $0.createNamespace = true
                $0.serverSideApply = false
            }.run(desired: desired, revision: "r1")
            #expect(created.status == .succeeded, "\(created.message)")
            #expect(created.resources.map(\.action) == [.created, .created])
            let ns = try await client.get(namespaceKind, name: "fresh", namespace: nil)
            #expect(ns.annotation(SyncExecutor.createdByAnnotation) == "shop")
            let a = try await client.get(configMapKind, name: "a", namespace: "fresh")
            #expect(a.annotation(SyncExecutor.lastAppliedAnnotation) != nil)

            // Client-side apply removes a field the last applied configuration had.
            var fewer = desired
            fewer[0].fields["data"] = ["x": "1"]
            let patched = await executor(client) {
                $0.defaultNamespace = "fresh"
                $0.serverSideApply = false
            }.run(desired: fewer, revision: "r2")
            #expect(patched.status == .succeeded, "\(patched.message)")
            #expect(patched.resources.map(\.action) == [.configured])
            let b = try await client.get(configMapKind, name: "a", namespace: "fresh")
            #expect(b["data"]?["y"] == nil && b["data"]?["x"]?.stringValue == "1")

            var replaced = fewer
            replaced[0].fields["data"] = ["z": "3"]
            let result = await executor(client) {
                $0.defaultNamespace = "fresh"
                $0.replace = true
            }.run(desired: replaced, revision: "r3")
            #expect(result.status == .succeeded, "\(result.message)")
            let c = try await client.get(configMapKind, name: "a", namespace: "fresh")
            #expect(c["data"] == ["z": "3"])
        }
    }

    @Test func anObjectOfAnotherApplicationIsLeftAlone() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: shared}, data: {owner: other}}"
            )
            let other = SyncExecutor(client: client, options: SyncOptions(app: "other"))
            #expect(await other.run(desired: desired, revision: "r1").status == .succeeded)
            var mine = desired
            mine[0].fields["data"] = ["owner": "shop"]
            let result = await executor(client).run(desired: mine, revision: "r1")
            #expect(result.resources.map(\.action) == [.skipped])
            #expect(result.resources.first?.message.contains("tracked by application 'other'") == true)
            let live = try await client.get(configMapKind, name: "shared", namespace: "default")
            #expect(live["data"]?["owner"]?.stringValue == "other")
        }
    }

    @Test func pruneLastWaitsForPostSyncAndOutOfSyncOnlyWritesWhatDiffers() async throws {
        try await withSyncCluster { client, _ in
            let base = try objects(
                """
                {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: old}, data: {k: v}}
                """
            )
            #expect(await executor(client).run(desired: base, revision: "r1").status == .succeeded)
            var next = Array(base.prefix(2))
            next[1].fields["data"] = ["k": "w"]
            next += try objects(jobYAML("notify", hook: "PostSync"))
            let log = EventLog()
            let result = await executor(client, log) {
                $0.prune = true
                $0.pruneLast = true
                $0.applyOutOfSyncOnly = true
            }.run(desired: next, revision: "r2")
            #expect(result.status == .succeeded, "\(result.message)")
            let a = result.resources.first { $0.key.name == "a" }
            #expect(a?.action == .unchanged && a?.message == "in sync; not written")
            #expect(result.resources.first { $0.key.name == "b" }?.action == .configured)
            let events = log.all
            let hookDone = events.firstIndex { if case .hookFinished = $0 { return true } else { return false } }
            let pruned = events.firstIndex {
                if case .resourcePruned(let r) = $0 {
                    return r.key.name == "old" && r.phase == .postSync
                } else {
                    return false
                }
            }
            #expect(hookDone != nil && pruned != nil && hookDone! < pruned!)
        }
    }

    @Test func aFieldConflictWithoutForceIsCaughtByTheDryRun() async throws {
        try await withSyncCluster { client, _ in
            // Another manager owns data.k.
            let theirs = try objects("{apiVersion: v1, kind: ConfigMap, metadata: {name: owned}, data: {k: theirs}}")[0]
            _ = try await client.apply(theirs, options: ApplyOptions(fieldManager: "someone-else"))
            let desired = try objects(
                """
                {apiVersion: v1, kind: ConfigMap, metadata: {name: first}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: owned}, data: {k: ours}}
                """
            )
            let refused = await executor(client) { $0.forceConflicts = false }.run(desired: desired, revision: "r1")
            #expect(refused.status == .failed)
            #expect(refused.resources.map(\.key.name) == ["owned"])
            #expect(refused.resources.first?.message.contains(".data.k") == true, "\(refused.resources)")
            #expect(await isNotFound { _ = try await client.get(configMapKind, name: "first", namespace: "default") })

            let forced = await executor(client).run(desired: desired, revision: "r1")
            #expect(forced.status == .succeeded, "\(forced.message)")
            let live = try await client.get(configMapKind, name: "owned", namespace: "default")
            #expect(live["data"]?["k"]?.stringValue == "ours")
        }
    }

    @Test func objectsInANamespaceTheSyncCreatesAreNotDryRunButAreWritten() async throws {
        try await withSyncCluster { client, _ in
            let desired = try objects(
                """
                {apiVersion: v1, kind: Namespace, metadata: {name: shop-new}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: inside, namespace: shop-new}, data: {k: v}}
                ---
                {apiVersion: v1, kind: ConfigMap, metadata: {name: outside, namespace: default}, data: {k: v}}
                """
            )
            let recorder = ApplyRecorder(client)
            let sync = SyncExecutor(client: recorder, options: SyncOptions(app: "shop", fieldManager: "shop-sync"))
            let result = await sync.run(desired: desired, revision: "r1")
            #expect(result.status == .succeeded, "\(result.message)")
            // The Namespace and the ConfigMap in an existing namespace were dry-run; the
            // ConfigMap whose namespace did not exist yet was not (the server could only answer
            // that the namespace is missing), then all three were written.
            #expect(recorder.dryRuns == ["/shop-new", "default/outside"])
            #expect(recorder.writes == ["/shop-new", "default/outside", "shop-new/inside"])
            #expect(try await client.get(configMapKind, name: "inside", namespace: "shop-new")["data"] == ["k": "v"])

            // Once the namespace exists, its objects are dry-run again.
            var changed = desired
            changed[1].fields["data"] = ["k": "w"]
            let again = ApplyRecorder(client)
            let second = await SyncExecutor(client: again, options: SyncOptions(app: "shop", fieldManager: "shop-sync"))
                .run(desired: changed, revision: "r2")
            #expect(second.status == .succeeded, "\(second.message)")
            #expect(again.dryRuns.contains("shop-new/inside"))
        }
    }
}

/// A client that records the server-side applies it forwards, by `namespace/name`, dry runs
/// apart from writes (each list sorted: requests run concurrently).
final class ApplyRecorder: ClusterReader, ClusterWriter, ResourceDiscovery, Sendable {
    let client: KubernetesClient
    let applied = Mutex<(dryRuns: [String], writes: [String])>(([], []))

    init(_ client: KubernetesClient) { self.client = client }

    var dryRuns: [String] { applied.withLock { $0.dryRuns.sorted() } }
    var writes: [String] { applied.withLock { $0.writes.sorted() } }

    func apply(_ object: KubeObject, options: ApplyOptions) async throws -> KubeObject {
        let name = "\(object.namespace ?? "")/\(object.name ?? "")"
        applied.withLock {
            if options.dryRun { $0.dryRuns.append(name) } else { $0.writes.append(name) }
        }
        return try await client.apply(object, options: options)
    }

    func get(_ kind: GroupVersionKind, name: String, namespace: String?) async throws -> KubeObject {
        try await client.get(kind, name: name, namespace: namespace)
    }
    func list(_ kind: GroupVersionKind, namespace: String?, options: ListOptions) async throws -> ObjectList {
        try await client.list(kind, namespace: namespace, options: options)
    }
    func create(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        try await client.create(object, options: options)
    }
    func update(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        try await client.update(object, options: options)
    }
    func patch(_ kind: GroupVersionKind, name: String, namespace: String?, patch: Patch, options: WriteOptions)
        async throws -> KubeObject
    {
        try await client.patch(kind, name: name, namespace: namespace, patch: patch, options: options)
    }
    func delete(_ kind: GroupVersionKind, name: String, namespace: String?, options: DeleteOptions) async throws
        -> KubeObject?
    {
        try await client.delete(kind, name: name, namespace: namespace, options: options)
    }
    func resources() async throws -> [APIResource] { try await client.resources() }
    func resource(for kind: GroupVersionKind) async throws -> APIResource { try await client.resource(for: kind) }
}
