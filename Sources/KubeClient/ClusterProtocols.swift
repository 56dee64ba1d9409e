import Manifests

/// Options for a list.
public struct ListOptions: Sendable, Hashable {
    /// A label selector, such as `app=web,tier in (a,b)`.
    public var labelSelector: String?
    /// A field selector, such as `metadata.name=web`.
    public var fieldSelector: String?
    /// Page size; the client follows `continue` until the list is complete. nil for one request.
    public var pageSize: Int?
    /// `resourceVersion` (`"0"` for any cached version).
    public var resourceVersion: String?

    /// List options; pages of 500 by default.
    public init(
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        pageSize: Int? = 500,
        resourceVersion: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.resourceVersion = resourceVersion
    }
}

/// The objects of a list, every page joined.
public struct ObjectList: Sendable {
    /// The objects, each with its `apiVersion` and `kind` set.
    public var items: [KubeObject]
    /// The list's `resourceVersion`, to watch from.
    public var resourceVersion: String
}

/// Options for create, update, patch and apply.
public struct WriteOptions: Sendable, Hashable {
    /// `fieldManager`.
    public var fieldManager: String?
    /// `dryRun=All`: the server validates and answers without storing.
    public var dryRun: Bool
    /// `fieldValidation`: `Strict`, `Warn` or `Ignore`.
    public var fieldValidation: String?
    /// A subresource such as `status` or `scale`.
    public var subresource: String?

    /// Write options.
    public init(
        fieldManager: String? = nil,
        dryRun: Bool = false,
        fieldValidation: String? = nil,
        subresource: String? = nil
    ) {
        self.fieldManager = fieldManager
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
        self.subresource = subresource
    }
}

/// Options for server-side apply.
public struct ApplyOptions: Sendable, Hashable {
    /// `fieldManager`, required by the server.
    public var fieldManager: String
    /// `force`: take ownership of fields other managers own instead of failing with a 409.
    public var force: Bool
    /// `dryRun=All`.
    public var dryRun: Bool
    /// A subresource such as `status`.
    public var subresource: String?

    /// Apply options.
    public init(fieldManager: String, force: Bool = false, dryRun: Bool = false, subresource: String? = nil) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
        self.subresource = subresource
    }
}

/// A patch body and its type.
public enum Patch: Sendable, Hashable {
    /// RFC 6902 JSON patch: a list of operations.
    case json(Value)
    /// RFC 7386 JSON merge patch.
    case merge(Value)
    /// Kubernetes strategic merge patch (built-in types only).
    case strategicMerge(Value)

    var contentType: String {
        switch self {
        case .json: return "application/json-patch+json"
        case .merge: return "application/merge-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        }
    }

    var body: Value {
        switch self {
        case .json(let v), .merge(let v), .strategicMerge(let v): return v
        }
    }
}

/// Options for a delete.
public struct DeleteOptions: Sendable, Hashable {
    /// How dependents go.
    public enum Propagation: String, Sendable, Hashable {
        /// Delete dependents in the background.
        case background = "Background"
        /// Delete dependents first, then the owner.
        case foreground = "Foreground"
        /// Leave dependents.
        case orphan = "Orphan"
    }

    /// `propagationPolicy`.
    public var propagationPolicy: Propagation?
    /// `gracePeriodSeconds`.
    public var gracePeriodSeconds: Int?
    /// `preconditions.uid`: delete only this incarnation.
    public var preconditionUID: String?
    /// `preconditions.resourceVersion`: delete only this version.
    public var preconditionResourceVersion: String?
    /// `dryRun=All`.
    public var dryRun: Bool

