import Manifests

/// One difference between a desired and a live object.
public struct Change: Sendable, Hashable, CustomStringConvertible {
    /// What kind of difference it is.
    public enum Kind: String, Sendable, Hashable {
        /// Desired has it, live does not: applying adds it.
        case added
        /// Live has it (and this manager set it before), desired no longer does: applying removes it.
        case removed
        /// Both have it, with different values.
        case modified
    }

    /// What kind of difference it is.
    public var kind: Kind
    /// Where, in the path language (`/spec/template/spec/containers[name=app]/image`).
    public var path: FieldPath
    /// Where, as a JSON pointer into the live object (list positions are live positions; an
    /// element live lacks ends in `-`).
    public var pointer: JSONPointer
    /// The live value; `nil` for ``Kind/added``.
    public var old: Value?
    /// The desired value; `nil` for ``Kind/removed``.
    public var new: Value?

    /// A change.
    public init(kind: Kind, path: FieldPath, pointer: JSONPointer, old: Value?, new: Value?) {
        self.kind = kind
        self.path = path
        self.pointer = pointer
        self.old = old
        self.new = new
    }

    /// `~ /spec/replicas: 3 -> 5`, `+ path: value`, `- path: value`.
    public var description: String {
        switch kind {
        case .added: return "+ \(path): \(new?.description ?? "")"
        case .removed: return "- \(path): \(old?.description ?? "")"
        case .modified: return "~ \(path): \(old?.description ?? "") -> \(new?.description ?? "")"
        }
    }
}

/// What an ``IgnoreRule`` may look at besides the change.
public struct IgnoreContext: Sendable {
    /// The object's identity.
    public var key: ResourceKey
    /// The live object as read (with its `managedFields`).
    public var live: KubeObject
    /// The desired object.
    public var desired: KubeObject

    /// A context.
    public init(key: ResourceKey, live: KubeObject, desired: KubeObject) {
        self.key = key
        self.live = live
        self.desired = desired
    }
}

/// Decides that a difference is not drift: a field an autoscaler owns, an image a policy
/// controller rewrites. Rules are asked only about differences, so they cost nothing for objects
/// in sync.
public protocol IgnoreRule: Sendable {
    /// Whether `change` is to be left out.
    func ignores(_ change: Change, context: IgnoreContext) -> Bool
}

/// An ``IgnoreRule`` made of a closure.
public struct IgnoreRuleClosure: IgnoreRule {
    private let body: @Sendable (Change, IgnoreContext) -> Bool

    /// A rule that asks `body`.
    public init(_ body: @escaping @Sendable (Change, IgnoreContext) -> Bool) { self.body = body }

    /// Calls the closure.
    public func ignores(_ change: Change, context: IgnoreContext) -> Bool { body(change, context) }
}

/// Which objects a rule is for: each part that is set must match (`nil` matches everything).
public struct ObjectSelector: Sendable, Hashable {
    /// The API group (`""` is the core group).
    public var group: String?
    /// The kind.
    public var kind: String?
    /// The namespace.
    public var namespace: String?
    /// The name.
    public var name: String?

    /// A selector; with no arguments, every object.
    public init(group: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// Whether `key` matches.
    public func matches(_ key: ResourceKey) -> Bool {
        (group == nil || group == key.group) && (kind == nil || kind == key.kind)
            && (namespace == nil || namespace == key.namespace) && (name == nil || name == key.name)
    }
}

/// Ignores differences at or under paths of the path language (see ``PathPattern``), for the
/// objects a selector matches.
///
/// ```swift
/// let rule = try PathIgnoreRule(
///     ["/spec/replicas", "/spec/template/spec/containers[name=app]/image"],
///     for: ObjectSelector(group: "apps", kind: "Deployment"))
/// ```
public struct PathIgnoreRule: IgnoreRule {
    /// The patterns.
    public let patterns: [PathPattern]
    /// The objects the rule is for.
    public let selector: ObjectSelector

    /// A rule from pattern texts.
    ///
    /// - Throws: ``DiffError`` (`.invalidPath`) for a malformed pattern.
    public init(_ patterns: [String], for selector: ObjectSelector = ObjectSelector()) throws {
        self.patterns = try patterns.map(PathPattern.init)
        self.selector = selector
    }

    /// Whether a pattern matches the change's path or an ancestor.
    public func ignores(_ change: Change, context: IgnoreContext) -> Bool {
        selector.matches(context.key) && patterns.contains { $0.matches(change.path) }
    }
}

/// Ignores differences at or under JSON pointers (RFC 6901) into the live object, as Argo CD's
/// `jsonPointers`: list positions are positions in the live list.
public struct JSONPointerIgnoreRule: IgnoreRule {
    /// The pointers.
    public let pointers: [JSONPointer]
    /// The objects the rule is for.
    public let selector: ObjectSelector

    /// A rule from pointer texts.
    ///
    /// - Throws: `ManifestError` for a malformed pointer.
    public init(_ pointers: [String], for selector: ObjectSelector = ObjectSelector()) throws {
        self.pointers = try pointers.map(JSONPointer.init)
        self.selector = selector
    }

    /// Whether a pointer is the change's pointer or a prefix of it.
    public func ignores(_ change: Change, context: IgnoreContext) -> Bool {
        guard selector.matches(context.key) else { return false }
        return pointers.contains { p in
            p.tokens.count <= change.pointer.tokens.count && change.pointer.tokens.starts(with: p.tokens)
        }
    }
}

/// Ignores every difference in fields that other field managers own in the live object's
/// `managedFields`, such as `kube-controller-manager` or a HorizontalPodAutoscaler owning
/// `spec.replicas` (Argo CD's `managedFieldsManagers`).
public struct ManagedFieldsIgnoreRule: IgnoreRule {
    /// The managers whose fields are ignored.
    public let managers: [String]
    /// The objects the rule is for.
    public let selector: ObjectSelector

    /// A rule for `managers`.
    public init(managers: [String], for selector: ObjectSelector = ObjectSelector()) {
        self.managers = managers
        self.selector = selector
    }

    /// Whether one of the managers owns the change's path in the live object.
    public func ignores(_ change: Change, context: IgnoreContext) -> Bool {
        guard selector.matches(context.key),
            let fields = FieldsV1.fields(of: managers, in: context.live.fields)
        else { return false }
        return FieldsV1.owns(fields, change.path)
    }
}
