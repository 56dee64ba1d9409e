import Logging

/// How a ``Reconciler`` runs: intervals, backoff, where its state is kept, its clock and logger.
///
/// ```swift
/// var options = ReconcilerOptions()
/// options.pollInterval = .seconds(60)
/// options.statePersistence = .file(path: "/var/lib/gitops/shop.json")
/// let reconciler = Reconciler(application: app, options: options)
/// ```
public struct ReconcilerOptions: Sendable {
    /// Where the reconciler keeps the operation in flight and the kinds it manages.
    public enum StatePersistence: Sendable {
        /// A ConfigMap in the destination cluster (the default: namespace `nil` means the
        /// application's destination namespace, name `nil` means `gitops-state-<app>`).
        case configMap(namespace: String? = nil, name: String? = nil)
        /// A file the caller chooses.
        case file(path: String)
        /// Any store.
        case custom(any ReconcilerStateStore)
        /// Nowhere: an interrupted operation is not resumed after a restart (it is redone only
        /// when the automated policy finds the application out of sync).
        case none
    }

    /// How often the source is asked for a new revision (3 minutes by default, as Argo CD).
    /// ``Reconciler/refresh()`` asks at once, for webhooks.
    public var pollInterval: Duration
    /// Whether the kinds the application manages are watched, so drift is seen in seconds.
    public var watchResources: Bool
    /// The delay before a watch that failed is opened again (doubling up to 32 times this).
    public var watchRetryDelay: Duration
    /// The delays between self-heal syncs: 2 s, tripling, up to 5 minutes.
    public var selfHealBackoff: Backoff
    /// Where the state is kept.
    public var statePersistence: StatePersistence
    /// The clock the loop sleeps on (polls, backoff).
    public var clock: any Clock<Duration>
    /// The logger; every line carries the application's name, and the revision and resource where
    /// they apply. Objects are never logged, so neither is a Secret's data.
    public var logger: Logger
    /// The events each subscriber may fall behind before the oldest are dropped.
    public var eventBufferSize: Int

    /// Options with the defaults.
    public init(
        pollInterval: Duration = .seconds(180),
        watchResources: Bool = true,
        watchRetryDelay: Duration = .seconds(1),
        selfHealBackoff: Backoff = .selfHeal,
        statePersistence: StatePersistence = .configMap(),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "gitops.sync.reconciler"),
        eventBufferSize: Int = 1024
    ) {
        self.pollInterval = pollInterval
        self.watchResources = watchResources
        self.watchRetryDelay = watchRetryDelay
        self.selfHealBackoff = selfHealBackoff
        self.statePersistence = statePersistence
        self.clock = clock
        self.logger = logger
        self.eventBufferSize = eventBufferSize
    }
}
