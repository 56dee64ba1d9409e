// gitops-agent: a continuous reconciler, as a small deployment controller would run one.
//
//   gitops-agent --config agent.yaml [--verbose]
//
// Each application of the file (see AgentConfig.swift) gets a `Reconciler`; the reconcilers run
// as swift-service-lifecycle services in one `ServiceGroup`, which stops them gracefully on
// SIGTERM or SIGINT (an operation in flight is cancelled and resumed at the next start). Each
// application's status line is printed whenever it changes:
//
//   guestbook: Synced Healthy revision 3f2a9c1 (refs/heads/main), last operation Succeeded 3f2a9c1
import ArgumentParser
import Foundation
import GitSource
import KubeClient
import Logging
import ServiceLifecycle
import Sync

@main
struct GitOpsAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-agent",
        abstract: "Keep the applications of a configuration file synced; stop with SIGTERM or SIGINT."
    )

    @Option(
        name: .long,
        help: "The configuration file (YAML): the applications, their sources, destinations and policies."
    )
    var config: String

    @Flag(name: .long, help: "Log what the reconcilers do (to standard error).")
    var verbose = false

    func run() async throws {
        let file = try AgentConfig(file: config)
        var logger = Logger(label: "gitops-agent")
        logger.logLevel = verbose ? .info : .warning

        let cacheDirectory = file.cacheDirectory ?? NSTemporaryDirectory() + "gitops-agent-cache"
        let cache = try GitCache(directory: URL(fileURLWithPath: cacheDirectory))
        let reconcilers = try file.applications.map { app in
            var options = ReconcilerOptions(pollInterval: app.pollInterval, logger: logger)
            options.statePersistence = .configMap()  // the operation in flight survives a restart
            return Reconciler(application: try application(app, cache: cache), options: options)
        }

        // Subscribe before the loops start, so that no change is missed.
        let printers = reconcilers.map { reconciler in
            let events = reconciler.events()
            return Task {
                var last = ""
                for await _ in events {
                    let line = statusLine(reconciler.application.name, reconciler.status)
                    if line != last {
                        say(line)
                        last = line
                    }
                }
            }
        }
        let group = ServiceGroup(services: reconcilers, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        for printer in printers { await printer.value }  // the event sequences end with the loops
        say("gitops-agent: stopped")
    }

    /// The SDK's `Application` for one entry of the file; the cluster is found as kubectl finds it.
    func application(_ app: AppConfig, cache: GitCache) throws -> Application {
        do {
            if let path = app.kubeconfig, !FileManager.default.fileExists(atPath: path) {
                throw ConfigError(description: "the kubeconfig file \(path) does not exist")
            }
            let kubeconfig = try Kubeconfig.load(paths: app.kubeconfig.map { [$0] } ?? Kubeconfig.defaultPaths())
            let client = KubernetesClient(configuration: try kubeconfig.resolve(ConfigOverrides(context: app.context)))
            return try Application(
                name: app.name,
                source: .git(url: app.repoURL, reference: .named(app.targetRevision), path: app.path, cache: cache),
                destination: ApplicationDestination(client: client, namespace: app.namespace),
                syncPolicy: SyncPolicy(
                    mode: app.automated ? .automated : .manual,
                    prune: app.prune,
                    selfHeal: app.selfHeal
                )
            )
        } catch {
            throw ConfigError(description: "\(config): application '\(app.name)': \(error)")
        }
    }
}

/// `name: Synced Healthy revision abc1234 (refs/heads/main), last operation Succeeded abc1234`,
/// then the operation running and any condition.
func statusLine(_ name: String, _ status: ApplicationStatus) -> String {
    var line = "\(name): \(status.sync) \(status.health.code.rawValue)"
    if let revision = status.revision {
        line += " revision \(revision.commit.prefix(7))" + (revision.reference.map { " (\($0))" } ?? "")
    }
    if let operation = status.operationInProgress {
        line += ", syncing \(operation.revision.commit.prefix(7))"
    } else if let last = status.lastOperation {
        line += ", last operation \(last.status.rawValue) \(last.revision.prefix(7))"
        if !last.succeeded { line += ": \(last.message)" }
    } else {
        line += ", no operation yet"
    }
    for condition in status.conditions { line += "; \(condition)" }
    return line
}

/// Writes a line to standard output at once (unbuffered, also into a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
