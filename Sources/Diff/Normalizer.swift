import Manifests

/// Which side of a comparison an object is.
public enum DiffSide: Sendable, Hashable {
    /// The object rendered from Git.
    case desired
    /// The object read from the cluster (or predicted by a dry run).
    case live
}

/// What a ``Normalizer`` knows about the object it normalizes.
public struct NormalizationContext: Sendable {
    /// Which side the object is.
    public var side: DiffSide
    /// The object's identity.
    public var key: ResourceKey
    /// Whether the desired object of the pair carries `status` (it is then compared).
    public var desiredHasStatus: Bool

    /// A context for one object.
    public init(side: DiffSide, key: ResourceKey, desiredHasStatus: Bool = false) {
        self.side = side
        self.key = key
        self.desiredHasStatus = desiredHasStatus
    }
}

/// A step of the normalization pipeline: rewrites an object so that differences that are not
/// drift disappear before the comparison (a webhook's annotation, a field another tool owns, a
/// value the cluster writes in another spelling).
///
/// The built-in normalizations (``BuiltinNormalizers``) are fused into the comparison itself, so
/// that pairs that do not differ cost no copy; the normalizers given in
/// ``DiffOptions/normalizers`` run on copies of both objects, before the comparison, in order.
///
/// ```swift
/// // Drop an annotation a mutating webhook adds.
/// let dropInjected = NormalizerClosure { object, _ in
///     object.setAnnotation("sidecar.example.com/injected", to: nil)
/// }
/// ```
public protocol Normalizer: Sendable {
    /// Whether the normalizer has anything to do for objects of `key`; the comparison skips the
    /// copy and the call when none has. The default is `true`.
    func applies(to key: ResourceKey) -> Bool

    /// Rewrites `object` in place.
    ///
    /// - Throws: any error, which the comparison passes on for that pair.
    func normalize(_ object: inout KubeObject, context: NormalizationContext) throws
}

extension Normalizer {
    /// Every object.
    public func applies(to key: ResourceKey) -> Bool { true }
}

/// A ``Normalizer`` made of a closure, optionally restricted to some kinds.
public struct NormalizerClosure: Normalizer {
    private let body: @Sendable (inout KubeObject, NormalizationContext) throws -> Void
    private let filter: @Sendable (ResourceKey) -> Bool

    /// A normalizer that calls `body` for the objects `filter` accepts (all by default).
    public init(
        applyingTo filter: @escaping @Sendable (ResourceKey) -> Bool = { _ in true },
        _ body: @escaping @Sendable (inout KubeObject, NormalizationContext) throws -> Void
    ) {
        self.body = body
        self.filter = filter
    }

    /// Asks the filter.
    public func applies(to key: ResourceKey) -> Bool { filter(key) }

    /// Calls the closure.
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) throws {
        try body(&object, context)
    }
}

/// The built-in normalizers, as standalone steps. The comparison applies the same rules without
/// copying (see ``Differ``); these are for callers who want normalized objects themselves, such as
/// to store or print them.
public enum BuiltinNormalizers {
    /// All of them, in the order the comparison applies them.
    public static let all: [any Normalizer] = [
        ServerMetadataNormalizer(), StatusNormalizer(), SecretDataNormalizer(), QuantityNormalizer(),
        EmptyFieldsNormalizer(),
    ]
}

/// Removes the metadata the API server owns: `uid`, `resourceVersion`, `generation`,
/// `creationTimestamp`, `managedFields`, `selfLink`, `deletionTimestamp`,
/// `deletionGracePeriodSeconds`, and the `kubectl.kubernetes.io/last-applied-configuration`
/// annotation.
public struct ServerMetadataNormalizer: Normalizer {
    /// The metadata fields removed.
    public static let fields: [String] = [
        "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds",
    ]
    /// The annotation kubectl's client-side apply keeps the last applied object in.
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// The normalizer.
    public init() {}

    /// Removes the fields and the annotation; an emptied `annotations` map goes too.
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) {
        guard case .object(var metadata) = object["metadata"] ?? .null else { return }
        for field in ServerMetadataNormalizer.fields { metadata.removeValue(forKey: field) }
        if case .object(var annotations) = metadata["annotations"] ?? .null,
            annotations.removeValue(forKey: ServerMetadataNormalizer.lastAppliedAnnotation) != nil
        {
            metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
        }
        object["metadata"] = .object(metadata)
    }
}

