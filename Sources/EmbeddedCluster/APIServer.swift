import Foundation
import Manifests
import Synchronization

/// One HTTP request as the API layer sees it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [(String, String)]
    var body: [UInt8]

    /// The first value of a header; `name` in lower case (names compare without case, as
    /// ASCII bytes: no string is made per header looked at).
    func header(_ name: String) -> String? {
        headers.first { header in
            header.0.utf8.count == name.utf8.count
                && zip(header.0.utf8, name.utf8).allSatisfy { a, b in (a >= 0x41 && a <= 0x5A ? a + 0x20 : a) == b }
        }?.1
    }

    var pretty: Bool {
        if let p = query["pretty"] { return p == "true" || p == "1" }
        let ua = header("user-agent") ?? ""
        return ua.hasPrefix("curl") || ua.hasPrefix("Wget") || ua.hasPrefix("Mozilla/5.0")
    }

    var wantsTable: Bool { (header("accept") ?? "").contains("as=Table") }
    var dryRun: Bool { query["dryRun"] == "All" }

    var fieldManager: String {
        if let m = query["fieldManager"], !m.isEmpty { return m }
        let ua = header("user-agent") ?? "unknown"
        return String(ua.split(separator: "/", maxSplits: 1).first ?? "unknown")
    }
}

/// What to answer: a whole body, or a watch stream.
enum APIResponse: Sendable {
    case full(status: Int, headers: [(String, String)], body: [UInt8])
    case watch(WatchPlan)
}

struct WatchPlan: Sendable {
    var request: APIRequest
    var type: ResourceType
    var namespace: String?
    var timeout: Int?
}

/// The API server proper: routing, verbs, storage, watch fan-out and the simulated controllers.
final class APIServer: Sendable {
    let state = Mutex(ClusterState())
    let options: EmbeddedCluster.Options
    let schedule: @Sendable (Double, @escaping @Sendable () -> Void) -> Void

