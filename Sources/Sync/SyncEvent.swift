import Foundation
import Health
import Manifests

/// Something a ``SyncExecutor`` did or saw while carrying out a sync, in the order it happened.
public enum SyncEvent: Sendable, Hashable {
    /// The operation started for `revision`.
    case operationStarted(revision: String, at: Date)
    /// The dry run of the whole plan finished; `failures` are the objects the server refused
    /// (empty when every object passed).
    case dryRunFinished(failures: [ResourceResult])
    /// A group of steps (one phase and wave) started.
    case waveStarted(phase: SyncPhase, wave: Int, resources: Int)
    /// An object was written (created, configured or unchanged) or a hook was created.
    case resourceApplied(ResourceResult)
    /// An object was deleted because Git no longer holds it.
    case resourcePruned(ResourceResult)
    /// A write, deletion, hook or health check failed.
    case resourceFailed(ResourceResult)
    /// An object was left alone (see the result's message).
    case resourceSkipped(ResourceResult)
    /// The health of an object written in this operation changed (`previous` is nil the first
    /// time it is assessed).
    case healthChanged(key: ResourceKey, previous: HealthStatus?, current: HealthStatus)
    /// A hook finished (its result says succeeded or failed) and its delete policy was applied.
    case hookFinished(ResourceResult)
    /// The operation finished.
    case operationFinished(SyncOperationResult)
}

/// Receives the events of sync operations as they happen: the seam through which a reconcile
/// loop, a log or a UI follows a sync.
///
/// ``observe(_:)`` is called on the executor's task, in order; it should return quickly (hand
/// the event to a stream or a queue).
public protocol SyncObserver: Sendable {
    /// Called with each event.
    func observe(_ event: SyncEvent)
}

/// A ``SyncObserver`` made of a closure.
///
/// ```swift
/// let (stream, continuation) = AsyncStream<SyncEvent>.makeStream()
/// let observer = ClosureSyncObserver { continuation.yield($0) }
/// ```
public struct ClosureSyncObserver: SyncObserver {
    private let body: @Sendable (SyncEvent) -> Void

    /// An observer that calls `body` with each event.
    public init(_ body: @escaping @Sendable (SyncEvent) -> Void) { self.body = body }

    /// Calls the closure.
    public func observe(_ event: SyncEvent) { body(event) }
}