    /// Delete options.
    public init(
        propagationPolicy: Propagation? = nil,
        gracePeriodSeconds: Int? = nil,
        preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil,
        dryRun: Bool = false
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    var body: Value {
        var o: ObjectValue = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let p = propagationPolicy { o.updateValue(.string(p.rawValue), forKey: "propagationPolicy") }
        if let g = gracePeriodSeconds { o.updateValue(.int(Int64(g)), forKey: "gracePeriodSeconds") }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var pre = ObjectValue()
            if let u = preconditionUID { pre.updateValue(.string(u), forKey: "uid") }
            if let r = preconditionResourceVersion { pre.updateValue(.string(r), forKey: "resourceVersion") }
            o.updateValue(.object(pre), forKey: "preconditions")
        }
        if dryRun { o.updateValue(["All"], forKey: "dryRun") }
        return .object(o)
    }
}

/// Options for a watch.
public struct WatchOptions: Sendable, Hashable {
    /// Where to start: a `resourceVersion` from a list; nil or `""` starts with the current state.
    public var resourceVersion: String?
    /// A label selector.
    public var labelSelector: String?
    /// A field selector.
    public var fieldSelector: String?
    /// Ask for `BOOKMARK` events (kept, so a resumed watch starts from the latest version).
    public var allowBookmarks: Bool
    /// Seconds the server keeps each watch request open before the client reconnects.
    public var timeoutSeconds: Int
    /// Reconnect after the server ends the stream or the connection drops (from the last seen
    /// `resourceVersion`); false ends the sequence instead.
    public var resume: Bool

    /// Watch options.
    public init(
        resourceVersion: String? = nil,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        allowBookmarks: Bool = true,
        timeoutSeconds: Int = 300,
        resume: Bool = true
    ) {
        self.resourceVersion = resourceVersion
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.resume = resume
    }
}

/// One watch event.
public struct WatchEvent: Sendable {
    /// The kind of change.
    public enum EventType: String, Sendable, Hashable {
        /// `ADDED`.
        case added = "ADDED"
        /// `MODIFIED`.
        case modified = "MODIFIED"
        /// `DELETED`.
        case deleted = "DELETED"
        /// `BOOKMARK`: only the object's `resourceVersion` (and annotations) are meaningful.
        case bookmark = "BOOKMARK"
    }

    /// The change.
    public var type: EventType
    /// The object after the change (before, for a delete).
    public var object: KubeObject

    /// Decodes one line of a watch stream.
    ///
    /// - Throws: ``KubeError`` carrying the `Status` for an `ERROR` event (`isGone` for a
    ///   410 too-old resourceVersion), or a decoding error.
    public init(json: some Collection<UInt8>) throws {
        let v: Value
        do { v = try Value(json: json, source: "watch event") } catch {
            throw KubeError(.decoding, "a watch event is not valid JSON: \(error)")
        }
        guard let t = v["type"]?.stringValue, let o = v["object"] else {
            throw KubeError(.decoding, "a watch event needs a type and an object")
        }
        if t == "ERROR" {
            let status = Status(o) ?? Status(code: 500, reason: "InternalError", message: "watch error")
            throw KubeError.api(status, httpStatus: status.code, location: "watch")
        }
        guard let type = EventType(rawValue: t) else {
            throw KubeError(.decoding, "unknown watch event type \(t)")
        }
        self.type = type
        do { object = try KubeObject(o) } catch {
            throw KubeError(.decoding, "a watch event's object is not an object: \(error)")
        }
    }

    /// An event.
    public init(type: EventType, object: KubeObject) {
        self.type = type
        self.object = object
    }
}

/// One served resource: what discovery says about it.
public struct APIResource: Sendable, Hashable {
    /// The API group (`""` for core).
    public var group: String
    /// The version.
    public var version: String
    /// The kind.
    public var kind: String
    /// The plural resource name in paths, such as `deployments`.
    public var resource: String
    /// Whether objects live in namespaces.
    public var namespaced: Bool
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    public var verbs: [String]
    /// Subresources, such as `status` and `scale`.
    public var subresources: [String]

