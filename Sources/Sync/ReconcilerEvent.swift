import GitSource
import Health
import Manifests

/// What a comparison found, in short.
public struct DiffSummary: Sendable, Hashable {
    /// The revision compared.
    public var revision: Revision
    /// The sync status it gives.
    public var sync: SyncStatusCode
    /// Resources that differ from Git or are missing from the cluster.
    public var outOfSync: [ResourceKey]
    /// Live objects of the application that Git no longer holds.
    public var pruneCandidates: [ResourceKey]
    /// How many resources were compared.
    public var resourceCount: Int

    /// A summary.
    public init(
        revision: Revision,
        sync: SyncStatusCode,
        outOfSync: [ResourceKey],
        pruneCandidates: [ResourceKey],
        resourceCount: Int
    ) {
        self.revision = revision
        self.sync = sync
        self.outOfSync = outOfSync
        self.pruneCandidates = pruneCandidates
        self.resourceCount = resourceCount
    }
}

/// Something a ``Reconciler`` found or did, in the order it happened.
public enum ReconcilerEvent: Sendable {
    /// A revision was rendered for the first time (`previous` is the one rendered before).
    case revisionFound(Revision, previous: Revision?)
    /// A comparison of the render with the cluster finished.
    case diffComputed(DiffSummary)
    /// The sync status changed.
    case syncStatusChanged(from: SyncStatusCode, to: SyncStatusCode)
    /// The application's health changed (its code).
    case healthChanged(from: HealthStatus, to: HealthStatus)
    /// A condition was raised, or its message changed.
    case conditionRaised(ApplicationCondition)
    /// A condition's cause went away.
    case conditionCleared(ApplicationCondition.Kind)
    /// An operation started.
    case operationStarted(OperationRecord)
    /// An operation found unfinished at start (the process stopped in the middle) is carried out.
    case operationResumed(OperationRecord)
    /// An object was applied (created, configured or unchanged) or a hook created.
    case resourceApplied(ResourceResult)
    /// An object was pruned.
    case resourcePruned(ResourceResult)
    /// A write, deletion, hook or health wait failed.
    case resourceFailed(ResourceResult)
    /// Any other event of the executor (dry run, waves, skipped resources, hooks, resource health).
    case sync(SyncEvent)
    /// An operation finished, successfully or not.
    case operationFinished(SyncOperationResult)
    /// An operation was cancelled in the middle (shutdown); it stays recorded and is resumed at
    /// the next start.
    case operationInterrupted(OperationRecord)
}
