internal import CCurl
import Foundation
import Synchronization

/// The shipped ``HTTPTransport``: libcurl driven by one multi handle on a dedicated thread.
///
/// Transfers share the multi handle's connection cache (keep-alive, and HTTP/2 multiplexing when the
/// server offers it over TLS), accept gzip, honour per-request timeouts, and are aborted when the
/// calling task is cancelled or a streaming body's consumer stops reading.
public final class CurlTransport: HTTPTransport, Sendable {
    /// `nil` when libcurl could not create its multi handle (out of memory): every request then
    /// fails with a transport error instead of the process stopping.
    private let handle: CurlMulti?
    /// Easy handles of finished transfers, kept for the next ones.
    private let handles = CurlHandlePool()

    /// One transport per process is usually enough: ``shared``.
    public static let shared = CurlTransport()

    /// A transport with its own connection cache and thread.
    public init() {
        CurlGlobal.initialize()
        handle = CurlMulti()
        if let m = handle {
            let thread = Thread { m.run() }
            thread.name = "KubeClient.curl"
            thread.start()
        }
    }

    deinit { handle?.stop() }

    private var multi: CurlMulti {
        get throws {
            guard let handle else {
                throw KubeError.transport("libcurl could not create its multi handle (out of memory)")
            }
            return handle
        }
    }

    /// Sends a request and collects the whole answer.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let multi = try self.multi
        let transfer = try CurlTransfer(request, handles: handles)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, Error>) in
                if Task.isCancelled { return c.resume(throwing: CancellationError()) }
                transfer.mode = .collect(c)
                multi.add(transfer)
            }
        } onCancel: {
            multi.cancel(transfer)
        }
    }

    /// Sends a request; returns when the headers are in, with the body as a stream.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let multi = try self.multi
        let transfer = try CurlTransfer(request, handles: handles)
        let (body, continuation) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        let m = multi
        continuation.onTermination = { @Sendable _ in m.cancel(transfer) }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponseHead, Error>) in
                if Task.isCancelled { return c.resume(throwing: CancellationError()) }
                transfer.mode = .stream(c, continuation)
                multi.add(transfer)
            }
        } onCancel: {
            multi.cancel(transfer)
        }
        return HTTPStreamingResponse(head: head, body: body)
    }
}

/// Easy handles of finished transfers, reset and kept (up to ``capacity``) for the next ones:
/// a new handle costs libcurl several allocations (its state and a 16 KB receive buffer), which
/// showed as a tenth of the client's time when a sync sends thousands of small requests.
final class CurlHandlePool: @unchecked Sendable {
    static let capacity = 64

    /// An idle handle: nothing else points at it while it is in the pool.
    private struct Idle: @unchecked Sendable {
        let easy: UnsafeMutableRawPointer
    }

    private let idle = Mutex<[Idle]>([])

    /// A handle with every option at its default: a kept one, or a new one (nil when libcurl
    /// cannot allocate it).
    func take() -> UnsafeMutableRawPointer? {
        if let kept = idle.withLock({ $0.popLast() }) { return kept.easy }
        return curl_easy_init()
    }

    /// Takes back the handle of a transfer that is no longer in the multi handle.
    func give(_ easy: UnsafeMutableRawPointer) {
        curl_easy_reset(easy)
        let kept = idle.withLock { list -> Bool in
            guard list.count < Self.capacity else { return false }
            list.append(Idle(easy: easy))
            return true
        }
        if !kept { curl_easy_cleanup(easy) }
    }

    deinit {
        for kept in idle.withLock({ $0 }) { curl_easy_cleanup(kept.easy) }
    }
}

enum CurlGlobal {
    static let once: Bool = { curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK }()
    static func initialize() { _ = once }
}

/// One easy handle and everything it points at; touched by the multi thread once added.
final class CurlTransfer: @unchecked Sendable {
    enum Mode {
        case none
        case collect(CheckedContinuation<HTTPResponse, Error>)
        case stream(CheckedContinuation<HTTPResponseHead, Error>, AsyncThrowingStream<[UInt8], Error>.Continuation)
        case done
    }

    let easy: UnsafeMutableRawPointer
    private let handles: CurlHandlePool
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectTo: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    let location: String
    var mode: Mode = .none
    var status = 0
    var httpVersion = "1.1"
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var headDelivered = false

    init(_ request: HTTPRequest, handles: CurlHandlePool) throws {
        guard let easy = handles.take() else { throw KubeError.transport("curl_easy_init failed") }
        self.easy = easy
        self.handles = handles
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        location = "\(request.method) \(request.url)"
        try configure(request)
    }

