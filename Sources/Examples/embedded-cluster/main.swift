import ArgumentParser
import EmbeddedCluster
import Foundation

/// Runs an embedded Kubernetes API server until SIGINT or SIGTERM.
@main
struct EmbeddedClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedded-cluster",
        abstract: "An in-process Kubernetes API server on loopback, for kubectl and tests."
    )

    @Option(help: "Port to listen on (0 picks a free one).") var port = 0
    @Option(help: "Where to write a kubeconfig for kubectl.") var kubeconfig: String?
    @Flag(help: "Give workloads the status their controllers would write once ready.") var simulateWorkloads = false
    @Option(help: "A directory of manifests to create at start.") var load: String?

    func run() async throws {
        let cluster = try await EmbeddedCluster.start(
            .init(
                port: port,
                kubeconfigPath: kubeconfig,
                simulateWorkloads: simulateWorkloads,
                initialObjectsDirectory: load
            )
        )
        print("embedded cluster listening on \(cluster.url)")
        if let kubeconfig {
            print("kubeconfig written to \(kubeconfig); try: kubectl --kubeconfig \(kubeconfig) get ns")
        }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let stream = AsyncStream<Int32> { continuation in
            for sig in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
                source.setEventHandler { continuation.yield(sig) }
                source.resume()
                nonisolated(unsafe) let keep = source
                continuation.onTermination = { _ in keep.cancel() }
            }
        }
        for await _ in stream { break }
        try await cluster.shutdown()
        print("stopped")
    }
}
