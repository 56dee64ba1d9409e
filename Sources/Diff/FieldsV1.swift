import Manifests

/// Reading `managedFields` in the `FieldsV1` format: a tree whose keys are `f:<field>` (a
/// member), `k:<json>` (a map-list element by its key fields), `v:<json>` (a set-list element),
/// `i:<n>` (a position) and `.` (the element itself), and whose leaves are `{}`.
enum FieldsV1 {
    /// The union of the `fieldsV1` of every entry of `managers` in `object` (an `Apply` and an
    /// `Update` entry of one manager are both its fields); `nil` when none of them has an entry.
    static func fields(of managers: some Sequence<String>, in object: ObjectValue) -> Value? {
        guard case .array(let entries) = object["metadata"]?["managedFields"] ?? .null else { return nil }
        var result: Value?
        for manager in managers {
            for entry in entries where entry["manager"]?.stringValue == manager {
                guard let fields = entry["fieldsV1"], case .object = fields else { continue }
                result = result.map { union($0, fields) } ?? fields
            }
        }
        return result
    }

    /// The union of two field sets.
    static func union(_ a: Value, _ b: Value) -> Value {
        guard case .object(var ao) = a, case .object(let bo) = b else { return a }
        for e in bo.entries {
            if let existing = ao[e.key] { ao[e.key] = union(existing, e.value) } else { ao[e.key] = e.value }
        }
        return .object(ao)
    }

    /// Whether `key` is `f:` followed by `name`, without building the string.
    @inline(__always)
    static func isField(_ key: String, _ name: String) -> Bool {
        let n = name.utf8.count
        guard key.utf8.count == n + 2 else { return false }
        if let same = key.utf8.withContiguousStorageIfAvailable({ kb -> Bool in
            kb[0] == UInt8(ascii: "f") && kb[1] == UInt8(ascii: ":") && KeyBytes.has(kb, at: 2, name)
        }) {
            return same
        }
        let k = key.utf8
        var i = k.startIndex
        return consume(k, &i, "f:") && consume(k, &i, name) && i == k.endIndex
    }

    /// Advances `i` over `literal` if `text` has it there.
    @inline(__always)
    static func consume(_ text: String.UTF8View, _ i: inout String.Index, _ literal: StaticString) -> Bool {
        let buffer = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for b in buffer {
            guard i != text.endIndex, text[i] == b else { return false }
            i = text.index(after: i)
        }
        return true
    }

    /// Advances `i` over `string` if `text` has it there.
    @inline(__always)
    static func consume(_ text: String.UTF8View, _ i: inout String.Index, _ string: String) -> Bool {
        for b in string.utf8 {
            guard i != text.endIndex, text[i] == b else { return false }
            i = text.index(after: i)
        }
        return true
    }

    /// The member `f:name` of a node.
    static func field(_ node: ObjectValue, _ name: String) -> Value? {
        node.entries.withUnsafeBufferPointer { entries in
            for i in 0..<entries.count where isField(entries[i].key, name) { return entries[i].value }
            return nil
        }
    }

    /// Whether a node has the member `f:name`.
    static func hasField(_ node: ObjectValue, _ name: String) -> Bool {
        node.entries.withUnsafeBufferPointer { entries in
            for i in 0..<entries.count where isField(entries[i].key, name) { return true }
            return false
        }
    }

