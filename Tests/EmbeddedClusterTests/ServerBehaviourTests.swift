import EmbeddedCluster
import Foundation
import Manifests
import Testing

/// Behaviour the fixtures do not capture one to one: wire format, generateName, subresources,
/// garbage collection, watch-list, slow watchers, concurrent clients.
@Suite("Server behaviour")
struct ServerBehaviourTests {
    let json = [("Content-Type", "application/json")]

    func post(_ port: Int, _ path: String, _ body: String, headers: [(String, String)] = []) throws -> HTTPResult {
        try RawHTTP.request(
            port: port,
            "POST",
            path,
            headers: [("Content-Type", "application/json")] + headers,
            body: Array(body.utf8)
        )
    }

    @Test func secretStringDataIsFoldedIntoDataAndNotStored() async throws {
        try await withCluster { cluster in
            let created = try post(
                cluster.port,
                "/api/v1/namespaces/default/secrets",
                #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"a":"b2xk","keep":"eA=="},"stringData":{"a":"new","b":"two"}}"#
            )
            #expect(created.status == 201)
            let got = try RawHTTP.request(port: cluster.port, "GET", "/api/v1/namespaces/default/secrets/s")
            // stringData wins over data for the same key, as on a real server.
            #expect(got.json["data"] == ["a": "bmV3", "b": "dHdv", "keep": "eA=="])
            #expect(got.json["stringData"] == nil)
            #expect(got.json["type"] == "Opaque")
        }
    }

