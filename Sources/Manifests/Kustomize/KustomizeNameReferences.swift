extension KustomizeTransforms {
    /// Updates the fields that name other objects of the build (kustomize's name-reference
    /// transformer), after prefixes, suffixes and hashes changed their names: a field holding an
    /// object's earlier name is set to its current name (and, for subjects and webhook services,
    /// namespace).
    static func fixNameReferences(_ list: inout [KustomizeResource]) throws {
        for r in list.indices {
            let referrerGVK = list[r].gvk
            for reference in KustomizeTables.nameReferences {
                for spec in reference.referrers where spec.selects(referrerGVK) {
                    let candidates = candidateIndices(for: r, in: list)
                    var value = list[r].value
                    let referrer = list[r]
                    try spec.visit(&value) { node in
                        try fix(&node, referrer: referrer, reference: reference, spec: spec, candidates: candidates, list: list)
                    }
                    list[r].value = value
                }
            }
        }
    }

    /// kustomize's `SubsetThatCouldBeReferencedByResource`.
    private static func candidateIndices(for r: Int, in list: [KustomizeResource]) -> [Int] {
        let referrer = list[r].currentID
        if KustomizeTables.isClusterScoped(referrer.gvk) { return Array(list.indices) }
        var subjectNamespaces: Set<String> = []
        if referrer.gvk.kind == "RoleBinding" {
            for s in list[r].value["subjects"]?.arrayValue ?? [] {
                if let ns = s["namespace"]?.stringValue { subjectNamespaces.insert(ns) }
            }
        }
        return list.indices.filter { i in
            let id = list[i].currentID
            return KustomizeTables.isClusterScoped(id.gvk) || id.effectiveNamespace == referrer.effectiveNamespace
                || subjectNamespaces.contains(id.namespace)
        }
    }

    private static func fix(
        _ node: inout Value, referrer: KustomizeResource, reference: KustomizeTables.NameReference, spec: FieldSpec,
        candidates: [Int], list: [KustomizeResource]
    ) throws {
        switch node {
        case .string(let old):
            if let i = try select(old, candidates: candidates, referrer: referrer, reference: reference, spec: spec, list: list, sameNamespace: false) {
                node = .string(list[i].name)
            }
        case .object:
            try fixMapping(&node, referrer: referrer, reference: reference, spec: spec, candidates: candidates, list: list)
        case .array(var items):
            for j in items.indices {
                switch items[j] {
                case .string(let old):
                    if let i = try select(old, candidates: candidates, referrer: referrer, reference: reference, spec: spec, list: list, sameNamespace: false) {
                        items[j] = .string(list[i].name)
                    }
                case .object:
                    try fixMapping(&items[j], referrer: referrer, reference: reference, spec: spec, candidates: candidates, list: list)
                default: continue
                }
            }
            node = .array(items)
        default:
            return
        }
    }

    private static func fixMapping(
        _ node: inout Value, referrer: KustomizeResource, reference: KustomizeTables.NameReference, spec: FieldSpec,
        candidates: [Int], list: [KustomizeResource]
    ) throws {
        guard let old = node["name"]?.stringValue else { return }
        var pool = candidates
        if let ns = node["namespace"]?.stringValue {
            let byOriginal = candidates.filter { list[$0].originalID.namespace == ns }
            pool = byOriginal.isEmpty ? candidates.filter { list[$0].namespace == ns } : byOriginal
        }
        guard let i = try select(old, candidates: pool, referrer: referrer, reference: reference, spec: spec, list: list, sameNamespace: true)
        else { return }
        let target = list[i]
        if target.name == old && target.namespace.isEmpty { return }
        node["name"] = .string(target.name)
        if !target.namespace.isEmpty { node["namespace"] = .string(target.namespace) }
    }

    /// kustomize's `selectReferral`: the one object the name refers to, `nil` when none.
    private static func select(
        _ old: String, candidates: [Int], referrer: KustomizeResource, reference: KustomizeTables.NameReference,
        spec: FieldSpec, list: [KustomizeResource], sameNamespace: Bool
    ) throws -> Int? {
        var roleRef: (group: String, kind: String)?
        if spec.path.suffix(2) == ["roleRef", "name"], let r = referrer.value["roleRef"],
            let group = r["apiGroup"]?.stringValue, let kind = r["kind"]?.stringValue
        {
            roleRef = (group, kind)
        }
        let referrerID = referrer.currentID
        var found = candidates.filter { i in
            let r = list[i]
            guard r.previousIDs.contains(where: { $0.name == old }) else { return false }
            guard r.previousIDs.contains(where: { reference.selects($0.gvk) }) else { return false }
            if let roleRef, !r.previousIDs.contains(where: { $0.gvk.group == roleRef.group && $0.gvk.kind == roleRef.kind }) {
                return false
            }
            if KustomizeTables.isClusterScoped(referrerID.gvk) { return true }
            let id = r.currentID
            return KustomizeTables.isClusterScoped(id.gvk) || id.gvk.kind == "ServiceAccount"
                || id.effectiveNamespace == referrerID.effectiveNamespace
        }
        if found.count == 1 { return found[0] }
        found = found.filter { list[$0].prefixesSuffixesEqual(referrer, allowEmpty: true) }
        if found.count > 1 { found = found.filter { list[$0].prefixesSuffixesEqual(referrer, allowEmpty: false) } }
        if found.count == 1 { return found[0] }
        guard let first = found.first else { return nil }
        let same = found.allSatisfy { list[$0].name == list[first].name && (!sameNamespace || list[$0].namespace == list[first].namespace) }
        if same { return first }
        throw ManifestError(
            .invalidObject,
            "\(referrerID): the name '\(old)' may refer to several objects: \(found.map { list[$0].currentID.description }.joined(separator: ", "))"
        )
    }
}
