import Foundation
import Manifests
import NIOCore
import NIOHTTP1
import NIOPosix

/// An in-process Kubernetes API server on loopback HTTP, for tests and demos.
///
/// It speaks the real API's wire format (discovery, CRUD, list with selectors and pagination,
/// watch, patches, server-side apply with managedFields, errors as `Status`) closely enough for
/// the real `kubectl` to use it. State lives in memory.
///
/// ```swift
/// let cluster = try await EmbeddedCluster.start(.init(kubeconfigPath: "/tmp/kubeconfig"))
/// defer { Task { try await cluster.shutdown() } }
/// print(cluster.url)  // http://127.0.0.1:41234
/// ```
public final class EmbeddedCluster: Sendable {
    /// How to start the cluster.
    public struct Options: Sendable {
        /// The address to listen on; loopback by default.
        public var host: String
        /// The port; 0 picks a free one.
        public var port: Int
        /// Where to write a kubeconfig for this cluster, if anywhere.
        public var kubeconfigPath: String?
        /// Whether Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs get the status their
        /// controllers would write once ready (or failed, with the annotation
        /// `embedded-cluster.gitops.dev/simulate: fail`).
        public var simulateWorkloads: Bool
        /// Seconds before a simulated workload reports its status.
        public var simulationDelay: Double
        /// A directory of YAML or JSON manifests created at start (Namespaces and CRDs first).
        public var initialObjectsDirectory: String?
        /// Event loop threads; defaults to the number of cores.
        public var threads: Int
        /// Bytes a watch may have queued and unread before the server drops it (32 MiB by default),
        /// so a watcher that stops reading cannot hold the server's memory.
        public var maxWatchBacklogBytes: Int
        /// Seconds between the BOOKMARK events of watches that allow them (the real watch cache
        /// sends one about every minute, and one shortly before `timeoutSeconds`).
        public var bookmarkInterval: Double

        /// Options with the defaults: loopback, a free port, no simulation.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            kubeconfigPath: String? = nil,
            simulateWorkloads: Bool = false,
            simulationDelay: Double = 1.0,
            initialObjectsDirectory: String? = nil,
            threads: Int = System.coreCount,
            maxWatchBacklogBytes: Int = 32 << 20,
            bookmarkInterval: Double = 60
        ) {
            self.bookmarkInterval = bookmarkInterval
            self.maxWatchBacklogBytes = maxWatchBacklogBytes
            self.host = host
            self.port = port
            self.kubeconfigPath = kubeconfigPath
            self.simulateWorkloads = simulateWorkloads
            self.simulationDelay = simulationDelay
            self.initialObjectsDirectory = initialObjectsDirectory
            self.threads = threads
        }
    }

    /// The server's base URL, such as `http://127.0.0.1:41234`.
    public let url: String
    /// The port it listens on.
    public let port: Int
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let server: APIServer

    private init(url: String, port: Int, group: MultiThreadedEventLoopGroup, channel: Channel, server: APIServer) {
        self.url = url
        self.port = port
        self.group = group
        self.channel = channel
        self.server = server
    }

    /// Starts a cluster.
    ///
    /// - Throws: when the port cannot be bound, the kubeconfig cannot be written, or an initial
    ///   manifest is unreadable or rejected by the server.
    public static func start(_ options: Options = Options()) async throws -> EmbeddedCluster {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        let timerLoop = group.next()
        let server = APIServer(options: options) { delay, work in
            timerLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) { work() }
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(server: server))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: options.host, port: options.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? options.port
        let cluster = EmbeddedCluster(
            url: "http://\(options.host):\(port)",
            port: port,
            group: group,
            channel: channel,
            server: server
        )
        do {
            if let path = options.kubeconfigPath { try cluster.writeKubeconfig(to: path) }
            if let dir = options.initialObjectsDirectory { try cluster.load(directory: dir) }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// A kubeconfig (YAML) whose current context points at this cluster, namespace `default`.
    public var kubeconfig: String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: embedded
          cluster:
            server: \(url)
        contexts:
        - name: embedded
          context:
            cluster: embedded
            user: embedded
            namespace: default
        current-context: embedded
        users:
        - name: embedded
          user: {}

        """
    }

    /// How many watch streams are open right now; a test can wait for its client to be watching.
    public var activeWatchCount: Int { server.state.withLock { $0.watchers.count } }

    /// Writes ``kubeconfig`` to a file.
    ///
    /// - Throws: a file system error when the file cannot be written.
    public func writeKubeconfig(to path: String) throws {
        try kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Stops listening, ends every watch and frees the threads.
    public func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    /// Creates an object as a client would (POST), and returns the stored object.
    ///
    /// - Throws: ``EmbeddedClusterError`` with the server's `Status` message when it is rejected.
    @discardableResult
    public func create(_ object: KubeObject) throws -> KubeObject {
        guard let apiVersion = object.apiVersion, let kind = object.kind,
            let t = server.state.withLock({ $0.registry.type(apiVersion: apiVersion, kind: kind) })
        else {
            throw EmbeddedClusterError(
                message: "no resource is served for \(object.apiVersion ?? "?") \(object.kind ?? "?")"
            )
        }
        var path = t.group.isEmpty ? "/api/v1" : "/apis/\(t.group)/\(t.version)"
        if t.namespaced { path += "/namespaces/\(object.namespace ?? "default")" }
        path += "/" + t.resource
        let request = APIRequest(
            method: "POST",
            path: path,
            query: ["fieldManager": "embedded-cluster"],
            headers: [("content-type", "application/json"), ("user-agent", "embedded-cluster")],
            body: (try? object.value.jsonBytes()) ?? []
        )
        guard case .full(let status, _, let body) = server.handle(request) else {
            throw EmbeddedClusterError(message: "unexpected answer")
        }
        let value = try Value(json: body)
        guard status < 300 else {
            throw EmbeddedClusterError(message: value["message"]?.stringValue ?? "status \(status)")
        }
        return try KubeObject(value)
    }

    private func load(directory: String) throws {
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(atPath: directory) else {
            throw EmbeddedClusterError(message: "cannot read directory \(directory)")
        }
        var objects: [KubeObject] = []
        for case let file as String in enumerator
        where file.hasSuffix(".yaml") || file.hasSuffix(".yml") || file.hasSuffix(".json") {
            let full = directory + "/" + file
            guard let data = fm.contents(atPath: full) else { continue }
            for doc in try YAML.documents(Array(data), source: full) where !doc.value.isNull {
                objects.append(try KubeObject(doc.value))
            }
        }
        func rank(_ o: KubeObject) -> Int {
            switch o.kind {
            case "Namespace": return 0
            case "CustomResourceDefinition": return 1
            default: return 2
            }
        }
        for o in objects.sorted(by: { rank($0) < rank($1) }) { try create(o) }
    }
}

/// An error from starting or driving an ``EmbeddedCluster``.
public struct EmbeddedClusterError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
