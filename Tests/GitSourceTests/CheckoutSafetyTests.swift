import Foundation
import GitSource
import GitTestSupport
import Testing

/// Symbolic links that escape, limits, garbage collection.
@Suite struct CheckoutSafetyTests {
    let root: TemporaryDirectory
    let cache: GitCache

    init() throws {
        root = try TemporaryDirectory("gitsource-safety")
        cache = try GitCache(directory: root.url.appendingPathComponent("cache"))
    }

    @Test func symlinkEscapesAreRefusedOrSkipped() async throws {
        let repo = try FixtureRepository(root: root.path, name: "links", files: ["app/config.yaml": "a: 1\n"])
        try repo.symlink("app/inside", to: "config.yaml")
        try repo.symlink("app/up", to: "..")
        let safe = try repo.commit([:], message: "safe links")
        try repo.symlink("app/passwd", to: "/etc/passwd")
        try repo.symlink("app/climb", to: "../../../../etc")
        let unsafe = try repo.commit([:], message: "escaping links")
        try repo.push()

        let refusing = try GitSourceProvider(url: repo.bare, cache: cache)
        let ok = try await refusing.materialize(Revision(commit: safe))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: ok.directory.path + "/app/inside")
                == "config.yaml"
        )
        let error = await #expect(throws: GitSourceError.self) {
            try await refusing.materialize(Revision(commit: unsafe))
        }
        #expect(error?.isUnsafeContent == true)
        #expect(error?.description.contains("outside the checkout") == true)
        #expect(!FileManager.default.fileExists(atPath: cache.directory.path + "/checkouts/" + unsafe))

        // A chain: a link to the root, then a link that climbs out through it.
        try sh(["git", "rm", "-q", "app/passwd", "app/climb"], in: repo.work)
        try repo.symlink("top", to: ".")
        try repo.symlink("sneaky", to: "top/..")  // lexically inside, physically outside
        let chained = try repo.commit([:], message: "chained")
        try repo.push()
        let chainError = await #expect(throws: GitSourceError.self) {
            try await refusing.materialize(Revision(commit: chained))
        }
        #expect(chainError?.isUnsafeContent == true)

        let skipping = try GitSourceProvider(
            url: repo.bare,
            options: GitSourceOptions(symlinks: .skipEscaping),
            cache: cache
        )
        let skipped = try await skipping.materialize(Revision(commit: unsafe))
        #expect(FileManager.default.fileExists(atPath: skipped.directory.path + "/app/config.yaml"))
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: skipped.directory.path + "/app/passwd")) == nil
        )
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: skipped.directory.path + "/app/climb")) == nil
        )
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: skipped.directory.path + "/app/inside")
                == "config.yaml"
        )
    }

    @Test func limitsOnFilesAndSize() async throws {
        var files: [String: String] = [:]
        for i in 0..<30 { files["f\(i).txt"] = String(repeating: "x", count: 1000) }
        let repo = try FixtureRepository(root: root.path, name: "many", files: files)
        let head = try repo.head()
        let few = try GitSourceProvider(
            url: repo.bare,
            options: GitSourceOptions(limits: CheckoutLimits(maxFiles: 10)),
            cache: cache
        )
        let error = await #expect(throws: GitSourceError.self) { try await few.materialize(Revision(commit: head)) }
        #expect(error?.isUnsafeContent == true)
        let small = try GitSourceProvider(
            url: repo.bare,
            options: GitSourceOptions(limits: CheckoutLimits(maxTotalBytes: 5000)),
            cache: cache
        )
        await #expect(throws: GitSourceError.self) { try await small.materialize(Revision(commit: head)) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path + "/tmp")
        #expect(leftovers.isEmpty)
        let enough = try GitSourceProvider(url: repo.bare, cache: cache)
        let checkout = try await enough.materialize(Revision(commit: head))
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkout.directory.path).count == 30)
    }

    @Test func garbageCollectionKeepsTheMostRecent() async throws {
        let repo = try FixtureRepository(root: root.path, name: "gc")
        var commits: [String] = [try repo.head()]
        for i in 0..<4 { commits.append(try repo.commit(["n": "\(i)"], message: "c\(i)")) }
        try repo.push()
        let source = try GitSourceProvider(url: repo.bare, cache: cache)
        var dirs: [URL] = []
        for (i, c) in commits.enumerated() {
            dirs.append(try await source.materialize(Revision(commit: c)).directory)
            // Distinct last-use times (seconds resolution).
            let when = Date().addingTimeInterval(Double(i - 10) * 60)
            var times = [
                timeval(tv_sec: Int(when.timeIntervalSince1970), tv_usec: 0),
                timeval(tv_sec: Int(when.timeIntervalSince1970), tv_usec: 0),
            ]
            _ = utimes(dirs[i].path, &times)
        }
        let removed = try cache.collectGarbage(CheckoutRetention(keepMostRecent: 2, maxAge: nil))
        #expect(removed == 3)
        #expect(FileManager.default.fileExists(atPath: dirs[4].path))
        #expect(FileManager.default.fileExists(atPath: dirs[3].path))
        #expect(!FileManager.default.fileExists(atPath: dirs[0].path))
        // A collected checkout comes back on demand.
        let again = try await source.materialize(Revision(commit: commits[0]))
        #expect(FileManager.default.fileExists(atPath: again.directory.path + "/README.md"))
    }
}
