import Foundation
import GitSource
import GitTestSupport
import Testing

/// Clone, fetch and resolution against a real `git daemon` on 127.0.0.1.
@Suite struct GitDaemonTests {
    let root: TemporaryDirectory
    let cache: GitCache

    init() throws {
        root = try TemporaryDirectory("gitsource-daemon")
        cache = try GitCache(directory: root.url.appendingPathComponent("cache"))
    }

    func provider(
        _ url: String,
        _ options: GitSourceOptions = GitSourceOptions(stallTimeout: .seconds(5))
    ) throws -> GitSourceProvider {
        try GitSourceProvider(url: url, options: options, cache: cache)
    }

    @Test func cloneResolveAndMaterialize() async throws {
        let repo = try FixtureRepository(
            root: root.path,
            name: "apps",
            files: [
                "README.md": "hello\n", "deploy/app.yaml": "kind: ConfigMap\n", "deploy/nested/b.yaml": "b: 1\n",
            ]
        )
        try repo.tag("v1.0.0", annotated: true)
        try repo.tag("light")
        try repo.push()
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let source = try provider(daemon.url("apps"))
        let head = try repo.head()

        let main = try await source.resolve(.branch("main"))
        #expect(main == Revision(commit: head, reference: "refs/heads/main"))
        #expect(try await source.resolve(.head).commit == head)
        #expect(try await source.resolve(.tag("v1.0.0")).commit == head)  // annotated, peeled
        #expect(try await source.resolve(.tag("light")).commit == head)
        #expect(try await source.resolve(.named("main")).commit == head)
        #expect(try await source.resolve(.commit(String(head.prefix(7)))).commit == head)
        #expect(try await source.latestRevision(.branch("main")).commit == head)
        #expect(try await source.latestRevision(.tag("v1.0.0")).commit == head)

        let checkout = try await source.materialize(main)
        let dir = checkout.directory.path
        #expect(try String(contentsOfFile: dir + "/deploy/app.yaml", encoding: .utf8) == "kind: ConfigMap\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.git"))
        #expect(checkout.commit?.sha == head)
        #expect(checkout.commit?.author.name == "Test Author")
        #expect(checkout.commit?.committer.email == "committer@example.com")
        #expect(checkout.commit?.message == "initial\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/README.md")
        #expect((attributes[.posixPermissions] as? Int) == 0o444)
        let dirAttributes = try FileManager.default.attributesOfItem(atPath: dir + "/deploy")
        #expect((dirAttributes[.posixPermissions] as? Int) == 0o555)

        // Content-addressed: the second request returns the same directory.
        let again = try await source.materialize(main)
        #expect(again.directory == checkout.directory)

        let sub = try await source.materialize(main, subdirectory: "deploy")
        #expect(FileManager.default.fileExists(atPath: sub.directory.path + "/app.yaml"))
        #expect(FileManager.default.fileExists(atPath: sub.directory.path + "/nested/b.yaml"))
        #expect(!FileManager.default.fileExists(atPath: sub.directory.path + "/README.md"))
        await #expect(throws: GitSourceError.self) { try await source.materialize(main, subdirectory: "nope") }
        await #expect(throws: GitSourceError.self) { try await source.materialize(main, subdirectory: "../x") }
    }

    @Test func fetchNewCommitsForcePushAndDeletedTag() async throws {
        let repo = try FixtureRepository(root: root.path, name: "moving")
        try repo.tag("v1.0.0")
        try repo.push()
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let source = try provider(daemon.url("moving"))
        let first = try await source.resolve(.branch("main"))
        #expect(try await source.resolve(.tag("v1.0.0")).commit == first.commit)

        // New commits.
        let second = try repo.commit(["a.txt": "a\n"], message: "second")
        try repo.push()
        #expect(try await source.latestRevision(.branch("main")).commit == second)
        #expect(try await source.resolve(.branch("main")).commit == second)
        let checkout = try await source.materialize(Revision(commit: second))
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/a.txt"))

        // Force-pushed branch: history rewritten.
        try sh(["git", "reset", "-q", "--hard", first.commit], in: repo.work)
        let rewritten = try repo.commit(["b.txt": "b\n"], message: "rewritten")
        try repo.push(force: true)
        #expect(try await source.resolve(.branch("main")).commit == rewritten)

        // Deleted tag.
        try repo.deleteRemoteTag("v1.0.0")
        let error = await #expect(throws: GitSourceError.self) { try await source.resolve(.tag("v1.0.0")) }
        #expect(error?.isUnknownReference == true)
        await #expect(throws: GitSourceError.self) { try await source.latestRevision(.tag("v1.0.0")) }
    }

