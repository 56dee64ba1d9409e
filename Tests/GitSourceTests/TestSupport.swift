import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An error of the test harness itself (a missing server binary, a command that failed).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Fails with a clear message when a server binary the tests need is missing.
func requireExecutable(_ path: String, package: String) throws {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw HarnessError(
            "\(path) is missing: install the Debian package '\(package)' (scripts/apt-packages.txt lists it)"
        )
    }
}

/// Runs a command, returning its standard output; throws with its standard error on failure.
///
/// Output goes through temporary files, not pipes: Foundation's `Process` lets every child
/// inherit open descriptors, so a server started meanwhile would hold a pipe open forever.
@discardableResult
func sh(
    _ arguments: [String],
    in directory: String? = nil,
    environment: [String: String] = [:],
    input: String? = nil
) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment
    env["GIT_AUTHOR_NAME"] = "Test Author"
    env["GIT_AUTHOR_EMAIL"] = "author@example.com"
    env["GIT_COMMITTER_NAME"] = "Test Committer"
    env["GIT_COMMITTER_EMAIL"] = "committer@example.com"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("gitsource-sh-\(UUID().uuidString)").path
    let paths = (out: base + ".out", err: base + ".err", input: base + ".in")
    defer { for p in [paths.out, paths.err, paths.input] { try? FileManager.default.removeItem(atPath: p) } }
    _ = FileManager.default.createFile(atPath: paths.out, contents: nil)
    _ = FileManager.default.createFile(atPath: paths.err, contents: nil)
    _ = FileManager.default.createFile(atPath: paths.input, contents: Data((input ?? "").utf8))
    let out = FileHandle(forWritingAtPath: paths.out)
    let err = FileHandle(forWritingAtPath: paths.err)
    let inp = FileHandle(forReadingAtPath: paths.input)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    try process.run()
    try? out?.close()
    try? err?.close()
    try? inp?.close()
    process.waitUntilExit()
    let output = (try? String(contentsOfFile: paths.out, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
        let error = (try? String(contentsOfFile: paths.err, encoding: .utf8)) ?? ""
        throw HarnessError("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(error)")
    }
    return output
}

