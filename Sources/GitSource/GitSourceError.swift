/// An error from ``GitSourceProvider`` or its cache: what went wrong, for which
/// repository (with any credentials masked), and what to do about it.
public struct GitSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case unknownReference
        case invalidReference
        case invalidURL
        case unsupportedTransport
        case authentication
        case hostKey
        case certificate
        case network
        case timeout
        case cancelled
        case commitNotFound
        case pathNotFound
        case unsafeContent
        case limitExceeded
        case cacheIO
        case git
    }

    let code: Code
    /// A message a person can act on; never contains credentials.
    public let message: String
    /// The remote URL with user information masked, when the error concerns one.
    public let remote: String?
    /// For an unknown reference: the closest existing references.
    public let candidates: [String]

    init(_ code: Code, _ message: String, remote: String? = nil, candidates: [String] = []) {
        self.code = code
        self.message = message
        self.remote = remote.map(RemoteURL.mask)
        self.candidates = candidates
    }

    /// The reference does not exist on the remote (see ``candidates``).
    public var isUnknownReference: Bool { code == .unknownReference || code == .commitNotFound }
    /// The operation stopped because the transfer made no progress within the stall timeout.
    public var isTimeout: Bool { code == .timeout }
    /// The operation stopped because its task was cancelled.
    public var isCancelled: Bool { code == .cancelled }
    /// The server's identity could not be verified (SSH host key or TLS certificate).
    public var isUntrustedServer: Bool { code == .hostKey || code == .certificate }
    /// The credentials were refused or missing.
    public var isAuthenticationFailure: Bool { code == .authentication }
    /// The content broke a checkout safety rule or limit.
    public var isUnsafeContent: Bool { code == .unsafeContent || code == .limitExceeded }

    /// The message, the remote and the candidates.
    public var description: String {
        var text = message
        if let remote { text += " (remote: \(remote))" }
        if !candidates.isEmpty { text += "; closest: " + candidates.joined(separator: ", ") }
        return text
    }
}
