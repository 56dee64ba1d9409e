/// The transformers of a kustomization, in kustomize's order: strategic merge patches, `patches`,
/// namespace, name prefix and suffix, labels, annotations, JSON 6902 patches, replicas, images.
enum KustomizeTransforms {
    static func run(
        _ k: Kustomization,
        build: KustomizeBuild,
        directory: String,
        display: String,
        on list: inout [KustomizeResource]
    ) throws {
        for entry in k.patchesStrategicMerge {
            let text: String
            let source: String
            if entry.contains("\n") || entry.hasPrefix("apiVersion:") || entry.hasPrefix("kind:") {
                (text, source) = (entry, "inline patch in \(k.file)")
            } else {
                let (bytes, shown) = try build.readFile(entry, kustomizationDirectory: directory, display: display)
                (text, source) = (String(decoding: bytes, as: UTF8.self), shown)
            }
            let patches = try KustomizePatches.parse(text, source: source, limits: build.options.limits)
            guard case .strategic(let docs) = patches else {
                throw ManifestError(
                    .invalidObject,
                    "\(source): patchesStrategicMerge entries must be strategic merge patches, not JSON patches"
                )
            }
            for doc in docs {
                try KustomizePatches.applyByID(
                    doc,
                    source: source,
                    allowNameChange: false,
                    allowKindChange: false,
                    to: &list
                )
            }
        }
        for rule in k.patches { try KustomizePatches.apply(rule, limits: build.options.limits, to: &list) }
        if let ns = k.namespace, !ns.isEmpty { setNamespace(ns, on: &list) }
        if let prefix = k.namePrefix, !prefix.isEmpty { rename(&list, prefix: prefix, suffix: "") }
        if let suffix = k.nameSuffix, !suffix.isEmpty { rename(&list, prefix: "", suffix: suffix) }
        for set in k.labels where !set.pairs.isEmpty {
            var specs = set.fields
            if set.includeSelectors {
                specs += KustomizeTables.commonLabels
            } else {
                if set.includeTemplates { specs += KustomizeTables.metadataLabels }
                specs.append(FieldSpec("metadata/labels", create: true))
            }
            try setMap(set.pairs, specs: specs, on: &list, file: k.file, field: "labels")
        }
        if !k.commonLabels.isEmpty {
            try setMap(
                k.commonLabels,
                specs: KustomizeTables.commonLabels,
                on: &list,
                file: k.file,
                field: "commonLabels"
            )
        }
        if !k.commonAnnotations.isEmpty {
            try setMap(
                k.commonAnnotations,
                specs: KustomizeTables.commonAnnotations,
                on: &list,
                file: k.file,
                field: "commonAnnotations"
            )
        }
        for rule in k.patchesJson6902 { try KustomizePatches.apply(rule, limits: build.options.limits, to: &list) }
        for (name, count) in k.replicas { try setReplicas(name, count, on: &list, file: k.file) }
        for rule in k.images { setImage(rule, on: &list) }
    }

    // MARK: Namespace

