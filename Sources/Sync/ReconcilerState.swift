import Foundation
import GitSource
import KubeClient
import Manifests

/// Why an operation was started.
public enum OperationTrigger: String, Sendable, Hashable {
    /// The automated policy synced a new revision.
    case automated
    /// Self-heal undid drift in the cluster.
    case selfHeal
    /// An automated sync that failed, tried again.
    case retry
    /// A caller asked for a sync.
    case manual
    /// A caller asked for a rollback to an earlier revision.
    case rollback
}

/// A sync operation as the reconciler records it while it runs, so that one interrupted (the
/// process stopped or crashed) is carried out after a restart.
public struct OperationRecord: Sendable, Hashable {
    /// A unique identifier.
    public var id: String
    /// The revision being synced.
    public var revision: Revision
    /// Why it was started.
    public var trigger: OperationTrigger
    /// Whether it prunes.
    public var prune: Bool
    /// When it started.
    public var startedAt: Date

    /// A record of an operation.
    public init(
        id: String = UUID().uuidString.lowercased(),
        revision: Revision,
        trigger: OperationTrigger,
        prune: Bool,
        startedAt: Date = Date()
    ) {
        self.id = id
        self.revision = revision
        self.trigger = trigger
        self.prune = prune
        self.startedAt = startedAt
    }
}

/// What a reconciler keeps across restarts: the operation in flight, the kinds it manages (so an
/// object of a kind Git no longer holds is still found and pruned), and the last synced revision.
public struct ReconcilerState: Sendable, Hashable {
    /// The operation that was running; `nil` when none was.
    public var inFlight: OperationRecord?
    /// Every kind the application has applied objects of.
    public var managedKinds: Set<GroupVersionKind>
    /// The revision of the last successful sync.
    public var syncedRevision: Revision?
    /// The latest operations, for rollbacks. Saved without their per-resource results, which
    /// could outgrow a ConfigMap.
    public var history: SyncHistory

    /// A state.
    public init(
        inFlight: OperationRecord? = nil,
        managedKinds: Set<GroupVersionKind> = [],
        syncedRevision: Revision? = nil,
        history: SyncHistory = SyncHistory()
    ) {
        self.inFlight = inFlight
        self.managedKinds = managedKinds
        self.syncedRevision = syncedRevision
        self.history = history
    }

    /// The state as JSON (`version` 1).
    public func json() throws -> String {
        var o: ObjectValue = ["version": 1]
        if let r = inFlight {
            o.updateValue(
                [
                    "id": .string(r.id), "commit": .string(r.revision.commit),
                    "reference": r.revision.reference.map(Value.string) ?? .null,
                    "trigger": .string(r.trigger.rawValue), "prune": .bool(r.prune),
                    "startedAt": .string(r.startedAt.formatted(Self.timeFormat)),
                ],
                forKey: "inFlight"
            )
        }
        let kinds = managedKinds.map { "\($0.apiVersion) \($0.kind)" }.sorted()
        o.updateValue(.array(kinds.map(Value.string)), forKey: "managedKinds")
        if let s = syncedRevision {
            o.updateValue(
                ["commit": .string(s.commit), "reference": s.reference.map(Value.string) ?? .null],
                forKey: "syncedRevision"
            )
        }
        var historyValue = try Value(json: Array(JSONEncoder().encode(history)), source: "history")
        if case .array(var entries)? = historyValue["entries"] {
            for i in entries.indices {
                if case .object(var entry) = entries[i], case .object(var result)? = entry["result"] {
                    result.updateValue(.array([]), forKey: "resources")
                    entry.updateValue(.object(result), forKey: "result")
                    entries[i] = .object(entry)
                }
            }
            if case .object(var h) = historyValue {
                h.updateValue(.array(entries), forKey: "entries")
                historyValue = .object(h)
            }
        }
        o.updateValue(historyValue, forKey: "history")
        return String(decoding: try Value.object(o).jsonBytes(), as: UTF8.self)
    }

    /// Reads a state written by ``json()``.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) naming `source` and the field when the text is not
    ///   such a state.
    public init(json text: String, source: String) throws {
        func bad(_ what: String) -> SyncError {
            SyncError(.stateStore, object: nil, message: "\(source): \(what)")
        }
        let value: Value
        do { value = try Value(json: Array(text.utf8), source: source) } catch {
            throw bad("not JSON: \(error)")
        }
        guard value["version"]?.intValue == 1 else { throw bad("expected \"version\": 1") }
        func revision(_ v: Value?, _ field: String) throws -> Revision? {
            guard let v, !v.isNull else { return nil }
            guard let commit = v["commit"]?.stringValue, !commit.isEmpty else {
                throw bad("\(field).commit is missing")
            }
            return Revision(commit: commit, reference: v["reference"]?.stringValue)
        }
        if let r = value["inFlight"], !r.isNull {
            guard let rev = try revision(r, "inFlight") else { throw bad("inFlight is empty") }
            guard let id = r["id"]?.stringValue else { throw bad("inFlight.id is missing") }
            guard let t = r["trigger"]?.stringValue, let trigger = OperationTrigger(rawValue: t) else {
                throw bad("inFlight.trigger is missing or unknown")
            }
            guard let s = r["startedAt"]?.stringValue, let started = try? Date(s, strategy: Self.timeFormat) else {
                throw bad("inFlight.startedAt is not an RFC 3339 time")
            }
            inFlight = OperationRecord(
                id: id,
                revision: rev,
                trigger: trigger,
                prune: r["prune"]?.boolValue ?? false,
                startedAt: started
            )
        } else {
            inFlight = nil
        }
        var kinds: Set<GroupVersionKind> = []
        for item in value["managedKinds"]?.arrayValue ?? [] {
            let parts = (item.stringValue ?? "").split(separator: " ")
            guard parts.count == 2 else { throw bad("managedKinds holds '\(item)'; expected 'apiVersion Kind'") }
            kinds.insert(GroupVersionKind(apiVersion: String(parts[0]), kind: String(parts[1])))
        }
        managedKinds = kinds
        syncedRevision = try revision(value["syncedRevision"], "syncedRevision")
        if let h = value["history"], !h.isNull {
            do {
                history = try JSONDecoder().decode(SyncHistory.self, from: Data(try h.jsonBytes()))
            } catch {
                throw bad("history does not decode: \(error)")
            }
        } else {
            history = SyncHistory()
        }
    }

