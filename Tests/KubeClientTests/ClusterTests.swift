import EmbeddedCluster
import Foundation
import Manifests
import Synchronization
import Testing

@testable import KubeClient

let configMap = GroupVersionKind(apiVersion: "v1", kind: "ConfigMap")
let deployment = GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment")

/// Starts an embedded cluster, runs `body` with a client for it, shuts it down.
func withCluster(
    transport: (any HTTPTransport)? = nil,
    configure: (inout ClientConfiguration) -> Void = { _ in },
    _ body: (KubernetesClient, EmbeddedCluster) async throws -> Void
) async throws {
    let cluster = try await EmbeddedCluster.start(.init(threads: 1))
    do {
        var config = try Kubeconfig(yaml: cluster.kubeconfig).resolve()
        config.retry = RetryPolicy(maxAttempts: 4, initialDelay: 0.05, maxDelay: 0.2)
        configure(&config)
        try await body(KubernetesClient(configuration: config, transport: transport), cluster)
    } catch {
        try await cluster.shutdown()
        throw error
    }
    try await cluster.shutdown()
}

func cm(_ name: String, _ data: [String: String] = [:], labels: [String: String] = [:]) -> KubeObject {
    var o = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: name, namespace: "default")
    for (k, v) in labels { o.setLabel(k, to: v) }
    if !data.isEmpty {
        o.fields.updateValue(.object(ObjectValue(data.map { ($0.key, Value.string($0.value)) })), forKey: "data")
    }
    return o
}

