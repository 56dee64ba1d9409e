// Copied from Tests/GitSourceTests/TestSupport.swift (test targets cannot share sources):
// a real `git daemon` on 127.0.0.1 and a fixture repository to commit to.
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
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("synctests-sh-\(UUID().uuidString)").path
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

    init(_ name: String = "synctests") throws {
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

    func head() throws -> String {
        try sh(["git", "rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func push(force: Bool = false, refspecs: [String] = ["main"]) throws {
        try sh(["git", "push", "-q"] + (force ? ["--force"] : []) + ["origin"] + refspecs, in: work)
        try sh(["git", "push", "-q", "--tags"] + (force ? ["--force"] : []) + ["origin"], in: work)
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
