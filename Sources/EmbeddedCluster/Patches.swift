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

    struct PatchFailure: Error {
        var message: String
        var isTest = false
    }

    /// RFC 6902 JSON patch.
    static func jsonPatch(_ target: Value, _ patch: Value) throws -> Value {
        guard case .array(let ops) = patch else { throw PatchFailure(message: "json patch must be an array") }
        var doc = target
        for op in ops {
            guard let name = op["op"]?.stringValue, let pathText = op["path"]?.stringValue else {
                throw PatchFailure(message: "operation missing op or path")
            }
            let path = try pointer(pathText)
            switch name {
            case "add": doc = try add(doc, path, op["value"] ?? .null)
            case "remove": doc = try remove(doc, path).0
            case "replace":
                _ = try get(doc, path)
                doc = try remove(doc, path).0
                doc = try add(doc, path, op["value"] ?? .null)
            case "move":
                let from = try pointer(op["from"]?.stringValue ?? "")
                let (d, v) = try remove(doc, from)
                doc = try add(d, path, v)
            case "copy":
                let from = try pointer(op["from"]?.stringValue ?? "")
                doc = try add(doc, path, try get(doc, from))
            case "test":
                let v = try get(doc, path)
                if v != (op["value"] ?? .null) {
                    throw PatchFailure(message: "testing value \(pathText) failed", isTest: true)
                }
            default: throw PatchFailure(message: "Unexpected kind: \(name)")
            }
        }
        return doc
    }

    private static func pointer(_ text: String) throws -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw PatchFailure(message: "invalid path \(text)") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ doc: Value, _ path: [String]) throws -> Value {
        var v = doc
        for t in path {
            switch v {
            case .object(let o):
                guard let n = o[t] else { throw PatchFailure(message: "missing value") }
                v = n
            case .array(let a):
                guard let i = Int(t), a.indices.contains(i) else { throw PatchFailure(message: "bad index") }
                v = a[i]
            default: throw PatchFailure(message: "missing value")
            }
        }
        return v
    }

    private static func add(_ doc: Value, _ path: [String], _ value: Value) throws -> Value {
        guard let first = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch doc {
        case .object(var o):
            if rest.isEmpty {
                o[first] = value
            } else {
                guard let child = o[first] else {
                    throw PatchFailure(message: "doc is missing path: /\(path.joined(separator: "/"))")
                }
                o[first] = try add(child, rest, value)
            }
            return .object(o)
        case .array(var a):
            if rest.isEmpty {
                if first == "-" {
                    a.append(value)
                    return .array(a)
                }
                guard let i = Int(first), i >= 0, i <= a.count else {
                    throw PatchFailure(message: "index out of range")
                }
                a.insert(value, at: i)
            } else {
                guard let i = Int(first), a.indices.contains(i) else {
                    throw PatchFailure(message: "index out of range")
                }
                a[i] = try add(a[i], rest, value)
            }
            return .array(a)
        default:
            throw PatchFailure(message: "doc is missing path: /\(path.joined(separator: "/"))")
        }
    }

    private static func remove(_ doc: Value, _ path: [String]) throws -> (Value, Value) {
        guard let first = path.first else { return (.null, doc) }
        let rest = Array(path.dropFirst())
        switch doc {
        case .object(var o):
            guard let child = o[first] else { throw PatchFailure(message: "missing value") }
            if rest.isEmpty {
                o[first] = nil
                return (.object(o), child)
            }
            let (c, v) = try remove(child, rest)
            o[first] = c
            return (.object(o), v)
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else { throw PatchFailure(message: "index out of range") }
            if rest.isEmpty {
                let v = a.remove(at: i)
                return (.array(a), v)
            }
            let (c, v) = try remove(a[i], rest)
            a[i] = c
            return (.array(a), v)
        default: throw PatchFailure(message: "missing value")
        }
    }

    /// Strategic merge patch for built-in kinds: lists with a patch merge key are merged by it,
    /// `$patch: delete|replace|merge` and `$setElementOrder/`, `$retainKeys`,
    /// `$deleteFromPrimitiveList/` directives are honoured.
    static func strategicMerge(_ target: Value, _ patch: Value, path: [String] = []) -> Value {
        guard case .object(let p) = patch else { return patch }
        if p["$patch"]?.stringValue == "replace" {
            var o = p
            o["$patch"] = nil
            return .object(o)
        }
        var result = target.objectValue ?? ObjectValue()
        if let retain = p["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
            for k in result.keys where !retain.contains(k) { result[k] = nil }
        }
        for e in p.entries {
            if e.key == "$patch" || e.key == "$retainKeys" || e.key.hasPrefix("$setElementOrder/") { continue }
            if e.key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(e.key.dropFirst("$deleteFromPrimitiveList/".count))
                if case .array(let items)? = result[field], let del = e.value.arrayValue {
                    result[field] = .array(items.filter { !del.contains($0) })
                }
                continue
            }
            if e.value.isNull {
                result[e.key] = nil
                continue
            }
            let childPath = path + [e.key]
            switch e.value {
            case .object:
                if e.value["$patch"]?.stringValue == "delete" {
                    result[e.key] = nil
                } else {
                    result[e.key] = strategicMerge(result[e.key] ?? .null, e.value, path: childPath)
                }
            case .array(let items):
                result[e.key] = mergeList(result[e.key]?.arrayValue ?? [], items, path: childPath)
            default:
                result[e.key] = e.value
            }
        }
        return .object(result)
    }

    private static func mergeList(_ live: [Value], _ patch: [Value], path: [String]) -> Value {
        let type = Shape.builtin.listType(path)
        switch type {
        case .atomic:
            return .array(patch.filter { $0["$patch"] == nil })
        case .set:
            var out = live
            for v in patch where !out.contains(v) { out.append(v) }
            return .array(out)
        case .map(let keys):
            let key = keys[0]  // strategic merge uses the single patchMergeKey
            if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
                return .array(patch.filter { $0["$patch"] == nil })
            }
            var out = live
            for item in patch {
                guard let k = item[key] else {
                    out.append(item)
                    continue
                }
                let i = out.firstIndex { $0[key] == k }
                if item["$patch"]?.stringValue == "delete" {
                    if let i { out.remove(at: i) }
                } else if let i {
                    out[i] = strategicMerge(out[i], item, path: path)
                } else {
                    out.append(strategicMerge(.null, item, path: path))
                }
            }
            return .array(out)
        }
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
