/// `configMapGenerator` and `secretGenerator`, and the name hash kustomize appends to what they make.
enum KustomizeGenerators {
    /// Runs the generators of `k` and absorbs what they make into `list` (create, merge or replace).
    static func run(
        _ k: Kustomization,
        build: KustomizeBuild,
        directory: String,
        display: String,
        into list: inout [KustomizeResource]
    ) throws {
        for args in k.configMapGenerator {
            let made = try generate(args, secret: false, k: k, build: build, directory: directory, display: display)
            try absorb(made, into: &list, file: k.file)
        }
        for args in k.secretGenerator {
            let made = try generate(args, secret: true, k: k, build: build, directory: directory, display: display)
            try absorb(made, into: &list, file: k.file)
        }
    }

    private static func generate(
        _ args: Kustomization.GeneratorArgs,
        secret: Bool,
        k: Kustomization,
        build: KustomizeBuild,
        directory: String,
        display: String
    ) throws -> KustomizeResource {
        let field = secret ? "secretGenerator" : "configMapGenerator"
        func fail(_ message: String) -> ManifestError {
            ManifestError(.invalidObject, "\(k.file): \(field) '\(args.name)': \(message)", field: "/" + field)
        }
        var pairs: [(String, [UInt8])] = []
        func add(_ key: String, _ value: [UInt8]) throws {
            guard !key.isEmpty, key.utf8.allSatisfy({ isKeyByte($0) }) else {
                throw fail("'\(key)' is not a valid key (letters, digits, '-', '_' and '.')")
            }
            guard !pairs.contains(where: { $0.0 == key }) else { throw fail("key '\(key)' is given twice") }
            pairs.append((key, value))
        }
        for env in args.envs {
            let (bytes, shown) = try build.readFile(env, kustomizationDirectory: directory, display: display)
            guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("\(shown) is not UTF-8 text") }
            var first = true
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = Substring(raw)
                if line.hasSuffix("\r") { line = line.dropLast() }
                if first, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
                first = false
                line = line.drop(while: { $0 == " " || $0 == "\t" })
                if line.isEmpty || line.hasPrefix("#") { continue }
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(parts[0])
                guard isEnvName(key) else { throw fail("\(shown): '\(key)' is not a valid environment variable name") }
                try add(key, Array((parts.count == 2 ? String(parts[1]) : "").utf8))
            }
        }
        for literal in args.literals {
            let parts = literal.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw fail("literal '\(literal)' is not key=value") }
            var value = String(parts[1])
            if value.utf8.count >= 2, let f = value.first, f == value.last, f == "\"" || f == "'" {
                value = String(value.dropFirst().dropLast())
            }
            try add(String(parts[0]), Array(value.utf8))
        }
        for source in args.files {
            let key: String
            let path: String
            if let eq = source.firstIndex(of: "=") {
                key = String(source[..<eq])
                path = String(source[source.index(after: eq)...])
                guard !key.isEmpty, !path.isEmpty else { throw fail("file source '\(source)' is not [key=]path") }
            } else {
                path = source
                key = String(source.split(separator: "/").last ?? Substring(source))
            }
            let (bytes, _) = try build.readFile(path, kustomizationDirectory: directory, display: display)
            try add(key, bytes)
        }

        var options = k.generatorOptions
        if let own = args.options {
            for (key, value) in own.labels { set(&options.labels, key, value) }
            for (key, value) in own.annotations { set(&options.annotations, key, value) }
            if let d = own.disableNameSuffixHash { options.disableNameSuffixHash = d }
            if let i = own.immutable { options.immutable = i }
        }

        var metadata: Value = ["name": .string(args.name)]
        if let ns = args.namespace, !ns.isEmpty { metadata["namespace"] = .string(ns) }
        if !options.labels.isEmpty {
            metadata["labels"] = .object(ObjectValue(options.labels.map { ($0.0, Value.string($0.1)) }))
        }
        if !options.annotations.isEmpty {
            metadata["annotations"] = .object(ObjectValue(options.annotations.map { ($0.0, Value.string($0.1)) }))
        }
        var object: Value = [
            "apiVersion": "v1", "kind": .string(secret ? "Secret" : "ConfigMap"), "metadata": metadata,
        ]
        var data = ObjectValue()
        var binary = ObjectValue()
        for (key, bytes) in pairs {
            if secret {
                data[key] = .string(Base64.encode(bytes))
            } else if let text = String(validating: bytes, as: UTF8.self) {
                data[key] = .string(text)
            } else {
                binary[key] = .string(Base64.encode(bytes))
            }
        }
        if secret { object["type"] = .string(args.type.flatMap { $0.isEmpty ? nil : $0 } ?? "Opaque") }
        if !data.isEmpty { object["data"] = .object(data) }
        if !binary.isEmpty { object["binaryData"] = .object(binary) }
        if options.immutable == true { object["immutable"] = true }
        var resource = KustomizeResource(value: object, source: "\(k.file) \(field) '\(args.name)'")
        resource.needsHash = !(options.disableNameSuffixHash ?? false)
        resource.behavior = args.behavior
        return resource
    }

    private static func set(_ pairs: inout [(String, String)], _ key: String, _ value: String) {
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
    }

    private static func isKeyByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default: return false
        }
    }

    private static func isEnvName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return s.utf8.allSatisfy { isKeyByte($0) }
    }

    /// kustomize's `appendReplaceOrMerge`: a generated object is added, or merged into or replaces
    /// the object of the same id.
    private static func absorb(_ made: KustomizeResource, into list: inout [KustomizeResource], file: String) throws {
        var made = made
        let id = made.currentID
        let matches = list.indices.filter { i in list[i].allIDs.contains { $0.equals(id) } }
        guard matches.count <= 1 else {
            throw ManifestError(.duplicateResource, "\(file): several objects could take the merge of \(id)")
        }
        guard let index = matches.first else {
            if made.behavior == "merge" || made.behavior == "replace" {
                throw ManifestError(
                    .invalidObject,
                    "\(file): \(id) does not exist; cannot \(made.behavior ?? "") (behavior '\(made.behavior ?? "")' needs a generated object of that name from a base)"
                )
            }
            list.append(made)
            return
        }
        let old = list[index]
        switch made.behavior {
        case "merge", "replace":
            var labels = old.labels()
            for e in made.labels().entries { labels[e.key] = e.value }
            var annotations = old.annotations()
            for e in made.annotations().entries { annotations[e.key] = e.value }
            made.value["metadata"]?["labels"] = labels.isEmpty ? nil : .object(labels)
            made.value["metadata"]?["annotations"] = annotations.isEmpty ? nil : .object(annotations)
            made.setName(old.name)
            if old.namespace.isEmpty {
                made.value["metadata"]?["namespace"] = nil
            } else {
                made.setNamespace(old.namespace)
            }
            made.needsHash = made.needsHash && old.needsHash
            made.previousIDs = old.previousIDs
            made.prefixes = old.prefixes
            made.suffixes = old.suffixes
            if made.behavior == "merge" {
                for field in ["data", "binaryData"] {
                    var merged = old.value[field]?.objectValue ?? ObjectValue()
                    for e in made.value[field]?.objectValue?.entries ?? [] { merged[e.key] = e.value }
                    if !merged.isEmpty { made.value[field] = .object(merged) }
                }
            }
            list[index] = made
        default:
            throw ManifestError(
                .duplicateResource,
                "\(file): \(id) already exists; a generator of the same name needs behavior 'merge' or 'replace'"
            )
        }
    }

    // MARK: Hash

    /// The 10-character suffix kustomize appends to a generated ConfigMap's or Secret's name:
    /// SHA-256 of the JSON encoding of its kind, name and data (keys sorted, HTML characters
    /// escaped as Go's `encoding/json` does), the first ten hex digits with `0`, `1`, `3`, `a`, `e`
    /// replaced by `g`, `h`, `k`, `m`, `t`.
    ///
    /// The name is always encoded as `""`: kustomize looks it up with the single key
    /// `metadata/name`, which finds nothing, so renaming never changes the hash (checked against
    /// `kubectl kustomize`).
    static func hashSuffix(_ object: Value) throws -> String {
        var m = ObjectValue()
        let kind = object["kind"]?.stringValue ?? ""
        func field(_ v: Value?) -> Value {
            guard let v, !v.isNull else { return "" }
            return v
        }
        switch kind {
        case "ConfigMap":
            m["kind"] = "ConfigMap"
            m["name"] = ""
            m["data"] = field(object["data"])
            if case .object? = object["binaryData"] { m["binaryData"] = object["binaryData"] }
        case "Secret":
            m["kind"] = "Secret"
            m["type"] = field(object["type"])
            m["name"] = ""
            m["data"] = field(object["data"])
            if case .object? = object["stringData"] { m["stringData"] = object["stringData"] }
        default:
            m = object.objectValue ?? ObjectValue()
        }
        let sorted = sortedKeys(.object(m))
        var json = try sorted.jsonString(JSONWriteOptions(escapeHTML: true))
        json = json.replacingOccurrences("\u{2028}", "\\u2028").replacingOccurrences("\u{2029}", "\\u2029")
        let hex = SHA256Digest.hex(SHA256Digest.hash(Array(json.utf8))).lowercased()
        var out = ""
        for c in hex.prefix(10) {
            switch c {
            case "0": out.append("g")
            case "1": out.append("h")
            case "3": out.append("k")
            case "a": out.append("m")
            case "e": out.append("t")
            default: out.append(c)
            }
        }
        return out
    }

    private static func sortedKeys(_ v: Value) -> Value {
        switch v {
        case .object(let o):
            let entries = o.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return .object(ObjectValue(entries.map { ($0.key, sortedKeys($0.value)) }))
        case .array(let a): return .array(a.map(sortedKeys))
        default: return v
        }
    }
}