    @Test func wireFormatFollowsTheUserAgent() async throws {
        try await withCluster { cluster in
            let compact = try RawHTTP.request(
                port: cluster.port,
                "GET",
                "/api/v1/namespaces/default",
                headers: [("User-Agent", "swift-gitops-fixtures/0.1")]
            )
            #expect(compact.text.hasSuffix("}\n"))
            #expect(!compact.text.contains("\n  "))
            #expect(compact.header("Content-Length") == String(compact.body.count))
            let real = try Data(
                contentsOf: Exchange.root.appendingPathComponent(
                    "13-wire-format/01-get-compact-non-curl-user-agent/response-body.json"
                )
            )
            #expect(keys(compact.json) == keys(try Value(json: [UInt8](real))))
            let pretty = try RawHTTP.request(
                port: cluster.port,
                "GET",
                "/api/v1/namespaces/default",
                headers: [("User-Agent", "curl/7.88.1")]
            )
            #expect(pretty.text.contains("\n  \"metadata\": {"))
            #expect(!pretty.text.hasSuffix("\n"))
            let query = try RawHTTP.request(port: cluster.port, "GET", "/api/v1/namespaces/default?pretty=true")
            #expect(query.text.contains("\n  \"kind\": \"Namespace\""))
            // Dry-run create: the default field manager is the User-Agent up to "/", no resourceVersion.
            let exchange = try Exchange("13-wire-format/04-post-dryrun-default-field-manager-from-user-agent")
            let dry = try exchange.replay(cluster.port)
            #expect(dry.status == 201)
            #expect(normalized(dry.json) == normalized(exchange.responseBody ?? .null))
            #expect(dry.json["metadata"]?["resourceVersion"] == nil)
            #expect(
                try RawHTTP.request(
                    port: cluster.port,
                    "GET",
                    "/api/v1/namespaces/default/configmaps/manager-name-demo"
                ).status == 404
            )
        }
    }

    @Test func generateNameStatusSubresourceAndGeneration() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            let made = try post(
                port,
                "/api/v1/namespaces/default/configmaps",
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}"#
            )
            #expect(made.status == 201)
            let name = made.json["metadata"]?["name"]?.stringValue ?? ""
            #expect(name.hasPrefix("gen-") && name.count == 9)
            let deployment =
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}"#
            let created = try post(port, "/apis/apps/v1/namespaces/default/deployments", deployment)
            #expect(created.status == 201)
            #expect(created.json["metadata"]?["generation"] == 1)
            #expect(created.json["spec"]?["template"]?["spec"]?["containers"]?[0]?["imagePullPolicy"] == "Always")
            // A status write through /status changes status only, and not the generation.
            var withStatus = created.json
            withStatus["status"] = ["observedGeneration": 1, "replicas": 1]
            withStatus["spec"]?["replicas"] = 9
            let status = try RawHTTP.request(
                port: port,
                "PUT",
                "/apis/apps/v1/namespaces/default/deployments/d/status",
                headers: json,
                body: try withStatus.jsonBytes()
            )
            #expect(status.status == 200)
            #expect(status.json["status"]?["replicas"] == 1)
            #expect(status.json["spec"]?["replicas"] == 1)
            #expect(status.json["metadata"]?["generation"] == 1)
            #expect(status.json["metadata"]?["managedFields"]?.arrayValue?.last?["subresource"] == "status")
            // A main-resource write ignores status and bumps the generation for a spec change.
            var update = status.json
            update["spec"]?["replicas"] = 3
            update["status"] = [:]
            let updated = try RawHTTP.request(
                port: port,
                "PUT",
                "/apis/apps/v1/namespaces/default/deployments/d",
                headers: json,
                body: try update.jsonBytes()
            )
            #expect(updated.status == 200)
            #expect(updated.json["metadata"]?["generation"] == 2)
            #expect(updated.json["status"]?["replicas"] == 1)
            // A label-only change does not bump it.
            let labelled = try RawHTTP.request(
                port: port,
                "PATCH",
                "/apis/apps/v1/namespaces/default/deployments/d",
                headers: [("Content-Type", "application/merge-patch+json")],
                body: Array(#"{"metadata":{"labels":{"x":"y"}}}"#.utf8)
            )
            #expect(labelled.json["metadata"]?["generation"] == 2)
        }
    }

    @Test func garbageCollectionAndDeleteCollection() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            let owner = try post(
                port,
                "/api/v1/namespaces/default/configmaps",
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner"}}"#
            )
            let uid = owner.json["metadata"]?["uid"]?.stringValue ?? ""
            for i in 0..<3 {
                let child =
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"child-\#(i)","labels":{"kind":"child"},"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"\#(uid)"}]}}"#
                #expect(try post(port, "/api/v1/namespaces/default/configmaps", child).status == 201)
            }
            #expect(
                try RawHTTP.request(port: port, "DELETE", "/api/v1/namespaces/default/configmaps/owner").status == 200
            )
            try await Task.sleep(for: .milliseconds(300))
            let left = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/default/configmaps?labelSelector=kind%3Dchild"
            ).json
            #expect(left["items"]?.arrayValue?.count == 0)
            // deletecollection with a selector removes only what matches.
            for i in 0..<4 {
                _ = try post(
                    port,
                    "/api/v1/namespaces/default/configmaps",
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dc-\#(i)","labels":{"even":"\#(i % 2 == 0)"}}}"#
                )
            }
            let deleted = try RawHTTP.request(
                port: port,
                "DELETE",
                "/api/v1/namespaces/default/configmaps?labelSelector=even%3Dtrue"
            )
            #expect(deleted.status == 200)
            #expect(deleted.json["items"]?.arrayValue?.count == 2)
            let rest = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/default/configmaps?labelSelector=even"
            ).json
            #expect(rest["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["dc-1", "dc-3"])
            // dryRun=All on delete deletes nothing.
            #expect(
                try RawHTTP.request(port: port, "DELETE", "/api/v1/namespaces/default/configmaps/dc-1?dryRun=All")
                    .status == 200
            )
            #expect(try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/default/configmaps/dc-1").status == 200)
        }
    }

    @Test func watchListSendsInitialEventsThenABookmark() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            for i in 0..<3 {
                _ = try post(
                    port,
                    "/api/v1/namespaces/default/configmaps",
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w\#(i)"}}"#
                )
            }
            let result = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
            )
            let events = result.text.split(separator: "\n").compactMap { try? Value(json: Array($0.utf8)) }
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "ADDED", "ADDED", "BOOKMARK"])
            #expect(events.last?["object"]?["metadata"]?["annotations"]?["k8s.io/initial-events-end"] == "true")
        }
    }

    @Test func periodicBookmarks() async throws {
        try await withCluster(.init(bookmarkInterval: 0.3)) { cluster in
            let result = try RawHTTP.request(
                port: cluster.port,
                "GET",
                "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=100&allowWatchBookmarks=true&timeoutSeconds=1"
            )
            let types = result.text.split(separator: "\n").compactMap {
                try? Value(json: Array($0.utf8))["type"]?.stringValue
            }
            #expect(types.count >= 2)
            #expect(types.allSatisfy { $0 == "BOOKMARK" })
            let plain = try RawHTTP.request(
                port: cluster.port,
                "GET",
                "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=100&timeoutSeconds=1"
            )
            #expect(plain.body.isEmpty)
        }
    }

    @Test func aWatcherThatStopsReadingIsDropped() async throws {
        try await withCluster(.init(maxWatchBacklogBytes: 256 << 10)) { cluster in
            let port = cluster.port
            // A raw socket that sends a watch request and never reads.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var size: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let request =
                "GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0 HTTP/1.1\r\nHost: x\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            try await Task.sleep(for: .milliseconds(200))
            let big = String(repeating: "x", count: 60_000)
            for i in 0..<80 {
                let r = try post(
                    port,
                    "/api/v1/namespaces/default/configmaps",
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big-\#(i)"},"data":{"k":"\#(big)"}}"#
                )
                #expect(r.status == 201)
            }
            // The server kept answering, and closed the stuck watch: reading drains to EOF.
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var total = 0
            var buf = [UInt8](repeating: 0, count: 65536)
            var closed = false
            while true {
                let n = recv(fd, &buf, buf.count, 0)
                if n == 0 {
                    closed = true
                    break
                }
                if n < 0 { break }
                total += n
            }
            #expect(closed)
            #expect(total < 80 * 60_000)
        }
    }

    @Test func manyConcurrentClients() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try await withThrowingTaskGroup(of: Int.self) { group in
                for c in 0..<8 {
                    group.addTask {
                        var created = 0
                        for i in 0..<25 {
                            let r = try RawHTTP.request(
                                port: port,
                                "POST",
                                "/api/v1/namespaces/default/configmaps",
                                headers: [("Content-Type", "application/json")],
                                body: Array(
                                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c\#(c)-\#(i)"}}"#.utf8
                                )
                            )
                            if r.status == 201 { created += 1 }
                        }
                        return created
                    }
                }
                var total = 0
                for try await n in group { total += n }
                #expect(total == 200)
            }
            let list = try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/default/configmaps").json
            #expect(list["items"]?.arrayValue?.count == 200)
            // Resource versions are unique and increasing in storage.
            let rvs =
                list["items"]?.arrayValue?.compactMap { Int($0["metadata"]?["resourceVersion"]?.stringValue ?? "") }
                ?? []
            #expect(Set(rvs).count == 200)
        }
    }
}

