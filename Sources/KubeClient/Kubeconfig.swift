import Foundation
import Manifests

/// A kubeconfig file (or several merged), as kubectl reads it.
///
/// ```swift
/// let config = try Kubeconfig.load(paths: ["/home/me/.kube/config"])
/// let resolved = try config.resolve(ConfigOverrides(context: "staging"))
/// ```
public struct Kubeconfig: Sendable {
    /// A `clusters[].cluster` entry.
    public struct Cluster: Sendable, Hashable {
        /// `server`, such as `https://10.0.0.1:6443`.
        public var server: String
        /// `certificate-authority-data` (decoded), or the contents of `certificate-authority`.
        public var certificateAuthorityData: [UInt8]?
        /// `certificate-authority`, resolved against the file's directory.
        public var certificateAuthority: String?
        /// `insecure-skip-tls-verify`.
        public var insecureSkipTLSVerify: Bool
        /// `tls-server-name`.
        public var tlsServerName: String?
        /// `proxy-url`.
        public var proxyURL: String?
        /// The file this entry came from.
        public var source: String
    }

    /// A `users[].user` entry.
    public struct User: Sendable, Hashable {
        /// `token`.
        public var token: String?
        /// `tokenFile`, resolved against the file's directory.
        public var tokenFile: String?
        /// `username` (basic auth).
        public var username: String?
        /// `password` (basic auth).
        public var password: String?
        /// `client-certificate-data` (decoded).
        public var clientCertificateData: [UInt8]?
        /// `client-certificate`, resolved against the file's directory.
        public var clientCertificate: String?
        /// `client-key-data` (decoded).
        public var clientKeyData: [UInt8]?
        /// `client-key`, resolved against the file's directory.
        public var clientKey: String?
        /// `exec`.
        public var exec: ExecConfig?
        /// The file this entry came from.
        public var source: String
    }

    /// A `contexts[].context` entry.
    public struct Context: Sendable, Hashable {
        /// `cluster`.
        public var cluster: String
        /// `user`.
        public var user: String
        /// `namespace`.
        public var namespace: String?
    }

    /// Clusters by name.
    public var clusters: [String: Cluster] = [:]
    /// Users by name.
    public var users: [String: User] = [:]
    /// Contexts by name.
    public var contexts: [String: Context] = [:]
    /// `current-context`.
    public var currentContext: String?
    /// The files read, in order.
    public var sources: [String] = []

    /// An empty kubeconfig.
    public init() {}

