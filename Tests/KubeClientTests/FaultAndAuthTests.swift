import EmbeddedCluster
import Foundation
import Manifests
import Synchronization
import Testing

@testable import KubeClient

/// A transport in front of libcurl that records requests and injects faults.
final class FaultTransport: HTTPTransport, Sendable {
    struct State {
        var requests: [HTTPRequest] = []
        var faults: [Int] = []  // status codes to answer with, in order, before passing through
        var streamFaults: [Int] = []  // the same, for streaming (watch) requests only
        var dropWatchAfterChunks: Int? = nil
        var watchStreams = 0
    }

    let inner = CurlTransport.shared
    let state = Mutex(State())
    let reject: @Sendable (HTTPRequest) -> Int?

    init(
        faults: [Int] = [],
        dropWatchAfterChunks: Int? = nil,
        reject: @escaping @Sendable (HTTPRequest) -> Int? = { _ in nil }
    ) {
        state.withLock {
            $0.faults = faults
            $0.dropWatchAfterChunks = dropWatchAfterChunks
        }
        self.reject = reject
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    private func fault(_ request: HTTPRequest, streaming: Bool = false) -> HTTPResponse? {
        let code =
            state.withLock { s -> Int? in
                s.requests.append(request)
                if streaming, !s.streamFaults.isEmpty { return s.streamFaults.removeFirst() }
                return s.faults.isEmpty ? nil : s.faults.removeFirst()
            } ?? reject(request)
        guard let code else { return nil }
        var headers: [(String, String)] = [("content-type", "application/json")]
        if code == 429 { headers.append(("retry-after", "0")) }
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected","reason":"\#(code == 401 ? "Unauthorized" : code == 429 ? "TooManyRequests" : "ServiceUnavailable")","code":\#(code)}"#
        return HTTPResponse(
            head: HTTPResponseHead(status: code, headers: headers, httpVersion: "1.1"),
            body: Array(body.utf8)
        )
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let r = fault(request) { return r }
        return try await inner.send(request)
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        if let r = fault(request, streaming: true) {
            let (s, c) = AsyncThrowingStream<[UInt8], Error>.makeStream()
            c.yield(r.body)
            c.finish()
            return HTTPStreamingResponse(head: r.head, body: s)
        }
        let response = try await inner.stream(request)
        let drop = state.withLock { s -> Int? in
            s.watchStreams += 1
            return s.watchStreams == 1 ? s.dropWatchAfterChunks : nil
        }
        guard let drop else { return response }
        // Passes `drop` chunks through, then fails as a reset connection would.
        let (s, c) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        let pump = Task {
            var n = 0
            do {
                for try await chunk in response.body {
                    c.yield(chunk)
                    n += 1
                    if n == drop { break }
                }
                c.finish(throwing: KubeError.transport("injected connection reset"))
            } catch { c.finish(throwing: error) }
        }
        c.onTermination = { _ in pump.cancel() }
        return HTTPStreamingResponse(head: response.head, body: s)
    }
}

@Suite(.timeLimit(.minutes(1))) struct FaultTests {
    @Test func idempotentRequestsRetry429And503() async throws {
        let t = FaultTransport()
        try await withCluster(transport: t) { client, _ in
            _ = try await client.create(cm("r"), options: WriteOptions())
            t.state.withLock { $0.faults = [429, 503] }
            let before = t.requests.count
            let got = try await client.get(configMap, name: "r", namespace: nil)
            #expect(got.name == "r")
            #expect(t.requests.count - before == 3)
            // A POST is not retried after a 503 (it may have been applied)...
            t.state.withLock { $0.faults = [503] }
            do {
                _ = try await client.create(cm("r2"), options: WriteOptions())
                Issue.record("503 on POST was swallowed")
            } catch let e as KubeError { #expect(e.status?.reason == "ServiceUnavailable" && e.httpStatus == 503) }
            // ...but it is after a 429, which the server sends before doing anything.
            t.state.withLock { $0.faults = [429] }
            _ = try await client.create(cm("r3"), options: WriteOptions())
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        var config = ClientConfiguration(server: "http://127.0.0.1:1")
        config.retry = RetryPolicy(maxAttempts: 2, initialDelay: 0.01, maxDelay: 0.02)
        let client = KubernetesClient(configuration: config)
        do {
            _ = try await client.getJSON("/version")
            Issue.record("connected to port 1")
        } catch let e as KubeError {
            #expect(e.isTransportError && !e.isAPIError)
        }
    }

    @Test func watchSurvivesADroppedConnectionWithoutLosingOrRepeatingEvents() async throws {
        let t = FaultTransport(dropWatchAfterChunks: 2)
        try await withCluster(transport: t) { client, _ in
            let start = try await client.list(configMap, namespace: "default", options: ListOptions())
            let events = client.watch(
                configMap,
                namespace: "default",
                options: WatchOptions(resourceVersion: start.resourceVersion, allowBookmarks: false)
            )
            let writer = Task {
                for i in 0..<6 {
                    _ = try await client.create(cm("d\(i)"), options: WriteOptions())
                    try await Task.sleep(for: .milliseconds(150))
                    if i == 0 { t.state.withLock { $0.streamFaults = [429, 503] } }  // the reconnect meets throttling
                }
            }
            var seen: [String] = []
            for try await e in events where e.type == .added {
                seen.append(e.object.name ?? "")
                if seen.count == 6 { break }
            }
            try await writer.value
            #expect(seen == (0..<6).map { "d\($0)" })
            #expect(t.state.withLock { $0.watchStreams } >= 2)
        }
    }

    @Test func cancellingAWatchAbortsTheTransfer() async throws {
        try await withCluster { client, _ in
            let events = client.watch(configMap, namespace: "default", options: WatchOptions(timeoutSeconds: 600))
            let consumer = Task { for try await _ in events {} }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            consumer.cancel()
            _ = await consumer.result
            // The watch would run for 600 s; a bound far below that, and far above what a busy
            // 2-core machine needs, tells an abort from a hang.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func warningHeadersReachTheHandler() async throws {
        let cluster = try await EmbeddedCluster.start(.init(threads: 1))
        defer { Task { try await cluster.shutdown() } }
        let warnings = Mutex<[String]>([])
        let client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve()) { w in
            warnings.withLock { $0.append(w) }
        }
        var o = cm("warn")
        o.fields.updateValue(["x": 1], forKey: "unknownField")
        _ = try await client.create(o, options: WriteOptions(fieldValidation: "Warn"))
        #expect(warnings.withLock { $0.contains { $0.contains("unknownField") } })
    }
}

@Suite(.timeLimit(.minutes(1))) struct ExecPluginTests {
    /// Writes a plugin that counts its runs and prints token `tok-<run>`, expiring at `$EXPIRY`.
    func plugin(in dir: String) throws -> String {
        let script = dir + "/plugin.sh"
        try """
        #!/bin/sh
        n=$(( $(cat "\(dir)/count" 2>/dev/null || echo 0) + 1 ))
        echo $n > "\(dir)/count"
        printf '%s' "$KUBERNETES_EXEC_INFO" > "\(dir)/info.json"
        echo "{\\"kind\\":\\"ExecCredential\\",\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"status\\":{\\"token\\":\\"tok-$n\\",\\"expirationTimestamp\\":\\"$EXPIRY\\"}}"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return script
    }

    func runs(_ dir: String) -> Int {
        Int(
            (try? String(contentsOfFile: dir + "/count", encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines
            ) ?? "0"
        ) ?? 0
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func tokensAreCachedUntilExpiryAndRerunAfter401() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = try plugin(in: dir)
        // The fake server rejects tok-1 once: the client must re-run the plugin and retry.
        let t = FaultTransport(reject: { r in
            r.headers.contains { $0 == ("Authorization", "Bearer tok-1") } ? 401 : nil
        })
        try await withCluster(
            transport: t,
            configure: {
                $0.auth = .exec(
                    ExecConfig(
                        command: script,
                        env: [.init(name: "EXPIRY", value: "2099-01-01T00:00:00Z")],
                        provideClusterInfo: true
                    )
                )
            }
        ) { client, cluster in
            _ = try await client.getJSON("/version")
            #expect(runs(dir) == 2)
            _ = try await client.getJSON("/version")
            #expect(runs(dir) == 2)  // cached until 2099
            #expect(t.requests.last?.headers.contains { $0 == ("Authorization", "Bearer tok-2") } == true)
            let info = try Value(json: String(contentsOfFile: dir + "/info.json", encoding: .utf8))
            #expect(info["spec"]?["cluster"]?["server"]?.stringValue == cluster.url)
        }
    }

    @Test func expiredCredentialsRerunThePlugin() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = try plugin(in: dir)
        try await withCluster(configure: {
            $0.auth = .exec(
                ExecConfig(
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: script,
                    env: [.init(name: "EXPIRY", value: "2000-01-01T00:00:00Z")]
                )
            )
        }) { client, _ in
            _ = try await client.getJSON("/version")
            _ = try await client.getJSON("/version")
            #expect(runs(dir) == 2)
        }
    }

    @Test func aBrokenPluginIsAClearError() async throws {
        try await withCluster(configure: {
            $0.auth = .exec(ExecConfig(command: "/bin/false", installHint: "install the frobnicator"))
        }) { client, _ in
            do {
                _ = try await client.getJSON("/version")
                Issue.record("no error")
            } catch let e as KubeError {
                #expect(e.message.contains("/bin/false") && e.message.contains("frobnicator"))
            }
        }
    }
}
