// Descriptions of the types that hold credentials: `print`, string interpolation, `debugPrint`
// and `dump` show what kind of credential there is, never its value.

extension ClientConfiguration.Auth: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The kind of credential without its secret: `token(***)`, `basic(admin, ***)`,
    /// `tokenFile(/path)`, `exec(aws)`, `none`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .token: return "token(***)"
        case .tokenFile(let path): return "tokenFile(\(path))"
        case .basic(let username, _): return "basic(\(username), ***)"
        case .exec(let config): return "exec(\(config.command))"
        }
    }

    /// The same as ``description``: no secret.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` shows no secret.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension TLSOptions: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings, with the client key shown as `***` and PEM data as byte counts.
    public var description: String {
        func bytes(_ b: [UInt8]?) -> String { b.map { "\($0.count) bytes" } ?? "none" }
        return "TLSOptions(certificateAuthority: \(bytes(certificateAuthority)), clientCertificate: "
            + "\(bytes(clientCertificate)), clientKey: \(clientKey == nil ? "none" : "***"), serverName: "
            + "\(serverName ?? "none"), insecureSkipVerify: \(insecureSkipVerify))"
    }

    /// The same as ``description``: no secret.
    public var debugDescription: String { description }

    /// A mirror of the settings without the client key's bytes.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "certificateAuthorityBytes": certificateAuthority?.count as Any,
                "clientCertificateBytes": clientCertificate?.count as Any,
                "clientKey": (clientKey == nil ? "none" : "***") as Any,
                "serverName": serverName as Any,
                "insecureSkipVerify": insecureSkipVerify,
            ]
        )
    }
}

extension Kubeconfig.User: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Which credentials the entry has, without their values.
    public var description: String {
        var kinds: [String] = []
        if token != nil { kinds.append("token(***)") }
        if let tokenFile { kinds.append("tokenFile(\(tokenFile))") }
        if let username { kinds.append("basic(\(username), ***)") }
        if clientCertificateData != nil || clientCertificate != nil { kinds.append("client-certificate") }
        if clientKeyData != nil || clientKey != nil { kinds.append("client-key(***)") }
        if let exec { kinds.append("exec(\(exec.command))") }
        return "User(\(kinds.isEmpty ? "no credentials" : kinds.joined(separator: ", ")), from \(source))"
    }

    /// The same as ``description``: no secret.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` shows no secret.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension ExecConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The command and the names of its environment variables, not their values.
    public var description: String {
        "ExecConfig(\(command) \(args.joined(separator: " ")), env: [\(env.map(\.name).joined(separator: ", "))])"
    }

    /// The same as ``description``: no secret.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` shows no environment value.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
