import Foundation
import Manifests
import Synchronization

/// A kubeconfig `users[].user.exec` entry: a credential plugin (cloud CLIs such as
/// `aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`).
public struct ExecConfig: Sendable, Hashable {
    /// `client.authentication.k8s.io/v1` or `v1beta1`.
    public var apiVersion: String
    /// The program.
    public var command: String
    /// Its arguments.
    public var args: [String]
    /// Extra environment variables, in order.
    public var env: [EnvVar]
    /// Whether `KUBERNETES_EXEC_INFO` carries the cluster (`provideClusterInfo`).
    public var provideClusterInfo: Bool
    /// `installHint`, shown when the program cannot be run.
    public var installHint: String?

    /// One `env` entry.
    public struct EnvVar: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value.
        public var value: String
    }

    /// An exec configuration.
    public init(
        apiVersion: String = "client.authentication.k8s.io/v1",
        command: String,
        args: [String] = [],
        env: [EnvVar] = [],
        provideClusterInfo: Bool = false,
        installHint: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.provideClusterInfo = provideClusterInfo
        self.installHint = installHint
    }

    init(_ v: Value, source: String, key: String) throws {
        guard let command = v["command"]?.stringValue, !command.isEmpty else {
            throw KubeError.configuration("exec needs a command", file: source, key: key + ".command")
        }
        let api = v["apiVersion"]?.stringValue ?? ""
        guard api == "client.authentication.k8s.io/v1" || api == "client.authentication.k8s.io/v1beta1" else {
            throw KubeError.configuration(
                "exec apiVersion must be client.authentication.k8s.io/v1 or v1beta1, not \"\(api)\"",
                file: source,
                key: key + ".apiVersion"
            )
        }
        self.apiVersion = api
        self.command = command
        self.args = (v["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.env = try (v["env"]?.arrayValue ?? []).enumerated().map { i, e in
            guard let n = e["name"]?.stringValue, let val = e["value"]?.stringValue else {
                throw KubeError.configuration(
                    "env entries need a name and a value",
                    file: source,
                    key: "\(key).env[\(i)]"
                )
            }
            return EnvVar(name: n, value: val)
        }
        self.provideClusterInfo = v["provideClusterInfo"]?.boolValue ?? false
        self.installHint = v["installHint"]?.stringValue
    }
}

/// The `status` of an `ExecCredential` a plugin printed.
public struct ExecCredential: Sendable, Hashable {
    /// A bearer token.
    public var token: String?
    /// PEM client certificate.
    public var clientCertificateData: String?
    /// PEM client key.
    public var clientKeyData: String?
    /// When the credential expires; nil means it does not.
    public var expiration: Date?

    /// Reads an `ExecCredential` from a plugin's output.
    ///
    /// - Throws: ``KubeError`` (authentication) when the output is not an ExecCredential with a
    ///   token or a certificate and key.
    public init(json: [UInt8], command: String) throws {
        let v: Value
        do { v = try Value(json: json, source: command) } catch {
            throw KubeError(.authentication, "exec plugin \(command) printed something that is not JSON: \(error)")
        }
        guard v["kind"]?.stringValue == "ExecCredential", let status = v["status"] else {
            throw KubeError(.authentication, "exec plugin \(command) did not print an ExecCredential with a status")
        }
        token = status["token"]?.stringValue
        clientCertificateData = status["clientCertificateData"]?.stringValue
        clientKeyData = status["clientKeyData"]?.stringValue
        if let e = status["expirationTimestamp"]?.stringValue {
            guard let d = parseRFC3339(e) else {
                throw KubeError(
                    .authentication,
                    "exec plugin \(command) printed an expirationTimestamp that is not RFC 3339: \(e)"
                )
            }
            expiration = d
        }
        if token == nil, clientCertificateData == nil || clientKeyData == nil {
            throw KubeError(
                .authentication,
                "exec plugin \(command) printed neither a token nor a client certificate and key"
            )
        }
    }
}

func parseRFC3339(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s)
}

/// Produces request credentials: static ones, a token file re-read when it changes, or an exec
/// plugin's output cached until it expires and re-run after a 401.
final class CredentialProvider: Sendable {
    struct Credentials: Sendable {
        var authorization: String?
        var clientCertificate: [UInt8]?
        var clientKey: [UInt8]?
    }

