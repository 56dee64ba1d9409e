import Manifests

/// What a sync plan may do, and for whom.
public struct SyncPlanOptions: Sendable, Hashable {
    /// The application's name, written into the tracking annotation.
    public var app: String
    /// How objects are marked as the application's.
    public var tracking: Tracking
    /// The namespace of namespaced objects that name none.
    public var defaultNamespace: String
    /// Whether objects no longer in Git are deleted (otherwise they are reported and kept).
    public var prune: Bool
    /// Whether pruning waits until after the PostSync hooks, instead of following the applies.
    public var pruneLast: Bool
    /// Whether a render with no objects may prune everything the application owns.
    public var allowEmpty: Bool
    /// Whether objects tracked by another application may be taken over.
    public var takeOver: Bool

    /// Options for application `app`; pruning off, as Argo CD's default.
    public init(
        app: String,
        tracking: Tracking = Tracking(),
        defaultNamespace: String = "default",
        prune: Bool = false,
        pruneLast: Bool = false,
        allowEmpty: Bool = false,
        takeOver: Bool = false
    ) {
        self.app = app
        self.tracking = tracking
        self.defaultNamespace = defaultNamespace
        self.prune = prune
        self.pruneLast = pruneLast
        self.allowEmpty = allowEmpty
        self.takeOver = takeOver
    }
}

/// The ordered steps of one sync: hooks and applies by phase, wave, kind and name, then prunes
/// in reverse order; and what is left alone, with the reason.
///
/// Building a plan changes nothing; an executor carries it out group by group, waiting for the
/// health of each group before the next (``groups``).
///
/// ```swift
/// let plan = try SyncPlan(desired: rendered, live: liveObjects, options: SyncPlanOptions(app: "shop", prune: true))
/// for group in plan.groups { print(group.phase, group.wave, group.steps.map(\.key)) }
/// ```
public struct SyncPlan: Sendable {
    /// What a step does.
    public enum Action: String, Sendable, Hashable {
        /// Apply a resource of the application.
        case apply
        /// Create (or re-create) a hook resource in its phase.
        case hook
        /// Delete a live object the application owns and Git no longer holds.
        case prune
    }

    /// One step of the plan.
    public struct Step: Sendable, Hashable {
        /// What the step does.
        public var action: Action
        /// The object's identity (its namespace filled in with the default).
        public var key: ResourceKey
        /// The desired object (tracking annotation set) for applies and hooks; the live one for prunes.
        public var object: KubeObject
        /// The phase the step runs in.
        public var phase: SyncPhase
        /// The sync wave.
        public var wave: Int
        /// The object's sync annotations.
        public var annotations: SyncAnnotations
    }

    /// Steps that run together: the executor waits for them to be healthy before the next group.
    public struct Group: Sendable, Hashable {
        /// The phase.
        public var phase: SyncPhase
        /// The wave.
        public var wave: Int
        /// Whether this group deletes (prunes) rather than applies.
        public var isPrune: Bool
        /// The steps, in order.
        public var steps: [Step]
    }

    /// An object the plan leaves alone, and why.
    public struct Skipped: Sendable, Hashable {
        /// The object.
        public var key: ResourceKey
        /// Why it is left alone.
        public var reason: String
    }

    /// Every step in execution order, SyncFail hooks excluded.
    public private(set) var steps: [Step] = []
    /// The hooks to run if the operation fails.
    public private(set) var syncFailHooks: [Step] = []
    /// Objects left alone, with the reason.
    public private(set) var skipped: [Skipped] = []

