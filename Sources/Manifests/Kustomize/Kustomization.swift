/// A kustomization file read into the fields this renderer supports; any other field is an error.
struct Kustomization {
    /// The file, for messages.
    var file: String
    var isComponent = false
    var resources: [String] = []
    var components: [String] = []
    var namespace: String?
    var namePrefix: String?
    var nameSuffix: String?
    var labels: [LabelSet] = []
    var commonLabels: [(String, String)] = []
    var commonAnnotations: [(String, String)] = []
    var images: [ImageRule] = []
    var replicas: [(name: String, count: Int64)] = []
    var patches: [PatchRule] = []
    var patchesStrategicMerge: [String] = []
    var patchesJson6902: [PatchRule] = []
    var configMapGenerator: [GeneratorArgs] = []
    var secretGenerator: [GeneratorArgs] = []
    var generatorOptions = GeneratorOptions()
    var sortOrder: SortOrder?

    struct LabelSet {
        var pairs: [(String, String)]
        var includeSelectors = false
        var includeTemplates = false
        var fields: [FieldSpec] = []
    }

    struct ImageRule {
        var name: String
        var newName: String?
        var newTag: String?
        var digest: String?
    }

    struct PatchRule {
        /// Inline text or the file's contents.
        var text: String
        /// Where the text comes from, for messages.
        var source: String
        var target: PatchTarget?
        var allowNameChange = false
        var allowKindChange = false
    }

    struct PatchTarget {
        var group: String?
        var version: String?
        var kind: String?
        var name: String?
        var namespace: String?
        var labelSelector: String?
        var annotationSelector: String?
    }

    struct GeneratorArgs {
        var name: String
        var namespace: String?
        var behavior = "create"
        var literals: [String] = []
        var files: [String] = []
        var envs: [String] = []
        var type: String?
        var options: GeneratorOptions?
    }

    struct GeneratorOptions {
        var labels: [(String, String)] = []
        var annotations: [(String, String)] = []
        var disableNameSuffixHash: Bool?
        var immutable: Bool?
    }

    enum SortOrder {
        case fifo
        case legacy(first: [String], last: [String])
    }

    static let fileNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"]

    static let unsupportedFields: [String: String] = [
        "vars": "use replacements in kustomize, or render with the kustomize program",
        "replacements": "not supported by the built-in renderer",
        "crds": "custom name-reference configurations are not supported",
        "configurations": "custom transformer configurations are not supported",
        "openapi": "custom OpenAPI schemas are not supported",
        "helmCharts": "render Helm charts with the Helm renderer",
        "helmGlobals": "render Helm charts with the Helm renderer",
        "helmChartInflationGenerator": "render Helm charts with the Helm renderer",
        "generators": "generator plugins are not supported",
        "transformers": "transformer plugins are not supported",
        "validators": "validator plugins are not supported",
        "buildMetadata": "build metadata annotations are not supported",
        "imageTags": "use 'images'",
    ]

