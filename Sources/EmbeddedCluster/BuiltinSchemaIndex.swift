import Manifests

/// The built-in kinds' OpenAPI schemas (core and apps, from the real server's documents).
enum BuiltinSchemaIndex {
    static let schemas: ObjectValue = (try? Value(json: Array(BuiltinSchemas.json.utf8)))?.objectValue ?? ObjectValue()
    /// A schema by the `$ref` that names it (`#/components/schemas/NAME`), so that following a
    /// reference, which validation does for every nested field, is one lookup.
    static let byRef: [String: Value] = Dictionary(
        schemas.entries.map { ("#/components/schemas/" + $0.key, $0.value) },
        uniquingKeysWith: { a, _ in a }
    )

    /// "group/version/Kind" to the schema of that kind.
    static let byKind: [String: Value] = {
        var map: [String: Value] = [:]
        for e in schemas.entries {
            for gvk in e.value["x-kubernetes-group-version-kind"]?.arrayValue ?? [] {
                let key =
                    "\(gvk["group"]?.stringValue ?? "")/\(gvk["version"]?.stringValue ?? "")/\(gvk["kind"]?.stringValue ?? "")"
                map[key] = e.value
            }
        }
        return map
    }()

    static func schema(for t: ResourceType) -> Value? { byKind["\(t.group)/\(t.version)/\(t.kind)"] }

    /// Follows `$ref` and the `allOf: [{$ref}]` wrapping OpenAPI v3 uses for defaulted fields.
    static func resolve(_ s: Value) -> Value {
        var s = s
        for _ in 0..<8 {
            if let ref = s["$ref"]?.stringValue, let target = byRef[ref] {
                s = target
            } else if let all = s["allOf"]?.arrayValue, all.count == 1, let ref = all[0]["$ref"]?.stringValue,
                let target = byRef[ref]
            {
                s = target
            } else {
                return s
            }
        }
        return s
    }
}