    /// Reads one kubeconfig from YAML text; relative paths resolve against `directory`.
    ///
    /// - Throws: ``KubeError`` (configuration) naming `source` and the key that is wrong.
    public init(yaml: String, source: String = "<kubeconfig>", directory: String? = nil) throws {
        let value: Value
        do { value = try Value(yaml: yaml, source: source) } catch {
            throw KubeError.configuration("not valid YAML: \(error)", file: source, key: nil)
        }
        if value.isNull {
            sources = [source]
            return
        }
        guard value.objectValue != nil else {
            throw KubeError.configuration(
                "a kubeconfig must be a mapping, not \(value.kindName)",
                file: source,
                key: nil
            )
        }
        sources = [source]
        let dir = directory ?? (source.hasPrefix("<") ? nil : directoryOf(source))
        func path(_ p: String?) -> String? {
            guard let p, !p.isEmpty else { return nil }
            if p.hasPrefix("/") || dir == nil { return p }
            if p.hasPrefix("~/") { return NSHomeDirectory() + String(p.dropFirst(1)) }
            return dir! + "/" + p
        }
        func entries(_ key: String, _ inner: String) throws -> [(String, Value, String)] {
            guard let list = value[key], !list.isNull else { return [] }
            guard let items = list.arrayValue else {
                throw KubeError.configuration("\(key) must be a list", file: source, key: key)
            }
            return try items.enumerated().map { i, item in
                guard let name = item["name"]?.stringValue else {
                    throw KubeError.configuration("entry without a name", file: source, key: "\(key)[\(i)].name")
                }
                return (name, item[inner] ?? .object(ObjectValue()), "\(key)[\(i)].\(inner)")
            }
        }
        func string(_ v: Value, _ k: String, _ at: String) throws -> String? {
            guard let x = v[k], !x.isNull else { return nil }
            guard let s = x.stringValue else {
                throw KubeError.configuration("must be a string, not \(x.kindName)", file: source, key: "\(at).\(k)")
            }
            return s
        }
        func base64(_ v: Value, _ k: String, _ at: String) throws -> [UInt8]? {
            guard let s = try string(v, k, at) else { return nil }
            guard let d = Data(base64Encoded: s.filter { !$0.isWhitespace }) else {
                throw KubeError.configuration("is not valid base64", file: source, key: "\(at).\(k)")
            }
            return Array(d)
        }
        for (name, c, at) in try entries("clusters", "cluster") where clusters[name] == nil {
            guard let server = try string(c, "server", at) else {
                throw KubeError.configuration("cluster \(name) has no server", file: source, key: "\(at).server")
            }
            clusters[name] = Cluster(
                server: server,
                certificateAuthorityData: try base64(c, "certificate-authority-data", at),
                certificateAuthority: path(try string(c, "certificate-authority", at)),
                insecureSkipTLSVerify: c["insecure-skip-tls-verify"]?.boolValue ?? false,
                tlsServerName: try string(c, "tls-server-name", at),
                proxyURL: try string(c, "proxy-url", at),
                source: source
            )
        }
        for (name, u, at) in try entries("users", "user") where users[name] == nil {
            var exec: ExecConfig?
            if let e = u["exec"], !e.isNull { exec = try ExecConfig(e, source: source, key: "\(at).exec") }
            users[name] = User(
                token: try string(u, "token", at),
                tokenFile: path(try string(u, "tokenFile", at)),
                username: try string(u, "username", at),
                password: try string(u, "password", at),
                clientCertificateData: try base64(u, "client-certificate-data", at),
                clientCertificate: path(try string(u, "client-certificate", at)),
                clientKeyData: try base64(u, "client-key-data", at),
                clientKey: path(try string(u, "client-key", at)),
                exec: exec,
                source: source
            )
        }
        for (name, c, at) in try entries("contexts", "context") where contexts[name] == nil {
            contexts[name] = Context(
                cluster: try string(c, "cluster", at) ?? "",
                user: try string(c, "user", at) ?? "",
                namespace: try string(c, "namespace", at)
            )
        }
        if let cc = try string(value, "current-context", ""), !cc.isEmpty { currentContext = cc }
    }

    /// Reads and merges kubeconfig files the way kubectl merges `KUBECONFIG`: the first file to
    /// define a cluster, user or context by name wins, and the first non-empty `current-context`
    /// wins. Missing files are skipped; an empty list gives an empty config.
    ///
    /// - Throws: ``KubeError`` (configuration) for an unreadable or invalid file.
    public static func load(paths: [String]) throws -> Kubeconfig {
        var merged = Kubeconfig()
        for p in paths where !p.isEmpty {
            guard FileManager.default.fileExists(atPath: p) else { continue }
            guard let data = FileManager.default.contents(atPath: p) else {
                throw KubeError.configuration("cannot read the file", file: p, key: nil)
            }
            let one = try Kubeconfig(yaml: String(decoding: data, as: UTF8.self), source: p)
            merged.merge(one)
        }
        return merged
    }

    /// Adds the entries of `other` that this config does not define yet.
    public mutating func merge(_ other: Kubeconfig) {
        for (k, v) in other.clusters where clusters[k] == nil { clusters[k] = v }
        for (k, v) in other.users where users[k] == nil { users[k] = v }
        for (k, v) in other.contexts where contexts[k] == nil { contexts[k] = v }
        if currentContext == nil { currentContext = other.currentContext }
        sources += other.sources
    }

