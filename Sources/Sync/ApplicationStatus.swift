import Diff
import Foundation
import GitSource
import Health
import Manifests

/// Whether the cluster matches the revision an application follows (Argo CD's sync status).
public enum SyncStatusCode: String, Sendable, Hashable, CustomStringConvertible {
    /// Every resource is live and equal to the revision, and nothing is left to prune.
    case synced = "Synced"
    /// Some resource differs, is missing, or is left to prune.
    case outOfSync = "OutOfSync"
    /// Not known: the revision could not be resolved or rendered, or the cluster could not be read.
    case unknown = "Unknown"

    /// `Synced`, `OutOfSync` or `Unknown`.
    public var description: String { rawValue }
}

/// Something wrong with an application that is not a failed operation: the source cannot be
/// reached, the revision does not render, the cluster cannot be read.
///
/// Conditions never stop the reconciler: it keeps the last good state applied and tries again
/// at the next poll; a condition goes away once its cause is gone.
public struct ApplicationCondition: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The reference could not be resolved or the revision fetched (network, credentials,
        /// a branch that no longer exists).
        case sourceError = "SourceError"
        /// The revision's manifests do not render (a YAML error, a missing path).
        case renderError = "RenderError"
        /// The live objects could not be read, or a comparison failed.
        case comparisonError = "ComparisonError"
        /// The last automated sync failed, and is not retried again (its retries are spent).
        case syncError = "SyncError"
        /// A desired object is tracked by another application and left alone.
        case sharedResourceWarning = "SharedResourceWarning"
        /// The reconciler's state (the operation in flight) could not be saved or read.
        case stateStoreError = "StateStoreError"
    }

    /// What kind of problem.
    public var kind: Kind
    /// What went wrong, naming the file, object or reference.
    public var message: String
    /// When the condition was first seen.
    public var since: Date

    /// A condition.
    public init(kind: Kind, message: String, since: Date = Date()) {
        self.kind = kind
        self.message = message
        self.since = since
    }

    /// `Kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// One resource of an application: where it stands against Git, and its health.
public struct ResourceStatus: Sendable, Hashable, CustomStringConvertible {
    /// The resource.
    public var key: ResourceKey
    /// In sync, out of sync, missing from the cluster, or left to prune.
    public var state: SyncState
    /// Its health; `nil` for kinds that have none and for objects left to prune.
    public var health: HealthStatus?

    /// A resource's status.
    public init(key: ResourceKey, state: SyncState, health: HealthStatus?) {
        self.key = key
        self.state = state
        self.health = health
    }

    /// `key: state (health)`.
    public var description: String {
        "\(key): \(state.rawValue)" + (health.map { " (\($0.code.rawValue))" } ?? "")
    }
}

/// Everything known about an application at one moment.
///
/// ```swift
/// let status = reconciler.status
/// print(status.sync, status.health.code, status.revision?.commit ?? "-")
/// for condition in status.conditions { print(condition) }
/// ```
public struct ApplicationStatus: Sendable {
    /// Whether the cluster matches ``revision``.
    public var sync: SyncStatusCode
    /// The application's health: its worst resource's.
    public var health: HealthStatus
    /// The revision the cluster was last compared with (the newest the source named that rendered).
    public var revision: Revision?
    /// The revision of the last successful sync.
    public var syncedRevision: Revision?
    /// The last operation, finished or failed.
    public var lastOperation: SyncOperationResult?
    /// The operation running now, if any.
    public var operationInProgress: OperationRecord?
    /// Problems that are not a failed operation; empty when all is well.
    public var conditions: [ApplicationCondition]
    /// Every resource of the last comparison: desired ones in order, then those left to prune.
    public var resources: [ResourceStatus]
    /// When the last comparison finished.
    public var reconciledAt: Date?

    /// The status before the first comparison: Unknown, health Unknown, nothing known.
    public init() {
        sync = .unknown
        health = .unknown("not compared yet")
        revision = nil
        syncedRevision = nil
        lastOperation = nil
        operationInProgress = nil
        conditions = []
        resources = []
        reconciledAt = nil
    }

    /// The condition of `kind`, if raised.
    public func condition(_ kind: ApplicationCondition.Kind) -> ApplicationCondition? {
        conditions.first { $0.kind == kind }
    }
}