    init(
        options: EmbeddedCluster.Options,
        schedule: @escaping @Sendable (Double, @escaping @Sendable () -> Void) -> Void
    ) {
        self.options = options
        self.schedule = schedule
        state.withLock { s in
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                let t = s.registry.type(group: "", version: "v1", resource: "namespaces")!
                var o: ObjectValue = ["kind": "Namespace", "apiVersion": "v1", "metadata": ["name": .string(ns)]]
                Admission.applyDefaults(&o, t)
                self.stamp(&o, &s, manager: nil, created: true)
                s.put(t, Render.canonical(o, custom: false), type: "ADDED", old: nil)
            }
        }
    }

    // MARK: Entry point

    func handle(_ r: APIRequest) -> APIResponse {
        do {
            return try route(r)
        } catch let e as APIError {
            return status(e, r)
        } catch {
            return status(APIError(code: 500, reason: "InternalError", message: "\(error)", details: nil), r)
        }
    }

    func status(_ e: APIError, _ r: APIRequest) -> APIResponse {
        var h: [(String, String)] = [("Cache-Control", "no-cache, private"), ("Content-Type", "application/json")]
        if let ra = e.retryAfter { h.append(("Retry-After", String(ra))) }
        return .full(status: e.code, headers: h, body: Render.json(e.status, pretty: r.pretty))
    }

    func ok(_ value: Value, _ r: APIRequest, code: Int = 200, warnings: [String] = []) -> APIResponse {
        var h: [(String, String)] = [("Cache-Control", "no-cache, private"), ("Content-Type", "application/json")]
        for w in warnings { h.append(("Warning", "299 - \"\(w.replacingOccurrences(of: "\"", with: "\\\""))\"")) }
        return .full(status: code, headers: h, body: Render.json(value, pretty: r.pretty))
    }

    /// "protobuf" or "cbor" when a content type names that binary encoding; nil for the text
    /// ones (compared as bytes: this runs for every request with a body).
    static func binaryEncoding(_ contentType: String) -> String? {
        let bytes = Array(contentType.utf8)
        for name in ["protobuf", "cbor"] where bytes.count >= name.utf8.count {
            let needle = Array(name.utf8)
            for start in 0...(bytes.count - needle.count) where bytes[start..<start + needle.count].elementsEqual(needle) {
                return name
            }
        }
        return nil
    }

    private func route(_ r: APIRequest) throws -> APIResponse {
        var r = r
        if r.method == "POST" && r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" {
            // No authorization here: every request is allowed (kubectl auth can-i sends protobuf;
            // the spec is echoed when the body is JSON).
            let spec = (try? Value(json: r.body))?["spec"] ?? [:]
            return ok(
                [
                    "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": [:],
                    "spec": spec,
                    "status": ["allowed": true, "reason": "the embedded cluster allows every request"],
                ],
                r,
                code: 201
            )
        }
        if !r.body.isEmpty, let ct = r.header("content-type"), Self.binaryEncoding(ct) == "protobuf",
            let value = try? Protobuf.decode(r.body), let json = try? value.jsonBytes()
        {
            r.body = json
            r.headers =
                r.headers.filter { $0.0.lowercased() != "content-type" } + [("Content-Type", "application/json")]
        }
        if !r.body.isEmpty, let ct = r.header("content-type"), Self.binaryEncoding(ct) != nil {
            throw APIError(
                code: 415,
                reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
                details: nil
            )
        }
        let parts = r.path.split(separator: "/").map(String.init)
        switch parts.first {
        case "version" where parts.count == 1: return ok(Discovery.version, r)
        case "healthz", "readyz", "livez":
            return .full(
                status: 200,
                headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                body: Array("ok".utf8)
            )
        case "openapi": return try OpenAPI.serve(parts, r, registry: state.withLock { $0.registry })
        case "api":
            if parts.count == 1 { return discovery(r, legacy: true) }
            guard parts[1] == "v1" else { throw APIError.pageNotFound() }
            if parts.count == 2 { return ok(state.withLock { Discovery.resourceList($0.registry, "", "v1") }, r) }
            return try resource(r, group: "", version: "v1", rest: Array(parts[2...]))
        case "apis":
            if parts.count == 1 { return discovery(r, legacy: false) }
            let registry = state.withLock { $0.registry }
            guard let g = registry.groups.first(where: { $0.name == parts[1] }) else { throw APIError.pageNotFound() }
            if parts.count == 2 { return ok(Discovery.group(g.name, g.versions), r) }
            guard g.versions.contains(parts[2]) else { throw APIError.pageNotFound() }
            if parts.count == 3 { return ok(Discovery.resourceList(registry, parts[1], parts[2]), r) }
            return try resource(r, group: parts[1], version: parts[2], rest: Array(parts[3...]))
        default:
            throw APIError.pageNotFound()
        }
    }

    private func discovery(_ r: APIRequest, legacy: Bool) -> APIResponse {
        let registry = state.withLock { $0.registry }
        let accept = r.header("accept") ?? ""
        if accept.contains("as=APIGroupDiscoveryList") {
            let doc = Discovery.aggregated(registry, core: legacy)
            let body = Render.json(doc, pretty: r.pretty)
            let etag = "\"" + SHA256Digest.hex(SHA256Digest.hash(body)) + "\""
            if r.header("if-none-match") == etag {
                return .full(
                    status: 304,
                    headers: [("Cache-Control", "public"), ("Etag", etag), ("Vary", "Accept")],
                    body: []
                )
            }
            return .full(
                status: 200,
                headers: [
                    ("Cache-Control", "public"),
                    ("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
                    ("Etag", etag), ("Vary", "Accept"),
                ],
                body: body
            )
        }
        return ok(legacy ? Discovery.apiVersions(r.header("host") ?? "127.0.0.1") : Discovery.groupList(registry), r)
    }

    // MARK: Resource routing

    private func resource(_ r: APIRequest, group: String, version: String, rest: [String]) throws -> APIResponse {
        let registry = state.withLock { $0.registry }
        var rest = rest
        var namespace: String? = nil
        if rest.count >= 3, rest[0] == "namespaces",
            let t = registry.type(group: group, version: version, resource: rest[2]), t.namespaced
        {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let t = registry.type(group: group, version: version, resource: rest[0]) else {
            throw APIError.pageNotFound()
        }
        if t.namespaced && namespace == nil && rest.count > 1 { throw APIError.pageNotFound() }
        let name = rest.count > 1 ? rest[1] : nil
        let sub = rest.count > 2 ? rest[2] : nil
        if let sub, !["status", "finalize", "scale"].contains(sub) || !t.subresources.contains(sub) || rest.count > 3 {
            throw APIError.pageNotFound()
        }
        if sub == "scale", let name { return try scale(r, t, namespace, name) }
        switch (r.method, name) {
        case ("GET", nil):
            if let w = r.query["watch"], w == "1" || w == "true" {
                return .watch(
                    WatchPlan(
                        request: r,
                        type: t,
                        namespace: namespace,
                        timeout: r.query["timeoutSeconds"].flatMap(Int.init)
                    )
                )
            }
            return try list(r, t, namespace)
        case ("GET", let name?): return try get(r, t, namespace, name, subresource: sub)
        case ("POST", nil): return try create(r, t, namespace)
        case ("PUT", let name?): return try update(r, t, namespace, name, subresource: sub)
        case ("PATCH", let name?): return try patch(r, t, namespace, name, subresource: sub)
        case ("DELETE", let name?): return try delete(r, t, namespace, name)
        case ("DELETE", nil): return try deleteCollection(r, t, namespace)
        default: throw APIError.methodNotAllowed()
        }
    }

    // MARK: Reads

    private func get(
        _ r: APIRequest,
        _ t: ResourceType,
        _ ns: String?,
        _ name: String,
        subresource: String?
    ) throws -> APIResponse {
        guard let o = state.withLock({ $0.get(t, ns, name) }) else { throw APIError.notFound(t, name) }
        if subresource != nil && r.method != "GET" { throw APIError.methodNotAllowed() }
        if r.wantsTable { return ok(Render.table([o], t, rv: nil), r) }
        return ok(.object(o), r)
    }

    private func list(_ r: APIRequest, _ t: ResourceType, _ ns: String?) throws -> APIResponse {
        let labels = try LabelSelector(request: r.query["labelSelector"] ?? "")
        let fields = try FieldSelector(parsing: r.query["fieldSelector"] ?? "", kind: t.kind)
        let limit = r.query["limit"].flatMap(Int.init) ?? 0
        var start: String? = nil
        var tokenRV: Int64? = nil
        if let c = r.query["continue"], !c.isEmpty {
            guard let bytes = Base64.urlDecode(c), let token = try? Value(json: bytes),
                let s = token["start"]?.stringValue
            else {
                throw APIError.badRequest("continue key is not valid: illegal base64 data at input byte 0")
            }
            start = s
            tokenRV = token["rv"]?.intValue
        }
        let (items, rv, cont, remaining): ([ObjectValue], Int64, String?, Int?) = state.withLock { s in
            // Later pages read the snapshot the first page saw (copy-on-write makes it cheap), as
            // the real server reads them at the first page's resourceVersion.
            var keys = s.sortedKeys(t.groupResource)
            var store = s.objects[t.groupResource] ?? [:]
            var listRV = s.rv
            if let tokenRV,
                let snapshot = s.listSnapshots.first(where: { $0.rv == tokenRV && $0.groupResource == t.groupResource })
            {
                keys = snapshot.keys
                store = snapshot.store
                listRV = tokenRV
            }
            var lo = 0
            if let start {
                var a = 0
                var b = keys.count
                while a < b {
                    let m = (a + b) / 2
                    if keys[m] < start { a = m + 1 } else { b = m }
                }
                lo = a
            } else if let ns {
                let prefix = ns + "/"
                var a = 0
                var b = keys.count
                while a < b {
                    let m = (a + b) / 2
                    if keys[m] < prefix { a = m + 1 } else { b = m }
                }
                lo = a
            }
            var out: [ObjectValue] = []
            var i = lo
            let prefix = ns.map { $0 + "/" }
            let filtered = !labels.isEmpty || !fields.requirements.isEmpty
            while i < keys.count {
                let k = keys[i]
                if let prefix, !k.hasPrefix(prefix) { break }
                i += 1
                guard let o = store[k] else { continue }
                if filtered {
                    if !labels.matches(o["metadata"]?["labels"]?.objectValue) || !fields.matches(o) { continue }
                }
                out.append(o)
                if limit > 0 && out.count == limit { break }
            }
            var cont: String? = nil
            var remaining: Int? = nil
            if limit > 0 && out.count == limit && i < keys.count && keys[i].hasPrefix(prefix ?? "") {
                var more = 0
                var j = i
                while j < keys.count, keys[j].hasPrefix(prefix ?? "") {
                    if !filtered {
                        more += 1
                    } else if let o = store[keys[j]],
                        labels.matches(o["metadata"]?["labels"]?.objectValue) && fields.matches(o)
                    {
                        more += 1
                    }
                    j += 1
                }
                if more > 0 {
                    let startKey = keys[i]
                    let token: Value = ["v": "meta.k8s.io/v1", "rv": .int(listRV), "start": .string(startKey)]
                    cont = Base64.urlEncode((try? token.jsonBytes()) ?? [])
                    remaining = filtered ? nil : more
                    if !s.listSnapshots.contains(where: { $0.rv == listRV && $0.groupResource == t.groupResource }) {
                        s.listSnapshots.append(
                            .init(rv: listRV, groupResource: t.groupResource, keys: keys, store: store)
                        )
                        if s.listSnapshots.count > 8 { s.listSnapshots.removeFirst() }
                    }
                }
            }
            return (out, listRV, cont, remaining)
        }
        if r.wantsTable {
            return ok(Render.table(items, t, rv: rv, cont: cont, remaining: remaining), r)
        }
        return ok(Render.list(items, t, rv: rv, cont: cont, remaining: remaining), r)
    }

    // MARK: Watch

    /// Registers a watcher and queues its initial events; returns the id to cancel it with.
    func startWatch(_ plan: WatchPlan, sink: WatchSink) -> Int? {
        let r = plan.request
        let t = plan.type
        let labels: LabelSelector
        let fields: FieldSelector
        do {
            labels = try LabelSelector(request: r.query["labelSelector"] ?? "")
            fields = try FieldSelector(parsing: r.query["fieldSelector"] ?? "", kind: t.kind)
        } catch {
            sink.send(Render.watchEvent("ERROR", error.status, t))
            sink.close()
            return nil
        }
        let rvText = r.query["resourceVersion"] ?? ""
        let bookmarks = r.query["allowWatchBookmarks"] == "true"
        let initialEvents = r.query["sendInitialEvents"] == "true" || rvText.isEmpty || rvText == "0"
        let watcher = Watcher(
            type: t,
            namespace: plan.namespace,
            labels: labels,
            fields: fields,
            asTable: r.wantsTable,
            sink: sink
        )
        return state.withLock { s -> Int? in
            func send(_ type: String, _ o: ObjectValue) {
                let object: Value = watcher.asTable ? Render.table([o], t, rv: nil) : .object(o)
                sink.send(Render.watchEvent(type, object, t))
            }
            if initialEvents {
                let store = s.objects[t.groupResource] ?? [:]
                for k in s.sortedKeys(t.groupResource) {
                    guard let o = store[k] else { continue }
                    let e = WatchEvent(rv: 0, groupResource: t.groupResource, type: "ADDED", object: o)
                    if ClusterState.eventType(for: watcher, e) != nil { send("ADDED", o) }
                }
                // 1.36 defaults a watch from "" or "0" with bookmarks into a watch-list request,
                // which ends its initial events with this bookmark.
                if bookmarks && r.query["sendInitialEvents"] != "false" {
                    let bm: Value = [
                        "kind": .string(t.kind), "apiVersion": .string(t.apiVersion),
                        "metadata": [
                            "resourceVersion": .string(String(s.rv)),
                            "annotations": ["k8s.io/initial-events-end": "true"],
                        ],
                    ]
                    sink.send(Render.watchEvent("BOOKMARK", bm, t))
                }
            } else {
                guard let from = Int64(rvText) else {
                    let e = APIError.badRequest("invalid resource version: \(rvText)")
                    sink.send(Render.watchEvent("ERROR", e.status, t))
                    sink.close()
                    return nil
                }
                if from < s.oldestRV - 1 {
                    let e = APIError(
                        code: 410,
                        reason: "Expired",
                        message: "too old resource version: \(from) (\(s.oldestRV - 1))",
                        details: nil
                    )
                    sink.send(Render.watchEvent("ERROR", e.status, t))
                    sink.close()
                    return nil
                }
                for i in s.historyStart..<s.history.count
                where s.history[i].rv > from && s.history[i].groupResource == t.groupResource {
                    let e = s.history[i]
                    if let type = ClusterState.eventType(for: watcher, e) { send(type, e.object) }
                }
            }
            let id = s.nextWatcher
            s.nextWatcher += 1
            s.watchers[id] = watcher
            return id
        }
    }

    func stopWatch(_ id: Int) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }

    func bookmark(_ id: Int) {
        state.withLock { s in
            guard let w = s.watchers[id] else { return }
            let bm: Value = [
                "kind": .string(w.type.kind), "apiVersion": .string(w.type.apiVersion),
                "metadata": ["resourceVersion": .string(String(s.rv))],
            ]
            w.sink.send(Render.watchEvent("BOOKMARK", bm, w.type))
        }
    }
}
