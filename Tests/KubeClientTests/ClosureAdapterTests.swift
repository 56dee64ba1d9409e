import Manifests
import Synchronization
import Testing

@testable import KubeClient

/// The closure adapters in front of a real client: what a caller plugs in sees the real
/// cluster's answers, and a verb nobody supplied fails with a message that names it.
@Suite(.timeLimit(.minutes(1))) struct ClosureAdapterTests {
    @Test func writerForwardsTheVerbsItWasGivenAndNamesTheOnesItWasNot() async throws {
        try await withCluster { client, _ in
            let applied = Mutex<[String]>([])
            let audited = ClosureClusterWriter(apply: { object, options in
                applied.withLock { $0.append(object.name ?? "") }
                return try await client.apply(object, options: options)
            })
            let live = try await audited.apply(cm("audited", ["k": "v"]), options: ApplyOptions(fieldManager: "tests"))
            #expect(live.uid != nil)
            #expect(applied.withLock { $0 } == ["audited"])
            #expect(try await client.get(configMap, name: "audited", namespace: "default")["data"]?["k"] == "v")

            do {
                _ = try await audited.delete(live)
                Issue.record("delete went through a writer that was given no delete")
            } catch let error as KubeError {
                #expect(error.message.contains("'delete'"))
            }
            // Nothing was deleted behind the caller's back.
            #expect(try await client.get(configMap, name: "audited", namespace: "default").uid == live.uid)
        }
    }

    @Test func watcherDeliversTheStreamItIsGiven() async throws {
        try await withCluster { client, _ in
            let watcher = ClosureClusterWatcher { kind, namespace, options in
                client.watch(kind, namespace: namespace, options: options)
            }
            let start = try await client.list(configMap, namespace: "default", options: ListOptions())
            let events = watcher.watch(
                configMap, namespace: "default", options: WatchOptions(resourceVersion: start.resourceVersion))
            _ = try await client.create(cm("watched"), options: WriteOptions())
            for try await event in events where event.type != .bookmark {
                #expect(event.type == .added)
                #expect(event.object.name == "watched")
                break
            }
        }
    }

    @Test func discoveryAsksAgainOnAMissAndNamesAKindNobodyServes() async throws {
        try await withCluster { client, _ in
            let calls = Mutex(0)
            // The first answer predates the kind (as after a CRD is created); the second has it.
            let discovery = ClosureResourceDiscovery {
                let n = calls.withLock { $0 += 1; return $0 }
                return n == 1 ? [] : try await client.resources()
            }
            let found = try await discovery.resource(for: configMap)
            #expect(found.resource == "configmaps" && found.namespaced)
            #expect(calls.withLock { $0 } == 2)

            let widget = GroupVersionKind(apiVersion: "example.com/v1", kind: "Widget")
            do {
                _ = try await discovery.resource(for: widget)
                Issue.record("found a kind the cluster does not serve")
            } catch let error as KubeError {
                #expect(error.message.contains("example.com/v1") && error.httpStatus == 404)
            }
        }
    }
}
