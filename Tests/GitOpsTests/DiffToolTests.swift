import EmbeddedCluster
import Foundation
import GitOps
import Testing

/// The `gitops-diff` example, run as a pull-request check runs it: a subprocess with a
/// kubeconfig file, against the embedded cluster.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DiffToolTests {
    @Test func inSyncExitsZeroAndPrintsTheTargetFirst() async throws {
        try await withToolCluster { client, cluster, kubeconfig in
            try await applyAsSync(guestbookRevision1, app: "guestbook", client: client)
            let result = try runDiffTool([guestbookRevision1, "--kubeconfig", kubeconfig, "--app", "guestbook"])
            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "target: \(cluster.url) (context embedded, namespace default)")
            #expect(lines.last == "7 in sync, 0 to change, 0 to create, 0 to prune")
        }
    }

    @Test(arguments: [false, true])
    func secondRevisionShowsChangesAndThePrune(serverSide: Bool) async throws {
        try await withToolCluster { client, _, kubeconfig in
            try await applyAsSync(guestbookRevision1, app: "guestbook", client: client)
            let result = try runDiffTool(
                [guestbookRevision2, "--kubeconfig", kubeconfig, "--app", "guestbook"]
                    + (serverSide ? ["--server-side"] : [])
            )
            #expect(result.status == 1, "\(result)")
            #expect(
                result.stdout.contains("-        image: nginx:1.27\n+        image: nginx:1.28\n"),
                "\(result.stdout)"
            )
            #expect(result.stdout.contains("-  replicas: 2\n+  replicas: 3\n"))
            #expect(result.stdout.contains("--- live//ConfigMap/guestbook/guestbook-banner\n"))
            #expect(result.stdout.contains("-  banner: Welcome to the launch week!\n"))
            #expect(!result.stdout.contains("\u{1B}["), "no colour on a pipe")
            #expect(result.stdout.hasSuffix("3 in sync, 3 to change, 0 to create, 1 to prune\n"))
        }
    }

    @Test func emptyClusterShowsCreationsAndMasksSecrets() async throws {
        try await withToolCluster { client, _, kubeconfig in
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try """
            apiVersion: v1
            kind: Secret
            metadata: {name: db}
            stringData: {password: hunter2-in-git}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {mode: fast}
            """.write(toFile: dir + "/app.yaml", atomically: true, encoding: .utf8)
            // Live holds "hunter1-live" (base64 in data), Git "hunter2-in-git" in stringData.
            _ = try await client.create(
                try object(
                    "{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: default}, data: {password: aHVudGVyMS1saXZl}}"
                ),
                options: WriteOptions()
            )
            let result = try runDiffTool([dir, "--kubeconfig", kubeconfig])
            #expect(result.status == 1, "\(result)")
            #expect(!result.stdout.contains("hunter"), "a Secret value leaked: \(result.stdout)")
            #expect(!result.stdout.contains("aHVudGVy"), "a Secret value leaked: \(result.stdout)")
            #expect(result.stdout.contains("-  password: +++ sha256:"))
            #expect(result.stdout.contains("+  password: +++ sha256:"))
            #expect(result.stdout.contains("+++ desired//ConfigMap/default/settings\n"))
            #expect(result.stdout.contains("+  mode: fast\n"))
            #expect(result.stdout.hasSuffix("0 in sync, 1 to change, 1 to create, 0 to prune\n"))
        }
    }

    /// KUBECONFIG and --context pick the cluster as kubectl would.
    @Test func clusterResolvedAsKubectlDoes() async throws {
        try await withToolCluster { _, cluster, kubeconfig in
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // A second file whose current context is a closed port, merged before the real one.
            try """
            apiVersion: v1
            kind: Config
            clusters: [{name: closed, cluster: {server: "http://127.0.0.1:1"}}]
            users: [{name: nobody, user: {}}]
            contexts: [{name: closed, context: {cluster: closed, user: nobody, namespace: elsewhere}}]
            current-context: closed
            """.write(toFile: dir + "/first", atomically: true, encoding: .utf8)
            let environment = ["KUBECONFIG": dir + "/first:" + kubeconfig, "HOME": dir]
            let chosen = try runDiffTool(
                [guestbookRevision1, "--context", "embedded", "--namespace", "team-a"],
                environment: environment
            )
            #expect(chosen.status == 1, "\(chosen)")
            #expect(chosen.stdout.hasPrefix("target: \(cluster.url) (context embedded, namespace team-a)\n"))

            let closed = try runDiffTool([guestbookRevision1], environment: environment)
            #expect(closed.status == 2)
            #expect(closed.stdout.hasPrefix("target: http://127.0.0.1:1 (context closed, namespace elsewhere)\n"))
            #expect(closed.stderr.hasPrefix("gitops-diff: "), "\(closed)")

            let unknown = try runDiffTool([guestbookRevision1, "--context", "nope"], environment: environment)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("context \"nope\" is not defined"), "\(unknown)")
        }
    }

    @Test func badInputsExitTwoWithAClearMessage() async throws {
        try await withToolCluster { _, _, kubeconfig in
            let missingConfig = try runDiffTool([guestbookRevision1, "--kubeconfig", "/nonexistent/kubeconfig"])
            #expect(missingConfig.status == 2)
            #expect(
                missingConfig.stderr.contains("--kubeconfig /nonexistent/kubeconfig: no such file"),
                "\(missingConfig)"
            )

            let missingDirectory = try runDiffTool(["/nonexistent/manifests", "--kubeconfig", kubeconfig])
            #expect(missingDirectory.status == 2)
            #expect(missingDirectory.stderr.contains("/nonexistent/manifests"), "\(missingDirectory)")

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: [\n".write(
                toFile: dir + "/broken.yaml",
                atomically: true,
                encoding: .utf8
            )
            let broken = try runDiffTool([dir, "--kubeconfig", kubeconfig])
            #expect(broken.status == 2)
            #expect(broken.stderr.contains("broken.yaml:"), "\(broken)")

            try "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: a}\n".write(
                toFile: dir + "/broken.yaml",
                atomically: true,
                encoding: .utf8
            )
            let unserved = try runDiffTool([dir, "--kubeconfig", kubeconfig])
            #expect(unserved.status == 2)
            #expect(unserved.stderr.contains("does not serve example.com/Gadget"), "\(unserved)")

            let nowhere = try runDiffTool(
                [guestbookRevision1],
                environment: ["HOME": dir, "KUBERNETES_SERVICE_HOST": "", "KUBERNETES_SERVICE_PORT": ""]
            )
            #expect(nowhere.status == 2)
            #expect(nowhere.stderr.contains("no cluster: no kubeconfig context in \(dir)/.kube/config"), "\(nowhere)")

            let usage = try runDiffTool([guestbookRevision1, "--frobnicate"])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("--frobnicate"), "\(usage)")
        }
    }
}

/// Starts a cluster and writes its kubeconfig to a file for the tool.
func withToolCluster(
    simulateWorkloads: Bool = false,
    _ body: (KubernetesClient, EmbeddedCluster, String) async throws -> Void
) async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try await withCluster(.init(simulateWorkloads: simulateWorkloads, threads: 2)) { client, cluster in
        try cluster.writeKubeconfig(to: dir + "/kubeconfig")
        try await body(client, cluster, dir + "/kubeconfig")
    }
}

struct ToolResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs `gitops-diff` (see ``runTool(_:_:environment:)``).
func runDiffTool(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
    try runTool("gitops-diff", arguments, environment: environment)
}

/// Runs an example tool from the build directory the tests run from, with a generous time limit;
/// `environment` entries replace the test's own (KUBECONFIG is removed unless given).
func runTool(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path),
        directory.path != "/"
    {
        directory.deleteLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent(name)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["KUBECONFIG"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: out + ".out", contents: nil)
    FileManager.default.createFile(atPath: out + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: out + ".out")
        try? FileManager.default.removeItem(atPath: out + ".err")
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".err"))
    try process.run()
    let deadline = Date().addingTimeInterval(180)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return ToolResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
    )
}