@Suite("Services and scale")
struct ServiceAndScaleTests {
    @Test func servicesGetAddressesThatApplyKeeps() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            func apply(_ selector: String) throws -> HTTPResult {
                let body =
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  selector: {app: \(selector)}\n  ports:\n  - port: 80\n"
                return try RawHTTP.request(
                    port: port,
                    "PATCH",
                    "/api/v1/namespaces/default/services/lb?fieldManager=test",
                    headers: [("Content-Type", "application/apply-patch+yaml")],
                    body: Array(body.utf8)
                )
            }
            let first = try apply("a")
            #expect(first.status == 201)
            let spec = first.json["spec"]
            #expect(spec?["clusterIP"] == "10.96.0.1")
            #expect(spec?["ports"]?[0]?["nodePort"] == 30000)
            #expect(spec?["ports"]?[0]?["protocol"] == "TCP")
            #expect(spec?["externalTrafficPolicy"] == "Cluster")
            // The port without protocol is the same list entry (key default TCP), addresses are kept.
            let second = try apply("b")
            #expect(second.status == 200)
            #expect(second.json["spec"]?["ports"]?.arrayValue?.count == 1)
            #expect(second.json["spec"]?["clusterIP"] == "10.96.0.1")
            #expect(second.json["spec"]?["selector"] == ["app": "b"])
            let fields = second.json["metadata"]?["managedFields"]?[0]?["fieldsV1"]?["f:spec"]?["f:ports"]
            #expect(fields?[#"k:{"port":80,"protocol":"TCP"}"#] != nil)
        }
    }

    @Test func scaleSubresource() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            let deployment =
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox:1"}]}}}}"#
            _ = try RawHTTP.request(
                port: port,
                "POST",
                "/apis/apps/v1/namespaces/default/deployments",
                headers: [("Content-Type", "application/json")],
                body: Array(deployment.utf8)
            )
            let scale = try RawHTTP.request(port: port, "GET", "/apis/apps/v1/namespaces/default/deployments/d/scale")
            #expect(scale.json["kind"] == "Scale")
            #expect(scale.json["spec"]?["replicas"] == 2)
            #expect(scale.json["status"]?["selector"] == "a=b")
            let patched = try RawHTTP.request(
                port: port,
                "PATCH",
                "/apis/apps/v1/namespaces/default/deployments/d/scale",
                headers: [("Content-Type", "application/merge-patch+json")],
                body: Array(#"{"spec":{"replicas":5}}"#.utf8)
            )
            #expect(patched.json["spec"]?["replicas"] == 5)
            let after = try RawHTTP.request(port: port, "GET", "/apis/apps/v1/namespaces/default/deployments/d").json
            #expect(after["spec"]?["replicas"] == 5)
            #expect(after["metadata"]?["generation"] == 2)
            #expect(after["metadata"]?["managedFields"]?.arrayValue?.contains { $0["subresource"] == "scale" } == true)
        }
    }
}

