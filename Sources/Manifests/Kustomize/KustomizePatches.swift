/// Strategic merge and JSON 6902 patches, and the targets that select the objects they change.
enum KustomizePatches {
    enum Parsed {
        case strategic([Value])
        case json(Value)
    }

    /// Reads a patch's text: a JSON array or YAML list of operations is a JSON 6902 patch; YAML
    /// mappings are strategic merge patches.
    static func parse(_ text: String, source: String, limits: ReadLimits) throws -> Parsed {
        let trimmed = text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        let documents = try YAML.documents(String(trimmed), source: source, limits: limits).map(\.value).filter {
            !$0.isNull
        }
        guard !documents.isEmpty else { throw ManifestError(.invalidObject, "\(source): the patch is empty") }
        if documents.count == 1, case .array = documents[0] { return .json(documents[0]) }
        for d in documents {
            guard case .object = d else {
                throw ManifestError(
                    .invalidObject,
                    "\(source): a patch document must be a mapping or a list of operations, not a \(d.kindName)"
                )
            }
        }
        return .strategic(documents)
    }

    /// Applies one `patches` or `patchesJson6902` entry.
    static func apply(_ rule: Kustomization.PatchRule, limits: ReadLimits, to list: inout [KustomizeResource]) throws {
        switch try parse(rule.text, source: rule.source, limits: limits) {
        case .json(let operations):
            guard let target = rule.target else {
                throw ManifestError(.invalidObject, "\(rule.source): a JSON 6902 patch needs a 'target'")
            }
            let selector = try Selector(target, source: rule.source)
            for i in list.indices where try selector.selects(list[i]) {
                list[i].storePreviousID()
                do {
                    list[i].value = try list[i].value.applyingJSONPatch(operations)
                } catch let error as ManifestError {
                    throw ManifestError(
                        error.code,
                        "\(rule.source): patching \(list[i].currentID): \(error.field.map { $0 + ": " } ?? "")\(error.message)"
                    )
                }
            }
        case .strategic(let documents):
            if let target = rule.target {
                guard documents.count == 1 else {
                    throw ManifestError(
                        .invalidObject,
                        "\(rule.source): a patch with a 'target' must hold one strategic merge patch, not \(documents.count)"
                    )
                }
                let selector = try Selector(target, source: rule.source)
                var i = 0
                while i < list.count {
                    if try selector.selects(list[i]) {
                        if !merge(
                            documents[0],
                            into: &list[i],
                            allowNameChange: rule.allowNameChange,
                            allowKindChange: rule.allowKindChange
                        ) {
                            list.remove(at: i)
                            continue
                        }
                    }
                    i += 1
                }
            } else {
                for d in documents {
                    try applyByID(
                        d,
                        source: rule.source,
                        allowNameChange: rule.allowNameChange,
                        allowKindChange: rule.allowKindChange,
                        to: &list
                    )
                }
            }
        }
    }

    /// Applies a strategic merge patch to the object its own apiVersion, kind, name and namespace name.
    static func applyByID(
        _ patch: Value,
        source: String,
        allowNameChange: Bool,
        allowKindChange: Bool,
        to list: inout [KustomizeResource]
    ) throws {
        guard let kind = patch["kind"]?.stringValue, let name = patch["metadata"]?["name"]?.stringValue else {
            throw ManifestError(
                .invalidObject,
                "\(source): a strategic merge patch without a target needs 'kind' and 'metadata.name'"
            )
        }
        let id = KustomizeID(
            gvk: GroupVersionKind(apiVersion: patch["apiVersion"]?.stringValue ?? "", kind: kind),
            name: name,
            namespace: patch["metadata"]?["namespace"]?.stringValue ?? ""
        )
        let matches = list.indices.filter { i in list[i].allIDs.contains { $0.equals(id) } }
        guard let index = matches.first else {
            throw ManifestError(.invalidObject, "\(source): no resource matches strategic merge patch \(id)")
        }
        guard matches.count == 1 else {
            throw ManifestError(.invalidObject, "\(source): several resources match strategic merge patch \(id)")
        }
        if !merge(patch, into: &list[index], allowNameChange: allowNameChange, allowKindChange: allowKindChange) {
            list.remove(at: index)
        }
    }

