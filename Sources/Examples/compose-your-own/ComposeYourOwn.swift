// compose-your-own: a reconciler assembled from the SDK's protocols, with one custom piece of
// each kind, run until the cluster matches the manifests:
//
//   compose-your-own [DIR] [--embedded] [--kubeconfig PATH] [--context NAME] [--namespace NS]
//
//   source        a `ClosureSourceProvider`: a plain directory (not Git), its revision a hash of it
//   renderer      `LabellingRenderer`: the directory renderer, plus a label on every object
//   normalizer    `AutoscaledReplicas`: `spec.replicas` of Deployments belongs to an autoscaler
//   health check  `ConfigMapHealth`: a ConfigMap with an empty value is Degraded
//   observer      the reconciler's events, an `AsyncSequence`, printed as they come
//
// Each piece prints a line when it acts. Without DIR, a ConfigMap and a Deployment are written
// to a temporary directory. Without --embedded the cluster is found as kubectl finds it.
import ArgumentParser
import Diff
import EmbeddedCluster
import Foundation
import GitSource
import Health
import KubeClient
import Logging
import Manifests
import Sync
import Synchronization

// MARK: The custom pieces

/// Renders with `DirectoryRenderer`, then labels every object as composed here.
struct LabellingRenderer: ManifestRenderer {
    static let label = "example.com/composed-by"

    func render(_ input: RenderInput) async throws -> [KubeObject] {
        var objects = try await DirectoryRenderer().render(input)
        for index in objects.indices { objects[index].setLabel(Self.label, to: "compose-your-own") }
        say("renderer: rendered \(objects.count) objects, each labelled \(Self.label)=compose-your-own")
        return objects
    }
}

/// Leaves Deployments' `spec.replicas` out of the comparison, on both sides, as when an
/// autoscaler owns it.
struct AutoscaledReplicas: Normalizer {
    func applies(to key: ResourceKey) -> Bool { key.kind == "Deployment" }

    func normalize(_ object: inout KubeObject, context: NormalizationContext) throws {
        guard object["spec"]?["replicas"] != nil else { return }
        object["spec"]?["replicas"] = nil
        sayOnce("normalizer: left spec.replicas of Deployment \(context.key.name) (\(context.side)) to the autoscaler")
    }
}

/// A ConfigMap is Healthy when every value is non-empty, Degraded otherwise.
struct ConfigMapHealth: HealthCheck {
    func health(of object: KubeObject) throws -> HealthStatus? {
        let data = object["data"]?.objectValue?.entries ?? []
        let status: HealthStatus =
            if let empty = data.first(where: { $0.value.stringValue?.isEmpty ?? true }) {
                .degraded("the value of '\(empty.key)' is empty")
            } else {
                .healthy("\(data.count) values, none empty")
            }
        sayOnce("health check: \(object.key) is \(status.code.rawValue): \(status.message)")
        return status
    }
}

/// The observer: one line per event of the reconciler.
func describe(_ event: ReconcilerEvent) -> String? {
    switch event {
    case .revisionFound(let revision, _): "revision \(revision.commit.prefix(12)) found"
    case .diffComputed(let diff): "compared: \(diff.sync), \(diff.outOfSync.count) of \(diff.resourceCount) out of sync"
    case .operationStarted(let operation): "sync of \(operation.revision.commit.prefix(12)) started"
    case .resourceApplied(let r): "\(r.key) \(r.action.rawValue)"
    case .resourcePruned(let r): "\(r.key) pruned"
    case .resourceFailed(let r): "\(r.key) failed: \(r.message)"
    case .operationFinished(let result):
        "sync \(result.status.rawValue)" + (result.succeeded ? "" : ": \(result.message)")
    case .healthChanged(_, let to): "health \(to.code.rawValue)"
    case .conditionRaised(let condition): "condition \(condition)"
    default: nil
    }
}

// MARK: Putting them together

