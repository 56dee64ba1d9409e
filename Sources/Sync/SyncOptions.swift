import KubeClient
import Manifests

/// How a ``SyncExecutor`` carries out a plan: the planning options (``SyncPlanOptions``: the
/// application, tracking, default namespace, prune, prune last, allow empty, take over) and how
/// objects are written, waited for and deleted.
///
/// The planning options read and write through this value too (`options.prune = true`), so an
/// application keeps one set of options.
///
/// ```swift
/// var options = SyncOptions(app: "shop", fieldManager: "shop-gitops")
/// options.prune = true
/// options.healthTimeout = .seconds(120)
/// ```
@dynamicMemberLookup
public struct SyncOptions: Sendable, Hashable {
    /// The planning options.
    public var plan: SyncPlanOptions
    /// The field manager of every write (server-side apply's `fieldManager`).
    public var fieldManager: String
    /// Whether objects are written with server-side apply (the default); otherwise with a
    /// client-side apply: a JSON merge patch from the last applied configuration, kept in the
    /// `kubectl.kubernetes.io/last-applied-configuration` annotation as kubectl does.
    public var serverSideApply: Bool
    /// Whether server-side apply takes fields other managers own (`force=true`, as Argo CD and
    /// Flux do) instead of failing with a conflict.
    public var forceConflicts: Bool
    /// Whether every object is replaced (create or `PUT`) instead of applied, and an object whose
    /// change the server refuses as immutable is deleted and created again. Per object:
    /// `argocd.argoproj.io/sync-options: Replace=true`.
    public var replace: Bool
    /// Whether an object whose change the server refuses as immutable is deleted and created
    /// again (the object is still applied). Per object: `Force=true`.
    public var recreateOnImmutableChange: Bool
    /// Whether only objects that differ from live (or are missing) are written; others are
    /// reported `unchanged` without a request.
    public var applyOutOfSyncOnly: Bool
    /// Whether the default namespace is created when it does not exist (Argo CD's
    /// `CreateNamespace=true`).
    public var createNamespace: Bool
    /// Whether the operation stops after the dry run of the whole plan: every object is checked by
    /// the server, nothing is changed.
    public var dryRunOnly: Bool
    /// How long each wave may take to become healthy (and each hook to finish) before the sync
    /// fails.
    public var healthTimeout: Duration
    /// How often the health of a waiting wave is read again.
    public var healthPollInterval: Duration
    /// How pruned objects' dependents are deleted; foreground by default, so a pruned Deployment's
    /// ReplicaSets and Pods go first.
    public var deletionPropagation: DeleteOptions.Propagation
    /// How many requests of one step kind (a kind in a wave, the dry run) are in flight at once.
    public var concurrency: Int

    /// Options for application `app`.
    public init(
        app: String,
        fieldManager: String = "swift-gitops",
        tracking: Tracking = Tracking(),
        defaultNamespace: String = "default",
        prune: Bool = false,
        pruneLast: Bool = false,
        allowEmpty: Bool = false,
        takeOver: Bool = false,
        serverSideApply: Bool = true,
        forceConflicts: Bool = true,
        replace: Bool = false,
        recreateOnImmutableChange: Bool = false,
        applyOutOfSyncOnly: Bool = false,
        createNamespace: Bool = false,
        dryRunOnly: Bool = false,
        healthTimeout: Duration = .seconds(300),
        healthPollInterval: Duration = .milliseconds(250),
        deletionPropagation: DeleteOptions.Propagation = .foreground,
        concurrency: Int = 8
    ) {
        self.init(
            plan: SyncPlanOptions(
                app: app,
                tracking: tracking,
                defaultNamespace: defaultNamespace,
                prune: prune,
                pruneLast: pruneLast,
                allowEmpty: allowEmpty,
                takeOver: takeOver
            ),
            fieldManager: fieldManager,
            serverSideApply: serverSideApply,
            forceConflicts: forceConflicts,
            replace: replace,
            recreateOnImmutableChange: recreateOnImmutableChange,
            applyOutOfSyncOnly: applyOutOfSyncOnly,
            createNamespace: createNamespace,
            dryRunOnly: dryRunOnly,
            healthTimeout: healthTimeout,
            healthPollInterval: healthPollInterval,
            deletionPropagation: deletionPropagation,
            concurrency: concurrency
        )
    }

    /// Options from planning options and the executor's settings.
    public init(
        plan: SyncPlanOptions,
        fieldManager: String = "swift-gitops",
        serverSideApply: Bool = true,
        forceConflicts: Bool = true,
        replace: Bool = false,
        recreateOnImmutableChange: Bool = false,
        applyOutOfSyncOnly: Bool = false,
        createNamespace: Bool = false,
        dryRunOnly: Bool = false,
        healthTimeout: Duration = .seconds(300),
        healthPollInterval: Duration = .milliseconds(250),
        deletionPropagation: DeleteOptions.Propagation = .foreground,
        concurrency: Int = 8
    ) {
        self.plan = plan
        self.fieldManager = fieldManager
        self.serverSideApply = serverSideApply
        self.forceConflicts = forceConflicts
        self.replace = replace
        self.recreateOnImmutableChange = recreateOnImmutableChange
        self.applyOutOfSyncOnly = applyOutOfSyncOnly
        self.createNamespace = createNamespace
        self.dryRunOnly = dryRunOnly
        self.healthTimeout = healthTimeout
        self.healthPollInterval = healthPollInterval
        self.deletionPropagation = deletionPropagation
        self.concurrency = concurrency
    }

    /// Reads and writes the planning options: `options.prune`, `options.app`...
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<SyncPlanOptions, T>) -> T {
        get { plan[keyPath: keyPath] }
        set { plan[keyPath: keyPath] = newValue }
    }
}