    /// The group-version-kind.
    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
}

/// Reads objects from a cluster.
public protocol ClusterReader: Sendable {
    /// Gets one object.
    ///
    /// - Throws: ``KubeError`` (`isNotFound` when it does not exist).
    func get(_ kind: GroupVersionKind, name: String, namespace: String?) async throws -> KubeObject
    /// Lists objects of a kind, in one namespace or (namespace nil) all, following pages.
    ///
    /// - Throws: ``KubeError``.
    func list(_ kind: GroupVersionKind, namespace: String?, options: ListOptions) async throws -> ObjectList
}

/// Writes objects to a cluster.
public protocol ClusterWriter: Sendable {
    /// Creates an object (POST). - Throws: ``KubeError`` (`isAlreadyExists`, `isInvalid`...).
    func create(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject
    /// Replaces an object (PUT); its `resourceVersion` makes it conditional. - Throws: ``KubeError`` (`isConflict`).
    func update(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject
    /// Patches an object. - Throws: ``KubeError``.
    func patch(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        patch: Patch,
        options: WriteOptions
    ) async throws -> KubeObject
    /// Server-side apply. - Throws: ``KubeError`` (`isConflict` for field conflicts without `force`).
    func apply(_ object: KubeObject, options: ApplyOptions) async throws -> KubeObject
    /// Deletes an object; returns it when the server still holds it (finalizers), nil when gone.
    /// - Throws: ``KubeError`` (`isNotFound`, `isConflict` for a failed precondition).
    func delete(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        options: DeleteOptions
    ) async throws -> KubeObject?
}

/// Watches a kind.
public protocol ClusterWatcher: Sendable {
    /// Events of a kind as they happen. The sequence throws ``KubeError`` with `isGone` when the
    /// resourceVersion is too old (list again, then watch from the list's version).
    func watch(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: WatchOptions
    ) -> AsyncThrowingStream<WatchEvent, Error>
}

/// What a cluster serves.
public protocol ResourceDiscovery: Sendable {
    /// Every served resource (every version).
    ///
    /// - Throws: ``KubeError``.
    func resources() async throws -> [APIResource]
    /// The resource for a kind, refreshing discovery once on a miss (a CRD created since).
    ///
    /// - Throws: ``KubeError`` when the kind is not served.
    func resource(for kind: GroupVersionKind) async throws -> APIResource
}

/// Everything `Sync` needs from a cluster.
public typealias ClusterClient = ClusterReader & ClusterWriter & ClusterWatcher & ResourceDiscovery

extension ClusterReader {
    /// Gets the live version of `object`.
    public func get(_ object: KubeObject) async throws -> KubeObject {
        guard let gvk = object.groupVersionKind, let name = object.name else {
            throw KubeError(.configuration, "the object needs apiVersion, kind and metadata.name")
        }
        return try await get(gvk, name: name, namespace: object.namespace)
    }
}

extension ClusterWriter {
    /// Deletes `object`.
    @discardableResult
    public func delete(_ object: KubeObject, options: DeleteOptions = DeleteOptions()) async throws -> KubeObject? {
        guard let gvk = object.groupVersionKind, let name = object.name else {
            throw KubeError(.configuration, "the object needs apiVersion, kind and metadata.name")
        }
        return try await delete(gvk, name: name, namespace: object.namespace, options: options)
    }
}

/// A ``ClusterReader`` made of closures, to plug a function in (a cache, a fake).
public struct ClosureClusterReader: ClusterReader {
    let getBody: @Sendable (GroupVersionKind, String, String?) async throws -> KubeObject
    let listBody: @Sendable (GroupVersionKind, String?, ListOptions) async throws -> ObjectList

    /// A reader from two functions.
    public init(
        get: @escaping @Sendable (GroupVersionKind, String, String?) async throws -> KubeObject,
        list: @escaping @Sendable (GroupVersionKind, String?, ListOptions) async throws -> ObjectList
    ) {
        getBody = get
        listBody = list
    }

    /// Calls `get`.
    public func get(_ kind: GroupVersionKind, name: String, namespace: String?) async throws -> KubeObject {
        try await getBody(kind, name, namespace)
    }

    /// Calls `list`.
    public func list(_ kind: GroupVersionKind, namespace: String?, options: ListOptions) async throws -> ObjectList {
        try await listBody(kind, namespace, options)
    }
}

/// A ``ClusterWriter`` made of closures, to plug a function in (an audit log in front of a real
/// client, a recorder in a dry run).
///
/// Each verb defaults to delegating nowhere: leave one out and calling it throws a
/// configuration ``KubeError`` that names the verb.
///
/// ```swift
/// let recorder = ClosureClusterWriter(apply: { object, options in
///     log.append(object)
///     return try await client.apply(object, options: options)
/// })
/// ```
public struct ClosureClusterWriter: ClusterWriter {
    let createBody: @Sendable (KubeObject, WriteOptions) async throws -> KubeObject
    let updateBody: @Sendable (KubeObject, WriteOptions) async throws -> KubeObject
    let patchBody: @Sendable (GroupVersionKind, String, String?, Patch, WriteOptions) async throws -> KubeObject
    let applyBody: @Sendable (KubeObject, ApplyOptions) async throws -> KubeObject
    let deleteBody: @Sendable (GroupVersionKind, String, String?, DeleteOptions) async throws -> KubeObject?

    /// A writer from functions; a verb left out throws when called.
    public init(
        create: (@Sendable (KubeObject, WriteOptions) async throws -> KubeObject)? = nil,
        update: (@Sendable (KubeObject, WriteOptions) async throws -> KubeObject)? = nil,
        patch: (@Sendable (GroupVersionKind, String, String?, Patch, WriteOptions) async throws -> KubeObject)? = nil,
        apply: (@Sendable (KubeObject, ApplyOptions) async throws -> KubeObject)? = nil,
        delete: (@Sendable (GroupVersionKind, String, String?, DeleteOptions) async throws -> KubeObject?)? = nil
    ) {
        createBody = create ?? { _, _ in throw Self.unsupported("create") }
        updateBody = update ?? { _, _ in throw Self.unsupported("update") }
        patchBody = patch ?? { _, _, _, _, _ in throw Self.unsupported("patch") }
        applyBody = apply ?? { _, _ in throw Self.unsupported("apply") }
        deleteBody = delete ?? { _, _, _, _ in throw Self.unsupported("delete") }
    }

    static func unsupported(_ verb: String) -> KubeError {
        KubeError(.configuration, "this ClosureClusterWriter was given no '\(verb)' function")
    }

    /// Calls `create`.
    public func create(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        try await createBody(object, options)
    }

    /// Calls `update`.
    public func update(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        try await updateBody(object, options)
    }

    /// Calls `patch`.
    public func patch(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        patch: Patch,
        options: WriteOptions
    ) async throws -> KubeObject {
        try await patchBody(kind, name, namespace, patch, options)
    }

    /// Calls `apply`.
    public func apply(_ object: KubeObject, options: ApplyOptions) async throws -> KubeObject {
        try await applyBody(object, options)
    }

    /// Calls `delete`.
    public func delete(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        options: DeleteOptions
    ) async throws -> KubeObject? {
        try await deleteBody(kind, name, namespace, options)
    }
}

/// A ``ClusterWatcher`` made of a closure, to feed events from elsewhere (a shared informer, a
/// recorded stream).
public struct ClosureClusterWatcher: ClusterWatcher {
    let watchBody: @Sendable (GroupVersionKind, String?, WatchOptions) -> AsyncThrowingStream<WatchEvent, Error>

    /// A watcher from one function.
    public init(
        watch: @escaping @Sendable (GroupVersionKind, String?, WatchOptions) -> AsyncThrowingStream<WatchEvent, Error>
    ) {
        watchBody = watch
    }

    /// Calls `watch`.
    public func watch(
        _ kind: GroupVersionKind,
        namespace: String?,
        options: WatchOptions
    ) -> AsyncThrowingStream<WatchEvent, Error> {
        watchBody(kind, namespace, options)
    }
}

/// A ``ResourceDiscovery`` made of a closure that lists the served resources; `resource(for:)`
/// looks the kind up in that list, asking once more on a miss as ``KubernetesClient`` does.
public struct ClosureResourceDiscovery: ResourceDiscovery {
    let resourcesBody: @Sendable () async throws -> [APIResource]

    /// Discovery from one function that returns every served resource.
    public init(resources: @escaping @Sendable () async throws -> [APIResource]) {
        resourcesBody = resources
    }

    /// Calls `resources`.
    public func resources() async throws -> [APIResource] {
        try await resourcesBody()
    }

    /// The resource for `kind` from `resources()`, asked twice before giving up.
    ///
    /// - Throws: a discovery ``KubeError`` naming the kind when it is not served.
    public func resource(for kind: GroupVersionKind) async throws -> APIResource {
        for _ in 0..<2 {
            if let found = try await resourcesBody().first(where: { $0.groupVersionKind == kind }) {
                return found
            }
        }
        throw KubeError(.discovery, "the cluster does not serve \(kind)", httpStatus: 404)
    }
}
