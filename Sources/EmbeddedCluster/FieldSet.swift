import Manifests

/// How a list is merged and tracked, as structured-merge-diff sees it.
enum ListType: Equatable {
    case atomic
    case set
    case map(keys: [String])
}

/// What the server knows of a kind's shape: which lists are associative and which maps atomic.
/// Built-in kinds use a table of the core types' `listType`/`listMapKeys` markers; custom
/// resources read their CRD's OpenAPI schema.
struct Shape: Sendable {
    var schema: Value?  // openAPIV3Schema of a custom resource; nil for built-ins

    static let builtin = Shape(schema: nil)

    func listType(_ path: [String]) -> ListType {
        if let schema {
            guard let s = Shape.resolve(schema, path) else { return .atomic }
            switch s["x-kubernetes-list-type"]?.stringValue {
            case "map":
                return .map(keys: s["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            case "set": return .set
            default: return .atomic
            }
        }
        guard let last = path.last else { return .atomic }
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        switch last {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets":
            return .map(keys: ["name"])
        case "ports":
            if parent.hasSuffix("ontainers") { return .map(keys: ["containerPort", "protocol"]) }
            if parent == "spec" { return .map(keys: ["port", "protocol"]) }
            return .atomic
        case "volumeMounts": return .map(keys: ["mountPath"])
        case "volumeDevices": return .map(keys: ["devicePath"])
        case "conditions": return .map(keys: ["type"])
        case "finalizers": return path.count == 2 ? .set : .atomic
        case "ownerReferences": return .map(keys: ["uid"])
        case "hostAliases": return .map(keys: ["ip"])
        case "topologySpreadConstraints": return .map(keys: ["topologyKey", "whenUnsatisfiable"])
        default: return .atomic
        }
    }

    func isAtomicMap(_ path: [String]) -> Bool {
        if let schema {
            guard let s = Shape.resolve(schema, path) else { return false }
            return s["x-kubernetes-map-type"]?.stringValue == "atomic"
        }
        guard let last = path.last else { return false }
        // Label selectors (`+structType=atomic`), Service selectors and pod node selectors
        // (`+mapType=atomic`) are replaced whole, never merged key by key.
        switch last {
        case "selector", "podSelector", "namespaceSelector", "labelSelector", "nodeSelector":
            return true
        default:
            return false
        }
    }

    /// The schema node at a path of field names (list items are transparent).
    static func resolve(_ schema: Value, _ path: [String]) -> Value? {
        var s = schema
        for field in path {
            while s["type"]?.stringValue == "array", let items = s["items"] { s = items }
            if let p = s["properties"]?[field] {
                s = p
            } else if let a = s["additionalProperties"], case .object = a {
                s = a
            } else {
                return nil
            }
        }
        while s["type"]?.stringValue == "array", s["x-kubernetes-list-type"] == nil, let items = s["items"] {
            s = items
        }
        return s
    }
}

/// A set of field paths in the form managedFields' `fieldsV1` spells: `f:name`, `k:{...}`, `v:...`,
/// `i:N`; a node is a member ("." in fieldsV1 when it also has children).
struct FieldSet: Equatable, Sendable {
    var member = false
    var children: [String: FieldSet] = [:]

    var isEmpty: Bool { !member && children.isEmpty }

    init() {}

    init(fieldsV1: Value) {
        guard case .object(let o) = fieldsV1 else { return }
        for e in o.entries {
            if e.key == "." {
                member = true
                continue
            }
            var child = FieldSet(fieldsV1: e.value)
            if child.children.isEmpty { child.member = true }
            children[e.key] = child
        }
    }

    /// `fieldsV1` JSON: "." first, then the elements sorted.
    var fieldsV1: Value {
        var o = ObjectValue()
        if member && !children.isEmpty { o["."] = [:] }
        for (key, child) in children.sorted(by: { $0.key < $1.key }) {
            o[key] = child.fieldsV1
        }
        return .object(o)
    }

    mutating func formUnion(_ other: FieldSet) {
        member = member || other.member
        for (k, v) in other.children {
            children[k, default: FieldSet()].formUnion(v)
        }
    }

    /// Removes every member of `other` (nodes left empty disappear).
    mutating func subtract(_ other: FieldSet) {
        if other.member { member = false }
        for (k, v) in other.children {
            guard var mine = children[k] else { continue }
            mine.subtract(v)
            children[k] = mine.isEmpty ? nil : mine
        }
    }

    /// Leaf paths (members) present in both.
    func intersection(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.member = member && other.member
        for (k, v) in children {
            guard let o = other.children[k] else { continue }
            let i = v.intersection(o)
            if !i.isEmpty { result.children[k] = i }
        }
        return result
    }

    /// Every member path, as element lists.
    func members(prefix: [String] = []) -> [[String]] {
        var out: [[String]] = []
        if member && !prefix.isEmpty { out.append(prefix) }
        for (k, child) in children.sorted(by: { $0.key < $1.key }) { out += child.members(prefix: prefix + [k]) }
        return out
    }

    // MARK: Building sets from values

    /// The set of every field an object sets, as server-side apply records an applied configuration.
    static func of(_ object: ObjectValue, shape: Shape, path: [String] = []) -> FieldSet {
        var set = FieldSet()
        for e in object.entries {
            set.children["f:" + e.key] = node(e.value, shape: shape, path: path + [e.key])
        }
        return set
    }

    static func node(_ value: Value, shape: Shape, path: [String]) -> FieldSet {
        var n = FieldSet()
        n.member = true
        switch value {
        case .object(let o) where !o.isEmpty && !shape.isAtomicMap(path):
            n = of(o, shape: shape, path: path)
            // A granular map is not itself a member once it has children, except through "." in updates.
            n.member = false
        case .array(let items):
            switch shape.listType(path) {
            case .atomic: break
            case .set:
                for item in items { n.children[valueKey(item)] = leaf }
                n.member = false
            case .map(let keys):
                for item in items {
                    guard case .object(let o) = item, let k = itemKey(o, keys) else { continue }
                    var child = of(o, shape: shape, path: path)
                    child.member = true
                    n.children[k] = child
                }
                n.member = false
            }
        default: break
        }
        if n.children.isEmpty { n.member = true }
        return n
    }

    static var leaf: FieldSet {
        var s = FieldSet()
        s.member = true
        return s
    }

    static func valueKey(_ v: Value) -> String { "v:" + ((try? v.jsonString()) ?? "null") }

    static func itemKey(_ item: ObjectValue, _ keys: [String]) -> String? {
        var o = ObjectValue()
        for k in keys {
            if let v = item[k] {
                o[k] = v
            } else if k == "protocol" {
                o[k] = "TCP"  // the schema default of every built-in list keyed by protocol
            }
        }
        if o.isEmpty { return nil }
        o.sortByKey()
        return "k:" + ((try? Value.object(o).jsonString()) ?? "{}")
    }

    /// The paths an update changed or added, with "." for maps and lists it created (as the real
    /// server records an Update). `skeleton` names struct paths that always exist in Go types.
    static func changed(
        from old: Value?,
        to new: Value,
        shape: Shape,
        path: [String],
        skeleton: Set<String>
    )
        -> FieldSet
    {
        if let old, old == new { return FieldSet() }
        let joined = path.joined(separator: ".")
        switch new {
        case .object(let o) where !o.isEmpty && !shape.isAtomicMap(path):
            let oldObject = old?.objectValue
            var n = FieldSet()
            for e in o.entries {
                let c = changed(
                    from: oldObject?[e.key],
                    to: e.value,
                    shape: shape,
                    path: path + [e.key],
                    skeleton: skeleton
                )
                if !c.isEmpty { n.children["f:" + e.key] = c }
            }
            if oldObject == nil && !skeleton.contains(joined) { n.member = true }
            return n
        case .array(let items):
            let type = shape.listType(path)
            guard case .array(let oldItems) = old ?? .array([]) else { return leaf }
            switch type {
            case .atomic: return leaf
            case .set:
                var n = FieldSet()
                for item in items where !oldItems.contains(item) { n.children[valueKey(item)] = leaf }
                if old == nil { n.member = true }
                return n
            case .map(let keys):
                var n = FieldSet()
                var oldByKey: [String: Value] = [:]
                for item in oldItems {
                    if let o = item.objectValue, let k = itemKey(o, keys) { oldByKey[k] = item }
                }
                for item in items {
                    guard let o = item.objectValue, let k = itemKey(o, keys) else { continue }
                    var c = changed(from: oldByKey[k], to: item, shape: shape, path: path, skeleton: [])
                    if oldByKey[k] == nil { c.member = true }
                    if !c.isEmpty { n.children[k] = c }
                }
                if old == nil { n.member = true }
                return n
            }
        default:
            return leaf
        }
    }

    /// Drops the paths that no longer exist in `value`.
    func pruned(against value: Value, shape: Shape, path: [String] = []) -> FieldSet {
        var result = FieldSet()
        result.member = member
        for (k, child) in children {
            guard let (sub, subPath) = FieldSet.step(value, k, path) else { continue }
            let p = child.pruned(against: sub, shape: shape, path: subPath)
            if !p.isEmpty { result.children[k] = p }
        }
        return result
    }

    /// The value under one path element, and the field-name path that goes with it.
    static func step(_ value: Value, _ element: String, _ path: [String]) -> (Value, [String])? {
        if element.hasPrefix("f:") {
            let name = String(element.dropFirst(2))
            guard let v = value[name] else { return nil }
            return (v, path + [name])
        }
        guard case .array(let items) = value else { return nil }
        if element.hasPrefix("k:") {
            guard case .object(let keyObject)? = try? Value(json: Array(element.utf8.dropFirst(2))) else { return nil }
            for item in items {
                guard let o = item.objectValue else { continue }
                if keyObject.entries.allSatisfy({ o[$0.key] == $0.value }) { return (item, path) }
            }
            return nil
        }
        if element.hasPrefix("v:") {
            guard let v = try? Value(json: Array(element.utf8.dropFirst(2))), items.contains(v) else { return nil }
            return (v, path)
        }
        if element.hasPrefix("i:"), let i = Int(element.dropFirst(2)), items.indices.contains(i) {
            return (items[i], path)
        }
        return nil
    }

    /// `.spec.template.spec.containers[name="web"].image`, as conflicts print a path.
    static func describe(_ elements: [String]) -> String {
        var s = ""
        for e in elements {
            if e.hasPrefix("f:") {
                s += "." + e.dropFirst(2)
            } else if e.hasPrefix("k:"), case .object(let o)? = try? Value(json: Array(e.utf8.dropFirst(2))) {
                s +=
                    "[" + o.entries.map { "\($0.key)=\((try? $0.value.jsonString()) ?? "")" }.joined(separator: ",")
                    + "]"
            } else if e.hasPrefix("v:") {
                s += "[=" + e.dropFirst(2) + "]"
            } else if e.hasPrefix("i:") {
                s += "[" + e.dropFirst(2) + "]"
            }
        }
        return s
    }

    /// The value at a path of elements, if present.
    static func value(at elements: [String], in value: Value) -> Value? {
        var v = value
        for e in elements {
            guard let (next, _) = step(v, e, []) else { return nil }
            v = next
        }
        return v
    }

    /// Removes the members of this set from `value` (fields, list items, set members).
    func remove(from value: inout Value) {
        for (k, child) in children {
            if k.hasPrefix("f:") {
                let name = String(k.dropFirst(2))
                guard case .object(var o) = value, var sub = o[name] else { continue }
                if child.member && (child.children.isEmpty || !(sub.objectValue != nil || sub.arrayValue != nil)) {
                    o[name] = nil
                } else {
                    child.remove(from: &sub)
                    o[name] = sub
                }
                value = .object(o)
            } else if case .array(var items) = value {
                guard let (item, _) = FieldSet.step(value, k, []), let i = items.firstIndex(of: item) else { continue }
                if child.member {
                    items.remove(at: i)
                } else {
                    var sub = items[i]
                    child.remove(from: &sub)
                    items[i] = sub
                }
                value = .array(items)
            }
        }
    }
}
