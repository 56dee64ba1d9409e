/// The identity kustomize gives an object: group, version, kind, name and namespace.
struct KustomizeID: Hashable, CustomStringConvertible {
    var gvk: GroupVersionKind
    var name: String
    var namespace: String

    /// The namespace as kustomize compares it: `default` for an unset namespace of a namespaced kind,
    /// empty for cluster-scoped kinds.
    var effectiveNamespace: String {
        if KustomizeTables.isClusterScoped(gvk) { return "" }
        return namespace.isEmpty ? "default" : namespace
    }

    /// kustomize's `ResId.Equals`: the same group, version, kind and name, and the same effective namespace.
    func equals(_ other: KustomizeID) -> Bool {
        gvk == other.gvk && name == other.name && effectiveNamespace == other.effectiveNamespace
    }

    /// What ``equals(_:)`` compares, for hashing.
    struct Key: Hashable {
        var gvk: GroupVersionKind
        var name: String
        var namespace: String
    }

    var key: Key { Key(gvk: gvk, name: name, namespace: effectiveNamespace) }

    var description: String {
        "\(gvk.apiVersion)/\(gvk.kind)/" + (namespace.isEmpty ? "" : namespace + "/") + name
    }
}

/// An object being built, with what kustomize remembers about it.
struct KustomizeResource {
    var value: Value
    /// The ids it had before each rename, oldest first.
    var previousIDs: [KustomizeID] = []
    /// Whether a generator asked for a name hash suffix.
    var needsHash = false
    /// The generator behavior (`create`, `merge`, `replace`), for generated objects.
    var behavior: String?
    /// The name prefixes and suffixes applied to it, innermost first.
    var prefixes: [String] = []
    var suffixes: [String] = []
    /// Where it was read or generated, for messages.
    var source: String

    var gvk: GroupVersionKind {
        GroupVersionKind(apiVersion: value["apiVersion"]?.stringValue ?? "", kind: value["kind"]?.stringValue ?? "")
    }

    var name: String { value["metadata"]?["name"]?.stringValue ?? "" }
    var namespace: String { value["metadata"]?["namespace"]?.stringValue ?? "" }

    var currentID: KustomizeID { KustomizeID(gvk: gvk, name: name, namespace: namespace) }
    var originalID: KustomizeID { previousIDs.first ?? currentID }

    /// Every id it has had, the current one last.
    var allIDs: [KustomizeID] { previousIDs + [currentID] }

    mutating func storePreviousID() { previousIDs.append(currentID) }

    mutating func setName(_ name: String) { value["metadata"]?["name"] = .string(name) }

    mutating func setNamespace(_ namespace: String) {
        if value["metadata"] == nil { value["metadata"] = [:] }
        value["metadata"]?["namespace"] = .string(namespace)
    }

    func labels() -> ObjectValue { value["metadata"]?["labels"]?.objectValue ?? ObjectValue() }
    func annotations() -> ObjectValue { value["metadata"]?["annotations"]?.objectValue ?? ObjectValue() }

    /// Whether `p` prefixes and suffixes end like `o`'s (kustomize's `PrefixesSuffixesEquals`).
    func prefixesSuffixesEqual(_ o: KustomizeResource, allowEmpty: Bool) -> Bool {
        func sameEnding(_ a: [String], _ b: [String]) -> Bool {
            let n = min(a.count, b.count)
            return Array(a.suffix(n)) == Array(b.suffix(n))
        }
        if allowEmpty {
            let prefixOK = prefixes.isEmpty || o.prefixes.isEmpty || sameEnding(prefixes, o.prefixes)
            let suffixOK = suffixes.isEmpty || o.suffixes.isEmpty || sameEnding(suffixes, o.suffixes)
            return prefixOK && suffixOK
        }
        return sameEnding(prefixes, o.prefixes) && sameEnding(suffixes, o.suffixes)
    }
}
