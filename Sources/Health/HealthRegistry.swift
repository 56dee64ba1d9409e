import Manifests

/// Which layer of a ``HealthRegistry`` decided an object's health.
public enum HealthSource: Sendable, Hashable, CustomStringConvertible {
    /// A check registered with ``HealthRegistry/register(_:group:kind:)``.
    case registered
    /// `metadata.deletionTimestamp` is set: the object is being deleted.
    case deletion
    /// A Lua health script, by path.
    case script(String)
    /// The built-in rule for the kind.
    case builtIn
    /// The generic rules (observed generation, `Ready`/`Reconciling`/`Stalled` conditions).
    case generic

    /// `registered`, `deletion`, `script <path>`, `built-in` or `generic`.
    public var description: String {
        switch self {
        case .registered: return "registered"
        case .deletion: return "deletion"
        case .script(let path): return "script \(path)"
        case .builtIn: return "built-in"
        case .generic: return "generic"
        }
    }
}

/// An object's health and the layer that decided it.
public struct HealthAssessment: Sendable, Hashable {
    /// The health.
    public var status: HealthStatus
    /// Which layer decided it.
    public var source: HealthSource

    /// An assessment of `status` from `source`.
    public init(status: HealthStatus, source: HealthSource) {
        self.status = status
        self.source = source
    }
}

/// Decides an object's health by asking, in order: the checks registered for its group and kind,
/// then (unless it carries Argo CD's hook finalizer) whether it is being deleted, then its Lua
/// health script, then the built-in rule for its kind, then the generic rules. The first layer
/// that answers decides; an object no layer answers for has no health (`nil`), like a ConfigMap.
/// An error thrown by a check or a script becomes Unknown with the error as the message.
///
/// ```swift
/// var registry = HealthRegistry(scripts: try LuaHealthScripts(directory: "health"))
/// registry.register(ClosureHealthCheck { _ in .healthy("always") }, group: "example.com", kind: "*")
/// let health = registry.health(of: object)   // HealthStatus?
/// ```
public struct HealthRegistry: Sendable {
    private struct Registration: Sendable {
        var group: WildcardPattern
        var kind: WildcardPattern
        var check: any HealthCheck
    }

    /// Argo CD's finalizer on hook resources; such an object being deleted is still assessed.
    public static let hookFinalizer = "argocd.argoproj.io/hook-finalizer"

    private var registrations: [Registration] = []
    /// The Lua health scripts, if any.
    public var scripts: LuaHealthScripts?
    /// Whether the built-in rules are used.
    public var builtInRules: Bool
    /// Whether the generic rules are used for kinds nothing else assesses.
    public var genericRules: Bool
    /// Whether Lua scripts assess objects that are being deleted (before the "Pending deletion"
    /// rule) instead of after it. Off by default, as Argo CD assesses live objects; the
    /// ``HealthTestRunner`` turns it on, as Argo CD's test harness runs scripts directly on their
    /// inputs.
    public var scriptsSeeDeletingObjects = false

    /// A registry with optional Lua `scripts`, the built-in rules and the generic rules.
    public init(scripts: LuaHealthScripts? = nil, builtInRules: Bool = true, genericRules: Bool = true) {
        self.scripts = scripts
        self.builtInRules = builtInRules
        self.genericRules = genericRules
    }

    /// Registers `check` for objects of `group` and `kind`; `*` in either matches any text (the
    /// core group is the empty string). Checks registered earlier are asked first.
    public mutating func register(_ check: some HealthCheck, group: String = "*", kind: String = "*") {
        registrations.append(Registration(group: WildcardPattern(group), kind: WildcardPattern(kind), check: check))
    }

    /// Registers a closure for objects of `group` and `kind` (see ``register(_:group:kind:)``).
    public mutating func register(
        group: String = "*",
        kind: String = "*",
        _ body: @escaping @Sendable (KubeObject) throws -> HealthStatus?
    ) {
        register(ClosureHealthCheck(body), group: group, kind: kind)
    }

    /// The object's health, or `nil` when nothing assesses its kind.
    public func health(of object: KubeObject) -> HealthStatus? { assess(object)?.status }

    /// The object's health and the layer that decided it, or `nil` when nothing assesses its kind.
    public func assess(_ object: KubeObject) -> HealthAssessment? {
        let kind = object.kindName
        if !registrations.isEmpty {
            let group = object.group
            for registration in registrations
            where registration.group.matches(group) && registration.kind.matches(kind) {
                do {
                    if let status = try registration.check.health(of: object) {
                        return HealthAssessment(status: status, source: .registered)
                    }
                } catch {
                    return HealthAssessment(status: .unknown("\(error)"), source: .registered)
                }
            }
        }
        let pendingDeletion = object.isBeingDeleted && !object.finalizers.contains(Self.hookFinalizer)
        if pendingDeletion, !scriptsSeeDeletingObjects {
            return HealthAssessment(status: .progressing("Pending deletion"), source: .deletion)
        }
        if let scripts, let script = scripts.script(group: object.group, kind: kind) {
            do {
                if let status = try scripts.run(script, on: object) {
                    return HealthAssessment(status: status, source: .script(script.path))
                }
            } catch {
                return HealthAssessment(status: .unknown("\(error)"), source: .script(script.path))
            }
        }
        if pendingDeletion {
            return HealthAssessment(status: .progressing("Pending deletion"), source: .deletion)
        }
        if builtInRules,
            let rule = BuiltInHealthCheck.rule(
                apiVersion: object.fields.member("apiVersion")?.stringValue ?? "",
                kind: kind
            )
        {
            do {
                return HealthAssessment(status: try rule.health(of: object), source: .builtIn)
            } catch {
                return HealthAssessment(status: .unknown("\(error)"), source: .builtIn)
            }
        }
        if genericRules, let status = GenericHealthCheck().health(of: object) {
            return HealthAssessment(status: status, source: .generic)
        }
        return nil
    }
}
