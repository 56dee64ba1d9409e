import Manifests

/// What a ``Differ`` counts as drift.
public struct DiffOptions: Sendable {
    /// This tool's field manager: its `managedFields` entries say which fields it set before
    /// (offline mode) and which it owns (server-side mode).
    public var fieldManager: String
    /// Extra normalizers, run on copies of both objects before the comparison, after the built-in
    /// normalizations (which the comparison applies itself).
    public var normalizers: [any Normalizer]
    /// Rules that leave differences out.
    public var ignoreRules: [any IgnoreRule]
    /// List types of custom resources (and, if it knows them, of built-in kinds).
    public var schemaProvider: (any SchemaProvider)?
    /// The API server's defaults: a field this manager set before, removed from Git, whose live
    /// value is the default, is not drift. ``KnownDefault/builtin`` by default.
    public var knownDefaults: [KnownDefault] {
        didSet { knownDefaultsIndex = KnownDefaultsIndex(knownDefaults) }
    }
    /// ``knownDefaults`` by the member they are about.
    private(set) var knownDefaultsIndex: KnownDefaultsIndex
    /// Whether the `kubectl.kubernetes.io/last-applied-configuration` annotation tells which
    /// fields were set before, when the live object has no `managedFields` entry of
    /// ``fieldManager``.
    public var useLastApplied: Bool
    /// The namespace of desired objects that name none, when pairing them with live objects.
    public var defaultNamespace: String?

    /// Options; every parameter has a default.
    public init(
        fieldManager: String = "gitops", normalizers: [any Normalizer] = [], ignoreRules: [any IgnoreRule] = [],
        schemaProvider: (any SchemaProvider)? = nil, knownDefaults: [KnownDefault] = KnownDefault.builtin,
        useLastApplied: Bool = true, defaultNamespace: String? = nil
    ) {
        self.fieldManager = fieldManager
        self.normalizers = normalizers
        self.ignoreRules = ignoreRules
        self.schemaProvider = schemaProvider
        self.knownDefaults = knownDefaults
        self.knownDefaultsIndex = KnownDefaultsIndex(knownDefaults)
        self.useLastApplied = useLastApplied
        self.defaultNamespace = defaultNamespace
    }
}

/// The differences between one desired object and its live counterpart.
public struct ObjectDiff: Sendable {
    /// The object's identity.
    public var key: ResourceKey { desired.key }
    /// The differences, in the order found; values in a Secret's `data` and `stringData` are
    /// masked (see ``SecretMask``).
    public let changes: [Change]
    /// The differences with their real values, for the patches.
    let rawChanges: [Change]
    /// The live object compared (after custom normalizers).
    public let live: KubeObject
    /// The desired object compared (after custom normalizers and the Secret `stringData` fold).
    public let desired: KubeObject
    /// Whether `status` was compared (offline mode, desired has one).
    let comparesStatus: Bool

    /// Whether nothing differs.
    public var isInSync: Bool { changes.isEmpty }

    /// The RFC 6902 JSON Patch that turns live into desired (as far as desired sets fields).
    /// Values are real, not masked: it is meant to be applied, not shown.
    public func jsonPatch() -> Value { JSONPatch.operations(for: rawChanges) }

    /// The RFC 7386 merge patch that turns live into desired. A difference inside a list sets
    /// the whole list, as merge patches replace lists. Values are real, not masked.
    ///
    /// - Throws: ``DiffError`` if the changes do not apply to the live object (they always do
    ///   for a diff this module computed).
    public func mergePatch() throws -> Value {
        let patched = try JSONPatch.apply(jsonPatch(), to: live.value)
        return MergePatch.patch(for: rawChanges, live: live.value, patched: patched)
    }

    /// The live object as it is shown: without server-owned metadata and, unless desired has
    /// one, without `status`.
    func displayLive() -> Value {
        var object = live
        ServerMetadataNormalizer().normalize(&object, context: NormalizationContext(side: .live, key: key))
        StatusNormalizer().normalize(
            &object, context: NormalizationContext(side: .live, key: key, desiredHasStatus: comparesStatus))
        return object.value
    }

    /// A unified diff of the live object's YAML against the same object with the changes applied,
    /// like `kubectl diff`: fields the server defaulted show on both sides, so only drift shows.
    /// Secret values are masked. Empty when in sync.
    public func unifiedDiff(color: Bool = false, context: Int = 3) -> String {
        guard !rawChanges.isEmpty else { return "" }
        let before = displayLive()
        var after = (try? JSONPatch.apply(jsonPatch(), to: before)) ?? desired.value
        var shownBefore = before
        if SecretMask.isSecret(key) {
            shownBefore = SecretMask.masked(before)
            after = SecretMask.masked(after)
        }
        let name = key.description
        return TextDiff.unified(
            old: shownBefore.yamlString(), new: after.yamlString(), oldName: "live/\(name)", newName: "desired/\(name)",
            context: context, color: color)
    }
}

