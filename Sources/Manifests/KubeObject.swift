/// A Kubernetes object: a ``Value`` object with typed access to the fields every object has.
///
/// It keeps every field it was given, known or not, in order, and never adds an explicit `null`:
/// setting an accessor to `nil` removes the field.
///
/// ```swift
/// var object = try KubeObject(Value(yaml: text))
/// object.namespace = "staging"
/// object.setLabel("app.kubernetes.io/name", to: "web")
/// print(object.key)   // apps/Deployment/staging/web
/// ```
public struct KubeObject: Sendable, Hashable {
    /// All the object's fields.
    public var fields: ObjectValue

    /// Wraps an object value.
    ///
    /// - Throws: ``ManifestError`` when `value` is not an object.
    public init(_ value: Value) throws {
        guard case .object(let o) = value else {
            throw ManifestError(.invalidObject, "a Kubernetes object must be a mapping, not a \(value.kindName)")
        }
        fields = o
    }

    /// Wraps object fields.
    public init(fields: ObjectValue) { self.fields = fields }

    /// A new object with `apiVersion`, `kind`, and `metadata.name` (and `namespace` when given).
    public init(apiVersion: String, kind: String, name: String, namespace: String? = nil) {
        fields = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": ["name": .string(name)]]
        if let namespace { self.namespace = namespace }
    }

    /// The whole object as a value.
    public var value: Value {
        get { .object(fields) }
        set {
            if case .object(let o) = newValue { fields = o }
        }
    }

    /// A top-level field.
    public subscript(key: String) -> Value? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    /// The field at `pointer`, or `nil`.
    public subscript(pointer: JSONPointer) -> Value? { value[pointer] }

    // MARK: Type

    /// `apiVersion`, such as `apps/v1`.
    public var apiVersion: String? {
        get { fields["apiVersion"]?.stringValue }
        set { fields["apiVersion"] = newValue.map(Value.string) }
    }

    /// `kind`, such as `Deployment`.
    public var kind: String? {
        get { fields["kind"]?.stringValue }
        set { fields["kind"] = newValue.map(Value.string) }
    }

    /// The group, version and kind; `nil` when `apiVersion` or `kind` is missing.
    public var groupVersionKind: GroupVersionKind? {
        guard let apiVersion, let kind else { return nil }
        return GroupVersionKind(apiVersion: apiVersion, kind: kind)
    }

    /// The identity used to pair desired and live objects. Missing parts are empty strings.
    public var key: ResourceKey {
        ResourceKey(
            group: groupVersionKind?.group ?? "",
            kind: kind ?? "",
            namespace: namespace ?? "",
            name: name ?? ""
        )
    }

    // MARK: Metadata

    /// `metadata`, as an object.
    public var metadata: ObjectValue? { fields["metadata"]?.objectValue }

    private func metadataString(_ key: String) -> String? { fields["metadata"]?[key]?.stringValue }

    private mutating func setMetadata(_ key: String, _ value: Value?) {
        if value == nil, fields["metadata"] == nil { return }
        if case .object = fields["metadata"] ?? .null {} else { fields["metadata"] = [:] }
        fields["metadata"]?[key] = value
    }

    /// `metadata.name`.
    public var name: String? {
        get { metadataString("name") }
        set { setMetadata("name", newValue.map(Value.string)) }
    }

    /// `metadata.generateName`.
    public var generateName: String? {
        get { metadataString("generateName") }
        set { setMetadata("generateName", newValue.map(Value.string)) }
    }

    /// `metadata.namespace`.
    public var namespace: String? {
        get { metadataString("namespace") }
        set { setMetadata("namespace", newValue.map(Value.string)) }
    }

    /// `metadata.uid`, set by the API server.
    public var uid: String? { metadataString("uid") }

    /// `metadata.resourceVersion`, set by the API server.
    public var resourceVersion: String? {
        get { metadataString("resourceVersion") }
        set { setMetadata("resourceVersion", newValue.map(Value.string)) }
    }

    /// `metadata.generation`, which the API server bumps on changes to the spec.
    public var generation: Int64? { fields["metadata"]?["generation"]?.intValue }

    /// `metadata.creationTimestamp`, as written (RFC 3339).
    public var creationTimestamp: String? { metadataString("creationTimestamp") }

    /// `metadata.deletionTimestamp`, present while the object is being deleted.
    public var deletionTimestamp: String? { metadataString("deletionTimestamp") }