    /// The member `k:{...}` of a map-list element with one key field whose value is a plain
    /// string (containers, env, volumes by name), matched without building the text.
    static func element(_ node: ObjectValue, keyNames: [String], element: Value) -> Value? {
        if keyNames.count == 1, case .string(let value)? = Step.keyValue(keyNames[0], element), simple(value),
            simple(keyNames[0])
        {
            let name = keyNames[0]
            let nameCount = name.utf8.count
            let length = nameCount + value.utf8.count + 9
            let found: Value?? = node.entries.withUnsafeBufferPointer { entries in
                for i in 0..<entries.count where entries[i].key.utf8.count == length {
                    // `k:{"<name>":"<value>"}`, compared in place.
                    let matches = entries[i].key.utf8.withContiguousStorageIfAvailable { k in
                        KeyBytes.has(k, at: 0, "k:{\"") && KeyBytes.has(k, at: 4, name)
                            && KeyBytes.has(k, at: 4 + nameCount, "\":\"") && KeyBytes.has(k, at: 7 + nameCount, value)
                            && KeyBytes.has(k, at: length - 2, "\"}")
                    }
                    if let matches {
                        if matches { return .some(entries[i].value) }
                        continue
                    }
                    let k = entries[i].key.utf8
                    var j = k.startIndex
                    if consume(k, &j, "k:{\"") && consume(k, &j, name) && consume(k, &j, "\":\"") && consume(k, &j, value)
                        && consume(k, &j, "\"}")
                    {
                        return .some(entries[i].value)
                    }
                }
                return nil
            }
            if let found { return found }
            // The API server writes keys as compact JSON: a plain string key not found is not there.
            return nil
        }
        return FieldsV1.element(node, keys: Step.keyObject(keyNames, element))
    }

    /// The member `k:{...}` of a node for a map-list element whose key fields are `keys`.
    static func element(_ node: ObjectValue, keys: ObjectValue) -> Value? {
        // Fast path: the server writes the key fields sorted by name, as compact JSON.
        if let text = keyText(keys) {
            for e in node.entries where e.key == text { return e.value }
        }
        for e in node.entries where e.key.hasPrefix("k:") {
            if let parsed = try? Value(json: String(e.key.dropFirst(2))), parsed == .object(keys) { return e.value }
        }
        return nil
    }

    /// The member `v:<json>` of a node for a set element.
    static func setElement(_ node: ObjectValue, _ value: Value) -> Value? {
        for e in node.entries where e.key.hasPrefix("v:") {
            if let parsed = try? Value(json: String(e.key.dropFirst(2))), parsed == value { return e.value }
        }
        return nil
    }

    /// The member `i:<n>` of a node.
    static func index(_ node: ObjectValue, _ i: Int) -> Value? {
        let text = "i:\(i)"
        for e in node.entries where e.key == text { return e.value }
        return nil
    }

    /// `k:{"a":1,"b":"x"}` with sorted keys, for simple key values; `nil` when a value needs
    /// escaping (the slow path then compares parsed keys).
    static func keyText(_ keys: ObjectValue) -> String? {
        var entries = keys.entries
        if entries.count > 1 { entries.sort { $0.key < $1.key } }
        var s = "k:{"
        for (n, e) in entries.enumerated() {
            if n > 0 { s += "," }
            guard simple(e.key) else { return nil }
            s += "\"" + e.key + "\":"
            switch e.value {
            case .string(let v):
                guard simple(v) else { return nil }
                s += "\"" + v + "\""
            case .int(let i): s += String(i)
            case .bool(let b): s += b ? "true" : "false"
            default: return nil
            }
        }
        return s + "}"
    }

    private static func simple(_ s: String) -> Bool {
        if let result = s.utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            for b in bytes {
                if b < 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "<")
                    || b == UInt8(ascii: ">") || b == UInt8(ascii: "&")
                {
                    return false
                }
            }
            return true
        }) {
            return result
        }
        return s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "&") }
    }

    /// Whether the field set `root` covers `path`: the path's node is in it, or one of its
    /// ancestors is a leaf (`{}`), which owns its whole value.
    static func owns(_ root: Value, _ path: FieldPath) -> Bool {
        var node = root
        for component in path.components {
            guard case .object(let o) = node else { return false }
            if o.isEmpty { return true }
            let next: Value?
            switch component {
            case .field(let name): next = field(o, name)
            case .key(let keys): next = element(o, keys: keys)
            case .value(let v): next = setElement(o, v)
            case .index(let i): next = index(o, i)
            }
            guard let next else { return false }
            node = next
        }
        return true
    }
}

/// Where the comparison is in a source of "fields we set before": a `fieldsV1` node of our field
/// manager, a node of the last-applied configuration, or a whole owned subtree.
enum OwnNode {
    case notOwned
    case all
    case fields(ObjectValue)
    case applied(Value)