    /// The files kubectl would read: each entry of `KUBECONFIG` (colon-separated), or `~/.kube/config`.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let k = environment["KUBECONFIG"], !k.isEmpty {
            return k.split(separator: ":").map(String.init)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return [home + "/.kube/config"]
    }

    /// Picks the context (overrides first, then `current-context`) and turns it into a
    /// ``ClientConfiguration``, reading certificate and key files.
    ///
    /// - Throws: ``KubeError`` (configuration) naming the file and key when a context, cluster or
    ///   user is missing or a referenced file cannot be read.
    public func resolve(_ overrides: ConfigOverrides = ConfigOverrides()) throws -> ClientConfiguration {
        let file = sources.first
        guard let contextName = overrides.context ?? currentContext else {
            throw KubeError.configuration(
                "no current-context is set and no context was chosen",
                file: file,
                key: "current-context"
            )
        }
        guard let context = contexts[contextName] else {
            throw KubeError.configuration("context \"\(contextName)\" is not defined", file: file, key: "contexts")
        }
        let clusterName = overrides.cluster ?? context.cluster
        guard let cluster = clusters[clusterName] else {
            throw KubeError.configuration(
                "context \"\(contextName)\" names cluster \"\(clusterName)\", which is not defined",
                file: file,
                key: "contexts[\(contextName)].context.cluster"
            )
        }
        let userName = overrides.user ?? context.user
        let user = users[userName]
        if user == nil, !userName.isEmpty {
            throw KubeError.configuration(
                "context \"\(contextName)\" names user \"\(userName)\", which is not defined",
                file: file,
                key: "contexts[\(contextName)].context.user"
            )
        }
        func read(_ p: String?, _ src: String, _ key: String) throws -> [UInt8]? {
            guard let p else { return nil }
            guard let d = FileManager.default.contents(atPath: p) else {
                throw KubeError.configuration("cannot read \(p)", file: src, key: key)
            }
            return Array(d)
        }
        var tls = TLSOptions(
            certificateAuthority: try cluster.certificateAuthorityData
                ?? read(
                    cluster.certificateAuthority,
                    cluster.source,
                    "clusters[\(clusterName)].cluster.certificate-authority"
                ),
            serverName: cluster.tlsServerName,
            insecureSkipVerify: cluster.insecureSkipTLSVerify
        )
        var auth = ClientConfiguration.Auth.none
        if let u = user {
            tls.clientCertificate =
                try u.clientCertificateData
                ?? read(u.clientCertificate, u.source, "users[\(userName)].user.client-certificate")
            tls.clientKey = try u.clientKeyData ?? read(u.clientKey, u.source, "users[\(userName)].user.client-key")
            if (tls.clientCertificate == nil) != (tls.clientKey == nil) {
                throw KubeError.configuration(
                    "a client certificate needs both a certificate and a key",
                    file: u.source,
                    key: "users[\(userName)].user.client-key"
                )
            }
            if let t = u.token, !t.isEmpty {
                auth = .token(t)
            } else if let f = u.tokenFile {
                auth = .tokenFile(f)
            } else if let name = u.username, let pw = u.password {
                auth = .basic(username: name, password: pw)
            } else if let e = u.exec {
                auth = .exec(e)
            }
        }
        var c = ClientConfiguration(server: overrides.server ?? cluster.server, tls: tls, auth: auth)
        c.namespace = overrides.namespace ?? context.namespace ?? "default"
        c.proxyURL = cluster.proxyURL
        return c
    }
}

/// Choices made in code that win over the kubeconfig (kubectl's `--context`, `--namespace`...).
public struct ConfigOverrides: Sendable, Hashable {
    /// The context to use instead of `current-context`.
    public var context: String?
    /// The default namespace.
    public var namespace: String?
    /// The cluster to use instead of the context's.
    public var cluster: String?
    /// The user to use instead of the context's.
    public var user: String?
    /// The server URL to use instead of the cluster's.
    public var server: String?

