import Manifests

/// What the real server does with a custom resource and its CRD's structural schema: prune
/// unknown fields, apply `default`s, and validate (required, type, minimum/maximum, enum,
/// duplicates in `x-kubernetes-list-type: map|set` lists).
enum StructuralSchema {
    typealias Cause = Admission.Cause

    /// Prunes and defaults the object in place (metadata, apiVersion and kind are left alone).
    static func prepare(_ object: inout ObjectValue, schema: Value) {
        for e in object.entries where !["apiVersion", "kind", "metadata"].contains(e.key) {
            guard let s = schema["properties"]?[e.key] else {
                if schema["x-kubernetes-preserve-unknown-fields"] != true { object[e.key] = nil }
                continue
            }
            object[e.key] = prune(e.value, s)
        }
    }

    /// Paths of fields the schema does not declare (`spec.foo`, `spec.ports[0].bar`); with
    /// `remove`, they are also dropped from the object. `resolve` follows `$ref`s (built-ins).
    static func unknownFields(
        _ object: inout ObjectValue,
        schema: Value,
        remove: Bool,
        resolve: (Value) -> Value = { $0 }
    ) -> [String] {
        var out: [String] = []
        func walk(_ v: inout Value, _ schema: Value, _ path: String) {
            let s = resolve(schema)
            switch v {
            case .object(var o):
                if s["x-kubernetes-preserve-unknown-fields"] == true { return }
                if let props = s["properties"]?.objectValue {
                    for e in o.entries {
                        let p = path.isEmpty ? e.key : "\(path).\(e.key)"
                        if path.isEmpty && ["apiVersion", "kind", "metadata"].contains(e.key) && props[e.key] == nil {
                            continue  // CRD schemas need not declare the object's envelope
                        }
                        if let child = props[e.key] {
                            var sub = e.value
                            walk(&sub, child, p)
                            if remove { o[e.key] = sub }
                        } else {
                            out.append(p)
                            if remove { o[e.key] = nil }
                        }
                    }
                } else if let a = s["additionalProperties"], case .object = a {
                    for e in o.entries {
                        var sub = e.value
                        walk(&sub, a, "\(path).\(e.key)")
                        if remove { o[e.key] = sub }
                    }
                }
                v = .object(o)
            case .array(var items):
                guard let itemSchema = s["items"] else { return }
                for i in items.indices { walk(&items[i], itemSchema, "\(path)[\(i)]") }
                v = .array(items)
            default: break
            }
        }
        var whole = Value.object(object)
        walk(&whole, schema, "")
        if remove, case .object(let o) = whole { object = o }
        return out
    }

    static func prune(_ value: Value, _ schema: Value) -> Value {
        switch value {
        case .object(var o):
            if schema["x-kubernetes-preserve-unknown-fields"] == true && schema["properties"] == nil { return value }
            if let props = schema["properties"]?.objectValue {
                for e in o.entries {
                    if let s = props[e.key] {
                        o[e.key] = prune(e.value, s)
                    } else if schema["x-kubernetes-preserve-unknown-fields"] != true {
                        o[e.key] = nil
                    }
                }
                for p in props.entries where o[p.key] == nil {
                    if let d = p.value["default"] { o[p.key] = d }
                }
            } else if let additional = schema["additionalProperties"], case .object = additional {
                o = o.mapValues { prune($0, additional) }
            }
            return .object(o)
        case .array(let a):
            guard let items = schema["items"] else { return value }
            return .array(a.map { prune($0, items) })
        default:
            return value
        }
    }

    static func validate(_ object: ObjectValue, schema: Value) -> [Cause] {
        var causes: [Cause] = []
        for e in object.entries where !["apiVersion", "kind", "metadata"].contains(e.key) {
            if let s = schema["properties"]?[e.key] { check(e.value, s, e.key, &causes) }
        }
        for r in schema["required"]?.arrayValue ?? [] {
            if let k = r.stringValue, object[k] == nil { causes.append((k, "FieldValueRequired", "Required value")) }
        }
        return causes
    }

    static func typeMatches(_ v: Value, _ type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("integer", .int):
            return true
        case ("number", .int), ("number", .double): return true
        case ("integer", .double(let d)): return d.rounded() == d
        default: return false
        }
    }

    static func check(_ v: Value, _ s: Value, _ path: String, _ causes: inout [Cause]) {
        if v.isNull {
            if s["nullable"] != true {
                causes.append(
                    (
                        path, "FieldValueTypeInvalid",
                        "Invalid value: \"null\": \(path) in body must be of type \(s["type"]?.stringValue ?? "object"): \"null\""
                    )
                )
            }
            return
        }
        if let type = s["type"]?.stringValue, s["x-kubernetes-int-or-string"] != true, !typeMatches(v, type) {
            causes.append(
                (
                    path, "FieldValueTypeInvalid",
                    "Invalid value: \"\(v.kindName == "integer" ? "integer" : v.kindName)\": \(path) in body must be of type \(type): \"\(v.kindName)\""
                )
            )
            return
        }
        if let min = s["minimum"]?.doubleValue, let d = v.doubleValue, d < min {
            causes.append(
                (
                    path, "FieldValueInvalid",
                    "Invalid value: \(v.goDescription): \(path) in body should be greater than or equal to \((s["minimum"] ?? .null).goDescription)"
                )
            )
        }
        if let max = s["maximum"]?.doubleValue, let d = v.doubleValue, d > max {
            causes.append(
                (
                    path, "FieldValueInvalid",
                    "Invalid value: \(v.goDescription): \(path) in body should be less than or equal to \((s["maximum"] ?? .null).goDescription)"
                )
            )
        }
        if let options = s["enum"]?.arrayValue, !options.contains(v) {
            causes.append(
                (
                    path, "FieldValueNotSupported",
                    "Unsupported value: \(v.goDescription): supported values: \(options.map(\.goDescription).joined(separator: ", "))"
                )
            )
        }
        switch v {
        case .object(let o):
            for e in o.entries {
                if let p = s["properties"]?[e.key] {
                    check(e.value, p, "\(path).\(e.key)", &causes)
                } else if let a = s["additionalProperties"], case .object = a {
                    check(e.value, a, "\(path).\(e.key)", &causes)
                }
            }
            for r in s["required"]?.arrayValue ?? [] {
                if let k = r.stringValue, o[k] == nil {
                    causes.append(("\(path).\(k)", "FieldValueRequired", "Required value"))
                }
            }
        case .array(let items):
            let listType = s["x-kubernetes-list-type"]?.stringValue
            let keys = s["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var seen: [Value] = []
            for (i, item) in items.enumerated() {
                if let itemSchema = s["items"] { check(item, itemSchema, "\(path)[\(i)]", &causes) }
                let identity: Value?
                switch listType {
                case "set": identity = item
                case "map":
                    var k = ObjectValue()
                    for key in keys { if let kv = item[key] { k[key] = kv } }
                    identity = .object(k)
                default: identity = nil
                }
                if let identity {
                    if seen.contains(identity) {
                        causes.append(
                            ("\(path)[\(i)]", "FieldValueDuplicate", "Duplicate value: \(identity.goDescription)")
                        )
                    } else {
                        seen.append(identity)
                    }
                }
            }
        default: break
        }
    }
}