    /// Plans the sync of `desired` (the render) against `live` (what the cluster holds of the
    /// kinds involved).
    ///
    /// - Throws: ``SyncError`` for a sync annotation with a value this SDK does not understand,
    ///   naming the object and the annotation.
    public init(desired: [KubeObject], live: [KubeObject], options: SyncPlanOptions) throws {
        func normalized(_ key: ResourceKey, namespaced: Bool) -> ResourceKey {
            var key = key
            if key.namespace.isEmpty && namespaced { key.namespace = options.defaultNamespace }
            return key
        }
        // Namespaced unless a desired or live object of the same kind names no namespace and is
        // a kind known to be cluster-scoped; the planner has no discovery, so it trusts the objects.
        func isClusterScoped(_ object: KubeObject) -> Bool {
            object.namespace == nil && Self.clusterScopedKinds.contains(object.kind ?? "")
        }
        var liveByKey: [ResourceKey: KubeObject] = [:]
        for object in live { liveByKey[normalized(object.key, namespaced: !isClusterScoped(object))] = object }

        var desiredKeys: Set<ResourceKey> = []
        var applies: [Step] = []
        var hooks: [Step] = []
        for object in desired {
            let annotations = try SyncAnnotations(of: object)
            let key = normalized(object.key, namespaced: !isClusterScoped(object))
            desiredKeys.insert(key)
            if annotations.skip {
                skipped.append(Skipped(key: key, reason: "marked \(SyncAnnotations.Key.hook): Skip"))
                continue
            }
            if let existing = liveByKey[key], !options.takeOver,
                let owner = try? options.tracking.owner(of: existing), owner.app != options.app
            {
                skipped.append(Skipped(key: key, reason: "tracked by application '\(owner.app)'"))
                continue
            }
            let marked = options.tracking.marked(object, app: options.app, defaultNamespace: key.namespace)
            if annotations.isHook {
                for phase in annotations.hookPhases {
                    hooks.append(
                        Step(
                            action: .hook,
                            key: key,
                            object: marked,
                            phase: phase,
                            wave: annotations.wave,
                            annotations: annotations
                        )
                    )
                }
            } else {
                applies.append(
                    Step(
                        action: .apply,
                        key: key,
                        object: marked,
                        phase: .sync,
                        wave: annotations.wave,
                        annotations: annotations
                    )
                )
            }
        }

        var prunes: [Step] = []
        let renderedNothing = applies.isEmpty && hooks.isEmpty
        for (key, object) in liveByKey
        where !desiredKeys.contains(key) && options.tracking.isTracked(object, by: options.app) {
            // A live object whose annotations no longer parse is treated as a plain resource in wave 0.
            let annotations = (try? SyncAnnotations(of: object)) ?? .plain
            if annotations.isHook { continue }  // hooks are removed by their delete policies, not pruned
            if annotations.isDisabled("Prune") {
                skipped.append(Skipped(key: key, reason: "Prune=false"))
            } else if !options.prune {
                skipped.append(Skipped(key: key, reason: "no longer in Git; pruning is off"))
            } else if renderedNothing && !options.allowEmpty {
                skipped.append(
                    Skipped(key: key, reason: "the render produced no objects; pruning everything needs allow-empty")
                )
            } else {
                prunes.append(
                    Step(
                        action: .prune,
                        key: key,
                        object: object,
                        phase: .sync,
                        wave: annotations.wave,
                        annotations: annotations
                    )
                )
            }
        }

        let ordered = Self.sortedInApplyOrder(applies + hooks.filter { $0.phase != .syncFail })
        let pruneOrdered = Self.sortedInApplyOrder(prunes, reversed: true)
        if options.pruneLast {
            steps =
                ordered
                + pruneOrdered.map {
                    var s = $0
                    s.phase = .postSync
                    return s
                }
        } else {
            let beforePostSync = ordered.filter { $0.phase <= .sync }
            steps = beforePostSync + pruneOrdered + ordered.filter { $0.phase > .sync }
        }
        syncFailHooks = Self.sortedInApplyOrder(hooks.filter { $0.phase == .syncFail })
        skipped.sort { $0.key < $1.key }
    }

    /// The steps cut into groups of the same phase, wave and action, in order.
    public var groups: [Group] {
        var groups: [Group] = []
        for step in steps {
            let isPrune = step.action == .prune
            if let last = groups.last, last.phase == step.phase, last.wave == step.wave, last.isPrune == isPrune {
                groups[groups.count - 1].steps.append(step)
            } else {
                groups.append(Group(phase: step.phase, wave: step.wave, isPrune: isPrune, steps: [step]))
            }
        }
        return groups
    }

    /// Phase, then wave, then kind order, then kind name (for kinds outside the order), then
    /// namespace and name.
    /// Where a step goes: phase, wave, kind (by ``KindOrder``, then by name), namespace, name.
    struct OrderKey: Comparable {
        var phase: SyncPhase
        var wave: Int
        var rank: Int
        var kind: String
        var namespace: String
        var name: String

        init(_ step: Step) {
            phase = step.phase
            wave = step.wave
            rank = KindOrder.rank(of: step.key.kind)
            kind = step.key.kind
            namespace = step.key.namespace
            name = step.key.name
        }

        static func < (a: OrderKey, b: OrderKey) -> Bool {
            if a.phase != b.phase { return a.phase < b.phase }
            if a.wave != b.wave { return a.wave < b.wave }
            if a.rank != b.rank { return a.rank < b.rank }
            if a.kind != b.kind { return a.kind < b.kind }
            if a.namespace != b.namespace { return a.namespace < b.namespace }
            return a.name < b.name
        }
    }

    /// `steps` in apply order (or its reverse, for prunes), stable. Each step's key is computed
    /// once and indices are sorted, not the large steps themselves.
    static func sortedInApplyOrder(_ steps: [Step], reversed: Bool = false) -> [Step] {
        let keys = steps.map(OrderKey.init)
        let order = keys.indices.sorted { i, j in reversed ? keys[j] < keys[i] : keys[i] < keys[j] }
        return order.map { steps[$0] }
    }

    /// Built-in kinds that are cluster-scoped.
    static let clusterScopedKinds: Set<String> = [
        "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass",
        "PersistentVolume", "PriorityClass", "IngressClass", "APIService", "Node", "PodSecurityPolicy",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "CSIDriver", "RuntimeClass",
    ]
}