@Suite("Starting")
struct StartingTests {
    @Test func initialObjectsAndKubeconfig() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-initial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: team
        data:
          mode: fast
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team
        """.write(to: dir.appendingPathComponent("all.yaml"), atomically: true, encoding: .utf8)
        let kubeconfig = dir.appendingPathComponent("kubeconfig").path
        try await withCluster(.init(kubeconfigPath: kubeconfig, initialObjectsDirectory: dir.path)) { cluster in
            let text = try String(contentsOfFile: kubeconfig, encoding: .utf8)
            #expect(text.contains("server: \(cluster.url)"))
            let cm = try RawHTTP.request(port: cluster.port, "GET", "/api/v1/namespaces/team/configmaps/settings")
            #expect(cm.status == 200)
            #expect(cm.json["data"]?["mode"] == "fast")
        }
        // A manifest the server rejects fails the start with its message.
        try "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: missing\n".write(
            to: dir.appendingPathComponent("all.yaml"),
            atomically: true,
            encoding: .utf8
        )
        await #expect(throws: EmbeddedClusterError.self) {
            _ = try await EmbeddedCluster.start(.init(initialObjectsDirectory: dir.path))
        }
    }
}

@Suite("Bad input")
struct BadInputTests {
    @Test func malformedObjectsAndPatchesGetClientErrorsNotCrashes() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            let json = [("Content-Type", "application/json")]
            let cm = "/api/v1/namespaces/default/configmaps"
            _ = try RawHTTP.request(
                port: port,
                "POST",
                cm,
                headers: json,
                body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok"}}"#.utf8)
            )
            let bodies = [
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":"x"}"#,
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":"x"}}"#,
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"status":7}"#,
                #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}"#,
                #"[1,2]"#, "", "null", #"{"kind":"ConfigMap"}"#,
            ]
            for b in bodies {
                let r = try RawHTTP.request(port: port, "POST", cm, headers: json, body: Array(b.utf8))
                #expect((400..<500).contains(r.status), "\(b) -> \(r.status) \(r.text)")
                #expect(r.json["kind"] == "Status")
            }
            let patches: [(String, String)] = [
                ("application/merge-patch+json", #"{"metadata":"x"}"#),
                ("application/merge-patch+json", #"{"metadata":{"labels":"x"}}"#),
                ("application/strategic-merge-patch+json", #"{"metadata":{"labels":[1]}}"#),
                ("application/json-patch+json", #"[{"op":"replace","path":"/metadata","value":3}]"#),
                ("application/json-patch+json", #"[{"op":"add","path":"/nope/x","value":3}]"#),
                ("application/json-patch+json", #"{"op":"add"}"#),
                ("application/apply-patch+yaml", "metadata: [1"),
                ("application/apply-patch+yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: 5\n"),
            ]
            for (type, body) in patches {
                let r = try RawHTTP.request(
                    port: port,
                    "PATCH",
                    cm + "/ok?fieldManager=t",
                    headers: [("Content-Type", type)],
                    body: Array(body.utf8)
                )
                #expect((400..<500).contains(r.status), "\(type) \(body) -> \(r.status) \(r.text)")
            }
            let unknownPath = try RawHTTP.request(port: port, "GET", "/apis/nope/v1/things")
            #expect(unknownPath.status == 404)
            let badSelector = try RawHTTP.request(port: port, "GET", cm + "?labelSelector=a%20in%20b")
            #expect(badSelector.status == 400)
            let badContinue = try RawHTTP.request(port: port, "GET", cm + "?limit=1&continue=%%%")
            #expect(badContinue.status == 400)
            // Still serving.
            #expect(try RawHTTP.request(port: port, "GET", cm + "/ok").status == 200)
        }
    }
}