    /// Reads `value`, the parsed file, relative paths left as written.
    init(_ value: Value, file: String, read: (String) throws -> String) throws {
        self.file = file
        func fail(_ field: String, _ message: String) -> ManifestError {
            ManifestError(.invalidObject, "\(file): '\(field)': \(message)", field: "/" + field)
        }
        guard case .object(let o) = value else {
            if value.isNull { return }
            throw ManifestError(.invalidObject, "\(file): a kustomization must be a mapping, not a \(value.kindName)")
        }
        func strings(_ field: String, _ v: Value) throws -> [String] {
            if v.isNull { return [] }
            guard case .array(let items) = v else {
                throw fail(field, "expected a list of strings, not a \(v.kindName)")
            }
            return try items.map {
                guard let s = $0.stringValue else {
                    throw fail(field, "expected a list of strings, found a \($0.kindName)")
                }
                return s
            }
        }
        func string(_ field: String, _ v: Value) throws -> String? {
            if v.isNull { return nil }
            guard let s = v.stringValue else { throw fail(field, "expected a string, not a \(v.kindName)") }
            return s
        }
        func map(_ field: String, _ v: Value) throws -> [(String, String)] {
            if v.isNull { return [] }
            guard case .object(let m) = v else { throw fail(field, "expected a map of strings, not a \(v.kindName)") }
            return try m.entries.map { e in
                switch e.value {
                case .string(let s): return (e.key, s)
                case .null: return (e.key, "")
                default: throw fail(field, "the value of '\(e.key)' must be a string, not a \(e.value.kindName)")
                }
            }
        }
        func objects(_ field: String, _ v: Value) throws -> [ObjectValue] {
            if v.isNull { return [] }
            guard case .array(let items) = v else { throw fail(field, "expected a list, not a \(v.kindName)") }
            return try items.map {
                guard case .object(let item) = $0 else {
                    throw fail(field, "each entry must be a mapping, not a \($0.kindName)")
                }
                return item
            }
        }
        func checkKeys(_ field: String, _ item: ObjectValue, _ allowed: Set<String>) throws {
            for key in item.keys where !allowed.contains(key) {
                throw ManifestError(
                    .unsupported,
                    "\(file): '\(field)' entry field '\(key)' is not supported (supported: \(allowed.sorted().joined(separator: ", ")))",
                    field: "/\(field)/\(key)"
                )
            }
        }
        func bool(_ field: String, _ v: Value?) throws -> Bool? {
            guard let v, !v.isNull else { return nil }
            guard let b = v.boolValue else { throw fail(field, "expected true or false, not a \(v.kindName)") }
            return b
        }
        func target(_ field: String, _ v: Value?) throws -> PatchTarget? {
            guard let v, !v.isNull else { return nil }
            guard case .object(let t) = v else { throw fail(field, "'target' must be a mapping") }
            try checkKeys(
                field + "/target",
                t,
                ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"]
            )
            return PatchTarget(
                group: try string(field, t["group"] ?? .null),
                version: try string(field, t["version"] ?? .null),
                kind: try string(field, t["kind"] ?? .null),
                name: try string(field, t["name"] ?? .null),
                namespace: try string(field, t["namespace"] ?? .null),
                labelSelector: try string(field, t["labelSelector"] ?? .null),
                annotationSelector: try string(field, t["annotationSelector"] ?? .null)
            )
        }
        func readGeneratorOptions(_ field: String, _ v: Value) throws -> GeneratorOptions {
            guard case .object(let g) = v else { throw fail(field, "expected a mapping, not a \(v.kindName)") }
            try checkKeys(field, g, ["labels", "annotations", "disableNameSuffixHash", "immutable"])
            return GeneratorOptions(
                labels: try map(field + "/labels", g["labels"] ?? .null),
                annotations: try map(field + "/annotations", g["annotations"] ?? .null),
                disableNameSuffixHash: try bool(field, g["disableNameSuffixHash"]),
                immutable: try bool(field, g["immutable"])
            )
        }
        func generators(_ field: String, _ v: Value, secret: Bool) throws -> [GeneratorArgs] {
            var allowed: Set<String> = ["name", "namespace", "behavior", "literals", "files", "envs", "env", "options"]
            if secret { allowed.insert("type") }
            return try objects(field, v).map { g in
                try checkKeys(field, g, allowed)
                guard let name = try string(field + "/name", g["name"] ?? .null), !name.isEmpty else {
                    throw fail(field, "every generator needs a 'name'")
                }
                var args = GeneratorArgs(name: name)
                args.namespace = try string(field, g["namespace"] ?? .null)
                if let b = try string(field, g["behavior"] ?? .null), !b.isEmpty {
                    guard ["create", "merge", "replace"].contains(b) else {
                        throw fail(field, "behavior '\(b)' of '\(name)' must be create, merge or replace")
                    }
                    args.behavior = b
                }
                args.literals = try strings(field + "/literals", g["literals"] ?? .null)
                args.files = try strings(field + "/files", g["files"] ?? .null)
                args.envs = try strings(field + "/envs", g["envs"] ?? .null)
                if let env = try string(field + "/env", g["env"] ?? .null), !env.isEmpty { args.envs.append(env) }
                args.type = try string(field, g["type"] ?? .null)
                if let options = g["options"], !options.isNull {
                    args.options = try readGeneratorOptions(field + "/options", options)
                }
                return args
            }
        }

        for entry in o.entries {
            let v = entry.value
            switch entry.key {
            case "apiVersion":
                let s = try string("apiVersion", v) ?? ""
                guard s.isEmpty || s.hasPrefix("kustomize.config.k8s.io/") else {
                    throw fail("apiVersion", "'\(s)' is not a kustomize.config.k8s.io version")
                }
            case "kind":
                switch try string("kind", v) ?? "" {
                case "", "Kustomization": isComponent = false
                case "Component": isComponent = true
                case let other: throw fail("kind", "'\(other)' must be Kustomization or Component")
                }
            case "metadata": continue
            case "resources", "bases": resources += try strings(entry.key, v)
            case "components": components = try strings("components", v)
            case "namespace": namespace = try string("namespace", v)
            case "namePrefix": namePrefix = try string("namePrefix", v)
            case "nameSuffix": nameSuffix = try string("nameSuffix", v)
            case "commonLabels": commonLabels = try map("commonLabels", v)
            case "commonAnnotations": commonAnnotations = try map("commonAnnotations", v)
            case "labels":
                labels = try objects("labels", v).map { l in
                    try checkKeys("labels", l, ["pairs", "includeSelectors", "includeTemplates", "fields"])
                    var set = LabelSet(pairs: try map("labels/pairs", l["pairs"] ?? .null))
                    set.includeSelectors = try bool("labels", l["includeSelectors"]) ?? false
                    set.includeTemplates = try bool("labels", l["includeTemplates"]) ?? false
                    set.fields = try objects("labels/fields", l["fields"] ?? .null).map { f in
                        try checkKeys("labels/fields", f, ["path", "group", "version", "kind", "create"])
                        guard let path = try string("labels/fields", f["path"] ?? .null) else {
                            throw fail("labels/fields", "every field needs a 'path'")
                        }
                        return FieldSpec(
                            path,
                            group: try string("labels/fields", f["group"] ?? .null),
                            version: try string("labels/fields", f["version"] ?? .null),
                            kind: try string("labels/fields", f["kind"] ?? .null),
                            create: try bool("labels/fields", f["create"]) ?? false
                        )
                    }
                    return set
                }
            case "images":
                images = try objects("images", v).map { i in
                    try checkKeys("images", i, ["name", "newName", "newTag", "digest"])
                    guard let name = try string("images", i["name"] ?? .null), !name.isEmpty else {
                        throw fail("images", "every image needs a 'name'")
                    }
                    func tagText(_ t: Value?) throws -> String? {
                        switch t {
                        case nil, .null?: return nil
                        case .string(let s)?: return s
                        case .int(let n)?: return String(n)
                        case let other?:
                            throw fail(
                                "images",
                                "newTag of '\(name)' must be a string, not a \(other.kindName); quote it"
                            )
                        }
                    }
                    return ImageRule(
                        name: name,
                        newName: try string("images", i["newName"] ?? .null),
                        newTag: try tagText(i["newTag"]),
                        digest: try string("images", i["digest"] ?? .null)
                    )
                }
            case "replicas":
                replicas = try objects("replicas", v).map { r in
                    try checkKeys("replicas", r, ["name", "count"])
                    guard let name = try string("replicas", r["name"] ?? .null), let count = r["count"]?.intValue else {
                        throw fail("replicas", "every entry needs a 'name' and an integer 'count'")
                    }
                    return (name, count)
                }
            case "patches", "patchesJson6902":
                let json = entry.key == "patchesJson6902"
                let rules = try objects(entry.key, v).map { p in
                    try checkKeys(entry.key, p, ["path", "patch", "target", "options"])
                    let path = try string(entry.key, p["path"] ?? .null)
                    let inline = try string(entry.key, p["patch"] ?? .null)
                    var rule: PatchRule
                    switch (path, inline) {
                    case (let path?, nil): rule = PatchRule(text: try read(path), source: path)
                    case (nil, let text?): rule = PatchRule(text: text, source: "inline patch in \(file)")
                    case (nil, nil): throw fail(entry.key, "each patch needs 'path' or 'patch'")
                    default: throw fail(entry.key, "a patch cannot have both 'path' and 'patch'")
                    }
                    rule.target = try target(entry.key, p["target"])
                    if json && rule.target == nil { throw fail(entry.key, "a JSON 6902 patch needs a 'target'") }
                    if let options = p["options"], case .object(let opts) = options {
                        try checkKeys(entry.key + "/options", opts, ["allowNameChange", "allowKindChange"])
                        rule.allowNameChange = try bool(entry.key, opts["allowNameChange"]) ?? false
                        rule.allowKindChange = try bool(entry.key, opts["allowKindChange"]) ?? false
                    }
                    return rule
                }
                if json { patchesJson6902 = rules } else { patches = rules }
            case "patchesStrategicMerge": patchesStrategicMerge = try strings("patchesStrategicMerge", v)
            case "configMapGenerator": configMapGenerator = try generators("configMapGenerator", v, secret: false)
            case "secretGenerator": secretGenerator = try generators("secretGenerator", v, secret: true)
            case "generatorOptions": generatorOptions = try readGeneratorOptions("generatorOptions", v)
            case "sortOptions":
                guard case .object(let s) = v else { throw fail("sortOptions", "expected a mapping") }
                try checkKeys("sortOptions", s, ["order", "legacySortOptions"])
                switch try string("sortOptions", s["order"] ?? .null) {
                case "fifo"?:
                    if s["legacySortOptions"] != nil {
                        throw fail("sortOptions", "'legacySortOptions' is set but the order is 'fifo', not 'legacy'")
                    }
                    sortOrder = .fifo
                case "legacy"?:
                    if case .object(let l)? = s["legacySortOptions"] {
                        sortOrder = .legacy(
                            first: try strings("sortOptions/legacySortOptions/orderFirst", l["orderFirst"] ?? .null),
                            last: try strings("sortOptions/legacySortOptions/orderLast", l["orderLast"] ?? .null)
                        )
                    } else {
                        sortOrder = .legacy(first: KustomizeTables.orderFirst, last: KustomizeTables.orderLast)
                    }
                default: throw fail("sortOptions", "'order' must be one of fifo, legacy")
                }
            default:
                let hint = Self.unsupportedFields[entry.key].map { " (\($0))" } ?? ""
                throw ManifestError(
                    .unsupported,
                    "\(file): kustomization field '\(entry.key)' is not supported by the built-in Kustomize renderer\(hint)",
                    field: "/" + entry.key
                )
            }
        }
    }
}
