// git-clone: cloning and checking out a generated repository (5,000 files, 500 commits)
// from a local `git daemon`, ours (GitSourceProvider: fetch into a fresh cache, then
// materialize) against the `git clone` command, in the same run; and the cost of polling an
// unchanged repository (latestRevision, one ls-remote round trip).
import Foundation
import GitSource

enum GitCloneBenchmark {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(rounds: Int) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-git-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer {
            _ = try? shell(["chmod", "-R", "u+w", root])
            try? FileManager.default.removeItem(atPath: root)
        }
        let bare = root + "/corpus.git"
        let generated = try ContinuousClock().measure { try generate(bare: bare, files: 5_000, commits: 500) }

        let port = try freePort()
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/lib/git-core/git-daemon")
        daemon.arguments = [
            "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(root)", "--export-all", "--reuseaddr", root,
        ]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let url = "git://127.0.0.1:\(port)/corpus.git"
        try await waitForDaemon(url, root: root)

        print("git-clone corpus: 5000 files, 500 commits, generated in \(Measure.figure(seconds(generated))) s")
        fflush(nil)
        var oursBest = Double.infinity
        var gitBest = Double.infinity
        let clock = ContinuousClock()
        for round in 0..<rounds {
            let cache = try GitCache(directory: URL(fileURLWithPath: root + "/cache-\(round)"))
            let source = try GitSourceProvider(url: url, cache: cache)
            var start = clock.now
            let revision = try await source.resolve(.head)
            let checkout = try await source.materialize(revision)
            oursBest = min(oursBest, seconds(clock.now - start))
            guard FileManager.default.fileExists(atPath: checkout.directory.path + "/apps/app-000/config-00.yaml")
            else {
                throw Failure(description: "git-clone: our checkout lacks its files")
            }
            start = clock.now
            try shell(["git", "clone", "-q", url, root + "/git-clone-\(round)"])
            gitBest = min(gitBest, seconds(clock.now - start))
        }
        print(
            Measure.line(
                "git-clone",
                ours: 1 / oursBest,
                anchorName: "git-clone",
                anchor: 1 / gitBest,
                unit: "clones/s"
            )
                + " (ours \(Measure.figure(oursBest * 1000)) ms, git clone \(Measure.figure(gitBest * 1000)) ms; target ratio at least 0.83)"
        )
        fflush(nil)

        // Polling an unchanged repository.
        let cache = try GitCache(directory: URL(fileURLWithPath: root + "/cache-poll"))
        let source = try GitSourceProvider(url: url, cache: cache)
        _ = try await source.latestRevision(.head)
        var polls: [Double] = []
        for _ in 0..<20 {
            let start = clock.now
            _ = try await source.latestRevision(.branch("main"))
            polls.append(seconds(clock.now - start))
        }
        polls.sort()
        print(
            "git-poll: \(Measure.figure(polls[polls.count / 2] * 1000)) ms median, \(Measure.figure(polls[0] * 1000)) ms best (latestRevision over git://, target under 20 ms)"
        )
        fflush(nil)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// A deterministic repository: the first commit adds every file, each later one changes ten.
    static func generate(bare: String, files: Int, commits: Int) throws {
        try shell(["git", "init", "-q", "--bare", "-b", "main", bare])
        var stream = ""
        stream.reserveCapacity(8 << 20)
        func data(_ text: String) { stream += "data \(text.utf8.count)\n\(text)\n" }
        func content(_ file: Int, _ version: Int) -> String {
            let app = file / 50
            return """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-\(app)-config-\(file % 50)
                  namespace: team-\(app % 7)
                  labels: {app: app-\(app), version: "\(version)"}
                data:
                  key: value-\(file)-\(version)
                  replicas: "\(1 + (file + version) % 5)"
                  description: generated configuration number \(file), revision \(version), for the clone benchmark

                """
        }
        func path(_ file: Int) -> String {
            "apps/app-\(String(format: "%03d", file / 50))/config-\(String(format: "%02d", file % 50)).yaml"
        }
        for commit in 0..<commits {
            stream += "commit refs/heads/main\nmark :\(commit + 1)\n"
            stream += "committer Bench <bench@example.com> \(1_700_000_000 + commit * 60) +0000\n"
            data("change \(commit)\n")
            if commit > 0 { stream += "from :\(commit)\n" }
            let changed = commit == 0 ? Array(0..<files) : (0..<10).map { (commit * 37 + $0 * 499) % files }
            for file in changed {
                stream += "M 644 inline \(path(file))\n"
                data(content(file, commit))
            }
        }
        try shell(["git", "fast-import", "--quiet"], in: bare, input: stream)
    }

    static func waitForDaemon(_ url: String, root: String) async throws {
        for _ in 0..<100 {
            if (try? shell(["git", "ls-remote", url])) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "git daemon did not start")
    }

    static func freePort() throws -> Int {
        // Ask the kernel for a port by binding port 0.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw Failure(description: "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @discardableResult
    static func shell(_ arguments: [String], in directory: String? = nil, input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bench-sh-\(UUID().uuidString)").path
        defer { for p in [base + ".in", base + ".out"] { try? FileManager.default.removeItem(atPath: p) } }
        _ = FileManager.default.createFile(atPath: base + ".in", contents: Data((input ?? "").utf8))
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        let inHandle = FileHandle(forReadingAtPath: base + ".in")
        let outHandle = FileHandle(forWritingAtPath: base + ".out")
        process.standardInput = inHandle
        process.standardOutput = outHandle
        process.standardError = outHandle
        try process.run()
        try? inHandle?.close()
        try? outHandle?.close()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output
    }
}