    func child(_ step: Step) -> OwnNode {
        switch self {
        case .notOwned: return .notOwned
        case .all: return .all
        case .fields(let o):
            if o.isEmpty { return .all }
            let next: Value?
            switch step {
            case .field(let name):
                // The common step, found in place without copying the member.
                return o.entries.withUnsafeBufferPointer { entries in
                    for i in 0..<entries.count where FieldsV1.isField(entries[i].key, name) {
                        if case .object(let n) = entries[i].value { return .fields(n) }
                        return .all
                    }
                    return .notOwned
                }
            case .element(let keys, let element, _): next = FieldsV1.element(o, keyNames: keys, element: element)
            case .index(let i, _): next = FieldsV1.index(o, i)
            case .setValue(let v, _): next = FieldsV1.setElement(o, v)
            }
            guard case .object(let n) = next ?? .null else { return next == nil ? .notOwned : .all }
            return .fields(n)
        case .applied(let v):
            switch step {
            case .field(let name):
                guard let next = v[name] else { return .notOwned }
                return .applied(next)
            case .element(let keys, let element, _):
                guard case .array(let items) = v else { return .notOwned }
                for item in items where Step.keysMatch(keys, item, element) { return .applied(item) }
                return .notOwned
            case .index(let i, _):
                guard let next = v[i] else { return .notOwned }
                return .applied(next)
            case .setValue(let x, _):
                guard case .array(let items) = v, items.contains(x) else { return .notOwned }
                return .all
            }
        }
    }

    var exists: Bool {
        if case .notOwned = self { return false }
        return true
    }

    /// Whether children can differ from this node (`.notOwned` and `.all` are their own children).
    var hasChildren: Bool {
        switch self {
        case .notOwned, .all: return false
        case .fields, .applied: return true
        }
    }

    /// Whether the member `name` of this node is owned: `child(.field(name)).exists`, without
    /// building the child.
    func ownsField(_ name: String) -> Bool {
        switch self {
        case .notOwned: return false
        case .all: return true
        case .fields(let o): return o.isEmpty || FieldsV1.hasField(o, name)
        case .applied(let v):
            return v[name] != nil
        }
    }
}

/// One step of the comparison's position, cheap to push and pop; turned into a ``PathComponent``
/// and a pointer token only when a change is recorded.
enum Step {
    case field(String)
    /// A map-list element: its key field names, the element (desired, or live when only live has
    /// it) and its position in the live list, if it is there.
    case element(keys: [String], element: Value, liveIndex: Int?)
    /// A position in an atomic list.
    case index(Int, liveIndex: Int?)
    /// A set element and its live position.
    case setValue(Value, liveIndex: Int?)

    @inline(__always)
    static func keyValue(_ key: String, _ element: Value) -> Value? {
        KeyBytes.member(element, key) ?? BuiltinLists.keyDefault(key)
    }

    static func keyObject(_ keys: [String], _ element: Value) -> ObjectValue {
        var o = ObjectValue(minimumCapacity: keys.count)
        for k in keys { if let v = keyValue(k, element) { o[k] = v } }
        return o
    }

    /// Whether two elements have the same key fields (with the API server's defaults for missing
    /// ones).
    @inline(__always)
    static func keysMatch(_ keys: [String], _ a: Value, _ b: Value) -> Bool {
        for k in keys where keyValue(k, a) != keyValue(k, b) { return false }
        return true
    }

    var component: PathComponent {
        switch self {
        case .field(let name): return .field(name)
        case .element(let keys, let element, _): return .key(Step.keyObject(keys, element))
        case .index(let i, _): return .index(i)
        case .setValue(let v, _): return .value(v)
        }
    }

    /// The JSON pointer token in the live object; `-` (append) for an element live lacks.
    var pointerToken: String {
        switch self {
        case .field(let name): return name
        case .element(_, _, let i), .index(_, let i), .setValue(_, let i): return i.map(String.init) ?? "-"
        }
    }
}
