import EmbeddedCluster
import Foundation
import GitOps
import Testing

/// The `gitops-sync` example, run as the demo runs it: a subprocess syncing the example
/// repository (made by `scripts/demo.sh --repo`) into the embedded cluster.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SyncToolTests {
    /// The example repository (tags v1 and v2) in a fresh directory, and a cache directory.
    func exampleRepository() throws -> (directory: String, repository: String, environment: [String: String]) {
        let dir = try temporaryDirectory()
        let make = Process()
        make.executableURL = URL(fileURLWithPath: repositoryRoot + "/scripts/demo.sh")
        make.arguments = ["--repo", dir + "/guestbook"]
        make.standardOutput = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        #expect(make.terminationStatus == 0)
        return (dir, dir + "/guestbook", ["XDG_CACHE_HOME": dir + "/cache"])
    }

    @Test func twoRevisionsThenPrune() async throws {
        let (dir, repository, environment) = try exampleRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withToolCluster(simulateWorkloads: true) { client, cluster, kubeconfig in
            let common = [
                "--app", "guestbook", "--namespace", "guestbook", "--kubeconfig", kubeconfig, "--timeout", "120s",
            ]
            let first = try runTool("gitops-sync", [repository, "--revision", "v1"] + common, environment: environment)
            #expect(first.status == 0, "\(first)")
            let lines = first.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "target: \(cluster.url) (context embedded, namespace guestbook)")
            #expect(lines.contains { $0.hasPrefix("revision: 90a20ac") && $0.hasSuffix("(v1), 8 objects") })
            #expect(lines.contains("+ create apps/Deployment/guestbook/guestbook-web"))
            // The namespace is created first, then the hook runs; the table has every resource
            // with its action and health.
            let table = lines.drop { !$0.hasPrefix("RESOURCE ") }.dropFirst()
            #expect(
                table.first?.hasPrefix("/Namespace//guestbook") == true
                    && table.first?.contains("CreateNamespace") == true
            )
            #expect(
                table.dropFirst().first.map {
                    $0.hasPrefix("batch/Job/guestbook/guestbook-migrate (hook)") && $0.contains(" PreSync ")
                } == true,
                "\(first)"
            )
            #expect(
                table.contains {
                    $0.hasPrefix("apps/Deployment/guestbook/guestbook-web") && $0.contains("created")
                        && $0.contains("Healthy")
                }
            )
            #expect(lines.last?.hasPrefix("result: Succeeded") == true)

            // What a pull-request check of revision 2 says against what the sync wrote (the hook
            // Job the sync left is not a prune candidate: hooks are never pruned).
            let check = try runDiffTool(
                [guestbookRevision2, "--kubeconfig", kubeconfig, "--app", "guestbook", "--server-side"])
            #expect(check.status == 1, "\(check)")
            #expect(check.stdout.hasSuffix("3 in sync, 3 to change, 0 to create, 1 to prune\n"), "\(check)")

            let second = try runTool(
                "gitops-sync",
                [repository, "--revision", "v2", "--prune"] + common,
                environment: environment
            )
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("-  replicas: 2\n+  replicas: 3\n"))
            #expect(second.stdout.contains("- prune /ConfigMap/guestbook/guestbook-banner\n"))
            #expect(!second.stdout.contains("Namespace//guestbook\n+++"), "no false drift on the Namespace: \(second)")
            #expect(
                second.stdout.split(separator: "\n").contains {
                    $0.hasPrefix("/ConfigMap/guestbook/guestbook-banner") && $0.contains("pruned")
                }
            )

            let deployment = try await client.get(
                GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment"),
                name: "guestbook-web",
                namespace: "guestbook"
            )
            #expect(deployment["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "nginx:1.28")
            // Deleted, or going (foreground deletion waits for the garbage collector).
            do {
                let banner = try await client.get(
                    GroupVersionKind(apiVersion: "v1", kind: "ConfigMap"),
                    name: "guestbook-banner",
                    namespace: "guestbook"
                )
                #expect(banner.deletionTimestamp != nil)
            } catch let error as KubeError where error.isNotFound {}

            // In sync now: nothing to show, everything unchanged.
            let third = try runTool(
                "gitops-sync",
                [repository, "--revision", "v2", "--prune"] + common,
                environment: environment
            )
            #expect(third.status == 0, "\(third)")
            #expect(!third.stdout.contains("\n--- live/"), "\(third)")
        }
    }

    @Test func embeddedWithJSONOutput() throws {
        let (dir, repository, environment) = try exampleRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try runTool(
            "gitops-sync",
            [repository, "--embedded", "--app", "guestbook", "--namespace", "guestbook", "--output", "json"],
            environment: environment
        )
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.hasPrefix("target: embedded cluster http://127.0.0.1:"))
        let json = try Value(json: Array(result.stdout.utf8))
        #expect(json["status"] == "Succeeded")
        #expect(json["revision"] == "5279b4fc9fe39f288209ee5dc6478c0fc7504106")
        #expect((json["resources"]?.arrayValue?.count ?? 0) >= 7)
    }

    @Test func dryRunChangesNothing() async throws {
        let (dir, repository, environment) = try exampleRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withToolCluster { client, _, kubeconfig in
            let result = try runTool(
                "gitops-sync",
                [
                    repository, "--dry-run", "--app", "guestbook", "--namespace", "guestbook", "--kubeconfig",
                    kubeconfig,
                ],
                environment: environment
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("(dry run: nothing changed)"), "\(result)")
            await #expect(throws: KubeError.self) {
                _ = try await client.get(
                    GroupVersionKind(apiVersion: "v1", kind: "Namespace"),
                    name: "guestbook",
                    namespace: nil
                )
            }
        }
    }

    @Test func failuresAndErrors() async throws {
        let (dir, repository, environment) = try exampleRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withToolCluster { _, _, kubeconfig in
            let unknownRevision = try runTool(
                "gitops-sync",
                [repository, "--revision", "v9", "--kubeconfig", kubeconfig],
                environment: environment
            )
            #expect(unknownRevision.status == 2)
            #expect(unknownRevision.stderr.contains("v9"), "\(unknownRevision)")
            #expect(unknownRevision.stdout.isEmpty, "nothing printed before the revision resolves")

            let badTimeout = try runTool("gitops-sync", [repository, "--timeout", "soon"], environment: environment)
            #expect(badTimeout.status == 2)
            #expect(badTimeout.stderr.contains("--timeout soon"), "\(badTimeout)")

            // A kind the cluster does not serve: the sync fails before anything is applied.
            let broken = dir + "/broken"
            try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
            try "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: a}\n".write(
                toFile: broken + "/gadget.yaml",
                atomically: true,
                encoding: .utf8
            )
            let git = { (args: [String]) in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["git", "-C", broken] + args
                p.environment = [
                    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
                    "GIT_COMMITTER_EMAIL": "t@example.invalid",
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin",
                ]
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
            }
            try git(["init", "-q", "-b", "main"])
            try git(["add", "."])
            try git(["commit", "-q", "-m", "a gadget"])
            let failed = try runTool("gitops-sync", [broken, "--kubeconfig", kubeconfig], environment: environment)
            #expect(failed.status == 1, "\(failed)")
            #expect(failed.stdout.split(separator: "\n").last?.hasPrefix("result: ") == true, "\(failed)")
            #expect(failed.stdout.contains("Gadget"), "\(failed)")
        }
    }
}