    /// RFC 3339 with fractional seconds, in UTC.
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

/// Where a reconciler keeps its ``ReconcilerState`` between runs.
///
/// ``ConfigMapStateStore`` (in the cluster, the default) and ``FileStateStore`` (a file the caller
/// chooses) are the implementations; ``ClosureStateStore`` plugs in two functions.
public protocol ReconcilerStateStore: Sendable {
    /// The saved state; `nil` when none was ever saved.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when it cannot be read or does not parse.
    func load() async throws -> ReconcilerState?
    /// Saves `state`, replacing the one saved before.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when it cannot be written.
    func save(_ state: ReconcilerState) async throws
}

/// Keeps the state in a ConfigMap of the destination cluster, under the key `state.json`, written
/// with server-side apply. A reconciler that runs in a Pod finds it again after a restart on
/// any node, without a volume, as Argo CD finds its operation in the Application resource.
///
/// The ConfigMap carries no tracking annotation: no application ever prunes it.
public struct ConfigMapStateStore: ReconcilerStateStore {
    /// The cluster.
    public let client: any ClusterReader & ClusterWriter
    /// The ConfigMap's namespace.
    public let namespace: String
    /// The ConfigMap's name.
    public let name: String
    /// The field manager of its writes.
    public let fieldManager: String

    /// A store in ConfigMap `name` of `namespace`.
    public init(
        client: any ClusterReader & ClusterWriter,
        namespace: String,
        name: String,
        fieldManager: String = "gitops-reconciler"
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.fieldManager = fieldManager
    }

    /// The ConfigMap name used for application `app` by default: `gitops-state-<app>`.
    public static func defaultName(app: String) -> String { "gitops-state-\(app)" }

    /// Reads the ConfigMap; `nil` when it does not exist.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when the cluster cannot be read or the content does not parse.
    public func load() async throws -> ReconcilerState? {
        let object: KubeObject
        do {
            object = try await client.get(
                GroupVersionKind(apiVersion: "v1", kind: "ConfigMap"),
                name: name,
                namespace: namespace
            )
        } catch let error as KubeError where error.isNotFound {
            return nil
        } catch {
            throw SyncError(
                .stateStore,
                object: nil,
                message: "cannot read ConfigMap \(namespace)/\(name): \(error)"
            )
        }
        guard let text = object["data"]?["state.json"]?.stringValue else { return nil }
        return try ReconcilerState(json: text, source: "ConfigMap \(namespace)/\(name) state.json")
    }

    /// Applies the ConfigMap.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when the cluster refuses it (a missing namespace, say).
    public func save(_ state: ReconcilerState) async throws {
        var object = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: name, namespace: namespace)
        object.setLabel("app.kubernetes.io/managed-by", to: fieldManager)
        object.fields.updateValue(["state.json": .string(try state.json())], forKey: "data")
        do {
            _ = try await client.apply(object, options: ApplyOptions(fieldManager: fieldManager, force: true))
        } catch {
            throw SyncError(
                .stateStore,
                object: nil,
                message: "cannot write ConfigMap \(namespace)/\(name): \(error)"
            )
        }
    }
}

/// Keeps the state in a file (written atomically), for a reconciler with a persistent volume or
/// one that runs outside the cluster.
public struct FileStateStore: ReconcilerStateStore {
    /// The file.
    public let path: String

    /// A store in the file at `path`; its directory must exist.
    public init(path: String) { self.path = path }

    /// Reads the file; `nil` when it does not exist.
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when it cannot be read or does not parse.
    public func load() async throws -> ReconcilerState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SyncError(.stateStore, object: nil, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try ReconcilerState(json: text, source: path)
    }

    /// Writes the file atomically (a temporary file renamed over it).
    ///
    /// - Throws: ``SyncError`` (`stateStore`) when it cannot be written.
    public func save(_ state: ReconcilerState) async throws {
        do { try state.json().write(toFile: path, atomically: true, encoding: .utf8) } catch let e as SyncError {
            throw e
        } catch {
            throw SyncError(.stateStore, object: nil, message: "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// A ``ReconcilerStateStore`` made of two functions.
public struct ClosureStateStore: ReconcilerStateStore {
    private let loadBody: @Sendable () async throws -> ReconcilerState?
    private let saveBody: @Sendable (ReconcilerState) async throws -> Void

    /// A store that calls `load` and `save`.
    public init(
        load: @escaping @Sendable () async throws -> ReconcilerState?,
        save: @escaping @Sendable (ReconcilerState) async throws -> Void
    ) {
        loadBody = load
        saveBody = save
    }

    /// Calls `load`.
    public func load() async throws -> ReconcilerState? { try await loadBody() }
    /// Calls `save`.
    public func save(_ state: ReconcilerState) async throws { try await saveBody(state) }
}
