import Foundation
import Manifests
import Synchronization

/// The dynamic Kubernetes client: every verb for every kind discovery finds, over an
/// ``HTTPTransport`` (libcurl by default), with kubeconfig auth, retries, rate limiting and
/// `Warning` headers passed to ``warningHandler``.
///
/// ```swift
/// let client = try KubernetesClient(configuration: .load())
/// let cm = try await client.get(GroupVersionKind(apiVersion: "v1", kind: "ConfigMap"), name: "app", namespace: "default")
/// ```
public final class KubernetesClient: ClusterClient, Sendable {
    /// The configuration in use.
    public let configuration: ClientConfiguration
    let transport: any HTTPTransport
    let credentials: CredentialProvider
    let limiter: RateLimiter
    let base: String
    private let discovered = Mutex<[APIResource]?>(nil)
    private let warningSink: (@Sendable (String) -> Void)?

    /// A client for a configuration.
    ///
    /// - Parameters:
    ///   - transport: the HTTP transport; ``CurlTransport/shared`` by default.
    ///   - warningHandler: called with each `Warning` header the server sends.
    public init(
        configuration: ClientConfiguration,
        transport: (any HTTPTransport)? = nil,
        warningHandler: (@Sendable (String) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.transport = transport ?? CurlTransport.shared
        credentials = CredentialProvider(configuration)
        limiter = RateLimiter(qps: configuration.qps, burst: configuration.burst)
        var b = configuration.server
        while b.hasSuffix("/") { b.removeLast() }
        base = b
        warningSink = warningHandler
    }

    /// The default namespace of the configuration.
    public var defaultNamespace: String { configuration.namespace }

    // MARK: requests

    struct Request {
        var method: String
        var path: String
        var query: [(String, String)] = []
        var body: [UInt8]? = nil
        var contentType: String? = nil
        var accept = "application/json"
        var timeout: Double? = nil
    }

    func url(_ path: String, _ query: [(String, String)]) -> String {
        var u = base + path
        if !query.isEmpty {
            u += "?" + query.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
        }
        return u
    }

    private func httpRequest(_ r: Request, _ creds: CredentialProvider.Credentials, timeout: Double?) -> HTTPRequest {
        var headers: [(String, String)] = [("Accept", r.accept), ("User-Agent", configuration.userAgent)]
        if let ct = r.contentType { headers.append(("Content-Type", ct)) }
        if let a = creds.authorization { headers.append(("Authorization", a)) }
        var tls = configuration.tls
        if let c = creds.clientCertificate, let k = creds.clientKey {
            tls.clientCertificate = c
            tls.clientKey = k
        }
        return HTTPRequest(
            method: r.method,
            url: url(r.path, r.query),
            headers: headers,
            body: r.body,
            timeout: timeout,
            tls: tls,
            proxy: configuration.proxyURL
        )
    }

    private func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method)
    }

    /// Sends a request with rate limiting, credentials, retries and 401 refresh; throws on non-2xx.
    func perform(_ r: Request) async throws -> HTTPResponse {
        let policy = configuration.retry
        var attempt = 0
        var refreshed = false
        let location = "\(r.method) \(r.path)"
        while true {
            attempt += 1
            try await limiter.acquire()
            let creds = try await credentials.credentials()
            let response: HTTPResponse
            do {
                response = try await transport.send(httpRequest(r, creds, timeout: r.timeout ?? configuration.timeout))
            } catch let e as KubeError where e.isTransportError {
                // A request that never got an answer: safe to repeat when idempotent.
                guard isIdempotent(r.method), attempt < policy.maxAttempts else { throw e }
                try await Task.sleep(for: .seconds(policy.delay(attempt: attempt, retryAfter: nil)))
                continue
            }
            let code = response.head.status
            if let sink = warningSink { for w in response.head.headers("warning") { sink(w) } }
            if (200..<300).contains(code) { return response }
            if code == 401, credentials.isRefreshable, !refreshed {
                refreshed = true
                credentials.invalidate()
                continue
            }
            let retryAfter = response.head.header("retry-after").flatMap(Double.init)
            // 429 means the server did not process the request; 5xx is retried only when idempotent.
            if attempt < policy.maxAttempts,
                code == 429 || ([500, 502, 503, 504].contains(code) && isIdempotent(r.method))
            {
                try await Task.sleep(for: .seconds(policy.delay(attempt: attempt, retryAfter: retryAfter)))
                continue
            }
            throw KubeError.fromResponse(code: code, body: response.body, location: location)
        }
    }

    func performJSON(_ r: Request) async throws -> Value {
        let response = try await perform(r)
        do { return try Value(json: response.body, source: "\(r.method) \(r.path)") } catch {
            throw KubeError(.decoding, "the server's answer is not JSON: \(error)", location: "\(r.method) \(r.path)")
        }
    }

    /// GETs a server path (such as `/version`) and returns its JSON.
    ///
    /// - Throws: ``KubeError``.
    public func getJSON(_ path: String, query: [(String, String)] = []) async throws -> Value {
        try await performJSON(Request(method: "GET", path: path, query: query))
    }

    // MARK: discovery

    /// Every served resource, from aggregated discovery when served (legacy otherwise); cached.
    public func resources() async throws -> [APIResource] {
        if let r = discovered.withLock({ $0 }) { return r }
        let r = try await discover()
        discovered.withLock { $0 = r }
        return r
    }

    /// Drops the discovery cache.
    public func invalidateDiscovery() { discovered.withLock { $0 = nil } }

    /// The resource for a kind; refreshes discovery once on a miss.
    public func resource(for kind: GroupVersionKind) async throws -> APIResource {
        func find(_ rs: [APIResource]) -> APIResource? {
            rs.first { $0.kind == kind.kind && $0.group == kind.group && $0.version == kind.version }
        }
        if let r = find(try await resources()) { return r }
        invalidateDiscovery()
        if let r = find(try await resources()) { return r }
        throw KubeError(
            .discovery,
            "the server does not serve \(kind) (is its CustomResourceDefinition installed?)",
            httpStatus: 404
        )
    }

    static let aggregatedAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

    func discover() async throws -> [APIResource] {
        var out: [APIResource] = []
        for root in ["/api", "/apis"] {
            let v = try await performJSON(Request(method: "GET", path: root, accept: Self.aggregatedAccept))
            if v["kind"]?.stringValue == "APIGroupDiscoveryList" {
                out += Self.parseAggregated(v)
            } else if root == "/api" {
                for ver in v["versions"]?.arrayValue ?? [] {
                    guard let gv = ver.stringValue else { continue }
                    out += Self.parseResourceList(try await getJSON("/api/\(gv)"), group: "", version: gv)
                }
            } else {
                for g in v["groups"]?.arrayValue ?? [] {
                    guard let name = g["name"]?.stringValue else { continue }
                    for ver in g["versions"]?.arrayValue ?? [] {
                        guard let version = ver["version"]?.stringValue else { continue }
                        out += Self.parseResourceList(
                            try await getJSON("/apis/\(name)/\(version)"),
                            group: name,
                            version: version
                        )
                    }
                }
            }
        }
        return out
    }

    /// Reads an aggregated discovery document (`APIGroupDiscoveryList`).
    static func parseAggregated(_ v: Value) -> [APIResource] {
        var out: [APIResource] = []
        for g in v["items"]?.arrayValue ?? [] {
            let group = g["metadata"]?["name"]?.stringValue ?? ""
            for ver in g["versions"]?.arrayValue ?? [] {
                guard let version = ver["version"]?.stringValue else { continue }
                for r in ver["resources"]?.arrayValue ?? [] {
                    guard let resource = r["resource"]?.stringValue, let kind = r["responseKind"]?["kind"]?.stringValue
                    else { continue }
                    out.append(
                        APIResource(
                            group: group,
                            version: version,
                            kind: kind,
                            resource: resource,
                            namespaced: r["scope"]?.stringValue == "Namespaced",
                            verbs: (r["verbs"]?.arrayValue ?? []).compactMap(\.stringValue),
                            subresources: (r["subresources"]?.arrayValue ?? []).compactMap {
                                $0["subresource"]?.stringValue
                            }
                        )
                    )
                }
            }
        }
        return out
    }

    /// Reads a legacy `APIResourceList`.
    static func parseResourceList(_ v: Value, group: String, version: String) -> [APIResource] {
        var byName: [String: Int] = [:]
        var out: [APIResource] = []
        for r in v["resources"]?.arrayValue ?? [] {
            guard let name = r["name"]?.stringValue, let kind = r["kind"]?.stringValue else { continue }
            if let slash = name.firstIndex(of: "/") {
                if let i = byName[String(name[..<slash])] {
                    out[i].subresources.append(String(name[name.index(after: slash)...]))
                }
                continue
            }
            byName[name] = out.count
            out.append(
                APIResource(
                    group: group,
                    version: version,
                    kind: kind,
                    resource: name,
                    namespaced: r["namespaced"]?.boolValue ?? false,
                    verbs: (r["verbs"]?.arrayValue ?? []).compactMap(\.stringValue),
                    subresources: []
                )
            )
        }
        return out
    }

    func path(_ r: APIResource, namespace: String?, name: String? = nil, subresource: String? = nil) throws -> String {
        var p = r.group.isEmpty ? "/api/\(r.version)" : "/apis/\(r.group)/\(r.version)"
        if r.namespaced, let ns = namespace, !ns.isEmpty { p += "/namespaces/" + percentEncode(ns) }
        p += "/" + r.resource
        if let name {
            guard !name.isEmpty else { throw KubeError(.configuration, "an empty name") }
            p += "/" + percentEncode(name)
        }
        if let subresource { p += "/" + subresource }
        return p
    }

    private func target(_ object: KubeObject) async throws -> (APIResource, String?, String?) {
        guard let gvk = object.groupVersionKind else {
            throw KubeError(.configuration, "the object needs apiVersion and kind")
        }
        let r = try await resource(for: gvk)
        let ns = r.namespaced ? (object.namespace ?? configuration.namespace) : nil
        return (r, ns, object.name)
    }

    private func writeQuery(_ o: WriteOptions) -> [(String, String)] {
        var q: [(String, String)] = []
        if let m = o.fieldManager { q.append(("fieldManager", m)) }
        if o.dryRun { q.append(("dryRun", "All")) }
        if let v = o.fieldValidation { q.append(("fieldValidation", v)) }
        return q
    }

    private func object(_ v: Value, _ where_: String) throws -> KubeObject {
        do { return try KubeObject(v) } catch {
            throw KubeError(.decoding, "the server's answer is not an object: \(error)", location: where_)
        }
    }

    private func ns(_ r: APIResource, _ namespace: String?) -> String? {
        r.namespaced ? (namespace ?? configuration.namespace) : nil
    }

    // MARK: ClusterReader

    /// Gets one object; a nil namespace means the configuration's for namespaced kinds.
    public func get(_ kind: GroupVersionKind, name: String, namespace: String?) async throws -> KubeObject {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: ns(r, namespace), name: name)
        return try object(try await performJSON(Request(method: "GET", path: p)), p)
    }

    /// Lists objects; a nil namespace lists every namespace. Pages are followed transparently.
    public func list(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: ListOptions = ListOptions()
    ) async throws -> ObjectList {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: namespace)
        var items: [KubeObject] = []
        var cont: String?
        var rv = ""
        repeat {
            var q: [(String, String)] = []
            if let s = options.labelSelector { q.append(("labelSelector", s)) }
            if let s = options.fieldSelector { q.append(("fieldSelector", s)) }
            if let l = options.pageSize { q.append(("limit", String(l))) }
            if let c = cont {
                q.append(("continue", c))
            } else if let v = options.resourceVersion {
                q.append(("resourceVersion", v))
            }
            let v = try await performJSON(Request(method: "GET", path: p, query: q))
            let apiVersion = Value.string(kind.apiVersion)
            let kindValue = Value.string(r.kind)
            guard case .array(let raw)? = v["items"] ?? .array([]) else {
                throw KubeError(.decoding, "a list without items", location: p)
            }
            items.reserveCapacity(items.count + raw.count)
            for item in raw {
                guard case .object(var o) = item else {
                    throw KubeError(.decoding, "a list item is not an object", location: p)
                }
                if o["apiVersion"] == nil { o.updateValue(apiVersion, forKey: "apiVersion") }
                if o["kind"] == nil { o.updateValue(kindValue, forKey: "kind") }
                items.append(KubeObject(fields: o))
            }
            rv = v["metadata"]?["resourceVersion"]?.stringValue ?? rv
            cont = v["metadata"]?["continue"]?.stringValue
            if cont?.isEmpty == true { cont = nil }
        } while cont != nil && options.pageSize != nil
        return ObjectList(items: items, resourceVersion: rv)
    }

    // MARK: ClusterWriter

    /// Creates an object (POST); a namespaced object without a namespace goes to the default one.
    public func create(_ obj: KubeObject, options: WriteOptions = WriteOptions()) async throws -> KubeObject {
        let (r, ns, _) = try await target(obj)
        let p = try path(r, namespace: ns, name: nil)
        return try object(
            try await performJSON(
                Request(
                    method: "POST",
                    path: p,
                    query: writeQuery(options),
                    body: try obj.value.jsonBytes(),
                    contentType: "application/json"
                )
            ),
            p
        )
    }

    /// Replaces an object (PUT), or its subresource (`options.subresource`, such as `status`).
    public func update(_ obj: KubeObject, options: WriteOptions = WriteOptions()) async throws -> KubeObject {
        let (r, ns, name) = try await target(obj)
        guard let name else { throw KubeError(.configuration, "update needs metadata.name") }
        let p = try path(r, namespace: ns, name: name, subresource: options.subresource)
        return try object(
            try await performJSON(
                Request(
                    method: "PUT",
                    path: p,
                    query: writeQuery(options),
                    body: try obj.value.jsonBytes(),
                    contentType: "application/json"
                )
            ),
            p
        )
    }

    /// Replaces the status subresource.
    public func updateStatus(_ obj: KubeObject, options: WriteOptions = WriteOptions()) async throws -> KubeObject {
        var o = options
        o.subresource = "status"
        return try await update(obj, options: o)
    }

    /// Patches an object.
    public func patch(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        patch: Patch,
        options: WriteOptions = WriteOptions()
    ) async throws -> KubeObject {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: ns(r, namespace), name: name, subresource: options.subresource)
        return try object(
            try await performJSON(
                Request(
                    method: "PATCH",
                    path: p,
                    query: writeQuery(options),
                    body: try patch.body.jsonBytes(),
                    contentType: patch.contentType
                )
            ),
            p
        )
    }

    /// Server-side apply: PATCH with `application/apply-patch+yaml`, `fieldManager` and `force`.
    public func apply(_ obj: KubeObject, options: ApplyOptions) async throws -> KubeObject {
        let (r, ns, name) = try await target(obj)
        guard let name else { throw KubeError(.configuration, "apply needs metadata.name") }
        let p = try path(r, namespace: ns, name: name, subresource: options.subresource)
        var q: [(String, String)] = [("fieldManager", options.fieldManager)]
        if options.force { q.append(("force", "true")) }
        if options.dryRun { q.append(("dryRun", "All")) }
        return try object(
            try await performJSON(
                Request(
                    method: "PATCH",
                    path: p,
                    query: q,
                    body: try obj.value.jsonBytes(),
                    contentType: "application/apply-patch+yaml"
                )
            ),
            p
        )
    }

    /// Deletes an object; returns it when it is still there (finalizers), nil when gone.
    @discardableResult
    public func delete(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        options: DeleteOptions = DeleteOptions()
    ) async throws -> KubeObject? {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: ns(r, namespace), name: name)
        let v = try await performJSON(
            Request(method: "DELETE", path: p, body: try options.body.jsonBytes(), contentType: "application/json")
        )
        if v["kind"]?.stringValue == "Status" { return nil }
        let o = try object(v, p)
        return o.deletionTimestamp != nil || !o.finalizers.isEmpty ? o : nil
    }

    /// Deletes every object of a kind in a namespace that matches the selectors (deletecollection).
    public func deleteCollection(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: ListOptions = ListOptions(pageSize: nil),
        deleteOptions: DeleteOptions = DeleteOptions()
    ) async throws {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: ns(r, namespace))
        var q: [(String, String)] = []
        if let s = options.labelSelector { q.append(("labelSelector", s)) }
        if let s = options.fieldSelector { q.append(("fieldSelector", s)) }
        _ = try await perform(
            Request(
                method: "DELETE",
                path: p,
                query: q,
                body: try deleteOptions.body.jsonBytes(),
                contentType: "application/json"
            )
        )
    }

    /// The OpenAPI v3 document of one group-version, such as `apps/v1` or `v1` (list-map keys for Diff).
    ///
    /// - Throws: ``KubeError`` (`isNotFound` when the group-version has no document).
    public func openAPIV3(groupVersion: String) async throws -> Value {
        let index = try await getJSON("/openapi/v3")
        let key = groupVersion.contains("/") ? "apis/\(groupVersion)" : "api/\(groupVersion)"
        guard let rel = index["paths"]?[key]?["serverRelativeURL"]?.stringValue else {
            throw KubeError.api(
                Status(code: 404, reason: "NotFound", message: "no OpenAPI v3 document for \(groupVersion)"),
                httpStatus: 404,
                location: "/openapi/v3"
            )
        }
        var path = rel
        var query: [(String, String)] = []
        if let q = rel.firstIndex(of: "?") {
            path = String(rel[..<q])
            for pair in rel[rel.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query.append(
                    (
                        String(kv[0]).removingPercentEncoding ?? String(kv[0]),
                        kv.count > 1 ? String(kv[1]).removingPercentEncoding ?? "" : ""
                    )
                )
            }
        }
        return try await getJSON(path, query: query)
    }

    // MARK: ClusterWatcher

    /// Watches a kind; resumes from the last seen resourceVersion when the stream ends or the
    /// connection drops, and throws a ``KubeError`` with `isGone` on 410 so the caller relists.
    public func watch(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: WatchOptions = WatchOptions()
    ) -> AsyncThrowingStream<WatchEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, Error>.makeStream()
        let task = Task { [self] in
            do {
                try await runWatch(kind, namespace: namespace, options: options, continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error is CancellationError ? nil : error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: WatchOptions,
        _ out: AsyncThrowingStream<WatchEvent, Error>.Continuation
    ) async throws {
        let r = try await resource(for: kind)
        let p = try path(r, namespace: namespace)
        var rv = options.resourceVersion ?? ""
        var failures = 0
        while !Task.isCancelled {
            var q: [(String, String)] = [("watch", "1")]
            if !rv.isEmpty { q.append(("resourceVersion", rv)) }
            if options.allowBookmarks { q.append(("allowWatchBookmarks", "true")) }
            if let s = options.labelSelector { q.append(("labelSelector", s)) }
            if let s = options.fieldSelector { q.append(("fieldSelector", s)) }
            q.append(("timeoutSeconds", String(options.timeoutSeconds)))
            do {
                try await limiter.acquire()
                let creds = try await credentials.credentials()
                let response = try await transport.stream(
                    httpRequest(Request(method: "GET", path: p, query: q), creds, timeout: nil)
                )
                let code = response.head.status
                guard (200..<300).contains(code) else {
                    var body: [UInt8] = []
                    for try await chunk in response.body { body += chunk }
                    if code == 401, credentials.isRefreshable, failures == 0 { credentials.invalidate() }
                    let error = KubeError.fromResponse(code: code, body: body, location: "GET \(p) (watch)")
                    if error.isGone || [400, 403, 404].contains(code) { throw error }
                    throw error  // retried below when 429/5xx
                }
                var buffer: [UInt8] = []
                for try await chunk in response.body {
                    buffer += chunk
                    var start = 0
                    while let nl = buffer[start...].firstIndex(of: 0x0A) {
                        let line = buffer[start..<nl]
                        start = nl + 1
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
                        let event = try WatchEvent(json: line)
                        if let v = event.object.resourceVersion { rv = v }
                        failures = 0
                        out.yield(event)
                    }
                    if start > 0 { buffer.removeFirst(start) }
                }
                guard options.resume else { return }
            } catch let e as KubeError {
                if e.isGone || !options.resume { throw e }
                if e.isAPIError, let code = e.httpStatus, ![401, 429, 500, 502, 503, 504].contains(code) { throw e }
                failures += 1
                if failures >= 10 { throw e }
                let retryAfter = e.status?.retryAfterSeconds.map(Double.init)
                try await Task.sleep(
                    for: .seconds(configuration.retry.delay(attempt: failures, retryAfter: retryAfter))
                )
            }
        }
    }
}

/// RFC 3986's unreserved characters: letters, digits, `-`, `.`, `_` and `~`.
private func unreserved(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
    default: return false
    }
}

func percentEncode(_ s: String) -> String {
    // Most query values (field managers, "true", "All") need no escape: one scan, no copy.
    if s.utf8.allSatisfy(unreserved) { return s }
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count * 3)
    for b in s.utf8 {
        if unreserved(b) {
            out.append(b)
        } else {
            out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
        }
    }
    return String(decoding: out, as: UTF8.self)
}
