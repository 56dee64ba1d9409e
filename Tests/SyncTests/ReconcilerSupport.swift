import EmbeddedCluster
import Foundation
import GitSource
import GitTestSupport
import KubeClient
import Logging
import Manifests
import Sync
import Testing

// `configMapKind` and `deploymentKind` are declared in SyncExecutorTests.swift.

/// Everything an end-to-end reconciler test needs, all real: a Git repository served by
/// `git daemon` on 127.0.0.1, an embedded cluster on 127.0.0.1 and a client of it.
final class LoopFixture: @unchecked Sendable {
    let root: TemporaryDirectory
    let repo: FixtureRepository
    let daemon: GitDaemon
    let cluster: EmbeddedCluster
    let client: KubernetesClient
    let cache: GitCache

    private init(
        root: TemporaryDirectory,
        repo: FixtureRepository,
        daemon: GitDaemon,
        cluster: EmbeddedCluster,
        client: KubernetesClient,
        cache: GitCache
    ) {
        self.root = root
        self.repo = repo
        self.daemon = daemon
        self.cluster = cluster
        self.client = client
        self.cache = cache
    }

    /// Starts the servers with a repository whose first commit holds `files`.
    static func start(files: [String: String], simulationDelay: Double = 0.3) async throws -> LoopFixture {
        let root = try TemporaryDirectory("synctests")
        let repo = try FixtureRepository(root: root.path, name: "apps", files: files)
        let daemon = try GitDaemon(root: root.path)
        let cluster = try await EmbeddedCluster.start(
            .init(simulateWorkloads: true, simulationDelay: simulationDelay, threads: 1)
        )
        do {
            var config = try Kubeconfig(yaml: cluster.kubeconfig).resolve()
            config.retry = RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxDelay: 0.2)
            let client = KubernetesClient(configuration: config)
            let cache = try GitCache(directory: root.url.appendingPathComponent("cache"))
            return LoopFixture(root: root, repo: repo, daemon: daemon, cluster: cluster, client: client, cache: cache)
        } catch {
            try? await cluster.shutdown()
            daemon.stop()
            throw error
        }
    }

    /// An application following `main` at `path` of the fixture repository.
    func application(
        name: String = "shop",
        path: String = "deploy",
        policy: SyncPolicy = .automated(prune: true, selfHeal: true),
        url: String? = nil
    ) throws -> Application {
        var options = SyncOptions(app: name, fieldManager: "gitops-tests")
        options.healthTimeout = .seconds(60)
        options.healthPollInterval = .milliseconds(100)
        return try Application(
            name: name,
            source: .git(url: url ?? daemon.url("apps"), reference: .branch("main"), path: path, cache: cache),
            destination: ApplicationDestination(client: client, namespace: "default"),
            syncPolicy: policy,
            retry: SyncRetryPolicy(
                limit: 2,
                backoff: Backoff(initial: .milliseconds(200), factor: 2, maximum: .seconds(1))
            ),
            syncOptions: options
        )
    }

    /// Fast loop options; the state in a file under the fixture's directory.
    func options(stateFile: String = "state.json") -> ReconcilerOptions {
        var logger = Logger(label: "synctests")
        logger.logLevel = .notice
        return ReconcilerOptions(
            pollInterval: .milliseconds(300),
            watchRetryDelay: .milliseconds(100),
            selfHealBackoff: Backoff(initial: .milliseconds(100), factor: 3, maximum: .seconds(1)),
            statePersistence: .file(path: root.path + "/" + stateFile),
            logger: logger
        )
    }

    /// The ConfigMap `name` in `default`, or nil when it does not exist.
    func configMap(_ name: String) async throws -> KubeObject? {
        do { return try await client.get(configMapKind, name: name, namespace: "default") } catch let e as KubeError
            where e.isNotFound
        { return nil }
    }

    func shutdown() async {
        try? await cluster.shutdown()
        daemon.stop()
    }
}

struct Timeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 100 ms until it holds; fails with `what` after `seconds`.
func eventually(
    _ what: String,
    seconds: Double = 60,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw Timeout(description: "timed out after \(Int(seconds)) s waiting until \(what)")
}

/// Collects a reconciler's events in the background.
final class ReconcilerEventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ReconcilerEvent] = []
    private var task: Task<Void, Never>?

    init(_ reconciler: Reconciler) {
        let events = reconciler.events()
        task = Task { [weak self] in
            for await event in events { self?.append(event) }
        }
    }

    private func append(_ event: ReconcilerEvent) {
        lock.lock()
        items.append(event)
        lock.unlock()
    }

    var all: [ReconcilerEvent] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    func stop() { task?.cancel() }
}

func configMapYAML(_ name: String, _ data: [String: String], annotations: [String: String] = [:]) -> String {
    var text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n"
    if !annotations.isEmpty {
        text += "  annotations:\n"
        for (k, v) in annotations.sorted(by: { $0.key < $1.key }) { text += "    \(k): \"\(v)\"\n" }
    }
    text += "data:\n"
    for (k, v) in data.sorted(by: { $0.key < $1.key }) { text += "  \(k): \"\(v)\"\n" }
    return text
}

func loopDeploymentYAML(
    _ name: String,
    replicas: Int = 1,
    image: String = "nginx:1.27",
    annotations: [String: String] = [:]
)
    -> String
{
    var text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \(name)\n"
    if !annotations.isEmpty {
        text += "  annotations:\n"
        for (k, v) in annotations.sorted(by: { $0.key < $1.key }) { text += "    \(k): \"\(v)\"\n" }
    }
    text += """
        spec:
          replicas: \(replicas)
          selector:
            matchLabels:
              app: \(name)
          template:
            metadata:
              labels:
                app: \(name)
            spec:
              containers:
              - name: main
                image: \(image)

        """
    return text
}
