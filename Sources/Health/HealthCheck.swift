import Manifests

/// A rule that tells how healthy a Kubernetes object is: the plugin seam of the Health module.
///
/// Return `nil` when the check has nothing to say about the object; the ``HealthRegistry`` then
/// asks the next layer (Lua scripts, built-in rules, generic rules). A thrown error becomes
/// ``HealthStatusCode/unknown`` with the error's description as the message.
///
/// ```swift
/// struct CertificateHealth: HealthCheck {
///     func health(of object: KubeObject) throws -> HealthStatus? {
///         object.status?["ready"]?.boolValue == true ? .healthy() : .progressing("Issuing")
///     }
/// }
/// ```
public protocol HealthCheck: Sendable {
    /// The health of `object`, or `nil` when this check does not assess it.
    ///
    /// - Throws: any error; the registry reports it as Unknown.
    func health(of object: KubeObject) throws -> HealthStatus?
}

/// A ``HealthCheck`` made from a closure.
///
/// ```swift
/// registry.register(ClosureHealthCheck { object in
///     object.annotation("example.com/broken") == "true" ? .degraded("marked broken") : nil
/// }, group: "example.com", kind: "Widget")
/// ```
public struct ClosureHealthCheck: HealthCheck {
    private let body: @Sendable (KubeObject) throws -> HealthStatus?

    /// Wraps `body`, which returns `nil` when it does not assess an object.
    public init(_ body: @escaping @Sendable (KubeObject) throws -> HealthStatus?) { self.body = body }

    /// Calls the closure.
    ///
    /// - Throws: whatever the closure throws.
    public func health(of object: KubeObject) throws -> HealthStatus? { try body(object) }
}

/// An error of the Health module: a message a person can act on and, where known, the file it is about.
public struct HealthError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case invalidInput, script, fileSystem }
    private let code: Code
    /// What went wrong.
    public let message: String
    /// The file the error is about (a script, a test file), when there is one.
    public let path: String?

    private init(_ code: Code, _ message: String, path: String?) {
        self.code = code
        self.message = message
        self.path = path
    }

    static func invalidInput(_ message: String, path: String? = nil) -> HealthError {
        HealthError(.invalidInput, message, path: path)
    }
    static func script(_ message: String, path: String? = nil) -> HealthError {
        HealthError(.script, message, path: path)
    }
    static func fileSystem(_ message: String, path: String? = nil) -> HealthError {
        HealthError(.fileSystem, message, path: path)
    }

    /// Whether the error comes from running or compiling a Lua health script.
    public var isScriptError: Bool { code == .script }

    /// `path: message`, or the message alone.
    public var description: String {
        guard let path, !message.hasPrefix(path) else { return message }
        return "\(path): \(message)"
    }
}