    deinit {
        // Reset first: the handle points at the lists and the error buffer freed below.
        handles.give(easy)
        if let headerList { curl_slist_free_all(headerList) }
        if let connectTo { curl_slist_free_all(connectTo) }
        errorBuffer.deallocate()
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        if code != CURLE_OK {
            throw KubeError.transport("libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func configure(_ r: HTTPRequest) throws {
        var url = r.url
        if let name = r.tls.serverName, !name.isEmpty, var c = URLComponents(string: r.url), let host = c.host {
            let port = c.port ?? (c.scheme == "http" ? 80 : 443)
            connectTo = curl_slist_append(nil, "\(name):\(port):\(host):\(port)")
            c.host = name
            url = c.string ?? url
            try check(
                ccurl_easy_setopt_pointer(easy, CURLOPT_CONNECT_TO, UnsafeMutableRawPointer(connectTo)),
                "connect-to"
            )
        }
        try check(ccurl_easy_setopt_string(easy, CURLOPT_URL, url), "URL \(r.url)")
        _ = ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, ccurl_http_version_2tls())
        _ = ccurl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        _ = ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000))
        if let t = r.timeout { _ = ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(t * 1000))) }
        switch r.method {
        case "GET": _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default: try check(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, r.method), "method")
        }
        if let body = r.body {
            _ = ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            try body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
                let p =
                    raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                    ?? UnsafeMutableRawPointer(errorBuffer)
                try check(ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, p), "body")
            }
        }
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for (name, value) in r.headers { list = curl_slist_append(list, "\(name): \(value)") }
        headerList = list
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))

        let tls = r.tls
        if tls.insecureSkipVerify {
            _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        } else {
            _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
            _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        }
        if let ca = tls.certificateAuthority {
            try check(
                ca.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) },
                "certificate authority"
            )
        }
        if let cert = tls.clientCertificate {
            _ = ccurl_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
            try check(
                cert.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) },
                "client certificate"
            )
        }
        if let key = tls.clientKey {
            _ = ccurl_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
            try check(
                key.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) },
                "client key"
            )
        }
        if let proxy = r.proxy { try check(ccurl_easy_setopt_string(easy, CURLOPT_PROXY, proxy), "proxy-url") }

        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = ccurl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWrite)
        _ = ccurl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeader)
    }

    var head: HTTPResponseHead { HTTPResponseHead(status: status, headers: headers, httpVersion: httpVersion) }

    /// One header line of the response, its line ending cut: a status line (again for each
    /// response of a redirect or an interim `1xx`), a header, or the empty line ending the head.
    /// Read as bytes: it runs for every header of every response on the one curl thread.
    func onHeaderLine(_ line: UnsafeRawBufferPointer) {
        let space: UInt8 = 0x20, tab: UInt8 = 0x09
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll(keepingCapacity: true)
            var i = 5
            while i < line.count && line[i] != space { i += 1 }
            httpVersion = String(decoding: UnsafeRawBufferPointer(rebasing: line[5..<i]), as: UTF8.self)
            while i < line.count && line[i] == space { i += 1 }
            var code = 0
            var digits = 0
            while i < line.count && line[i] != space {
                guard (0x30...0x39).contains(line[i]), digits < 3 else {
                    code = 0
                    break
                }
                code = code * 10 + Int(line[i] - 0x30)
                digits += 1
                i += 1
            }
            status = code
        } else if line.isEmpty {
            if status >= 200, !headDelivered, case .stream(let c, _) = mode {
                headDelivered = true
                c.resume(returning: head)
            }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(unsafeUninitializedCapacity: colon) { out in
                for i in 0..<colon {
                    let b = line[i]
                    out[i] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b
                }
                return colon
            }
            var start = colon + 1
            var end = line.count
            while start < end && (line[start] == space || line[start] == tab) { start += 1 }
            while end > start && (line[end - 1] == space || line[end - 1] == tab) { end -= 1 }
            headers.append((name, String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self)))
        }
    }

    func onData(_ bytes: UnsafeRawBufferPointer) {
        switch mode {
        case .collect: body.append(contentsOf: bytes)
        case .stream(let c, let s):
            if !headDelivered {
                headDelivered = true
                c.resume(returning: head)
            }
            s.yield(Array(bytes))
        default: break
        }
    }

    /// Ends the transfer: `error` nil for success.
    func finish(_ error: Error?) {
        let m = mode
        mode = .done
        switch m {
        case .collect(let c):
            if let error {
                c.resume(throwing: error)
            } else {
                c.resume(returning: HTTPResponse(head: head, body: body))
            }
            body = []
        case .stream(let c, let s):
            if !headDelivered {
                headDelivered = true
                if let error { c.resume(throwing: error) } else { c.resume(returning: head) }
            }
            if let error { s.finish(throwing: error) } else { s.finish() }
        default: break
        }
    }

    func transportError(_ code: CURLcode) -> Error {
        let detail = String(cString: errorBuffer)
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        var hint = ""
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            hint =
                " (the server's certificate is not trusted by the kubeconfig's certificate-authority, or its name does not match; set tls-server-name if the certificate names another host)"
        case CURLE_SSL_CONNECT_ERROR, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            hint = ""
        default: break
        }
        return KubeError.transport("\(text)\(hint)", location: location)
    }
}