    private static func setNamespace(_ ns: String, on list: inout [KustomizeResource]) {
        for i in list.indices {
            list[i].storePreviousID()
            let gvk = list[i].gvk
            if !KustomizeTables.isClusterScoped(gvk) { list[i].setNamespace(ns) }
            if gvk.kind == "Namespace" && gvk.apiVersion == "v1" { list[i].setName(ns) }
            if gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding",
                case .array(var subjects)? = list[i].value["subjects"]
            {
                for j in subjects.indices where subjects[j]["name"]?.stringValue == "default" {
                    subjects[j]["namespace"] = .string(ns)
                }
                list[i].value["subjects"] = .array(subjects)
            }
            if gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io" {
                try? FieldSpec("spec/service/namespace", create: true).visit(&list[i].value) { $0 = .string(ns) }
            }
            if gvk.kind == "CustomResourceDefinition" && gvk.group == "apiextensions.k8s.io" {
                try? FieldSpec("spec/conversion/webhook/clientConfig/service/namespace").visit(&list[i].value) {
                    $0 = .string(ns)
                }
            }
        }
    }

    // MARK: Names

    private static func rename(_ list: inout [KustomizeResource], prefix: String, suffix: String) {
        for i in list.indices {
            let gvk = list[i].originalID.gvk
            if gvk.kind == "CustomResourceDefinition" || gvk.kind == "Namespace"
                || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
            {
                continue
            }
            list[i].storePreviousID()
            if !prefix.isEmpty { list[i].prefixes.append(prefix) }
            if !suffix.isEmpty { list[i].suffixes.append(suffix) }
            list[i].setName(prefix + list[i].name + suffix)
        }
    }

    // MARK: Labels and annotations

    private static func setMap(
        _ pairs: [(String, String)],
        specs: [FieldSpec],
        on list: inout [KustomizeResource],
        file: String,
        field: String
    ) throws {
        for i in list.indices {
            let gvk = list[i].gvk
            let id = list[i].currentID
            for spec in specs where spec.selects(gvk) {
                try spec.visit(&list[i].value) { node in
                    var map: ObjectValue
                    switch node {
                    case .null: map = ObjectValue()
                    case .object(let o): map = o
                    default:
                        throw ManifestError(
                            .invalidObject,
                            "\(file): '\(field)' cannot be set at \(spec.path.joined(separator: "/")) of \(id): it is a \(node.kindName), not a map"
                        )
                    }
                    for (k, v) in pairs { map[k] = .string(v) }
                    node = .object(map)
                }
            }
        }
    }

    // MARK: Replicas and images

    private static func setReplicas(
        _ name: String,
        _ count: Int64,
        on list: inout [KustomizeResource],
        file: String
    ) throws {
        var found = false
        for spec in KustomizeTables.replicas {
            for i in list.indices where list[i].allIDs.contains(where: { $0.name == name && spec.selects($0.gvk) }) {
                found = true
                try spec.visit(&list[i].value) { $0 = .int(count) }
            }
        }
        if !found {
            throw ManifestError(
                .invalidObject,
                "\(file): replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named '\(name)'",
                field: "/replicas"
            )
        }
    }

    private static func setImage(_ rule: Kustomization.ImageRule, on list: inout [KustomizeResource]) {
        func update(_ image: String) -> String? {
            guard imageMatches(image, rule.name) else { return nil }
            var (name, tag, digest) = splitImage(image)
            if let n = rule.newName, !n.isEmpty { name = n }
            let newTag = rule.newTag ?? ""
            let newDigest = rule.digest ?? ""
            if !newTag.isEmpty && !newDigest.isEmpty {
                (tag, digest) = (newTag, newDigest)
            } else if !newTag.isEmpty {
                (tag, digest) = (newTag, "")
            } else if !newDigest.isEmpty {
                (tag, digest) = ("", newDigest)
            }
            if !tag.isEmpty { name += ":" + tag }
            if !digest.isEmpty { name += "@" + digest }
            return name
        }
        func walk(_ v: inout Value) {
            switch v {
            case .object(var o):
                v = .null
                for j in o.indices {
                    let key = o.entries[j].key
                    var child = o.entries[j].value
                    o.replaceValue(at: j, with: .null)
                    walk(&child)
                    if key == "containers" || key == "initContainers", case .array(var items) = child {
                        for n in items.indices {
                            if let image = items[n]["image"]?.stringValue, let new = update(image) {
                                items[n]["image"] = .string(new)
                            }
                        }
                        child = .array(items)
                    }
                    o.replaceValue(at: j, with: child)
                }
                v = .object(o)
            case .array(var a):
                v = .null
                for j in a.indices { walk(&a[j]) }
                v = .array(a)
            default: return
            }
        }
        let volumeImages = [
            FieldSpec("spec/volumes[]/image/reference"), FieldSpec("spec/template/spec/volumes[]/image/reference"),
        ]
        for i in list.indices {
            if list[i].gvk.kind != "CustomResourceDefinition" { walk(&list[i].value) }
            for spec in volumeImages {
                try? spec.visit(&list[i].value) { node in
                    if let s = node.stringValue, let new = update(s) { node = .string(new) }
                }
            }
        }
    }

    /// kustomize's `IsImageMatched`: the image is the name, optionally followed by `:tag` and `@digest`.
    static func imageMatches(_ image: String, _ name: String) -> Bool {
        guard image.hasPrefix(name) else { return false }
        var rest = Substring(image.dropFirst(name.count))
        func isTagChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || "_.{}-".contains(c)) }
        if rest.first == ":" {
            rest = rest.dropFirst()
            let tag = rest.prefix(while: isTagChar)
            rest = rest.dropFirst(tag.count)
        }
        if rest.isEmpty { return true }
        guard rest.first == "@" else { return false }
        rest = rest.dropFirst()
        guard let colon = rest.firstIndex(of: ":") else { return false }
        let algorithm = rest[..<colon]
        let hex = rest[rest.index(after: colon)...]
        guard let f = algorithm.first, f.isASCII && (f.isLetter || f.isNumber),
            algorithm.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+._-".contains($0)) })
        else { return false }
        return hex.allSatisfy(isTagChar)
    }

    /// kustomize's `image.Split`: name, tag and digest.
    static func splitImage(_ image: String) -> (String, String, String) {
        let chars = Array(image)
        let slash = chars.firstIndex(of: "/").flatMap { $0 > 0 ? $0 : nil } ?? 0
        let search = chars[slash...]
        let at = search.firstIndex(of: "@")
        let colon = search.firstIndex(of: ":")
        switch (at, colon) {
        case (nil, nil):
            return (image, "", "")
        case (let at?, nil):
            return (String(chars[..<at]), "", String(chars[(at + 1)...]))
        case (let at?, let colon?) where at < colon:
            return (String(chars[..<at]), "", String(chars[(at + 1)...]))
        case (let at?, let colon?):
            return (String(chars[..<colon]), String(chars[(colon + 1)..<at]), String(chars[(at + 1)...]))
        case (nil, let colon?):
            return (String(chars[..<colon]), String(chars[(colon + 1)...]), "")
        }
    }

    // MARK: End of the build

    /// Appends the hash suffix to the names of generated objects that want one.
    static func addHashes(_ list: inout [KustomizeResource]) throws {
        for i in list.indices where list[i].needsHash {
            let hash = try KustomizeGenerators.hashSuffix(list[i].value)
            list[i].storePreviousID()
            list[i].setName(list[i].name + "-" + hash)
        }
    }

    /// kustomize's legacy order: kinds in `first` first, in `last` last, then by group, version, kind,
    /// namespace and name.
    static func legacySort(_ list: inout [KustomizeResource], first: [String], last: [String]) {
        var order: [String: Int] = [:]
        for (i, k) in first.enumerated() { order[k] = -first.count + i }
        for (i, k) in last.enumerated() { order[k] = 1 + i }
        func gvkString(_ g: GroupVersionKind) -> String {
            (g.group.isEmpty ? "~G" : g.group) + "_" + (g.version.isEmpty ? "~V" : g.version) + "_"
                + (g.kind.isEmpty ? "~K" : g.kind)
        }
        let keyed = list.map { r -> (KustomizeResource, GroupVersionKind, String, String) in
            let id = r.currentID
            return (
                r, id.gvk, gvkString(id.gvk),
                (id.namespace.isEmpty ? "~X" : id.namespace) + "|" + (id.name.isEmpty ? "~N" : id.name)
            )
        }
        let sorted = keyed.sorted { a, b in
            if a.1 != b.1 {
                let ia = order[a.1.kind] ?? 0
                let ib = order[b.1.kind] ?? 0
                if ia != ib { return ia < ib }
                if a.1.kind == "Namespace" && b.1.kind == "Namespace" && (a.1.group.isEmpty || b.1.group.isEmpty) {
                    return a.2.utf8.lexicographicallyPrecedes(b.2.utf8) == false && a.2 != b.2
                }
                return a.2.utf8.lexicographicallyPrecedes(b.2.utf8)
            }
            return a.3.utf8.lexicographicallyPrecedes(b.3.utf8)
        }
        list = sorted.map(\.0)
    }
}
