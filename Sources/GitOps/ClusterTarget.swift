import Foundation
import KubeClient

/// The cluster a command-line tool talks to, found exactly as kubectl finds it (`--kubeconfig`,
/// else the files of `KUBECONFIG` merged, else `~/.kube/config`, else the Pod's service account;
/// `--context` and `--namespace` on top), and a one-line description of it to print before
/// anything changes.
///
/// ```swift
/// let target = try ClusterTarget.resolve(kubeconfig: nil, context: "prod")
/// print("target: \(target)")    // https://prod.example:6443 (context prod, namespace default)
/// let client = KubernetesClient(configuration: target.configuration)
/// ```
public struct ClusterTarget: Sendable, CustomStringConvertible {
    /// The client configuration.
    public var configuration: ClientConfiguration
    /// The server, and the context (or the in-cluster service account) and namespace it came from.
    public var description: String

    /// Resolves the target as kubectl would with these flags.
    ///
    /// - Throws: ``ClusterTargetError`` when `kubeconfig` names no file or when there is no
    ///   kubeconfig context and no service account; `KubeError` for an invalid kubeconfig or an
    ///   unknown context (naming the file and key).
    public static func resolve(
        kubeconfig: String? = nil,
        context: String? = nil,
        namespace: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClusterTarget {
        var environment = environment
        if let kubeconfig {
            guard FileManager.default.fileExists(atPath: kubeconfig) else {
                throw ClusterTargetError(message: "--kubeconfig \(kubeconfig): no such file")
            }
            environment["KUBECONFIG"] = kubeconfig
        }
        let paths = Kubeconfig.defaultPaths(environment: environment)
        let file = try Kubeconfig.load(paths: paths)
        if file.contexts.isEmpty && context == nil {
            var config: ClientConfiguration
            do { config = try ClientConfiguration.inCluster(environment: environment) } catch {
                throw ClusterTargetError(
                    message:
                        "no cluster: no kubeconfig context in \(paths.joined(separator: ":")), and not in a Pod (\(error))"
                )
            }
            if let namespace { config.namespace = namespace }
            return ClusterTarget(
                configuration: config,
                description: "\(config.server) (in-cluster service account, namespace \(config.namespace))"
            )
        }
        let config = try file.resolve(ConfigOverrides(context: context, namespace: namespace))
        return ClusterTarget(
            configuration: config,
            description:
                "\(config.server) (context \(context ?? file.currentContext ?? ""), namespace \(config.namespace))"
        )
    }
}

/// Why ``ClusterTarget/resolve(kubeconfig:context:namespace:environment:)`` found no cluster.
public struct ClusterTargetError: Error, Sendable, CustomStringConvertible {
    /// What is missing, for a person.
    public var message: String
    /// The message.
    public var description: String { message }
}
