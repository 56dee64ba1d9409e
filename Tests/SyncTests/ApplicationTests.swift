import Diff
import Foundation
import GitSource
import GitTestSupport
import Health
import KubeClient
import Manifests
import Sync
import Testing

/// The model and the pieces of the loop that need no server.
@Suite struct ApplicationTests {
    static let source = ClosureSourceProvider(
        resolve: { _ in Revision(commit: String(repeating: "a", count: 40)) },
        materialize: { revision, _ in Checkout(revision: revision, directory: URL(fileURLWithPath: "/nonexistent")) }
    )

    /// A cluster client that must never be called: these tests need none.
    struct NoCluster: ClusterReader, ClusterWriter, ClusterWatcher, ResourceDiscovery {
        struct Unused: Error {}
        func get(_ kind: GroupVersionKind, name: String, namespace: String?) async throws -> KubeObject {
            throw Unused()
        }
        func list(_ kind: GroupVersionKind, namespace: String?, options: ListOptions) async throws -> ObjectList {
            throw Unused()
        }
        func create(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject { throw Unused() }
        func update(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject { throw Unused() }
        func patch(
            _ kind: GroupVersionKind,
            name: String,
            namespace: String?,
            patch: Patch,
            options: WriteOptions
        )
            async throws -> KubeObject
        { throw Unused() }
        func apply(_ object: KubeObject, options: ApplyOptions) async throws -> KubeObject { throw Unused() }
        func delete(
            _ kind: GroupVersionKind,
            name: String,
            namespace: String?,
            options: DeleteOptions
        ) async throws
            -> KubeObject?
        { throw Unused() }
        func watch(
            _ kind: GroupVersionKind,
            namespace: String?,
            options: WatchOptions
        ) -> AsyncThrowingStream<
            WatchEvent, Error
        > { AsyncThrowingStream { $0.finish(throwing: Unused()) } }
        func resources() async throws -> [APIResource] { throw Unused() }
        func resource(for kind: GroupVersionKind) async throws -> APIResource { throw Unused() }
    }

    func app(_ name: String = "shop", policy: SyncPolicy = .manual) throws -> Application {
        try Application(
            name: name,
            source: ApplicationSource(provider: Self.source, repositoryURL: "file:///apps", path: "deploy"),
            destination: ApplicationDestination(client: NoCluster(), namespace: "shop"),
            syncPolicy: policy
        )
    }

    @Test func namesAndPathsAreValidated() throws {
        for bad in ["", "Shop", "shop:prod", "-shop", "shop-", String(repeating: "a", count: 64), "sh op"] {
            do {
                _ = try app(bad)
                Issue.record("accepted the name '\(bad)'")
            } catch let error as SyncError {
                #expect(error.code == .invalidApplication)
                #expect(error.message.contains("'\(bad)'"))
            }
        }
        #expect(try app("shop.prod-2").name == "shop.prod-2")
        for bad in ["/etc", "deploy/../../x", ".."] {
            #expect(throws: SyncError.self) {
                _ = try ApplicationSource(provider: Self.source, repositoryURL: "x", path: bad)
            }
        }
        #expect(try ApplicationSource(provider: Self.source, repositoryURL: "x", path: "./a//b/").path == "a/b")
    }

    @Test func effectiveSyncOptionsComeFromTheApplication() throws {
        var application = try app(policy: .automated(prune: true, allowEmpty: true))
        application.syncOptions.pruneLast = true
        application.tracking = Tracking(key: "example.com/owner")
        let options = application.effectiveSyncOptions
        #expect(options.app == "shop" && options.defaultNamespace == "shop")
        #expect(options.prune && options.allowEmpty && options.pruneLast)
        #expect(options.tracking.key == "example.com/owner")
    }

    @Test func backoffGrowsAndIsCapped() {
        let retry = Backoff(initial: .seconds(5), factor: 2, maximum: .seconds(180))
        #expect(retry.delay(attempt: 0) == .zero)
        #expect((1...8).map { retry.delay(attempt: $0) } == [5, 10, 20, 40, 80, 160, 180, 180].map { .seconds($0) })
        let heal = Backoff(initial: .seconds(2), factor: 3, maximum: .seconds(300))
        #expect((1...6).map { heal.delay(attempt: $0) } == [2, 6, 18, 54, 162, 300].map { .seconds($0) })
        // Jitter only shortens, never beyond the fraction.
        for attempt in 1...10 {
            let d = Backoff.syncRetry.delay(attempt: attempt)
            let full = retry.delay(attempt: attempt)
            #expect(d <= full && d >= full * 0.9 - .milliseconds(1))
        }
        #expect(Backoff(initial: .seconds(1), factor: .nan, maximum: .seconds(5)).delay(attempt: 4) == .seconds(1))
        #expect(SyncRetryPolicy().limit == 5 && SyncRetryPolicy().backoff.maximum == .seconds(180))
    }