    private struct State {
        var exec: (ExecCredential, Credentials)?
        var tokenFile: (Date, String)?
    }

    let auth: ClientConfiguration.Auth
    let server: String
    let tls: TLSOptions
    private let state = Mutex(State())

    init(_ config: ClientConfiguration) {
        auth = config.auth
        server = config.server
        tls = config.tls
    }

    var isRefreshable: Bool {
        switch auth {
        case .exec, .tokenFile: return true
        default: return false
        }
    }

    /// Forgets cached credentials (after a 401).
    func invalidate() {
        state.withLock {
            $0.exec = nil
            $0.tokenFile = nil
        }
    }

    func credentials() async throws -> Credentials {
        switch auth {
        case .none: return Credentials()
        case .token(let t): return Credentials(authorization: "Bearer " + t)
        case .basic(let u, let p):
            return Credentials(authorization: "Basic " + Data("\(u):\(p)".utf8).base64EncodedString())
        case .tokenFile(let path):
            let mtime = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
            if let (t, token) = state.withLock({ $0.tokenFile }), t == mtime {
                return Credentials(authorization: "Bearer " + token)
            }
            guard let d = FileManager.default.contents(atPath: path) else {
                throw KubeError(.authentication, "cannot read tokenFile \(path)")
            }
            let token = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            state.withLock { $0.tokenFile = (mtime, token) }
            return Credentials(authorization: "Bearer " + token)
        case .exec(let e):
            if let (cred, c) = state.withLock({ $0.exec }) {
                if cred.expiration.map({ $0.timeIntervalSinceNow > 10 }) ?? true { return c }
            }
            let cred = try await run(e)
            var c = Credentials()
            if let t = cred.token { c.authorization = "Bearer " + t }
            if let cert = cred.clientCertificateData, let key = cred.clientKeyData {
                c.clientCertificate = Array(cert.utf8)
                c.clientKey = Array(key.utf8)
            }
            state.withLock { $0.exec = (cred, c) }
            return c
        }
    }

    private func run(_ e: ExecConfig) async throws -> ExecCredential {
        var info: ObjectValue = ["kind": "ExecCredential", "apiVersion": .string(e.apiVersion)]
        var spec: ObjectValue = ["interactive": false]
        if e.provideClusterInfo {
            var cluster: ObjectValue = ["server": .string(server)]
            if let ca = tls.certificateAuthority {
                cluster.updateValue(.string(Data(ca).base64EncodedString()), forKey: "certificate-authority-data")
            }
            if let n = tls.serverName { cluster.updateValue(.string(n), forKey: "tls-server-name") }
            if tls.insecureSkipVerify { cluster.updateValue(true, forKey: "insecure-skip-tls-verify") }
            spec.updateValue(.object(cluster), forKey: "cluster")
        }
        info.updateValue(.object(spec), forKey: "spec")
        let infoJSON = (try? Value.object(info).jsonString()) ?? "{}"
        return try await Task.detached {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [e.command] + e.args
            var env = ProcessInfo.processInfo.environment
            for v in e.env { env[v.name] = v.value }
            env["KUBERNETES_EXEC_INFO"] = infoJSON
            p.environment = env
            let out = Pipe()
            let err = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            do { try p.run() } catch {
                throw KubeError(
                    .authentication,
                    "cannot run exec plugin \(e.command): \(error)\(e.installHint.map { ". " + $0 } ?? "")"
                )
            }
            let deadline = DispatchTime.now() + .seconds(60)
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            let errData = err.fileHandleForReading.readDataToEndOfFile()
            while p.isRunning {
                if DispatchTime.now() > deadline {
                    p.terminate()
                    throw KubeError(.authentication, "exec plugin \(e.command) did not finish within 60 s")
                }
                usleep(2000)
            }
            guard p.terminationStatus == 0 else {
                let msg = String(decoding: errData.prefix(1000), as: UTF8.self)
                throw KubeError(
                    .authentication,
                    "exec plugin \(e.command) exited with status \(p.terminationStatus)\(msg.isEmpty ? "" : ": " + msg)\(e.installHint.map { ". " + $0 } ?? "")"
                )
            }
            return try ExecCredential(json: Array(outData), command: e.command)
        }.value
    }
}
