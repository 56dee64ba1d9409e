import Foundation

/// How to authenticate to a Git remote. Secrets never appear in descriptions, errors or logs.
public struct GitCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    enum Storage: Sendable, Hashable {
        case none
        case basic(username: String, password: String)
        case sshKeyFile(username: String, privateKey: String, publicKey: String?, passphrase: String?)
        case sshKeyMemory(username: String, privateKey: String, publicKey: String?, passphrase: String?)
        case sshAgent(username: String)
    }

    let storage: Storage

    /// No credentials (anonymous access, or user information in the URL).
    public static let none = GitCredentials(storage: .none)

    /// HTTP basic authentication.
    public static func basic(username: String, password: String) -> GitCredentials {
        GitCredentials(storage: .basic(username: username, password: password))
    }

    /// An HTTP bearer-style access token, sent as the basic-auth password (the way GitHub,
    /// GitLab and Gitea accept tokens). The user name defaults to `x-access-token`.
    public static func token(_ token: String, username: String = "x-access-token") -> GitCredentials {
        GitCredentials(storage: .basic(username: username, password: token))
    }

    /// An SSH private key read from a file (OpenSSH or PEM format), with an optional
    /// passphrase and public-key file.
    public static func sshKey(
        username: String = "git",
        privateKeyFile: String,
        publicKeyFile: String? = nil,
        passphrase: String? = nil
    ) -> GitCredentials {
        GitCredentials(
            storage: .sshKeyFile(
                username: username,
                privateKey: privateKeyFile,
                publicKey: publicKeyFile,
                passphrase: passphrase
            )
        )
    }

    /// An SSH private key held in memory (PEM text), with an optional passphrase.
    public static func sshKey(
        username: String = "git",
        privateKey: String,
        publicKey: String? = nil,
        passphrase: String? = nil
    ) -> GitCredentials {
        GitCredentials(
            storage: .sshKeyMemory(
                username: username,
                privateKey: privateKey,
                publicKey: publicKey,
                passphrase: passphrase
            )
        )
    }

    /// Keys offered by the running ssh-agent (`SSH_AUTH_SOCK`).
    public static func sshAgent(username: String = "git") -> GitCredentials {
        GitCredentials(storage: .sshAgent(username: username))
    }

    /// The kind of credentials, without any secret.
    public var description: String {
        switch storage {
        case .none: return "none"
        case .basic(let u, _): return "basic(\(u), ***)"
        case .sshKeyFile(let u, let k, _, _): return "ssh-key(\(u), \(k))"
        case .sshKeyMemory(let u, _, _, _): return "ssh-key(\(u), in memory)"
        case .sshAgent(let u): return "ssh-agent(\(u))"
        }
    }

    /// The same as ``description``: no secret.
    public var debugDescription: String { description }

    /// A mirror without children, so `dump` shows no secret.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    var secrets: [String] {
        switch storage {
        case .basic(_, let p): return [p]
        case .sshKeyMemory(_, let k, _, let p): return [k] + (p.map { [$0] } ?? [])
        case .sshKeyFile(_, _, _, let p): return p.map { [$0] } ?? []
        default: return []
        }
    }
}

/// How the identity of an SSH server is checked.
public struct HostKeyPolicy: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case knownHostsFile(String)
        case knownHosts(String)
        case acceptAny
    }

    let storage: Storage

    /// Verify against `~/.ssh/known_hosts` (strict: an unknown host is refused). The default.
    public static var userKnownHosts: HostKeyPolicy {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return HostKeyPolicy(storage: .knownHostsFile(home + "/.ssh/known_hosts"))
    }

    /// Verify against a `known_hosts` file (strict: an unknown host is refused).
    public static func knownHostsFile(_ path: String) -> HostKeyPolicy {
        HostKeyPolicy(storage: .knownHostsFile(path))
    }

    /// Verify against `known_hosts` lines given as text (strict).
    public static func knownHosts(_ lines: String) -> HostKeyPolicy {
        HostKeyPolicy(storage: .knownHosts(lines))
    }

    /// Accept any host key. Insecure: for throwaway test servers only.
    public static let insecureAcceptAny = HostKeyPolicy(storage: .acceptAny)
}

/// Safety limits for materialized checkouts.
public struct CheckoutLimits: Sendable, Hashable {
    /// Largest total size of the files written, in bytes.
    public var maxTotalBytes: Int64
    /// Largest number of files (symlinks included) written.
    public var maxFiles: Int
    /// Largest size of one file, in bytes.
    public var maxFileBytes: Int64

    /// Creates limits; the defaults are 1 GiB, 100,000 files and 256 MiB per file.
    public init(maxTotalBytes: Int64 = 1 << 30, maxFiles: Int = 100_000, maxFileBytes: Int64 = 256 << 20) {
        self.maxTotalBytes = maxTotalBytes
        self.maxFiles = maxFiles
        self.maxFileBytes = maxFileBytes
    }
}

/// What a checkout does with a symbolic link.
public enum SymlinkPolicy: Sendable, Hashable {
    /// Fail the checkout when a link points outside the checkout (absolute, or climbing
    /// above its root); links that stay inside are written as links. The default,
    /// as Argo CD does.
    case refuseEscaping
    /// Leave out links that point outside the checkout; write the others.
    case skipEscaping
    /// Leave out every symbolic link.
    case skipAll
}

/// Options of a ``GitSourceProvider``.
public struct GitSourceOptions: Sendable {
    /// Credentials for the remote.
    public var credentials: GitCredentials
    /// SSH host-key verification; strict against `~/.ssh/known_hosts` by default.
    public var hostKeys: HostKeyPolicy
    /// A PEM file of extra certificate authorities trusted for HTTPS (besides the system's).
    ///
    /// libgit2 keeps one trust store per process: bundles given to any provider are added
    /// to it together with the system bundle.
    public var caBundle: String?
    /// Abort a network operation after this long without progress (connect, or no byte
    /// received). Default 30 seconds.
    public var stallTimeout: Duration
    /// Checkout safety limits.
    public var limits: CheckoutLimits
    /// What to do with symbolic links.
    public var symlinks: SymlinkPolicy

    /// Creates options.
    public init(
        credentials: GitCredentials = .none,
        hostKeys: HostKeyPolicy = .userKnownHosts,
        caBundle: String? = nil,
        stallTimeout: Duration = .seconds(30),
        limits: CheckoutLimits = CheckoutLimits(),
        symlinks: SymlinkPolicy = .refuseEscaping
    ) {
        self.credentials = credentials
        self.hostKeys = hostKeys
        self.caBundle = caBundle
        self.stallTimeout = stallTimeout
        self.limits = limits
        self.symlinks = symlinks
    }
}