private let curlWrite: ccurl_data_callback = { ptr, size, count, user in
    guard let user, let ptr else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    t.onData(UnsafeRawBufferPointer(start: ptr, count: n))
    return n
}

private let curlHeader: ccurl_data_callback = { ptr, size, count, user in
    guard let user, let ptr else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    // The line ending is cut as bytes: in Swift "\r\n" is one Character, so comparing the last
    // Character with "\r" or "\n" never matches it.
    let bytes = UnsafeRawBufferPointer(start: ptr, count: n)
    var end = n
    while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
    t.onHeaderLine(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
    return n
}

/// The multi handle and its thread. Only `run` touches `multi` and `active`.
final class CurlMulti: @unchecked Sendable {
    private struct Pending {
        var adds: [CurlTransfer] = []
        var cancels: [CurlTransfer] = []
        var stopped = false
        /// Whether the loop has found the queue empty and waits (or is about to) in
        /// `curl_multi_poll`, so that the next change must wake it.
        var waiting = false
    }

    private let multi: UnsafeMutableRawPointer
    private let pending = Mutex(Pending())
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// `nil` when libcurl cannot allocate a multi handle.
    init?() {
        guard let m = curl_multi_init() else { return nil }
        multi = m
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0)
    }

    deinit { curl_multi_cleanup(multi) }

    func add(_ t: CurlTransfer) {
        let refused = queue { p in
            if p.stopped { return true }
            p.adds.append(t)
            return false
        }
        if refused { t.finish(KubeError.transport("the transport was shut down", location: t.location)) }
    }

    func cancel(_ t: CurlTransfer) {
        queue { $0.cancels.append(t) }
    }

    func stop() {
        queue { $0.stopped = true }
    }

    /// Changes the queue of work for the loop, and wakes the loop when it waits in
    /// `curl_multi_poll`: only the first change after it went to sleep pays for a wakeup (a
    /// write to curl's socket pair and a thread switch); the loop takes the rest of the queue
    /// with it.
    @discardableResult
    private func queue<R>(_ change: (inout Pending) -> R) -> R {
        let (result, wake) = pending.withLock { p -> (R, Bool) in
            let r = change(&p)
            defer { p.waiting = false }
            return (r, p.waiting)
        }
        if wake { curl_multi_wakeup(multi) }
        return result
    }

    func run() {
        var running: Int32 = 0
        while true {
            let work = pending.withLock { p -> Pending in
                let w = p
                p.adds = []
                p.cancels = []
                return w
            }
            for t in work.adds {
                let rc = curl_multi_add_handle(multi, t.easy)
                if rc != CURLM_OK {
                    t.finish(KubeError.transport("curl_multi_add_handle failed: \(rc.rawValue)", location: t.location))
                } else {
                    active[t.easy] = t
                }
            }
            for t in work.cancels {
                if active.removeValue(forKey: t.easy) != nil {
                    curl_multi_remove_handle(multi, t.easy)
                }
                t.finish(CancellationError())
            }
            if work.stopped {
                for (easy, t) in active {
                    curl_multi_remove_handle(multi, easy)
                    t.finish(KubeError.transport("the transport was shut down", location: t.location))
                }
                active = [:]
                return
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard ccurl_msg_kind(msg) == ccurl_msg_done(), let easy = ccurl_msg_easy(msg) else { continue }
                let result = ccurl_msg_result(msg)
                curl_multi_remove_handle(multi, easy)
                guard let t = active.removeValue(forKey: easy) else { continue }
                t.finish(result == CURLE_OK ? nil : t.transportError(result))
            }
            let idle = pending.withLock { p -> Bool in
                guard p.adds.isEmpty && p.cancels.isEmpty && !p.stopped else { return false }
                p.waiting = true
                return true
            }
            guard idle else { continue }
            // A wakeup sent after `waiting` was set and before the poll starts is not lost: it
            // leaves a byte in curl's socket pair, which ends the poll at once.
            curl_multi_poll(multi, nil, 0, 1000, nil)
            pending.withLock { $0.waiting = false }
        }
    }
}
