import Manifests

/// The four patch flavours of the API server.
enum Patches {
    /// RFC 7386 JSON merge patch.
    static func mergePatch(_ target: Value, _ patch: Value) -> Value {
        guard case .object(let p) = patch else { return patch }
        var result = target.objectValue ?? ObjectValue()
        for e in p.entries {
            if e.value.isNull {
                result[e.key] = nil
            } else {
                result[e.key] = mergePatch(result[e.key] ?? .null, e.value)
            }
        }
        return .object(result)
    }

    /// RFC 6902 JSON patch (the shared implementation in Manifests).
    static func jsonPatch(_ target: Value, _ patch: Value) throws -> Value {
        try target.applyingJSONPatch(patch)
    }

    /// Strategic merge patch for built-in kinds (the shared implementation in Manifests): lists
    /// with a patch merge key are merged by it, and the `$patch`, `$setElementOrder/`,
    /// `$retainKeys` and `$deleteFromPrimitiveList/` directives are honoured.
    static func strategicMerge(_ target: Value, _ patch: Value) -> Value {
        let kind = target["kind"]?.stringValue ?? ""
        return StrategicMerge.apply(patch, to: target) { StrategicMerge.builtinListStrategy(kind: kind, path: $0) }
            ?? target
    }

    /// Merges an applied configuration into the live object (server-side apply).
    static func applyMerge(_ live: Value?, _ applied: Value, shape: Shape, path: [String] = []) -> Value {
        switch (live, applied) {
        case (.object(var l)?, .object(let a)) where !shape.isAtomicMap(path):
            for e in a.entries {
                if e.value.isNull { continue }
                l[e.key] = applyMerge(l[e.key], e.value, shape: shape, path: path + [e.key])
            }
            return .object(l)
        case (.array(let l)?, .array(let a)):
            switch shape.listType(path) {
            case .atomic: return applied
            case .set:
                var out = l
                for v in a where !out.contains(v) { out.append(v) }
                return .array(out)
            case .map(let keys):
                var out = l
                for item in a {
                    guard let o = item.objectValue, let k = FieldSet.itemKey(o, keys) else {
                        out.append(item)
                        continue
                    }
                    if let i = out.firstIndex(where: { $0.objectValue.flatMap { FieldSet.itemKey($0, keys) } == k }) {
                        out[i] = applyMerge(out[i], item, shape: shape, path: path)
                    } else {
                        out.append(applyMerge(nil, item, shape: shape, path: path))
                    }
                }
                return .array(out)
            }
        case (_, .object(let a)):
            var o = ObjectValue()
            for e in a.entries where !e.value.isNull {
                o[e.key] = applyMerge(nil, e.value, shape: shape, path: path + [e.key])
            }
            return .object(o)
        default:
            return applied
        }
    }
}