@main
struct ComposeYourOwn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose-your-own",
        abstract: "Sync a directory of manifests with a reconciler built from custom pieces, then stop."
    )

    @Argument(help: "A directory of manifests (default: a ConfigMap and a Deployment written for the run).")
    var directory: String?
    @Flag(help: "Start the embedded cluster in this process (workloads simulated) instead of using a kubeconfig.")
    var embedded = false
    @Option(help: "The kubeconfig file (default: KUBECONFIG, then ~/.kube/config).") var kubeconfig: String?
    @Option(help: "The kubeconfig context (default: its current-context).") var context: String?
    @Option(help: "The namespace of objects that name none.") var namespace = "default"
    @Option(help: "Seconds to wait for the cluster to match.") var timeout: Double = 120

    func run() async throws {
        let cluster =
            embedded ? try await EmbeddedCluster.start(.init(simulateWorkloads: true, simulationDelay: 0.5)) : nil
        let client: KubernetesClient
        if let cluster {
            say("cluster: embedded, \(cluster.url)")
            client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve())
        } else {
            let config = try Kubeconfig.load(paths: kubeconfig.map { [$0] } ?? Kubeconfig.defaultPaths())
            let resolved = try config.resolve(ConfigOverrides(context: context))
            say("cluster: \(resolved.server) (context \(context ?? config.currentContext ?? "-"))")
            client = KubernetesClient(configuration: resolved)
        }

        let manifests = try directory ?? writeExampleManifests()
        var health = HealthRegistry()
        health.register(ConfigMapHealth(), group: "", kind: "ConfigMap")
        let application = try Application(
            name: "composed",
            source: ApplicationSource(
                provider: directorySource(manifests),
                repositoryURL: "file://" + manifests,
                renderer: LabellingRenderer()
            ),
            destination: ApplicationDestination(client: client, namespace: namespace),
            syncPolicy: .automated(prune: true, selfHeal: true),
            normalizers: [AutoscaledReplicas()],
            health: health
        )
        var logger = Logger(label: "compose-your-own")
        logger.logLevel = .warning
        let reconciler = Reconciler(
            application: application,
            options: ReconcilerOptions(statePersistence: .none, logger: logger)
        )

        // Run the loop (a swift-service-lifecycle Service) until the comparison after the sync
        // says Synced, or a sync fails, or time is up; the events end when the loop stops.
        let events = reconciler.events()
        let loop = Task { try await reconciler.run() }
        let deadline = Task {
            try await Task.sleep(for: .seconds(timeout))
            say("timed out after \(Int(timeout)) s")
            loop.cancel()
        }
        for await event in events {
            if let line = describe(event) { say("observer: \(line)") }
            switch event {
            case .diffComputed(let diff) where diff.sync == .synced: loop.cancel()
            case .operationFinished(let result) where !result.succeeded: loop.cancel()
            case .operationFinished: reconciler.refresh()  // compare again after the sync
            default: break
            }
        }
        deadline.cancel()
        try await loop.value

        let status = reconciler.status
        say("status: \(status.sync) \(status.health.code.rawValue)")
        for resource in status.resources { say("  \(resource)") }
        try await cluster?.shutdown()
        if status.sync != .synced || status.health.code != .healthy { throw ExitCode(1) }
    }
}

// MARK: Helpers

/// A source that is a plain directory: its one revision is a hash of its files.
func directorySource(_ directory: String) -> ClosureSourceProvider {
    ClosureSourceProvider(
        resolve: { _ in Revision(commit: try contentHash(directory), reference: "directory") },
        materialize: { revision, _ in Checkout(revision: revision, directory: URL(fileURLWithPath: directory)) }
    )
}

/// FNV-1a over the directory's file names and contents, as 16 hex digits.
func contentHash(_ directory: String) throws -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for name in try FileManager.default.subpathsOfDirectory(atPath: directory).sorted() {
        let bytes = Array(name.utf8) + Array(FileManager.default.contents(atPath: directory + "/" + name) ?? Data())
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
    return String(hash, radix: 16)
}

func writeExampleManifests() throws -> String {
    let directory = NSTemporaryDirectory() + "compose-your-own-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: greeting
    data:
      message: hello
      audience: world
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: hello
    spec:
      replicas: 2
      selector:
        matchLabels: {app: hello}
      template:
        metadata:
          labels: {app: hello}
        spec:
          containers:
          - name: web
            image: nginx:1.27

    """.write(toFile: directory + "/app.yaml", atomically: true, encoding: .utf8)
    return directory
}

/// Writes a line to standard output at once (unbuffered, also into a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

private let said = Mutex<Set<String>>([])

/// `say`, once per distinct line: checks and normalizers run at every comparison.
func sayOnce(_ line: String) {
    if said.withLock({ $0.insert(line).inserted }) { say(line) }
}