    /// Merges `patch` into one object, keeping its name, namespace and kind unless allowed to change;
    /// `false` when the patch deletes the object.
    private static func merge(
        _ patch: Value,
        into resource: inout KustomizeResource,
        allowNameChange: Bool,
        allowKindChange: Bool
    ) -> Bool {
        let (name, namespace, kind) = (resource.name, resource.namespace, resource.value["kind"])
        if allowNameChange || allowKindChange { resource.storePreviousID() }
        let gvk = resource.gvk
        guard
            let merged = StrategicMerge.apply(
                patch,
                to: resource.value,
                order: .patchFirst,
                lists: StrategicMerge.builtinLists(group: gvk.group, kind: gvk.kind)
            ),
            case .object(let o) = merged, !o.isEmpty
        else { return false }
        resource.value = merged
        if !allowKindChange { resource.value["kind"] = kind }
        if !allowNameChange { resource.setName(name) }
        if namespace.isEmpty {
            resource.value["metadata"]?["namespace"] = nil
        } else {
            resource.setNamespace(namespace)
        }
        return true
    }

    /// A patch target: group, version, kind, name and namespace (regular expressions, matched whole),
    /// label and annotation selectors.
    struct Selector {
        var target: Kustomization.PatchTarget
        var name: Pattern?
        var namespace: Pattern?
        var labels: LabelSelector?
        var annotations: LabelSelector?

        private static func selector(_ text: String, _ what: String, source: String) throws -> LabelSelector {
            do { return try LabelSelector(parsing: text) } catch {
                throw ManifestError(.invalidObject, "\(source): target \(what) '\(text)': \(error.message)")
            }
        }

        init(_ target: Kustomization.PatchTarget, source: String) throws {
            self.target = target
            if let n = target.name, !n.isEmpty { name = try Pattern(n, source: source) }
            if let n = target.namespace, !n.isEmpty { namespace = try Pattern(n, source: source) }
            if let l = target.labelSelector, !l.isEmpty {
                labels = try Self.selector(l, "labelSelector", source: source)
            }
            if let a = target.annotationSelector, !a.isEmpty {
                annotations = try Self.selector(a, "annotationSelector", source: source)
            }
        }

        func selects(_ r: KustomizeResource) throws -> Bool {
            let current = r.currentID
            let original = r.originalID
            if let namespace, !namespace.matches(original.effectiveNamespace),
                !namespace.matches(current.effectiveNamespace)
            {
                return false
            }
            if let name, !name.matches(original.name), !name.matches(current.name) { return false }
            let gvk = current.gvk
            if let g = target.group, !g.isEmpty, g != gvk.group { return false }
            if let v = target.version, !v.isEmpty, v != gvk.version { return false }
            if let k = target.kind, !k.isEmpty, k != gvk.kind { return false }
            if let labels, !labels.matches(r.labels()) { return false }
            if let annotations, !annotations.matches(r.annotations()) { return false }
            return true
        }
    }

    /// A name pattern: a regular expression matched against the whole name (plain names compare directly).
    struct Pattern {
        let text: String
        let regex: Regex<AnyRegexOutput>?

        init(_ text: String, source: String) throws {
            self.text = text
            if text.contains(where: { "\\^$.|?*+()[]{}".contains($0) }) {
                do { regex = try Regex("^(?:" + text + ")$") } catch {
                    throw ManifestError(
                        .invalidObject,
                        "\(source): target pattern '\(text)' is not a valid regular expression: \(error)"
                    )
                }
            } else {
                regex = nil
            }
        }

        func matches(_ s: String) -> Bool {
            guard let regex else { return s == text }
            return (try? regex.wholeMatch(in: s)) != nil
        }
    }
}