/// Where a resource stands.
public enum SyncState: String, Sendable, Hashable {
    /// Desired and live agree.
    case inSync
    /// Desired and live differ; see the ``ResourceDiff/diff``.
    case outOfSync
    /// Desired, but not in the cluster: to create.
    case missingLive
    /// In the cluster, but no longer desired: a prune candidate (whether this tool may delete it
    /// is the Sync module's decision).
    case pruneCandidate
}

/// One resource of a ``DiffReport``.
public struct ResourceDiff: Sendable {
    /// The identity.
    public var key: ResourceKey
    /// Where it stands.
    public var state: SyncState
    /// The desired object, unless a prune candidate.
    public var desired: KubeObject?
    /// The live object, unless missing live.
    public var live: KubeObject?
    /// The comparison, when both exist.
    public var diff: ObjectDiff?
}

/// The result of diffing a set of desired objects against the live ones.
public struct DiffReport: Sendable {
    /// Every resource: desired ones in their order, then prune candidates in key order.
    public var resources: [ResourceDiff]

    /// The resources in `state`.
    public func resources(in state: SyncState) -> [ResourceDiff] { resources.filter { $0.state == state } }

    /// Whether every desired resource is live and in sync, and nothing is left to prune.
    public var isInSync: Bool { resources.allSatisfy { $0.state == .inSync } }
}

/// Compares desired objects with live ones and decides what is drift.
///
/// The offline mode (``diff(desired:live:)``) needs no cluster: it walks desired, and a live field
/// desired does not set counts only if this field manager set it before (its `managedFields`
/// entry, else the last-applied annotation) and its value is not the API server's default. The
/// server-side mode (``serverSideDiff(desired:live:applier:)``) compares a dry-run apply's result
/// with live, only in fields this manager owns.
///
/// ```swift
/// let differ = Differ(DiffOptions(fieldManager: "gitops", ignoreRules: [
///     ManagedFieldsIgnoreRule(managers: ["kube-controller-manager"]),
/// ]))
/// let report = try differ.diff(desired: rendered, live: fromCluster)
/// for resource in report.resources(in: .outOfSync) { print(resource.diff?.unifiedDiff() ?? "") }
/// ```
public struct Differ: Sendable {
    /// The options.
    public var options: DiffOptions

    /// A differ with `options`.
    public init(_ options: DiffOptions = DiffOptions()) { self.options = options }

    /// Compares one desired object with its live counterpart (offline mode).
    ///
    /// - Throws: what a custom ``Normalizer`` throws.
    public func diff(desired: KubeObject, live: KubeObject) throws -> ObjectDiff {
        var desired = desired
        var live = live
        try prepare(&desired, &live)
        var comparator = Comparator(options: options, desired: desired, live: live)
        // Most pairs are in sync: a walk that builds nothing decides them; the full comparison
        // runs only for the others.
        if !comparator.isInSync(desired.fields, live.fields) {
            comparator.compareRoot(desired.fields, live.fields)
        }
        return finish(comparator.changes, desired: desired, live: live, comparesStatus: comparator.compareStatus)
    }

    /// The offline comparison without its fast path: the reference ``diff(desired:live:)`` must
    /// agree with, for tests.
    func fullDiff(desired: KubeObject, live: KubeObject) throws -> ObjectDiff {
        var desired = desired
        var live = live
        try prepare(&desired, &live)
        var comparator = Comparator(options: options, desired: desired, live: live)
        comparator.compareRoot(desired.fields, live.fields)
        return finish(comparator.changes, desired: desired, live: live, comparesStatus: comparator.compareStatus)
    }

    /// Whether the fast path alone says the pair is in sync, for tests.
    func fastPathSaysInSync(desired: KubeObject, live: KubeObject) throws -> Bool {
        var desired = desired
        var live = live
        try prepare(&desired, &live)
        var comparator = Comparator(options: options, desired: desired, live: live)
        return comparator.isInSync(desired.fields, live.fields)
    }

    /// Pairs desired and live objects by ``ResourceKey`` and compares each pair.
    ///
    /// - Throws: what a custom ``Normalizer`` throws.
    public func diff(desired: [KubeObject], live: [KubeObject]) throws -> DiffReport {
        var liveByKey: [ResourceKey: Int] = [:]
        liveByKey.reserveCapacity(live.count)
        for (i, object) in live.enumerated() { liveByKey[object.key] = i }
        var used = [Bool](repeating: false, count: live.count)
        var resources: [ResourceDiff] = []
        resources.reserveCapacity(desired.count)
        for object in desired {
            var key = object.key
            var index = liveByKey[key]
            if index == nil, key.namespace.isEmpty, let ns = options.defaultNamespace {
                key.namespace = ns
                index = liveByKey[key]
            }
            guard let index else {
                resources.append(ResourceDiff(key: key, state: .missingLive, desired: object, live: nil, diff: nil))
                continue
            }
            used[index] = true
            let d = try diff(desired: object, live: live[index])
            resources.append(
                ResourceDiff(key: key, state: d.isInSync ? .inSync : .outOfSync, desired: object, live: live[index], diff: d))
        }
        var prune: [ResourceDiff] = []
        for (i, object) in live.enumerated() where !used[i] {
            prune.append(ResourceDiff(key: object.key, state: .pruneCandidate, desired: nil, live: object, diff: nil))
        }
        prune.sort { $0.key < $1.key }
        return DiffReport(resources: resources + prune)
    }

