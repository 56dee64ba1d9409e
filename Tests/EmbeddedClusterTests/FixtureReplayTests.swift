import EmbeddedCluster
import Foundation
import Manifests
import Testing

/// Replays the real kube-apiserver captures against the embedded cluster and compares status
/// codes, headers and bodies field by field (volatile values such as uids and timestamps aside).
@Suite("Fixture replay")
struct FixtureReplayTests {
    /// Replays one exchange; returns the embedded answer after checking the status code.
    @discardableResult
    func replay(
        _ folder: String,
        _ port: Int,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> HTTPResult {
        let exchange = try Exchange(folder)
        let result = try exchange.replay(port)
        #expect(result.status == exchange.status, "\(folder): \(result.text)", sourceLocation: sourceLocation)
        return result
    }

    /// Replays and expects the same body as the real server, after normalization.
    func replaySame(_ folder: String, _ port: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let exchange = try Exchange(folder)
        let result = try replay(folder, port, sourceLocation: sourceLocation)
        #expect(
            normalized(result.json) == normalized(exchange.responseBody ?? .null),
            "\(folder)\n\(result.text)",
            sourceLocation: sourceLocation
        )
        let realType = exchange.responseHeaders.first { $0.0 == "Content-Type" }?.1
        #expect(result.header("Content-Type") == realType, sourceLocation: sourceLocation)
    }

