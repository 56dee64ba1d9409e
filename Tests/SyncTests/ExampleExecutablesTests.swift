import EmbeddedCluster
import Foundation
import GitTestSupport
import KubeClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `gitops-agent` and `compose-your-own` examples, run as a user runs them: as processes,
/// against an embedded cluster and a Git repository the test starts and makes.
@Suite struct ExampleExecutablesTests {
    @Test func agentSyncsHealsFollowsNewCommitsAndStopsOnSIGTERM() async throws {
        let root = try TemporaryDirectory("agent-example")
        let repo = try FixtureRepository(
            root: root.path,
            name: "apps",
            files: [
                "deploy/settings.yaml": configMapYAML("agent-settings", ["color": "blue"]),
                "deploy/web.yaml": loopDeploymentYAML("agent-web"),
            ]
        )
        let cluster = try await EmbeddedCluster.start(
            .init(simulateWorkloads: true, simulationDelay: 0.3, threads: 1)
        )
        do {
            try cluster.writeKubeconfig(to: root.path + "/kubeconfig")
            let config = root.path + "/agent.yaml"
            try """
            cacheDirectory: \(root.path)/cache
            applications:
              - name: shop
                source:
                  repoURL: \(repo.bare)
                  targetRevision: main
                  path: deploy
                destination:
                  kubeconfig: \(root.path)/kubeconfig
                  namespace: default
                syncPolicy:
                  automated: true
                  prune: true
                  selfHeal: true
                pollInterval: 500ms

            """.write(toFile: config, atomically: true, encoding: .utf8)
            let first = String(try repo.head().prefix(7))

            let agent = try ExampleProcess("gitops-agent", ["--config", config], in: root.path)
            defer { agent.stop() }
            try await eventually("the agent prints Synced Healthy for \(first)", seconds: 120) {
                agent.output.contains(
                    "shop: Synced Healthy revision \(first) (refs/heads/main), last operation Succeeded"
                )
            }
            let client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve())
            var settings = try await client.get(configMapKind, name: "agent-settings", namespace: "default")
            #expect(settings["data"]?["color"]?.stringValue == "blue")

            // Drift is healed: a ConfigMap deleted by hand comes back.
            _ = try await client.delete(configMapKind, name: "agent-settings", namespace: "default")
            try await eventually("the deleted ConfigMap is back", seconds: 120) {
                (try? await client.get(configMapKind, name: "agent-settings", namespace: "default")) != nil
            }

            // A new commit is polled, synced, and its status line printed.
            let second = String(
                try repo.commit(
                    ["deploy/settings.yaml": configMapYAML("agent-settings", ["color": "green"])],
                    message: "green"
                ).prefix(7)
            )
            try repo.push()
            try await eventually("the agent prints Synced Healthy for \(second)", seconds: 120) {
                agent.output.contains(
                    "shop: Synced Healthy revision \(second) (refs/heads/main), last operation Succeeded"
                )
            }
            settings = try await client.get(configMapKind, name: "agent-settings", namespace: "default")
            #expect(settings["data"]?["color"]?.stringValue == "green")
            // A line is printed when the status changes, never twice in a row.
            let lines = agent.output.split(separator: "\n")
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0 != $1 }, "\(agent.output)")

            kill(agent.process.processIdentifier, SIGTERM)
            let status = try await agent.exit(within: 60)
            #expect(status == 0, "\(agent.output)")
            #expect(agent.output.hasSuffix("gitops-agent: stopped\n"))
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func agentNamesTheFileAndPlaceOfAConfigurationError() async throws {
        let root = try TemporaryDirectory("agent-example")
        let cases: [(text: String, expected: String)] = [
            (
                "applications:\n  - name: shop\n    sorce:\n      repoURL: /tmp/x\n",
                "bad.yaml: applications[0].sorce: unknown key 'sorce' (expected one of: name, source, destination, syncPolicy, pollInterval)"
            ),
            ("applications:\n  - name: shop\n    source: {repoURL: [\n", "bad.yaml:4:1: "),
            (
                "applications:\n  - name: shop\n    source: {repoURL: /tmp/x}\n    pollInterval: soon\n",
                "bad.yaml: applications[0].pollInterval: expected a duration"
            ),
            ("applications: []\n", "bad.yaml: 'applications' is empty"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: root.path + "/bad.yaml", atomically: true, encoding: .utf8)
            let agent = try ExampleProcess("gitops-agent", ["--config", "bad.yaml"], in: root.path)
            defer { agent.stop() }
            let status = try await agent.exit(within: 60)
            #expect(status != 0)
            #expect(agent.output.contains(expected), "\(agent.output)")
        }
    }

    @Test func agentReportsUnreachableSourceAndClusterAsConditionsAndStillStops() async throws {
        let root = try TemporaryDirectory("agent-example")
        // A cluster nobody listens on (port 1), and a repository that does not exist.
        try """
        apiVersion: v1
        kind: Config
        clusters: [{name: gone, cluster: {server: "http://127.0.0.1:1"}}]
        contexts: [{name: gone, context: {cluster: gone, user: ""}}]
        current-context: gone

        """.write(toFile: root.path + "/kubeconfig", atomically: true, encoding: .utf8)
        try """
        cacheDirectory: \(root.path)/cache
        applications:
          - name: lost
            source: {repoURL: \(root.path)/no-such-repository.git}
            destination: {kubeconfig: \(root.path)/kubeconfig}
            syncPolicy: {automated: true}
            pollInterval: 1s

        """.write(toFile: root.path + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try ExampleProcess("gitops-agent", ["--config", "agent.yaml"], in: root.path)
        defer { agent.stop() }
        try await eventually("the agent prints the source error", seconds: 120) {
            agent.output.contains(
                "lost: Unknown Unknown, no operation yet; StateStoreError: cannot read ConfigMap default/gitops-state-lost"
            )
                && agent.output.contains("SourceError: cannot resolve HEAD of \(root.path)/no-such-repository.git")
        }
        kill(agent.process.processIdentifier, SIGTERM)
        let status = try await agent.exit(within: 60)
        #expect(status == 0, "\(agent.output)")
        #expect(agent.output.hasSuffix("gitops-agent: stopped\n"))
    }

    @Test func composeYourOwnShowsEachCustomPieceActing() async throws {
        let root = try TemporaryDirectory("compose-example")
        let example = try ExampleProcess("compose-your-own", ["--embedded"], in: root.path)
        defer { example.stop() }
        let status = try await example.exit(within: 180)
        let output = example.output
        #expect(status == 0, "\(output)")
        #expect(output.contains("renderer: rendered 2 objects, each labelled example.com/composed-by=compose-your-own"))
        #expect(output.contains("normalizer: left spec.replicas of Deployment hello (desired) to the autoscaler"))
        #expect(output.contains("normalizer: left spec.replicas of Deployment hello (live) to the autoscaler"))
        #expect(output.contains("health check: /ConfigMap/default/greeting is Healthy: 2 values, none empty"))
        #expect(output.contains("observer: sync Succeeded"))
        #expect(output.contains("status: Synced Healthy"))
        #expect(output.contains("/ConfigMap/default/greeting: inSync (Healthy)"))
    }
}

/// An example executable from the build directory the tests run from, its standard output and
/// error going to one file (not a pipe: a child of it would hold a pipe open).
final class ExampleProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(_ name: String, _ arguments: [String], in directory: String) throws {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(name).path),
            folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        let executable = folder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw HarnessError("the example '\(name)' is not built: run `swift build --product \(name)` first")
        }
        logPath = directory + "/\(name)-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log?.close()
    }

    /// Everything printed so far.
    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The exit status, once the process has exited; fails (and kills it) after `seconds`.
    func exit(within seconds: Double) async throws -> Int32 {
        try await eventually("\(process.executableURL?.lastPathComponent ?? "the example") exits", seconds: seconds) {
            !process.isRunning
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