    /// Compares the result of a server-side dry-run apply (`predicted`) with live, only in the
    /// fields ``DiffOptions/fieldManager`` owns in either (server-side mode): fields defaulted by
    /// the server, set by webhooks or owned by other managers drop out.
    ///
    /// - Throws: what a custom ``Normalizer`` throws.
    public func serverSideDiff(predicted: KubeObject, live: KubeObject) throws -> ObjectDiff {
        var predicted = predicted
        var live = live
        try prepare(&predicted, &live)
        var comparator = Comparator(options: options, desired: predicted, live: live)
        let manager = [options.fieldManager]
        var owned = FieldsV1.fields(of: manager, in: predicted.fields)
        if let liveOwned = FieldsV1.fields(of: manager, in: live.fields) {
            owned = owned.map { FieldsV1.union($0, liveOwned) } ?? liveOwned
        }
        if case .object(let o) = owned ?? .null {
            comparator.compareOwned(o, predicted: predicted.value, live: live.value, key: "", parentKey: "")
        }
        return finish(comparator.changes, desired: predicted, live: live, comparesStatus: false)
    }

    /// Asks `applier` for a dry-run server-side apply of `desired` as this field manager, then
    /// compares as ``serverSideDiff(predicted:live:)``. With no live object, the result is every
    /// owned field as an addition.
    ///
    /// - Throws: ``DiffError`` (`.dryRunFailed`) wrapping the applier's error.
    public func serverSideDiff(desired: KubeObject, live: KubeObject?, applier: some DryRunApplier) async throws
        -> ObjectDiff
    {
        let predicted: KubeObject
        do {
            predicted = try await applier.dryRunApply(desired, fieldManager: options.fieldManager)
        } catch {
            throw DiffError(.dryRunFailed, "dry-run apply of \(desired.key) failed: \(error)")
        }
        var base = live ?? KubeObject(fields: ObjectValue())
        if live == nil { base.fields["metadata"] = predicted["metadata"] }
        return try serverSideDiff(predicted: predicted, live: base)
    }

    private func prepare(_ desired: inout KubeObject, _ live: inout KubeObject) throws {
        if desired.fields["stringData"] != nil, Differ.isSecret(desired.fields) {
            SecretDataNormalizer.fold(&desired.fields)
        }
        guard !options.normalizers.isEmpty else { return }
        let key = desired.key
        let hasStatus = desired.fields["status"] != nil
        for normalizer in options.normalizers where normalizer.applies(to: key) {
            try normalizer.normalize(&desired, context: NormalizationContext(side: .desired, key: key, desiredHasStatus: hasStatus))
            try normalizer.normalize(&live, context: NormalizationContext(side: .live, key: key, desiredHasStatus: hasStatus))
        }
    }

    /// A core-group Secret, decided without building the key.
    static func isSecret(_ fields: ObjectValue) -> Bool {
        fields["kind"] == "Secret" && fields["apiVersion"] == "v1"
    }

    private func finish(_ raw: [Change], desired: KubeObject, live: KubeObject, comparesStatus: Bool) -> ObjectDiff {
        let shown = !raw.isEmpty && Differ.isSecret(desired.fields) ? raw.map(SecretMask.masked) : raw
        return ObjectDiff(changes: shown, rawChanges: raw, live: live, desired: desired, comparesStatus: comparesStatus)
    }
}

/// The seam of the server-side mode: something that performs a server-side apply with
/// `dryRun=All` and returns the object the server would store (KubeClient's `ClusterWriter`
/// provides one). Nothing is persisted.
public protocol DryRunApplier: Sendable {
    /// The object the API server would store if `object` were applied by `fieldManager`
    /// (`PATCH` `application/apply-patch+yaml`, `dryRun=All`, `force=true`).
    ///
    /// - Throws: the API server's error (a 422 for an invalid object, say).
    func dryRunApply(_ object: KubeObject, fieldManager: String) async throws -> KubeObject
}

/// A ``DryRunApplier`` made of a closure.
public struct DryRunApplierClosure: DryRunApplier {
    private let body: @Sendable (KubeObject, String) async throws -> KubeObject

    /// An applier that calls `body` with the object and the field manager.
    public init(_ body: @escaping @Sendable (KubeObject, String) async throws -> KubeObject) { self.body = body }

    /// Calls the closure.
    public func dryRunApply(_ object: KubeObject, fieldManager: String) async throws -> KubeObject {
        try await body(object, fieldManager)
    }
}