    @Test func discoveryMatchesTheRealServer() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replaySame("01-discovery/01-version", port)
            var apiVersions = try replay("01-discovery/02-api-legacy", port).json
            #expect(apiVersions["serverAddressByClientCIDRs"]?[0]?["serverAddress"] == .string("127.0.0.1:\(port)"))
            apiVersions["serverAddressByClientCIDRs"] = nil
            var realVersions = try Exchange("01-discovery/02-api-legacy").responseBody
            realVersions?["serverAddressByClientCIDRs"] = nil
            #expect(apiVersions == realVersions)
            // The resource lists: every kind we serve has the real server's entry, field by field.
            for folder in ["01-discovery/06-api-v1-resourcelist", "01-discovery/07-apps-v1-resourcelist"] {
                let real = try Exchange(folder).responseBody?["resources"]?.arrayValue ?? []
                let ours = try replay(folder, port).json["resources"]?.arrayValue ?? []
                #expect(ours.count >= 8)
                for entry in ours {
                    let name = entry["name"]?.stringValue ?? ""
                    let match = real.first { $0["name"]?.stringValue == name }
                    #expect(match == entry, "\(folder) \(name)")
                }
            }
            // Aggregated discovery: the same entries as the real one, filtered to what we serve.
            let exchange = try Exchange("01-discovery/04-apis-aggregated")
            let result = try replay("01-discovery/04-apis-aggregated", port)
            #expect(
                result.header("Content-Type") == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )
            #expect(result.header("Vary") == "Accept")
            let realGroups = exchange.responseBody?["items"]?.arrayValue ?? []
            for group in result.json["items"]?.arrayValue ?? [] {
                let name = group["metadata"]?["name"]?.stringValue
                guard let real = realGroups.first(where: { $0["metadata"]?["name"]?.stringValue == name }) else {
                    Issue.record("group \(name ?? "?") is not in the real server's discovery")
                    continue
                }
                for resource in group["versions"]?[0]?["resources"]?.arrayValue ?? [] {
                    let realResource = real["versions"]?[0]?["resources"]?.arrayValue?.first {
                        $0["resource"] == resource["resource"]
                    }
                    #expect(realResource == resource)
                }
            }
            // A conditional re-fetch with the ETag is 304 Not Modified.
            let etag = try #require(result.header("Etag"))
            let again = try RawHTTP.request(
                port: port,
                "GET",
                "/apis",
                headers: exchange.headers + [("If-None-Match", etag)]
            )
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
    }

    @Test func configMapCRUDAndErrorsMatch() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            let created = try replay("02-configmap-crud/01-create-201", port)
            let real = try Exchange("02-configmap-crud/01-create-201").responseBody
            #expect(normalized(created.json) == normalized(real ?? .null))
            #expect(keys(created.json) == keys(real))
            #expect(keys(created.json["metadata"]) == keys(real?["metadata"]))
            try replaySame("02-configmap-crud/02-create-again-409-alreadyexists", port)
            try replaySame("02-configmap-crud/03-get-200", port)
            try replaySame("02-configmap-crud/04-get-missing-404-notfound", port)
            // PUT carries the resourceVersion of the real capture: use ours instead.
            var put = try Exchange("02-configmap-crud/05-put-200")
            let rv = created.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            var body = try Value(json: put.body)
            body["metadata"]?["resourceVersion"] = .string(rv)
            put.body = try body.jsonBytes()
            let updated = try put.replay(port)
            #expect(updated.status == 200)
            #expect(normalized(updated.json) == normalized(put.responseBody ?? .null))
            // The stale resourceVersion (ours from the create) is now a 409 Conflict.
            var stale = try Exchange("02-configmap-crud/06-put-stale-resourceversion-409-conflict")
            var staleBody = try Value(json: stale.body)
            staleBody["metadata"]?["resourceVersion"] = .string(rv)
            stale.body = try staleBody.jsonBytes()
            let conflict = try stale.replay(port)
            #expect(conflict.status == 409)
            #expect(conflict.json == stale.responseBody)
            try replaySame("02-configmap-crud/07-delete-200", port)
            // Foreground deletion: the object comes back with the finalizer, then the GC removes it.
            try replay("02-configmap-crud/08-create-for-foreground-delete-201", port)
            try replaySame("02-configmap-crud/09-delete-foreground-200", port)
            try await Task.sleep(for: .milliseconds(300))
            try replaySame("02-configmap-crud/10-get-after-foreground-delete-404", port)
            // Finalizers hold an object until a patch removes the last one.
            try replaySame("02-configmap-crud/11-create-with-finalizer-201", port)
            try replaySame("02-configmap-crud/12-delete-with-finalizer-200-object", port)
            try replaySame("02-configmap-crud/14-merge-patch-remove-finalizer-200", port)
            try replaySame("02-configmap-crud/15-get-after-finalizer-removed-404", port)
        }
    }

    @Test func invalidObjectsAreRejectedLikeTheRealServer() async throws {
        try await withCluster { cluster in
            try replay("00-setup/01-create-namespace", cluster.port)
            try replaySame("03-invalid/01-deployment-missing-selector-422-invalid", cluster.port)
            // Unknown fields: Strict is a 400 naming each, Warn (and the default) one Warning header
            // each and the object stored without them.
            try replaySame("03-invalid/02-unknown-field-strict-400-badrequest", cluster.port)
            for folder in [
                "03-invalid/03-unknown-field-warn-201-warning",
                "03-invalid/04-unknown-field-no-fieldvalidation-dryrun-201",
            ] {
                let exchange = try Exchange(folder)
                let result = try replay(folder, cluster.port)
                #expect(
                    result.headerValues("Warning") == exchange.responseHeaders.filter { $0.0 == "Warning" }.map(\.1)
                )
                var ours = normalized(result.json)
                var theirs = normalized(exchange.responseBody ?? .null)
                ours["metadata"]?["managedFields"] = nil
                theirs["metadata"]?["managedFields"] = nil
                #expect(ours == theirs, "\(folder)")
            }
            // Undecodable bodies are 400, unknown patch types 415.
            let bad = try RawHTTP.request(
                port: cluster.port,
                "POST",
                "/api/v1/namespaces/fixtures/configmaps",
                headers: [("Content-Type", "application/json")],
                body: Array("{not json".utf8)
            )
            #expect(bad.status == 400)
            #expect(bad.json["reason"] == "BadRequest")
            let unsupported = try RawHTTP.request(
                port: cluster.port,
                "PATCH",
                "/api/v1/namespaces/fixtures/configmaps/x",
                headers: [("Content-Type", "text/plain")],
                body: Array("{}".utf8)
            )
            #expect(unsupported.status == 415)
            #expect(unsupported.json["reason"] == "UnsupportedMediaType")
            // Bad label values are 422 Invalid.
            let badLabel = try RawHTTP.request(
                port: cluster.port,
                "POST",
                "/api/v1/namespaces/fixtures/configmaps",
                headers: [("Content-Type", "application/json")],
                body: Array(
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"a":"not a valid value!"}}}"#
                        .utf8
                )
            )
            #expect(badLabel.status == 422)
            #expect(badLabel.json["reason"] == "Invalid")
            #expect(badLabel.json["details"]?["kind"] == "ConfigMap")
            // A namespace that does not exist is 404 for a create.
            let noNamespace = try RawHTTP.request(
                port: cluster.port,
                "POST",
                "/api/v1/namespaces/nowhere/configmaps",
                headers: [("Content-Type", "application/json")],
                body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#.utf8)
            )
            #expect(noNamespace.status == 404)
            #expect(noNamespace.json["message"] == "namespaces \"nowhere\" not found")
            // Server-side apply warns of unknown fields as a create does (Warn is the default),
            // for a new object and for one that exists, and stores neither.
            for name in ["applied", "applied"] {
                let applied = try RawHTTP.request(
                    port: cluster.port,
                    "PATCH",
                    "/api/v1/namespaces/fixtures/configmaps/\(name)?fieldManager=tests",
                    headers: [("Content-Type", "application/apply-patch+yaml")],
                    body: Array(
                        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"k":"v"},"colour":"red"}"#
                            .utf8
                    )
                )
                #expect(applied.status == 200 || applied.status == 201)
                #expect(applied.headerValues("Warning") == [#"299 - "unknown field \"colour\"""#])
                #expect(applied.json["colour"] == nil && applied.json["data"]?["k"] == "v")
            }
        }
    }

    @Test func serverSideApplyMatchesManagedFieldsAndConflicts() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            let created = try replay("04-server-side-apply/01-apply-create-201", port)
            let real = try Exchange("04-server-side-apply/01-apply-create-201").responseBody
            #expect(normalized(created.json) == normalized(real ?? .null))
            #expect(
                keys(created.json["spec"]?["template"]?["spec"]?["containers"]?[0])
                    == keys(real?["spec"]?["template"]?["spec"]?["containers"]?[0])
            )
            let reapplied = try replay("04-server-side-apply/02-reapply-changed-replicas-200", port)
            #expect(reapplied.json["spec"]?["replicas"] == 3)
            #expect(reapplied.json["metadata"]?["generation"] == 2)
            try replaySame("04-server-side-apply/03-other-manager-no-force-409-conflict", port)
            let forced = try replay("04-server-side-apply/04-other-manager-force-200", port)
            let realForced = try Exchange("04-server-side-apply/04-other-manager-force-200").responseBody
            func fields(_ v: Value?, _ manager: String) -> Value? {
                v?["metadata"]?["managedFields"]?.arrayValue?.first { $0["manager"]?.stringValue == manager }?[
                    "fieldsV1"
                ]
            }
            #expect(fields(forced.json, "gitops-test") == fields(realForced, "gitops-test"))
            #expect(fields(forced.json, "other") == fields(realForced, "other"))
            #expect(forced.json["spec"]?["replicas"] == 4)
            // Dry run: the answer shows the change, nothing is stored.
            let before = try RawHTTP.request(port: port, "GET", "/apis/apps/v1/namespaces/fixtures/deployments/web")
            let dry = try replay("04-server-side-apply/06-apply-dryrun-all-200", port)
            #expect(dry.json["spec"]?["replicas"] == 5)
            let after = try RawHTTP.request(port: port, "GET", "/apis/apps/v1/namespaces/fixtures/deployments/web")
            #expect(after.json == before.json)
            #expect(after.json["spec"]?["replicas"] == 4)
            // Re-applying the same configuration is a no-op: the resourceVersion stays.
            let same = try replay("04-server-side-apply/04-other-manager-force-200", port)
            #expect(same.json["metadata"]?["resourceVersion"] == after.json["metadata"]?["resourceVersion"])

            // The four patch flavours of 05-patch, on the same Deployment.
            let merge = try replay("05-patch/01-merge-patch-200", port)
            #expect(
                merge.json["metadata"]?["labels"]
                    == (try Exchange("05-patch/01-merge-patch-200")).responseBody?["metadata"]?["labels"]
            )
            let strategic = try replay("05-patch/02-strategic-merge-patch-200", port)
            let realStrategic = try Exchange("05-patch/02-strategic-merge-patch-200").responseBody
            #expect(strategic.json["spec"]?["template"] == realStrategic?["spec"]?["template"])
            let jsonPatch = try replay("05-patch/03-json-patch-replace-200", port)
            let realJSONPatch = try Exchange("05-patch/03-json-patch-replace-200").responseBody
            #expect(jsonPatch.json["spec"]?["replicas"] == 1)
            for manager in ["gitops-test", "curl"] {
                #expect(fields(jsonPatch.json, manager) == fields(realJSONPatch, manager), "\(manager)")
            }
            #expect(fields(jsonPatch.json, "other") == nil)
            try replaySame("05-patch/04-json-patch-test-fails-422-invalid", port)
        }
    }

    @Test func listPaginationAndSelectorsMatch() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            for i in 1...7 {
                let body =
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"page-\#(i)","labels":{"set":"paging","tier":"\#(i % 2 == 1 ? "odd" : "even")"}},"data":{"index":"\#(i)"}}"#
                let r = try RawHTTP.request(
                    port: port,
                    "POST",
                    "/api/v1/namespaces/fixtures/configmaps",
                    headers: [("Content-Type", "application/json")],
                    body: Array(body.utf8)
                )
                #expect(r.status == 201)
            }
            // The real namespace also held kube-root-ca.crt; ours has 7 ConfigMaps: pages of 3, 3, 1.
            let page1 = try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/fixtures/configmaps?limit=3").json
            #expect(keys(page1) == keys(try Exchange("06-list/01-page-1-limit-3").responseBody))
            #expect(page1["kind"] == "ConfigMapList")
            #expect(page1["items"]?.arrayValue?.count == 3)
            #expect(page1["items"]?[0]?["kind"] == nil)
            #expect(page1["metadata"]?["remainingItemCount"] == 4)
            let token = try #require(page1["metadata"]?["continue"]?.stringValue)
            let page2 = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/fixtures/configmaps?limit=3&continue=\(token)"
            ).json
            #expect(page2["items"]?[0]?["metadata"]?["name"] == "page-4")
            let token2 = try #require(page2["metadata"]?["continue"]?.stringValue)
            let page3 = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/fixtures/configmaps?limit=3&continue=\(token2)"
            ).json
            #expect(page3["items"]?.arrayValue?.count == 1)
            #expect(page3["metadata"]?["resourceVersion"] == page1["metadata"]?["resourceVersion"])
            #expect(page3["metadata"]?["continue"] == nil)
            #expect(page3["metadata"]?["remainingItemCount"] == nil)
            // Selectors: the real answers' item names.
            for folder in ["06-list/04-label-and-field-selector", "06-list/05-label-selector-set-based"] {
                let real = try Exchange(folder)
                let ours = try real.replay(port)
                #expect(ours.status == 200)
                let names = { (v: Value?) in
                    v?["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
                }
                #expect(names(ours.json) == names(real.responseBody), "\(folder)")
            }
            // Table output (kubectl's server-side printing).
            let table = try replay("06-list/07-table", port)
            let realTable = try Exchange("06-list/07-table").responseBody
            #expect(table.json["columnDefinitions"] == realTable?["columnDefinitions"])
            #expect(table.json["rows"]?[0]?["cells"]?[0] == "page-1")
            #expect(table.json["rows"]?[0]?["cells"]?[1] == 1)
            #expect(keys(table.json["rows"]?[0]?["object"]) == keys(realTable?["rows"]?[0]?["object"]))
        }
    }

    @Test func watchStreamsEventsBookmarksAndExpiry() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            let list = try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/fixtures/configmaps").json
            let rv = list["metadata"]?["resourceVersion"]?.stringValue ?? ""
            async let stream = Task.detached {
                try RawHTTP.request(
                    port: port,
                    "GET",
                    "/api/v1/namespaces/fixtures/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=\(rv)&timeoutSeconds=3",
                    headers: [("Accept", "application/json")]
                )
            }.value
            try await Task.sleep(for: .milliseconds(300))
            let json = [("Content-Type", "application/json")]
            _ = try RawHTTP.request(
                port: port,
                "POST",
                "/api/v1/namespaces/fixtures/configmaps",
                headers: json,
                body: Array(
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"watched","labels":{"set":"watch"}},"data":{"v":"1"}}"#
                        .utf8
                )
            )
            _ = try RawHTTP.request(
                port: port,
                "PATCH",
                "/api/v1/namespaces/fixtures/configmaps/watched",
                headers: [("Content-Type", "application/merge-patch+json")],
                body: Array(#"{"data":{"v":"2"}}"#.utf8)
            )
            _ = try RawHTTP.request(port: port, "DELETE", "/api/v1/namespaces/fixtures/configmaps/watched")
            let result = try await stream
            #expect(result.status == 200)
            #expect(result.header("Transfer-Encoding") == "chunked")
            let lines = result.text.split(separator: "\n")
            let events = lines.compactMap { try? Value(json: Array($0.utf8)) }
            #expect(events.count == lines.count)
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "MODIFIED", "DELETED", "BOOKMARK"])
            // Each event has the real event's shape.
            let real = try String(
                contentsOf: Exchange.root.appendingPathComponent("07-watch/01-watch-events-bookmark/response-body.txt"),
                encoding: .utf8
            )
            .split(separator: "\n").compactMap { try? Value(json: Array($0.utf8)) }
            for (ours, theirs) in zip(events, real) {
                var a = normalized(ours)
                var b = normalized(theirs)
                a["object"]?["metadata"]?["managedFields"] = nil
                b["object"]?["metadata"]?["managedFields"] = nil
                a["object"]?["metadata"]?["namespace"] = nil
                b["object"]?["metadata"]?["namespace"] = nil
                #expect(a == b)
            }
            // A resourceVersion older than the history: 200 and one ERROR event, 410 Expired.
            let expired = try RawHTTP.request(
                port: port,
                "GET",
                "/api/v1/namespaces/fixtures/configmaps?watch=1&resourceVersion=1"
            )
            #expect(expired.status == 200)
            let error = try Value(json: Array(expired.text.split(separator: "\n")[0].utf8))
            #expect(error["type"] == "ERROR")
            #expect(error["object"]?["code"] == 410)
            #expect(error["object"]?["reason"] == "Expired")
        }
    }

    @Test func customResourceDefinitionsServeTheirKinds() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            try replay("08-crd/01-apply-crd-201", port)
            let crd = try replay("08-crd/02-get-crd-established", port)
            let conditions = crd.json["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(
                crd.json["status"]?["acceptedNames"]
                    == (try Exchange("08-crd/02-get-crd-established")).responseBody?["status"]?["acceptedNames"]
            )
            let widget = try replay("08-crd/03-create-widget-201", port)
            #expect(keys(widget.json) == ["apiVersion", "kind", "metadata", "spec"])
            let realWidget = try Exchange("08-crd/04-get-widget-200").responseBody
            // Keys sorted, structural defaulting (ports[].protocol), managedFields after defaulting.
            #expect(normalized(widget.json) == normalized(realWidget ?? .null))
            #expect(keys(widget.json["metadata"]) == keys(widget.json["metadata"]).sorted())
            #expect(keys(widget.json["metadata"]) == keys(realWidget?["metadata"]))
            try replaySame("08-crd/06-create-invalid-widget-422", port)
            let resources = try replay("08-crd/05-example-com-v1-resourcelist", port)
            #expect(resources.json == (try Exchange("08-crd/05-example-com-v1-resourcelist")).responseBody)
            // Deleting the CRD returns it (Terminating) and then stops serving the kind.
            let deleted = try RawHTTP.request(
                port: port,
                "DELETE",
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
            )
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"] == "CustomResourceDefinition")
            #expect(deleted.json["metadata"]?["deletionTimestamp"] != nil)
            try await Task.sleep(for: .milliseconds(400))
            let gone = try RawHTTP.request(port: port, "GET", "/apis/example.com/v1/namespaces/fixtures/widgets")
            #expect(gone.status == 404)
        }
    }

    @Test func namespaceDeletionRemovesWhatItHolds() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            try replay("00-setup/01-create-namespace", port)
            let json = [("Content-Type", "application/json")]
            _ = try RawHTTP.request(
                port: port,
                "POST",
                "/api/v1/namespaces/fixtures/configmaps",
                headers: json,
                body: Array(
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hold","finalizers":["example.com/hold"]}}"#
                        .utf8
                )
            )
            _ = try RawHTTP.request(
                port: port,
                "POST",
                "/api/v1/namespaces/fixtures/configmaps",
                headers: json,
                body: Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain"}}"#.utf8)
            )
            let deleted = try replay("12-namespace-deletion/01-delete-namespace", port)
            #expect(deleted.json["status"]?["phase"] == "Terminating")
            #expect(deleted.json["spec"]?["finalizers"] == ["kubernetes"])
            try replaySame("12-namespace-deletion/03-create-in-terminating-namespace-403", port)
            try await Task.sleep(for: .milliseconds(300))
            #expect(
                try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/fixtures/configmaps/plain").status == 404
            )
            let terminating = try RawHTTP.request(port: port, "GET", "/api/v1/namespaces/fixtures")
            #expect(terminating.status == 200)
            let real = try Exchange("12-namespace-deletion/02-get-namespace-terminating").responseBody
            let types = { (v: Value?) in
                v?["status"]?["conditions"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            }
            #expect(types(terminating.json) == types(real))
            #expect(
                terminating.json["status"]?["conditions"]?[3]?["message"]
                    == "Some resources are remaining: configmaps. has 1 resource instances"
            )
            try replay("12-namespace-deletion/04-merge-patch-remove-last-finalizer-200", port)
            try await Task.sleep(for: .milliseconds(300))
            try replaySame("12-namespace-deletion/05-get-namespace-after-deletion-404", port)
        }
    }
}
