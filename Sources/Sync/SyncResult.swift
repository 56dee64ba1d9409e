import Foundation
import Health
import Manifests

/// What a sync did to one resource.
public enum ResourceAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// The object did not exist and was created (hooks included).
    case created
    /// The object existed and the write changed it.
    case configured
    /// The object existed and already matched (the write changed nothing, or none was needed).
    case unchanged
    /// The object was deleted because Git no longer holds it.
    case pruned
    /// The object was left alone (see the message).
    case skipped
    /// The write, the deletion, the hook or the health check failed (see the message).
    case failed
}

/// The result of one resource in a sync operation.
public struct ResourceResult: Sendable, Hashable, Codable {
    /// The object's identity (for a hook with `generateName`, the name the server gave it).
    public var key: ResourceKey
    /// The phase it ran in.
    public var phase: SyncPhase
    /// Its sync wave.
    public var wave: Int
    /// What was done.
    public var action: ResourceAction
    /// Why, or what went wrong; empty when there is nothing to add.
    public var message: String
    /// Its health after the step (nil for kinds nothing assesses, such as ConfigMaps, and for
    /// objects not written).
    public var health: HealthStatus?
    /// Whether the object is a hook.
    public var isHook: Bool

    /// A result.
    public init(
        key: ResourceKey,
        phase: SyncPhase,
        wave: Int,
        action: ResourceAction,
        message: String = "",
        health: HealthStatus? = nil,
        isHook: Bool = false
    ) {
        self.key = key
        self.phase = phase
        self.wave = wave
        self.action = action
        self.message = message
        self.health = health
        self.isHook = isHook
    }

    private enum CodingKeys: String, CodingKey {
        case group, kind, namespace, name, phase, wave, action, message, health, healthMessage, isHook
    }

    /// Decodes a result written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing field or an unknown phase, action or health.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = ResourceKey(
            group: try c.decode(String.self, forKey: .group),
            kind: try c.decode(String.self, forKey: .kind),
            namespace: try c.decode(String.self, forKey: .namespace),
            name: try c.decode(String.self, forKey: .name)
        )
        phase = try c.decode(SyncPhase.self, forKey: .phase)
        wave = try c.decode(Int.self, forKey: .wave)
        action = try c.decode(ResourceAction.self, forKey: .action)
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
        if let code = try c.decodeIfPresent(String.self, forKey: .health) {
            guard let status = HealthStatusCode(rawValue: code) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .health,
                    in: c,
                    debugDescription: "unknown health status '\(code)'"
                )
            }
            health = HealthStatus(status, try c.decodeIfPresent(String.self, forKey: .healthMessage) ?? "")
        } else {
            health = nil
        }
        isHook = try c.decodeIfPresent(Bool.self, forKey: .isHook) ?? false
    }

    /// Encodes the key's parts, phase, wave, action, message and health as flat fields.
    ///
    /// - Throws: what the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key.group, forKey: .group)
        try c.encode(key.kind, forKey: .kind)
        try c.encode(key.namespace, forKey: .namespace)
        try c.encode(key.name, forKey: .name)
        try c.encode(phase, forKey: .phase)
        try c.encode(wave, forKey: .wave)
        try c.encode(action, forKey: .action)
        if !message.isEmpty { try c.encode(message, forKey: .message) }
        if let health {
            try c.encode(health.code.rawValue, forKey: .health)
            if !health.message.isEmpty { try c.encode(health.message, forKey: .healthMessage) }
        }
        if isHook { try c.encode(isHook, forKey: .isHook) }
    }
}

/// The result of one sync operation.
public struct SyncOperationResult: Sendable, Hashable, Codable {
    /// How the operation ended.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Every step ran and every wave became healthy.
        case succeeded = "Succeeded"
        /// A resource or hook failed, became Degraded, or did not become healthy in time; or the
        /// dry run refused the plan.
        case failed = "Failed"
        /// The operation could not run: an invalid annotation, an unreadable cluster, a
        /// cancellation.
        case error = "Error"
    }

    /// The revision synced (a commit, say).
    public var revision: String
    /// When the operation started.
    public var startedAt: Date
    /// When it finished.
    public var finishedAt: Date
    /// How it ended.
    public var status: Status
    /// What happened, for a person: the first failure, or a summary.
    public var message: String
    /// The last phase the operation reached (nil when it stopped before the first, as after a
    /// failed dry run).
    public var phase: SyncPhase?
    /// Whether this was a dry run only: nothing was changed.
    public var dryRun: Bool
    /// Every resource's result, in the order the steps ran; objects left alone at the end.
    public var resources: [ResourceResult]

    /// A result.
    public init(
        revision: String,
        startedAt: Date,
        finishedAt: Date,
        status: Status,
        message: String,
        phase: SyncPhase?,
        dryRun: Bool = false,
        resources: [ResourceResult]
    ) {
        self.revision = revision
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.message = message
        self.phase = phase
        self.dryRun = dryRun
        self.resources = resources
    }

    /// Whether the operation succeeded.
    public var succeeded: Bool { status == .succeeded }

    /// The results with `action`.
    public func resources(_ action: ResourceAction) -> [ResourceResult] { resources.filter { $0.action == action } }

    /// The latest result of the resource `key` (a hook that ran in two phases has two).
    public func resource(_ key: ResourceKey) -> ResourceResult? { resources.last { $0.key == key } }
}

extension SyncPhase: Codable {}