    @Test func semverAmongManyTags() async throws {
        let repo = try FixtureRepository(root: root.path, name: "versions")
        let versions = [
            "v0.1.0", "v1.0.0", "v1.1.0", "v1.2.0", "v1.2.1", "v1.2.10", "v1.2.9", "v1.3.0-rc.1", "v1.9.0",
            "v1.10.0", "v2.0.0-rc.1", "v2.0.0", "v2.1.0", "v3.0.0-alpha", "not-a-version",
        ]
        var commits = versions.enumerated().map { (i, v) in
            (files: ["version": v], tag: Optional(v), annotated: i % 2 == 0)
        }
        for i in 0..<40 { commits.append((files: ["patch": "\(i)"], tag: "v0.0.\(i)", annotated: false)) }
        let imported = try repo.importCommits(commits)
        var shas: [String: String] = [:]
        for (i, v) in versions.enumerated() { shas[v] = imported[i] }
        try repo.push()
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let source = try provider(daemon.url("versions"))
        func pick(_ range: String, pre: Bool = false) async throws -> Revision {
            try await source.resolve(.semver(range, includePrereleases: pre))
        }
        #expect(try await pick(">=1.2.0 <2.0.0") == Revision(commit: shas["v1.10.0"]!, reference: "refs/tags/v1.10.0"))
        #expect(try await pick("~1.2").commit == shas["v1.2.10"])
        #expect(try await pick("^1.2").commit == shas["v1.10.0"])
        #expect(try await pick("1.x").commit == shas["v1.10.0"])
        #expect(try await pick("*").commit == shas["v2.1.0"])
        #expect(try await pick("*", pre: true).commit == shas["v3.0.0-alpha"])
        #expect(try await pick(">=1.3.0-rc.1 <1.4.0").commit == shas["v1.3.0-rc.1"])
        #expect(try await source.latestRevision(.semver("~1.2")).commit == shas["v1.2.10"])
        let error = await #expect(throws: GitSourceError.self) { try await pick(">=4.0.0") }
        #expect(error?.isUnknownReference == true)
        #expect(error?.candidates.first == "v3.0.0-alpha")
    }

    @Test func unknownReferenceListsClosestCandidates() async throws {
        let repo = try FixtureRepository(root: root.path, name: "names")
        try sh(["git", "branch", "release-1.0"], in: repo.work)
        try sh(["git", "branch", "feature/login"], in: repo.work)
        try repo.push(refspecs: ["main", "release-1.0", "feature/login"])
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let source = try provider(daemon.url("names"))
        let error = await #expect(throws: GitSourceError.self) { try await source.resolve(.branch("relase-1.0")) }
        #expect(error?.isUnknownReference == true)
        #expect(error?.candidates.first == "release-1.0")
        #expect(error?.description.contains("release-1.0") == true)
        let latest = await #expect(throws: GitSourceError.self) { try await source.latestRevision(.branch("mian")) }
        #expect(latest?.candidates.first == "main")
        await #expect(throws: GitSourceError.self) { try await source.resolve(.commit("deadbeef")) }
        await #expect(throws: GitSourceError.self) { try await source.resolve(.commit("xyz")) }
    }