    /// Overrides; nil fields keep the kubeconfig's choice.
    public init(
        context: String? = nil,
        namespace: String? = nil,
        cluster: String? = nil,
        user: String? = nil,
        server: String? = nil
    ) {
        self.context = context
        self.namespace = namespace
        self.cluster = cluster
        self.user = user
        self.server = server
    }
}

/// Everything the client needs to reach one cluster as one user.
public struct ClientConfiguration: Sendable {
    /// How requests authenticate (besides a TLS client certificate).
    public enum Auth: Sendable, Hashable {
        /// No credentials.
        case none
        /// `Authorization: Bearer <token>`.
        case token(String)
        /// A bearer token read from a file, re-read when the file changes (projected tokens rotate).
        case tokenFile(String)
        /// `Authorization: Basic`.
        case basic(username: String, password: String)
        /// An exec credential plugin.
        case exec(ExecConfig)
    }

    /// The API server's base URL.
    public var server: String
    /// TLS settings, including a client certificate.
    public var tls: TLSOptions
    /// Request authentication.
    public var auth: Auth
    /// The default namespace.
    public var namespace: String = "default"
    /// `proxy-url`.
    public var proxyURL: String?
    /// Requests per second the client allows itself (kubectl's default is 5; client-go's 5; 0 is unlimited).
    public var qps: Double = 50
    /// Requests that may go at once above `qps`.
    public var burst: Int = 100
    /// Seconds a request (not a watch) may take.
    public var timeout: Double = 60
    /// How failed idempotent requests are retried.
    public var retry: RetryPolicy = RetryPolicy()
    /// The `User-Agent` header.
    public var userAgent: String = "swift-gitops/0.1"

    /// A configuration for a server.
    public init(server: String, tls: TLSOptions = TLSOptions(), auth: Auth = .none) {
        self.server = server
        self.tls = tls
        self.auth = auth
    }

    /// The configuration a Pod gets from its service account: `KUBERNETES_SERVICE_HOST`/`PORT`,
    /// the token, CA and namespace under `/var/run/secrets/kubernetes.io/serviceaccount`.
    ///
    /// - Throws: ``KubeError`` (configuration) when not running in a cluster.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"],
            !host.isEmpty, !port.isEmpty
        else {
            throw KubeError.configuration(
                "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
                file: nil,
                key: nil
            )
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.fileExists(atPath: tokenPath) else {
            throw KubeError.configuration("no service account token", file: tokenPath, key: nil)
        }
        let h = host.contains(":") ? "[\(host)]" : host
        var c = ClientConfiguration(
            server: "https://\(h):\(port)",
            tls: TLSOptions(
                certificateAuthority: FileManager.default.contents(atPath: directory + "/ca.crt").map { Array($0) }
            ),
            auth: .tokenFile(tokenPath)
        )
        if let ns = FileManager.default.contents(atPath: directory + "/namespace") {
            c.namespace = String(decoding: ns, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return c
    }

    /// Resolves like kubectl: the `KUBECONFIG` files (or `~/.kube/config`) when they define a
    /// context, otherwise the in-cluster configuration.
    ///
    /// - Throws: ``KubeError`` (configuration) when neither is usable.
    public static func load(
        _ overrides: ConfigOverrides = ConfigOverrides(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClientConfiguration {
        let config = try Kubeconfig.load(paths: Kubeconfig.defaultPaths(environment: environment))
        if !config.contexts.isEmpty || overrides.context != nil { return try config.resolve(overrides) }
        var c = try inCluster(environment: environment)
        if let ns = overrides.namespace { c.namespace = ns }
        return c
    }
}

/// The directory part of a path: `"."` when it has none.
func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}
