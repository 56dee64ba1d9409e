import Foundation
import GitSource
import GitTestSupport
import Testing

/// Servers that stall, die mid-transfer or cannot be reached: an error within the stall
/// timeout, never a hang; task cancellation stops a transfer at once.
@Suite struct FailureTests {
    let root: TemporaryDirectory
    let cache: GitCache

    init() throws {
        root = try TemporaryDirectory("gitsource-failure")
        cache = try GitCache(directory: root.url.appendingPathComponent("cache"))
    }

    /// A repository whose pack is a few megabytes of incompressible data.
    func bigRepository(_ name: String) throws -> FixtureRepository {
        let repo = try FixtureRepository(root: root.path, name: name)
        var files: [String: String] = [:]
        for i in 0..<64 {
            let bytes = (0..<48_000).map { _ in UInt8.random(in: 0...255) }
            files["blob\(i).txt"] = Data(bytes).base64EncodedString()
        }
        try repo.commit(files, message: "big")
        try repo.push()
        return repo
    }

    func options(stall: Duration) -> GitSourceOptions {
        GitSourceOptions(stallTimeout: stall)
    }

    @Test func aLocalRepositoryThatIsNotThereIsNamed() async throws {
        let missing = root.path + "/no-such-repository"
        let source = try GitSourceProvider(url: missing, cache: cache)
        let error = await #expect(throws: GitSourceError.self) { try await source.resolve(.head) }
        #expect(error?.message.contains("no Git repository at \(missing)") == true, "\(String(describing: error))")
    }

    @Test func stalledServerTimesOut() async throws {
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let source = try GitSourceProvider(
            url: "git://127.0.0.1:\(silent.port)/x.git",
            options: options(stall: .seconds(1)),
            cache: cache
        )
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: GitSourceError.self) { try await source.resolve(.head) }
        #expect(error?.isTimeout == true, "\(String(describing: error))")
        #expect(clock.now - started < .seconds(60))
        let started2 = clock.now
        let error2 = await #expect(throws: GitSourceError.self) { try await source.latestRevision(.head) }
        #expect(error2?.isTimeout == true)
        #expect(clock.now - started2 < .seconds(60))
        // Over HTTP too.
        let http = try GitSourceProvider(
            url: "http://127.0.0.1:\(silent.port)/x.git",
            options: options(stall: .seconds(1)),
            cache: cache
        )
        let error3 = await #expect(throws: GitSourceError.self) { try await http.latestRevision(.head) }
        #expect(error3?.isTimeout == true)
    }

    @Test func stalledSSHServerTimesOut() async throws {
        // libssh2 reads the socket itself; the watchdog shuts the socket down to wake it.
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let source = try GitSourceProvider(
            url: "ssh://git@127.0.0.1:\(silent.port)/x.git",
            options: GitSourceOptions(
                credentials: .sshAgent(),
                hostKeys: .insecureAcceptAny,
                stallTimeout: .seconds(1)
            ),
            cache: cache
        )
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: GitSourceError.self) { try await source.latestRevision(.head) }
        #expect(error?.isTimeout == true, "\(String(describing: error))")
        #expect(clock.now - started < .seconds(60))
    }

    @Test func serverKilledInTheMiddleOfAFetch() async throws {
        _ = try bigRepository("big")
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let clock = ContinuousClock()
        // The connection dies after 200 kB of the answer.
        let dying = try MisbehavingServer(.forward(port: daemon.port, bytes: 200_000, thenClose: true))
        defer { dying.stop() }
        let source = try GitSourceProvider(
            url: "git://127.0.0.1:\(dying.port)/big.git",
            options: options(stall: .seconds(2)),
            cache: cache
        )
        var started = clock.now
        let error = await #expect(throws: GitSourceError.self) { try await source.resolve(.head) }
        #expect(clock.now - started < .seconds(60))
        #expect(error?.isTimeout == false)
        // The answer stops after 200 kB and the connection stays open.
        let stalling = try MisbehavingServer(.forward(port: daemon.port, bytes: 200_000, thenClose: false))
        defer { stalling.stop() }
        let stalled = try GitSourceProvider(
            url: "git://127.0.0.1:\(stalling.port)/big.git",
            options: options(stall: .seconds(1)),
            cache: cache
        )
        started = clock.now
        let error2 = await #expect(throws: GitSourceError.self) { try await stalled.resolve(.head) }
        #expect(error2?.isTimeout == true, "\(String(describing: error2))")
        #expect(clock.now - started < .seconds(60))
        // The cache is still usable: the real server completes the fetch.
        let good = try GitSourceProvider(url: daemon.url("big"), options: options(stall: .seconds(5)), cache: cache)
        let revision = try await good.resolve(.head)
        let checkout = try await good.materialize(revision)
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/blob63.txt"))
    }

    @Test func cancellationStopsATransfer() async throws {
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let source = try GitSourceProvider(
            url: "git://127.0.0.1:\(silent.port)/x.git",
            options: options(stall: .seconds(60)),
            cache: cache
        )
        let clock = ContinuousClock()
        let task = Task { try await source.resolve(.head) }
        try await Task.sleep(for: .milliseconds(300))
        let started = clock.now
        task.cancel()
        let result = await task.result
        // Far below the 60 s stall timeout: the cancellation stopped it. (Bounds in this file
        // are generous: parallel tests on two cores delay a task's resumption by seconds.)
        #expect(clock.now - started < .seconds(60))
        guard case .failure(let error) = result, let error = error as? GitSourceError else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.isCancelled)
    }

    @Test func staleLockFilesOfACrashedFetchAreCleared() async throws {
        let repo = try FixtureRepository(root: root.path, name: "crashed")
        let source = try GitSourceProvider(url: repo.bare, options: options(stall: .seconds(5)), cache: cache)
        _ = try await source.resolve(.head)
        // A process killed while updating references leaves their lock files.
        let mirror =
            try FileManager.default.contentsOfDirectory(atPath: cache.directory.path + "/repositories")
            .first ?? ""
        let refs = cache.directory.path + "/repositories/" + mirror
        _ = FileManager.default.createFile(atPath: refs + "/refs/heads/main.lock", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: refs + "/packed-refs.lock", contents: Data("x".utf8))
        let next = try repo.commit(["n": "1"], message: "next")
        try repo.push()
        #expect(try await source.resolve(.branch("main")).commit == next)
    }

    @Test func unreachableRemoteIsAnErrorNotAHang() async throws {
        let port = try freePort()  // nothing listens there
        let source = try GitSourceProvider(
            url: "git://127.0.0.1:\(port)/x.git",
            options: options(stall: .seconds(2)),
            cache: cache
        )
        let error = await #expect(throws: GitSourceError.self) { try await source.latestRevision(.head) }
        #expect(error?.description.contains("127.0.0.1") == true)
    }
}