    @Test func stateRoundTripsAndBadStateIsNamed() throws {
        var history = SyncHistory(limit: 3)
        let result = SyncOperationResult(
            revision: "abc",
            startedAt: Date(timeIntervalSince1970: 1_700_000_000),
            finishedAt: Date(timeIntervalSince1970: 1_700_000_005),
            status: .succeeded,
            message: "ok",
            phase: .sync,
            resources: [
                ResourceResult(
                    key: ResourceKey(group: "", kind: "Secret", namespace: "a", name: "s"),
                    phase: .sync,
                    wave: 0,
                    action: .created
                )
            ]
        )
        history.record(result)
        let record = OperationRecord(
            revision: Revision(commit: String(repeating: "b", count: 40), reference: "refs/heads/main"),
            trigger: .selfHeal,
            prune: true,
            startedAt: Date(timeIntervalSince1970: 1_700_000_100.5)
        )
        let state = ReconcilerState(
            inFlight: record,
            managedKinds: [GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment")],
            syncedRevision: Revision(commit: "c"),
            history: history
        )
        let text = try state.json()
        let read = try ReconcilerState(json: text, source: "state.json")
        #expect(read.inFlight == record)
        #expect(read.managedKinds == state.managedKinds)
        #expect(read.syncedRevision == Revision(commit: "c"))
        #expect(read.history.entries.first?.result.revision == "abc")
        #expect(read.history.entries.first?.result.resources.isEmpty == true)  // saved without them
        #expect(read.history.nextID == 2)

        for (bad, what) in [
            ("{", "not JSON"), ("{\"version\": 2}", "version"),
            ("{\"version\": 1, \"inFlight\": {\"commit\": \"x\"}}", "inFlight.id"),
            ("{\"version\": 1, \"managedKinds\": [\"v1\"]}", "managedKinds"),
        ] {
            do {
                _ = try ReconcilerState(json: bad, source: "/var/lib/state.json")
                Issue.record("accepted \(bad)")
            } catch let error as SyncError {
                #expect(error.code == .stateStore)
                #expect(error.message.hasPrefix("/var/lib/state.json: "))
                #expect(error.message.contains(what))
            }
        }
    }

    @Test func fileStoreSavesAndLoads() async throws {
        let dir = try TemporaryDirectory()
        let store = FileStateStore(path: dir.path + "/state.json")
        #expect(try await store.load() == nil)
        try await store.save(ReconcilerState(syncedRevision: Revision(commit: "d")))
        #expect(try await store.load()?.syncedRevision?.commit == "d")
        let nowhere = FileStateStore(path: dir.path + "/missing/dir/state.json")
        await #expect(throws: SyncError.self) { try await nowhere.save(ReconcilerState()) }
    }

    @Test func comparisonCountsOnlyTheApplicationsObjects() throws {
        let application = try app()
        let tracking = application.tracking
        var desiredCM = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "settings")
        desiredCM.fields.updateValue(["color": "blue"], forKey: "data")
        var hook = KubeObject(apiVersion: "batch/v1", kind: "Job", name: "migrate")
        hook.setAnnotation("argocd.argoproj.io/hook", to: "PreSync")
        let namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: "shop")

        var liveCM = tracking.marked(desiredCM, app: "shop", defaultNamespace: "shop").withNamespace("shop")
        liveCM.fields.updateValue(["color": "red"], forKey: "data")
        let liveNamespace = tracking.marked(namespace, app: "shop")
        let orphan = tracking.marked(
            KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "old", namespace: "shop"),
            app: "shop"
        )
        let untracked = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "theirs", namespace: "shop")
        let otherApp = tracking.marked(
            KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "other", namespace: "shop"),
            app: "billing"
        )

        let comparison = try ApplicationComparison(
            desired: [desiredCM, hook, namespace],
            live: [liveCM, liveNamespace, orphan, untracked, otherApp],
            application: application
        )
        #expect(comparison.sync == .outOfSync)
        #expect(comparison.outOfSync.map(\.name) == ["settings"])
        #expect(comparison.pruneCandidates.map(\.name) == ["old"])
        #expect(!comparison.resources.contains { ["theirs", "other", "migrate"].contains($0.key.name) })
        let settings = try #require(comparison.report.resources.first { $0.key.name == "settings" })
        #expect(settings.diff?.changes.contains { $0.path.description.contains("color") } == true)

        // The same live state, with the drift undone and the orphan gone: Synced.
        let synced = try ApplicationComparison(
            desired: [desiredCM, namespace],
            live: [
                tracking.marked(desiredCM, app: "shop", defaultNamespace: "shop").withNamespace("shop"), liveNamespace,
            ],
            application: application
        )
        #expect(synced.sync == .synced)
        #expect(synced.health.status.code == .healthy)

        // Nothing live: everything Missing.
        let missing = try ApplicationComparison(desired: [desiredCM], live: [], application: application)
        #expect(missing.sync == .outOfSync && missing.health.status.code == .missing)
    }
}

extension KubeObject {
    func withNamespace(_ namespace: String) -> KubeObject {
        var copy = self
        var metadata = copy.fields["metadata"]?.objectValue ?? ObjectValue()
        metadata.updateValue(.string(namespace), forKey: "namespace")
        copy.fields.updateValue(.object(metadata), forKey: "metadata")
        return copy
    }
}