@Suite(.timeLimit(.minutes(1))) struct ClusterTests {
    @Test func crudVerbs() async throws {
        try await withCluster { client, _ in
            let created = try await client.create(cm("a", ["k": "1"]), options: WriteOptions(fieldManager: "tests"))
            #expect(created.uid != nil && created.resourceVersion != nil)
            do {
                _ = try await client.create(cm("a"), options: WriteOptions())
                Issue.record("created twice")
            } catch let e as KubeError { #expect(e.isAlreadyExists) }

            var got = try await client.get(configMap, name: "a", namespace: "default")
            #expect(got["data"]?["k"]?.stringValue == "1")
            got.fields.updateValue(["k": "2"], forKey: "data")
            let updated = try await client.update(got, options: WriteOptions())
            #expect(updated["data"]?["k"]?.stringValue == "2")
            do {
                _ = try await client.update(got, options: WriteOptions())  // stale resourceVersion
                Issue.record("stale update accepted")
            } catch let e as KubeError { #expect(e.isConflict) }

            let merged = try await client.patch(
                configMap,
                name: "a",
                namespace: nil,
                patch: .merge(["data": ["m": "x"]]),
                options: WriteOptions()
            )
            #expect(merged["data"]?["m"]?.stringValue == "x" && merged["data"]?["k"]?.stringValue == "2")
            let jsonPatched = try await client.patch(
                configMap,
                name: "a",
                namespace: nil,
                patch: .json([["op": "replace", "path": "/data/k", "value": "3"]]),
                options: WriteOptions()
            )
            #expect(jsonPatched["data"]?["k"]?.stringValue == "3")
            do {
                _ = try await client.patch(
                    configMap,
                    name: "a",
                    namespace: nil,
                    patch: .json([["op": "test", "path": "/data/k", "value": "9"]]),
                    options: WriteOptions()
                )
                Issue.record("failed test op accepted")
            } catch let e as KubeError { #expect(e.isInvalid) }

            do {
                _ = try await client.delete(
                    configMap,
                    name: "a",
                    namespace: nil,
                    options: DeleteOptions(preconditionUID: "wrong")
                )
                Issue.record("precondition ignored")
            } catch let e as KubeError { #expect(e.isConflict) }
            try await client.delete(
                configMap,
                name: "a",
                namespace: nil,
                options: DeleteOptions(propagationPolicy: .background)
            )
            do {
                _ = try await client.get(configMap, name: "a", namespace: "default")
                Issue.record("still there")
            } catch let e as KubeError { #expect(e.isNotFound) }
        }
    }

    @Test func serverSideApplyWithConflictsAndDryRun() async throws {
        try await withCluster { client, _ in
            let first = try await client.apply(cm("s", ["a": "1"]), options: ApplyOptions(fieldManager: "one"))
            #expect(first.managedFields.contains { $0.manager == "one" && $0.operation == "Apply" })
            do {
                _ = try await client.apply(cm("s", ["a": "2"]), options: ApplyOptions(fieldManager: "two"))
                Issue.record("conflict not reported")
            } catch let e as KubeError { #expect(e.isConflict) }
            let dry = try await client.apply(
                cm("s", ["a": "2"]),
                options: ApplyOptions(fieldManager: "two", force: true, dryRun: true)
            )
            #expect(dry["data"]?["a"]?.stringValue == "2")
            #expect(try await client.get(configMap, name: "s", namespace: nil)["data"]?["a"]?.stringValue == "1")
            let forced = try await client.apply(
                cm("s", ["a": "2"]),
                options: ApplyOptions(fieldManager: "two", force: true)
            )
            #expect(forced["data"]?["a"]?.stringValue == "2")
        }
    }

    @Test func listFollowsPagesAndSelectors() async throws {
        try await withCluster { client, _ in
            for i in 0..<25 {
                _ = try await client.create(
                    cm("item-\(i)", labels: ["parity": i % 2 == 0 ? "even" : "odd"]),
                    options: WriteOptions()
                )
            }
            let all = try await client.list(configMap, namespace: "default", options: ListOptions(pageSize: 4))
            let names = all.items.compactMap(\.name).filter { $0.hasPrefix("item-") }
            #expect(names.count == 25 && Set(names).count == 25)
            #expect(all.items.allSatisfy { $0.kind == "ConfigMap" && $0.apiVersion == "v1" })
            #expect(!all.resourceVersion.isEmpty)
            let even = try await client.list(
                configMap,
                namespace: "default",
                options: ListOptions(labelSelector: "parity in (even)", pageSize: 5)
            )
            #expect(even.items.count == 13)
            let one = try await client.list(
                configMap,
                namespace: nil,
                options: ListOptions(fieldSelector: "metadata.name=item-3")
            )
            #expect(one.items.map(\.name) == ["item-3"])
            try await client.deleteCollection(
                configMap,
                namespace: "default",
                options: ListOptions(labelSelector: "parity=odd", pageSize: nil)
            )
            #expect(
                try await client.list(configMap, namespace: "default", options: ListOptions(labelSelector: "parity"))
                    .items.count == 13
            )
        }
    }

    @Test func discoveryFindsCRDsAfterAMiss() async throws {
        try await withCluster { client, _ in
            let rs = try await client.resources()
            #expect(rs.contains { $0.kind == "Deployment" && $0.resource == "deployments" })
            let widget = GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")
            await #expect(throws: KubeError.self) { try await client.resource(for: widget) }
            let crd = try KubeObject(
                Value(
                    yaml: """
                        apiVersion: apiextensions.k8s.io/v1
                        kind: CustomResourceDefinition
                        metadata: {name: widgets.example.com}
                        spec:
                          group: example.com
                          scope: Namespaced
                          names: {plural: widgets, singular: widget, kind: Widget}
                          versions:
                          - name: v1
                            served: true
                            storage: true
                            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                        """
                )
            )
            _ = try await client.create(crd, options: WriteOptions())
            try await Task.sleep(for: .milliseconds(200))
            let r = try await client.resource(for: widget)
            #expect(r.resource == "widgets" && r.namespaced)
            var w = KubeObject(apiVersion: "example.com/v1", kind: "Widget", name: "w", namespace: "default")
            w.fields.updateValue(["size": 3], forKey: "spec")
            _ = try await client.create(w, options: WriteOptions())
            #expect(try await client.get(widget, name: "w", namespace: nil)["spec"]?["size"]?.intValue == 3)
            let apps = try await client.openAPIV3(groupVersion: "apps/v1")
            #expect(apps["components"]?["schemas"] != nil)
        }
    }

    @Test func watchDeliversEventsAndResumesAfterTheServerEndsTheStream() async throws {
        try await withCluster { client, _ in
            let start = try await client.list(configMap, namespace: "default", options: ListOptions())
            // timeoutSeconds 1: the server ends each watch after a second; the client must reconnect
            // from the last resourceVersion without losing or repeating events.
            let events = client.watch(
                configMap,
                namespace: "default",
                options: WatchOptions(resourceVersion: start.resourceVersion, timeoutSeconds: 1)
            )
            let writer = Task {
                for i in 0..<6 {
                    _ = try await client.create(cm("w\(i)"), options: WriteOptions())
                    try await Task.sleep(for: .milliseconds(400))
                }
            }
            var seen: [String] = []
            for try await e in events where e.type != .bookmark {
                #expect(e.type == .added)
                seen.append(e.object.name ?? "")
                if seen.count == 6 { break }
            }
            try await writer.value
            #expect(seen == (0..<6).map { "w\($0)" })
        }
    }

    @Test func watchFromAnExpiredVersionReportsGone() async throws {
        try await withCluster { client, _ in
            for i in 0..<3 { _ = try await client.create(cm("g\(i)"), options: WriteOptions()) }
            do {
                for try await _ in client.watch(
                    configMap,
                    namespace: "default",
                    options: WatchOptions(resourceVersion: "1")
                ) {}
                Issue.record("no 410 from a too-old resourceVersion")
            } catch let e as KubeError {
                #expect(e.isGone)
            }
        }
    }
}

/// What libcurl hands the transport line by line arrives without its line ending.
@Suite(.timeLimit(.minutes(1))) struct CurlHeaderTests {
    @Test func headerValuesCarryNoLineEnding() async throws {
        try await withCluster { _, cluster in
            let request = HTTPRequest(method: "GET", url: "http://127.0.0.1:\(cluster.port)/version")
            let collected = try await CurlTransport.shared.send(request)
            #expect(collected.head.status == 200)
            #expect(collected.head.header("content-type") == "application/json")
            let streamed = try await CurlTransport.shared.stream(request)
            #expect(streamed.head.header("content-type") == "application/json")
        }
    }

    @Test func reusedHandlesCarryNothingFromOneRequestToTheNext() async throws {
        try await withCluster { _, cluster in
            // One transport, so each request below takes the handle the one before left: a body,
            // a method or a header of an earlier request must not reach a later one.
            let transport = CurlTransport()
            let base = "http://127.0.0.1:\(cluster.port)/api/v1/namespaces/default/configmaps"
            let json = [("Content-Type", "application/json"), ("Accept", "application/json")]
            let created = try await transport.send(
                HTTPRequest(
                    method: "POST",
                    url: base,
                    headers: json,
                    body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"reuse"},"data":{"k":"v"}}"#.utf8)
                )
            )
            #expect(created.head.status == 201)
            let got = try await transport.send(HTTPRequest(method: "GET", url: base + "/reuse"))
            #expect(got.head.status == 200)
            #expect(try Value(json: got.body)["data"]?["k"] == "v")
            let missing = try await transport.send(HTTPRequest(method: "GET", url: base + "/nothing"))
            #expect(missing.head.status == 404)
            // A watch cut short leaves its handle mid-transfer.
            let watch = try await transport.stream(HTTPRequest(method: "GET", url: base + "?watch=true"))
            #expect(watch.head.status == 200)
            for try await _ in watch.body { break }
            let deleted = try await transport.send(HTTPRequest(method: "DELETE", url: base + "/reuse"))
            #expect(deleted.head.status == 200)
            let gone = try await transport.send(HTTPRequest(method: "GET", url: base + "/reuse"))
            #expect(gone.head.status == 404)
            let list = try await transport.send(HTTPRequest(method: "GET", url: base))
            #expect(list.head.status == 200)
            #expect(try Value(json: list.body)["kind"] == "ConfigMapList")
        }
    }
}