    @Test func pullRequestRefAndFullNames() async throws {
        let repo = try FixtureRepository(root: root.path, name: "prs")
        try sh(["git", "checkout", "-q", "-b", "topic"], in: repo.work)
        let topic = try repo.commit(["pr.txt": "pr\n"], message: "pr")
        try sh(["git", "push", "-q", "origin", "topic:refs/pull/7/head"], in: repo.work)
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        let source = try provider(daemon.url("prs"))
        let revision = try await source.resolve(.fullName("refs/pull/7/head"))
        #expect(revision.commit == topic)
        #expect(try await source.latestRevision(.fullName("refs/pull/7/head")).commit == topic)
        let checkout = try await source.materialize(revision)
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/pr.txt"))
    }

    @Test func concurrentRequestsFromManyTasks() async throws {
        let repo = try FixtureRepository(root: root.path, name: "busy")
        for i in 0..<5 { try repo.commit(["f\(i).txt": "\(i)\n"], message: "c\(i)") }
        try repo.push()
        let head = try repo.head()
        let daemon = try GitDaemon(root: root.path)
        defer { daemon.stop() }
        // Separate providers sharing the cache, as separate applications would.
        let results = try await withThrowingTaskGroup(of: (String, URL).self) { group in
            for i in 0..<16 {
                let source = try provider(daemon.url("busy"))
                group.addTask {
                    let revision = try await source.resolve(i % 2 == 0 ? .branch("main") : .head)
                    let checkout = try await source.materialize(revision, subdirectory: i % 4 == 0 ? nil : nil)
                    return (revision.commit, checkout.directory)
                }
            }
            var all: [(String, URL)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16)
        #expect(Set(results.map(\.0)) == [head])
        #expect(Set(results.map(\.1)).count == 1)
        #expect(FileManager.default.fileExists(atPath: results[0].1.path + "/f4.txt"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path + "/tmp")
        #expect(leftovers.filter { !$0.hasSuffix(".pem") }.isEmpty)
    }

    @Test func localPathsAndFileURLs() async throws {
        let repo = try FixtureRepository(root: root.path, name: "local")
        let head = try repo.head()
        for url in [repo.bare, "file://" + repo.bare] {
            let source = try provider(url)
            #expect(try await source.resolve(.branch("main")).commit == head)
            #expect(try await source.latestRevision(.head).commit == head)
        }
    }

    @Test func signedCommitMetadata() async throws {
        let repo = try FixtureRepository(root: root.path, name: "signed")
        // A commit object with a gpgsig header, written by hand (no gpg needed).
        let tree = try sh(["git", "rev-parse", "HEAD^{tree}"], in: repo.work).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        let parent = try repo.head()
        let signature = "-----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEfake\n =abcd\n -----END PGP SIGNATURE-----"
        let body = """
            tree \(tree)
            parent \(parent)
            author Test Author <author@example.com> 1700000000 +0100
            committer Test Committer <committer@example.com> 1700000100 +0100
            gpgsig \(signature)

            signed change

            """
        let sha = try sh(["git", "hash-object", "-t", "commit", "-w", "--stdin"], in: repo.work, input: body)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try sh(["git", "update-ref", "refs/heads/main", sha], in: repo.work)
        try repo.push()
        let source = try provider(repo.bare)
        let revision = try await source.resolve(.branch("main"))
        #expect(revision.commit == sha)
        let metadata = try await source.commit(revision)
        #expect(metadata.signature?.contains("BEGIN PGP SIGNATURE") == true)
        #expect(metadata.signedPayload?.hasPrefix("tree \(tree)\n") == true)
        #expect(metadata.signedPayload?.contains("gpgsig") == false)
        #expect(metadata.message == "signed change\n")
        #expect(metadata.committer.date == Date(timeIntervalSince1970: 1_700_000_100))
        #expect(metadata.committer.timeZoneOffsetMinutes == 60)
        #expect(metadata.parents == [parent])
        let unsigned = try await source.commit(Revision(commit: parent))
        #expect(unsigned.signature == nil)
    }
}