/// A temporary directory removed at deinit.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    var url: URL { URL(fileURLWithPath: path) }

    init(_ name: String = "gitsource-test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(name)-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit {
        _ = try? sh(["chmod", "-R", "u+w", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A bare repository served by the tests, and a working clone to commit and push from.
final class FixtureRepository: @unchecked Sendable {
    let bare: String
    let work: String

    /// Creates `<root>/<name>.git` with a first commit on `main`.
    init(root: String, name: String, files: [String: String] = ["README.md": "hello\n"]) throws {
        bare = root + "/" + name + ".git"
        work = root + "/" + name + "-work"
        try sh(["git", "init", "-q", "--bare", "-b", "main", bare])
        try sh(["git", "init", "-q", "-b", "main", work])
        try sh(["git", "remote", "add", "origin", bare], in: work)
        try commit(files, message: "initial")
        try push()
    }

    /// Writes files (relative path: content) and commits them; returns the SHA.
    @discardableResult
    func commit(_ files: [String: String], message: String, remove: [String] = []) throws -> String {
        for (path, content) in files {
            let url = URL(fileURLWithPath: work + "/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        for path in remove { try sh(["git", "rm", "-q", path], in: work) }
        try sh(["git", "add", "-A"], in: work)
        try sh(["git", "commit", "-q", "--allow-empty", "-m", message], in: work)
        return try head()
    }

    func symlink(_ path: String, to target: String) throws {
        let full = work + "/" + path
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: full).deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
    }

    func head() throws -> String {
        try sh(["git", "rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tag(_ name: String, annotated: Bool = false, at commit: String = "HEAD") throws {
        if annotated {
            try sh(["git", "tag", "-a", name, "-m", "release \(name)", commit], in: work)
        } else {
            try sh(["git", "tag", name, commit], in: work)
        }
    }

    /// Appends commits to `main` in one `git fast-import` run (cheap even for hundreds):
    /// each writes `files` and gets the given lightweight or annotated tag. Returns the SHAs.
    func importCommits(_ commits: [(files: [String: String], tag: String?, annotated: Bool)]) throws -> [String] {
        var stream = ""
        func data(_ text: String) { stream += "data \(text.utf8.count)\n\(text)\n" }
        let parent = try head()
        for (i, commit) in commits.enumerated() {
            stream += "commit refs/heads/main\nmark :\(i + 1)\n"
            stream += "committer Test Committer <committer@example.com> \(1_700_000_000 + i) +0000\n"
            data("commit \(i)\n")
            stream += i == 0 ? "from \(parent)\n" : "from :\(i)\n"
            for (path, content) in commit.files.sorted(by: { $0.key < $1.key }) {
                stream += "M 644 inline \(path)\n"
                data(content)
            }
            if let tag = commit.tag {
                if commit.annotated {
                    stream +=
                        "tag \(tag)\nfrom :\(i + 1)\ntagger Test Tagger <tagger@example.com> \(1_700_000_000 + i) +0000\n"
                    data("release \(tag)\n")
                } else {
                    stream += "reset refs/tags/\(tag)\nfrom :\(i + 1)\n\n"
                }
            }
        }
        try sh(["git", "fast-import", "--quiet", "--export-marks=\(work)/.git/marks"], in: work, input: stream)
        try sh(["git", "reset", "-q", "--hard", "main"], in: work)
        let marks = try String(contentsOfFile: work + "/.git/marks", encoding: .utf8)
        var byMark: [Int: String] = [:]
        for line in marks.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[0].dropFirst()) { byMark[n] = String(parts[1]) }
        }
        return (1...commits.count).map { byMark[$0] ?? "" }
    }

    func push(force: Bool = false, refspecs: [String] = ["main"]) throws {
        try sh(["git", "push", "-q"] + (force ? ["--force"] : []) + ["origin"] + refspecs, in: work)
        try sh(["git", "push", "-q", "--tags"] + (force ? ["--force"] : []) + ["origin"], in: work)
    }

    func deleteRemoteTag(_ name: String) throws {
        try sh(["git", "push", "-q", "origin", ":refs/tags/\(name)"], in: work)
        try sh(["git", "tag", "-d", name], in: work)
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
    }
    guard bound else { throw HarnessError("cannot bind a free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Waits until something accepts TCP connections on the port.
func waitForPort(_ port: Int, timeout: TimeInterval = 10, process: Process? = nil, name: String) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let process, !process.isRunning {
            throw HarnessError("\(name) exited with status \(process.terminationStatus) before listening on \(port)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(fd)
        if ok { return }
        usleep(50_000)
    }
    throw HarnessError("\(name) did not listen on 127.0.0.1:\(port) within \(Int(timeout)) s")
}

/// A server process started by a test; stopped (TERM, then KILL) at `stop()` or deinit.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    let logPath: String

    /// - Parameter shielded: run the server under a small shell that forwards TERM. For
    ///   servers that close every inherited descriptor (sshd), which Foundation's `Process`
    ///   would read as the server's exit and then block waiting for it.
    init(
        name: String,
        executable: String,
        arguments: [String],
        logPath: String,
        environment: [String: String]? = nil,
        shielded: Bool = false
    ) throws {
        self.name = name
        self.logPath = logPath
        if shielded {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments =
                [
                    "-c",
                    "trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM INT; \"$@\" & child=$!; wait $child",
                    "server", executable,
                ] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        if let environment { process.environment = environment }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log?.close()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        // TERM first, KILL soon after: a child of this process may have TERM blocked (it
        // inherits the signal mask of the thread that started it).
        process.terminate()
        let deadline = Date().addingTimeInterval(0.5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// `git daemon` serving every repository under `root` over git://127.0.0.1:port.
final class GitDaemon: @unchecked Sendable {
    let port: Int
    let server: ServerProcess

    init(root: String) throws {
        try requireExecutable("/usr/lib/git-core/git-daemon", package: "git")
        port = try freePort()
        server = try ServerProcess(
            name: "git daemon",
            executable: "/usr/lib/git-core/git-daemon",
            arguments: [
                "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(root)", "--export-all", "--reuseaddr",
                "--informative-errors", root,
            ],
            logPath: root + "/git-daemon-\(port).log"
        )
        try waitForPort(port, process: server.process, name: "git daemon")
    }

    func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name).git" }

    func stop() { server.stop() }
}

/// A TCP listener that accepts connections and then does `behaviour` with each:
/// stays silent (a stalled server), or forwards to a real server for `bytes` bytes of its
/// answer and then goes silent or closes (a server dying in the middle of a fetch).
final class MisbehavingServer: @unchecked Sendable {
    enum Behaviour {
        case silent
        case forward(port: Int, bytes: Int, thenClose: Bool)
    }

    let port: Int
    private let listener: Int32
    private let stopped = NSLock()
    private var isStopped = false
    private var sockets: [Int32] = []

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw HarnessError("cannot listen") }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let listenerFD = self.listener
        Thread { [self] in
            while true {
                let client = accept(listenerFD, nil, nil)
                if client < 0 { return }
                self.track(client)
                switch behaviour {
                case .silent:
                    continue
                case .forward(let port, let bytes, let thenClose):
                    Thread { self.forward(client, to: port, bytes: bytes, thenClose: thenClose) }.start()
                }
            }
        }.start()
    }

    private func track(_ fd: Int32) {
        stopped.lock()
        sockets.append(fd)
        stopped.unlock()
    }

    private func forward(_ client: Int32, to port: Int, bytes limit: Int, thenClose: Bool) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        track(upstream)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard ok else {
            shutdown(client, Int32(SHUT_RDWR))
            return
        }
        // client -> upstream
        Thread {
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { return }
                if send(upstream, buffer, n, Int32(MSG_NOSIGNAL)) <= 0 { return }
            }
        }.start()
        // upstream -> client, up to the limit
        var forwarded = 0
        var buffer = [UInt8](repeating: 0, count: 16384)
        while forwarded < limit {
            let n = recv(upstream, &buffer, min(buffer.count, limit - forwarded), 0)
            if n <= 0 { break }
            if send(client, buffer, n, Int32(MSG_NOSIGNAL)) <= 0 { break }
            forwarded += n
        }
        if thenClose {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }
    }

    func stop() {
        stopped.lock()
        defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in sockets {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    deinit { stop() }
}
