// Test harness shared by the test targets that need real Git: a `git daemon` on 127.0.0.1,
// fixture repositories to commit to, server processes that are stopped after the test.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An error of the test harness itself (a missing server binary, a command that failed).
package struct HarnessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Fails with a clear message when a server binary the tests need is missing.
package func requireExecutable(_ path: String, package: String) throws {
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
package func sh(
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
package final class TemporaryDirectory: @unchecked Sendable {
    package let path: String
    package var url: URL { URL(fileURLWithPath: path) }

    package init(_ name: String = "gitsource-test") throws {
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
package final class FixtureRepository: @unchecked Sendable {
    package let bare: String
    package let work: String

    /// Creates `<root>/<name>.git` with a first commit on `main`.
    package init(root: String, name: String, files: [String: String] = ["README.md": "hello\n"]) throws {
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
    package func commit(_ files: [String: String], message: String, remove: [String] = []) throws -> String {
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

    package func symlink(_ path: String, to target: String) throws {
        let full = work + "/" + path
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: full).deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
    }

    package func head() throws -> String {
        try sh(["git", "rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    package func tag(_ name: String, annotated: Bool = false, at commit: String = "HEAD") throws {
        if annotated {
            try sh(["git", "tag", "-a", name, "-m", "release \(name)", commit], in: work)
        } else {
            try sh(["git", "tag", name, commit], in: work)
        }
    }

    /// Appends commits to `main` in one `git fast-import` run (cheap even for hundreds):
    /// each writes `files` and gets the given lightweight or annotated tag. Returns the SHAs.
    package func importCommits(_ commits: [(files: [String: String], tag: String?, annotated: Bool)]) throws -> [String] {
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

    package func push(force: Bool = false, refspecs: [String] = ["main"]) throws {
        try sh(["git", "push", "-q"] + (force ? ["--force"] : []) + ["origin"] + refspecs, in: work)
        try sh(["git", "push", "-q", "--tags"] + (force ? ["--force"] : []) + ["origin"], in: work)
    }

    package func deleteRemoteTag(_ name: String) throws {
        try sh(["git", "push", "-q", "origin", ":refs/tags/\(name)"], in: work)
        try sh(["git", "tag", "-d", name], in: work)
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
package func freePort() throws -> Int {
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
package func waitForPort(_ port: Int, timeout: TimeInterval = 10, process: Process? = nil, name: String) throws {
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
package final class ServerProcess: @unchecked Sendable {
    package let process = Process()
    package let name: String
    package let logPath: String

    /// - Parameter shielded: run the server under a small shell that forwards TERM. For
    ///   servers that close every inherited descriptor (sshd), which Foundation's `Process`
    ///   would read as the server's exit and then block waiting for it.
    package init(
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

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    package func stop() {
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
package final class GitDaemon: @unchecked Sendable {
    package let port: Int
    package let server: ServerProcess

    package init(root: String) throws {
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

    package func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name).git" }

    package func stop() { server.stop() }
}
