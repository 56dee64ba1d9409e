import Manifests

/// The phases of a sync operation, in the order they run (Argo CD's resource hooks).
public enum SyncPhase: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Hooks that run before anything is applied (a database migration Job, say).
    case preSync = "PreSync"
    /// The application's resources, and hooks that run with them.
    case sync = "Sync"
    /// Hooks that run once every resource is applied and healthy.
    case postSync = "PostSync"
    /// Hooks that run only when the operation failed.
    case syncFail = "SyncFail"

    /// Orders phases as they run.
    public static func < (lhs: SyncPhase, rhs: SyncPhase) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// When a hook resource is deleted (`argocd.argoproj.io/hook-delete-policy`).
public enum HookDeletePolicy: String, Sendable, Hashable, CaseIterable {
    /// After the hook succeeded.
    case hookSucceeded = "HookSucceeded"
    /// After the hook failed.
    case hookFailed = "HookFailed"
    /// Before the hook is created again (the default when none is given).
    case beforeHookCreation = "BeforeHookCreation"
}

/// What the sync annotations of one object say, read with clear errors.
///
/// The annotations are Argo CD's, so repositories written for Argo CD work unchanged:
/// - `argocd.argoproj.io/hook`: `PreSync`, `Sync`, `PostSync`, `SyncFail`, `Skip`, or several
///   separated by commas;
/// - `argocd.argoproj.io/hook-delete-policy`: `HookSucceeded`, `HookFailed`,
///   `BeforeHookCreation`, or several;
/// - `argocd.argoproj.io/sync-wave`: an integer, 0 by default;
/// - `argocd.argoproj.io/sync-options`: `Prune=false`, `Delete=false`, `Replace=true`,
///   `ServerSideApply=true`... separated by commas.
public struct SyncAnnotations: Sendable, Hashable {
    /// The annotation keys.
    public enum Key {
        /// Marks a hook and its phases.
        public static let hook = "argocd.argoproj.io/hook"
        /// When a hook is deleted.
        public static let hookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
        /// The sync wave.
        public static let syncWave = "argocd.argoproj.io/sync-wave"
        /// Per-resource sync options.
        public static let syncOptions = "argocd.argoproj.io/sync-options"
    }

    /// The phases the object runs in as a hook; empty for a regular resource.
    public var hookPhases: [SyncPhase]
    /// Whether the object is marked `Skip`: it is neither applied nor pruned.
    public var skip: Bool
    /// When the hook is deleted; `[.beforeHookCreation]` for hooks that name none.
    public var deletePolicies: [HookDeletePolicy]
    /// The sync wave; lower waves are applied first.
    public var wave: Int
    /// Per-resource options, such as `["Prune": "false"]`.
    public var options: [String: String]

    /// Whether the object is a hook.
    public var isHook: Bool { !hookPhases.isEmpty }

    /// The annotations of an object that has none: a plain resource in wave 0.
    public static let plain = SyncAnnotations(hookPhases: [], skip: false, deletePolicies: [], wave: 0, options: [:])

    private init(
        hookPhases: [SyncPhase],
        skip: Bool,
        deletePolicies: [HookDeletePolicy],
        wave: Int,
        options: [String: String]
    ) {
        self.hookPhases = hookPhases
        self.skip = skip
        self.deletePolicies = deletePolicies
        self.wave = wave
        self.options = options
    }

    /// Reads the annotations of `object`.
    ///
    /// - Throws: ``SyncError`` naming the object and annotation when a value is not one of
    ///   those listed above or a wave is not an integer.
    public init(of object: KubeObject) throws {
        let annotations = object.annotations
        var phases: [SyncPhase] = []
        var skip = false
        if let text = annotations[Key.hook] {
            for item in Self.list(text) {
                if item == "Skip" {
                    skip = true
                } else if let phase = SyncPhase(rawValue: item) {
                    if !phases.contains(phase) { phases.append(phase) }
                } else {
                    throw SyncError.invalidAnnotation(
                        object: object.key,
                        annotation: Key.hook,
                        value: text,
                        expected: "PreSync, Sync, PostSync, SyncFail or Skip, separated by commas"
                    )
                }
            }
        }
        var policies: [HookDeletePolicy] = []
        if let text = annotations[Key.hookDeletePolicy] {
            for item in Self.list(text) {
                guard let policy = HookDeletePolicy(rawValue: item) else {
                    throw SyncError.invalidAnnotation(
                        object: object.key,
                        annotation: Key.hookDeletePolicy,
                        value: text,
                        expected: "HookSucceeded, HookFailed or BeforeHookCreation, separated by commas"
                    )
                }
                if !policies.contains(policy) { policies.append(policy) }
            }
        }
        if policies.isEmpty && !phases.isEmpty { policies = [.beforeHookCreation] }
        var wave = 0
        if let text = annotations[Key.syncWave] {
            guard let parsed = Int(text.trimmingSpaces) else {
                throw SyncError.invalidAnnotation(
                    object: object.key,
                    annotation: Key.syncWave,
                    value: text,
                    expected: "an integer such as -1, 0 or 5"
                )
            }
            wave = parsed
        }
        var options: [String: String] = [:]
        if let text = annotations[Key.syncOptions] {
            for item in Self.list(text) {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw SyncError.invalidAnnotation(
                        object: object.key,
                        annotation: Key.syncOptions,
                        value: text,
                        expected: "Name=value pairs separated by commas, such as Prune=false"
                    )
                }
                options[String(parts[0])] = String(parts[1])
            }
        }
        self.hookPhases = phases
        self.skip = skip
        self.deletePolicies = policies
        self.wave = wave
        self.options = options
    }

    /// Whether the option `name` is set to `false` (case-insensitively), as in `Prune=false`.
    public func isDisabled(_ name: String) -> Bool { options[name]?.lowercased() == "false" }

    /// Whether the option `name` is set to `true`, as in `Replace=true`.
    public func isEnabled(_ name: String) -> Bool { options[name]?.lowercased() == "true" }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