/// Removes `status`, unless the desired object of the pair carries one (then it is compared).
public struct StatusNormalizer: Normalizer {
    /// The normalizer.
    public init() {}

    /// Removes `status` unless `context.desiredHasStatus`.
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) {
        if !context.desiredHasStatus { object["status"] = nil }
    }
}

/// Folds a Secret's `stringData` into `data`, base64-encoded, as the API server does on write
/// (a `stringData` entry wins over a `data` entry of the same key).
public struct SecretDataNormalizer: Normalizer {
    /// The normalizer.
    public init() {}

    /// Core-group Secrets only.
    public func applies(to key: ResourceKey) -> Bool { key.group.isEmpty && key.kind == "Secret" }

    /// Moves every `stringData` entry into `data`.
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) {
        SecretDataNormalizer.fold(&object.fields)
    }

    static func fold(_ fields: inout ObjectValue) {
        guard case .object(let stringData) = fields["stringData"] ?? .null else {
            if fields["stringData"] != nil { fields["stringData"] = nil }
            return
        }
        var data = fields["data"]?.objectValue ?? ObjectValue()
        for e in stringData.entries {
            let text: String
            switch e.value {
            case .string(let s): text = s
            case .null: continue
            default: text = e.value.description
            }
            data[e.key] = .string(Base64.encode(Array(text.utf8)))
        }
        fields["stringData"] = nil
        fields["data"] = .object(data)
    }
}

/// Rewrites resource quantities (`resources.requests`, `resources.limits`, a ResourceQuota's
/// `hard`, a PersistentVolume's `capacity`...) in one spelling, plain decimal (`1000m` and `1`
/// both become `1`, `1Gi` becomes `1073741824`), so that equal amounts compare equal.
public struct QuantityNormalizer: Normalizer {
    /// The names of the maps whose values are quantities.
    public static let quantityMaps: Set<String> = [
        "requests", "limits", "hard", "capacity", "allocatable", "overhead", "used", "min", "max", "default",
        "defaultRequest", "maxLimitRequestRatio",
    ]

    /// The normalizer.
    public init() {}

    /// Rewrites every quantity found under a map named in ``quantityMaps``.
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) {
        var value = object.value
        QuantityNormalizer.rewrite(&value, inQuantityMap: false)
        object.value = value
    }

    private static func rewrite(_ value: inout Value, inQuantityMap: Bool) {
        switch value {
        case .object(let o):
            var out = ObjectValue(minimumCapacity: o.count)
            for e in o.entries {
                var member = e.value
                if inQuantityMap, let q = Quantity(member) {
                    member = .string(q.description)
                } else {
                    rewrite(&member, inQuantityMap: quantityMaps.contains(e.key))
                }
                out[e.key] = member
            }
            value = .object(out)
        case .array(var a):
            value = .null
            for i in a.indices { rewrite(&a[i], inQuantityMap: false) }
            value = .array(a)
        default:
            break
        }
    }
}

/// Removes `null` members and empty maps and lists, which the API server treats as absent
/// (`annotations: {}`, `env: []`, `resources: {}`).
public struct EmptyFieldsNormalizer: Normalizer {
    /// The normalizer.
    public init() {}

    /// Removes them, deepest first (a map left empty by the removal goes too).
    public func normalize(_ object: inout KubeObject, context: NormalizationContext) {
        var value = object.value
        _ = EmptyFieldsNormalizer.prune(&value)
        object.value = value.objectValue == nil ? .object(ObjectValue()) : value
    }

    /// Prunes in place; returns whether the value is now empty or null.
    static func prune(_ value: inout Value) -> Bool {
        switch value {
        case .null: return true
        case .object(let o):
            var out = ObjectValue(minimumCapacity: o.count)
            for e in o.entries {
                var member = e.value
                if !prune(&member) { out[e.key] = member }
            }
            value = .object(out)
            return out.isEmpty
        case .array(var a):
            value = .null
            for i in a.indices { _ = prune(&a[i]) }
            value = .array(a)
            return a.isEmpty
        default: return false
        }
    }
}