    /// `metadata.finalizers`.
    public var finalizers: [String] {
        fields["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// `metadata.labels`; entries whose value is not a string are left out.
    public var labels: [String: String] { stringMap("labels") }

    /// `metadata.annotations`; entries whose value is not a string are left out.
    public var annotations: [String: String] { stringMap("annotations") }

    private func stringMap(_ key: String) -> [String: String] {
        guard let o = fields["metadata"]?[key]?.objectValue else { return [:] }
        var map: [String: String] = [:]
        for e in o.entries { if let s = e.value.stringValue { map[e.key] = s } }
        return map
    }

    /// One label's value, or `nil`.
    public func label(_ key: String) -> String? { fields["metadata"]?["labels"]?[key]?.stringValue }

    /// One annotation's value, or `nil`.
    public func annotation(_ key: String) -> String? { fields["metadata"]?["annotations"]?[key]?.stringValue }

    /// Sets a label (keeping the order of the others), or removes it when `value` is `nil`; an
    /// emptied `labels` map is removed.
    public mutating func setLabel(_ key: String, to value: String?) { setMapEntry("labels", key, value) }

    /// Sets an annotation, or removes it when `value` is `nil`; an emptied map is removed.
    public mutating func setAnnotation(_ key: String, to value: String?) { setMapEntry("annotations", key, value) }

    private mutating func setMapEntry(_ map: String, _ key: String, _ value: String?) {
        var entries = fields["metadata"]?[map]?.objectValue ?? ObjectValue()
        entries[key] = value.map(Value.string)
        setMetadata(map, entries.isEmpty ? nil : .object(entries))
    }

    /// `metadata.ownerReferences`; malformed entries are left out.
    public var ownerReferences: [OwnerReference] {
        fields["metadata"]?["ownerReferences"]?.arrayValue?.compactMap(OwnerReference.init) ?? []
    }

    /// `metadata.managedFields`: which field manager owns which fields.
    public var managedFields: [ManagedFieldsEntry] {
        fields["metadata"]?["managedFields"]?.arrayValue?.compactMap(ManagedFieldsEntry.init) ?? []
    }

    /// `status`, written by controllers.
    public var status: Value? {
        get { fields["status"] }
        set { fields["status"] = newValue }
    }
}

extension KubeObject: CustomStringConvertible {
    /// The object's ``key``.
    public var description: String { key.description }
}

/// One entry of `metadata.ownerReferences`.
public struct OwnerReference: Sendable, Hashable {
    /// The owner's `apiVersion`.
    public var apiVersion: String
    /// The owner's kind.
    public var kind: String
    /// The owner's name.
    public var name: String
    /// The owner's UID.
    public var uid: String
    /// Whether the owner is the managing controller.
    public var controller: Bool
    /// Whether the owner cannot be deleted before this object (foreground deletion).
    public var blockOwnerDeletion: Bool

    /// An owner reference.
    public init(
        apiVersion: String,
        kind: String,
        name: String,
        uid: String,
        controller: Bool = false,
        blockOwnerDeletion: Bool = false
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Reads an owner reference; `nil` when a required field is missing.
    public init?(_ value: Value) {
        guard let apiVersion = value["apiVersion"]?.stringValue, let kind = value["kind"]?.stringValue,
            let name = value["name"]?.stringValue, let uid = value["uid"]?.stringValue
        else { return nil }
        self.init(
            apiVersion: apiVersion,
            kind: kind,
            name: name,
            uid: uid,
            controller: value["controller"]?.boolValue ?? false,
            blockOwnerDeletion: value["blockOwnerDeletion"]?.boolValue ?? false
        )
    }
}

/// One entry of `metadata.managedFields`.
public struct ManagedFieldsEntry: Sendable, Hashable {
    /// The field manager, such as `kubectl` or `kube-controller-manager`.
    public var manager: String
    /// `Apply` (server-side apply) or `Update`.
    public var operation: String
    /// The API version the fields are described in.
    public var apiVersion: String?
    /// When the entry last changed.
    public var time: String?
    /// The subresource (`status`, say) the entry is for; `nil` for the main resource.
    public var subresource: String?
    /// The owned fields in the `FieldsV1` format (`{"f:spec":{"f:replicas":{}}}`).
    public var fieldsV1: Value

    /// Reads an entry; `nil` when it has no manager.
    public init?(_ value: Value) {
        guard let manager = value["manager"]?.stringValue else { return nil }
        self.manager = manager
        operation = value["operation"]?.stringValue ?? ""
        apiVersion = value["apiVersion"]?.stringValue
        time = value["time"]?.stringValue
        subresource = value["subresource"]?.stringValue
        fieldsV1 = value["fieldsV1"] ?? [:]
    }
}
