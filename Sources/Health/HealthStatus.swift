import Manifests

/// How healthy a resource is, in Argo CD's vocabulary.
///
/// The cases are declared from best to worst in the order Argo CD uses to pick an application's
/// health: Healthy, Suspended, Progressing, Missing, Degraded, Unknown. `<` means "better than".
///
/// ```swift
/// HealthStatusCode.worst(of: [.healthy, .missing, .degraded])   // .degraded
/// ```
public enum HealthStatusCode: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// The resource works as intended.
    case healthy = "Healthy"
    /// The resource is paused or suspended on purpose (a paused Deployment, a suspended Job).
    case suspended = "Suspended"
    /// The resource is not healthy yet but may still get there (a rollout in progress).
    case progressing = "Progressing"
    /// The resource should exist but is not in the cluster.
    case missing = "Missing"
    /// The resource failed or cannot reach a healthy state in time.
    case degraded = "Degraded"
    /// The health could not be assessed (a health script failed, say).
    case unknown = "Unknown"

    /// Where the code stands in the order from best (0, Healthy) to worst (5, Unknown).
    @inlinable public var severity: Int {
        switch self {
        case .healthy: return 0
        case .suspended: return 1
        case .progressing: return 2
        case .missing: return 3
        case .degraded: return 4
        case .unknown: return 5
        }
    }

    /// Whether `lhs` is better than `rhs`.
    @inlinable public static func < (lhs: HealthStatusCode, rhs: HealthStatusCode) -> Bool {
        lhs.severity < rhs.severity
    }

    /// Whether `other` is a worse condition than this one (Argo CD's `IsWorse`).
    @inlinable public func isWorse(_ other: HealthStatusCode) -> Bool { other.severity > severity }

    /// The worse of two codes.
    @inlinable public static func worse(_ a: HealthStatusCode, _ b: HealthStatusCode) -> HealthStatusCode {
        b.severity > a.severity ? b : a
    }

    /// The worst of some codes; Healthy when there are none.
    public static func worst(of codes: some Sequence<HealthStatusCode>) -> HealthStatusCode {
        codes.reduce(.healthy, worse)
    }

    /// Reads a code as Argo CD writes it (`Healthy`, `Progressing`...); `nil` for anything else.
    public init?(argoName: String) { self.init(rawValue: argoName) }

    /// The name as Argo CD writes it, such as `Healthy`.
    public var description: String { rawValue }
}

/// The health of one resource: a status code and a message for a person.
///
/// ```swift
/// let health = HealthStatus(.progressing, "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...")
/// if health.code == .degraded { ... }
/// ```
public struct HealthStatus: Sendable, Hashable, CustomStringConvertible {
    /// The status code.
    public var code: HealthStatusCode
    /// Why, in words; empty when the rule has nothing to add.
    public var message: String

    /// A health status with `code` and an optional `message`.
    @inlinable public init(_ code: HealthStatusCode, _ message: String = "") {
        self.code = code
        self.message = message
    }

    /// Healthy, with an optional message.
    public static func healthy(_ message: String = "") -> HealthStatus { HealthStatus(.healthy, message) }
    /// Suspended, with an optional message.
    public static func suspended(_ message: String = "") -> HealthStatus { HealthStatus(.suspended, message) }
    /// Progressing, with an optional message.
    public static func progressing(_ message: String = "") -> HealthStatus { HealthStatus(.progressing, message) }
    /// Missing, with an optional message.
    public static func missing(_ message: String = "") -> HealthStatus { HealthStatus(.missing, message) }
    /// Degraded, with an optional message.
    public static func degraded(_ message: String = "") -> HealthStatus { HealthStatus(.degraded, message) }
    /// Unknown, with an optional message.
    public static func unknown(_ message: String = "") -> HealthStatus { HealthStatus(.unknown, message) }

    /// The worse of two statuses; the first when they have the same code.
    public static func worse(_ a: HealthStatus, _ b: HealthStatus) -> HealthStatus {
        b.code.severity > a.code.severity ? b : a
    }

    /// `Code` or `Code: message`.
    public var description: String { message.isEmpty ? code.rawValue : "\(code.rawValue): \(message)" }
}
