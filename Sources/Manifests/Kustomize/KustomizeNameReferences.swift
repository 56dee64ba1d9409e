extension KustomizeTransforms {
    /// Updates the fields that name other objects of the build (kustomize's name-reference
    /// transformer), after prefixes, suffixes and hashes changed their names: a field holding an
    /// object's earlier name is set to its current name (and, for subjects and webhook services,
    /// namespace).
    static func fixNameReferences(_ list: inout [KustomizeResource]) throws {
        let index = ReferenceIndex(list)
        for r in list.indices {
            let referrerGVK = index.ids[r].gvk
            for reference in KustomizeTables.nameReferences {
                for spec in reference.referrers where spec.selects(referrerGVK) {
                    var value = list[r].value
                    let referrer = list[r]
                    let context = Context(
                        referrer: referrer,
                        referrerIndex: r,
                        reference: reference,
                        spec: spec,
                        index: index
                    )
                    try spec.visit(&value) { node in try fix(&node, context, list: list) }
                    list[r].value = value
                }
            }
        }
    }

    /// The ids of the build and which objects had which names, computed once.
    struct ReferenceIndex {
        let ids: [KustomizeID]
        let byPreviousName: [String: [Int]]

        init(_ list: [KustomizeResource]) {
            ids = list.map(\.currentID)
            var names: [String: [Int]] = [:]
            for (i, r) in list.enumerated() {
                var seen: Set<String> = []
                for id in r.previousIDs where seen.insert(id.name).inserted { names[id.name, default: []].append(i) }
            }
            byPreviousName = names
        }
    }

    struct Context {
        var referrer: KustomizeResource
        var referrerIndex: Int
        var reference: KustomizeTables.NameReference
        var spec: FieldSpec
        var index: ReferenceIndex

        /// kustomize's `SubsetThatCouldBeReferencedByResource`.
        func couldBeReferenced(_ i: Int) -> Bool {
            let referrerID = index.ids[referrerIndex]
            if KustomizeTables.isClusterScoped(referrerID.gvk) { return true }
            let id = index.ids[i]
            if KustomizeTables.isClusterScoped(id.gvk) || id.effectiveNamespace == referrerID.effectiveNamespace {
                return true
            }
            guard referrerID.gvk.kind == "RoleBinding" else { return false }
            return (referrer.value["subjects"]?.arrayValue ?? []).contains {
                $0["namespace"]?.stringValue == id.namespace
            }
        }
    }

    private static func fix(_ node: inout Value, _ c: Context, list: [KustomizeResource]) throws {
        switch node {
        case .string(let old):
            if let i = try select(old, namespace: nil, c, list: list) {
                node = .string(list[i].name)
            }
        case .object:
            try fixMapping(&node, c, list: list)
        case .array(var items):
            for j in items.indices {
                switch items[j] {
                case .string(let old):
                    if let i = try select(old, namespace: nil, c, list: list) {
                        items[j] = .string(list[i].name)
                    }
                case .object:
                    try fixMapping(&items[j], c, list: list)
                default: continue
                }
            }
            node = .array(items)
        default:
            return
        }
    }

    private static func fixMapping(_ node: inout Value, _ c: Context, list: [KustomizeResource]) throws {
        guard let old = node["name"]?.stringValue else { return }
        guard let i = try select(old, namespace: .some(node["namespace"]?.stringValue), c, list: list) else { return }
        let target = list[i]
        if target.name == old && target.namespace.isEmpty { return }
        node["name"] = .string(target.name)
        if !target.namespace.isEmpty { node["namespace"] = .string(target.namespace) }
    }

    /// kustomize's `selectReferral`: the one object the name refers to, `nil` when none. For a
    /// mapping (`namespace` not `nil`), candidates are first narrowed by the mapping's namespace.
    private static func select(
        _ old: String,
        namespace: String??,
        _ c: Context,
        list: [KustomizeResource]
    ) throws -> Int? {
        var candidates = (c.index.byPreviousName[old] ?? []).filter(c.couldBeReferenced)
        if case .some(.some(let ns)) = namespace {
            let byOriginal = candidates.filter { list[$0].originalID.effectiveNamespace == ns }
            candidates =
                byOriginal.isEmpty ? candidates.filter { c.index.ids[$0].effectiveNamespace == ns } : byOriginal
        }
        var roleRef: (group: String, kind: String)?
        if c.spec.path.suffix(2) == ["roleRef", "name"], let r = c.referrer.value["roleRef"],
            let group = r["apiGroup"]?.stringValue, let kind = r["kind"]?.stringValue
        {
            roleRef = (group, kind)
        }
        let referrerID = c.index.ids[c.referrerIndex]
        var found = candidates.filter { i in
            let r = list[i]
            guard r.previousIDs.contains(where: { c.reference.selects($0.gvk) }) else { return false }
            if let roleRef,
                !r.previousIDs.contains(where: { $0.gvk.group == roleRef.group && $0.gvk.kind == roleRef.kind })
            {
                return false
            }
            if KustomizeTables.isClusterScoped(referrerID.gvk) { return true }
            let id = c.index.ids[i]
            return KustomizeTables.isClusterScoped(id.gvk) || id.gvk.kind == "ServiceAccount"
                || id.effectiveNamespace == referrerID.effectiveNamespace
        }
        if found.count == 1 { return found[0] }
        found = found.filter { list[$0].prefixesSuffixesEqual(c.referrer, allowEmpty: true) }
        if found.count > 1 { found = found.filter { list[$0].prefixesSuffixesEqual(c.referrer, allowEmpty: false) } }
        if found.count == 1 { return found[0] }
        guard let first = found.first else { return nil }
        let sameNamespace = namespace != nil
        let same = found.allSatisfy {
            list[$0].name == list[first].name && (!sameNamespace || list[$0].namespace == list[first].namespace)
        }
        if same { return first }
        throw ManifestError(
            .invalidObject,
            "\(referrerID): the name '\(old)' may refer to several objects: \(found.map { c.index.ids[$0].description }.joined(separator: ", "))"
        )
    }
}
