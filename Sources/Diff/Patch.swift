import Manifests

/// JSON Patch (RFC 6902): applying a patch document (an array of operations) to a value.
///
/// ```swift
/// let patched = try JSONPatch.apply(diff.jsonPatch(), to: live.value)
/// ```
public enum JSONPatch {
    /// Applies the operations of `patch` in order: `add`, `remove`, `replace`, `move`, `copy` and
    /// `test`.
    ///
    /// - Throws: ``DiffError`` (`.invalidPatch`) for a malformed operation, (`.patchFailed`) for a
    ///   path that does not exist where it must, or a `test` that fails. Nothing is partly applied:
    ///   the input is a value, and the result is returned only on success.
    public static func apply(_ patch: Value, to document: Value) throws -> Value {
        guard case .array(let operations) = patch else {
            throw DiffError(.invalidPatch, "a JSON Patch is an array of operations, not a \(patch.kindName)")
        }
        var doc = document
        for (n, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let pathText = operation["path"]?.stringValue else {
                throw DiffError(.invalidPatch, "operation \(n) needs string members 'op' and 'path'")
            }
            let path = try pointer(pathText, n)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw DiffError(.invalidPatch, "operation \(n) (add) needs 'value'") }
                try add(&doc, path.tokens[...], value, pathText)
            case "remove":
                _ = try remove(&doc, path.tokens[...], pathText)
            case "replace":
                guard let value = operation["value"] else { throw DiffError(.invalidPatch, "operation \(n) (replace) needs 'value'") }
                // In place, so that an object keeps its key order.
                guard doc[path] != nil else { throw DiffError(.patchFailed, "nothing to replace", path: pathText) }
                do { try doc.set(value, at: path) } catch {
                    throw DiffError(.patchFailed, "cannot replace: \(error)", path: pathText)
                }
            case "move", "copy":
                guard let fromText = operation["from"]?.stringValue else { throw DiffError(.invalidPatch, "operation \(n) (\(op)) needs 'from'") }
                let from = try pointer(fromText, n)
                let value: Value
                if op == "move" {
                    value = try remove(&doc, from.tokens[...], fromText)
                } else {
                    guard let v = doc[from] else { throw DiffError(.patchFailed, "nothing at 'from' of operation \(n)", path: fromText) }
                    value = v
                }
                try add(&doc, path.tokens[...], value, pathText)
            case "test":
                guard let value = operation["value"] else { throw DiffError(.invalidPatch, "operation \(n) (test) needs 'value'") }
                guard doc[path] == value else {
                    throw DiffError(.patchFailed, "test of operation \(n) failed: the value differs", path: pathText)
                }
            default:
                throw DiffError(.invalidPatch, "operation \(n) has an unknown op '\(op)'")
            }
        }
        return doc
    }

    private static func pointer(_ text: String, _ n: Int) throws -> JSONPointer {
        do { return try JSONPointer(text) } catch {
            throw DiffError(.invalidPatch, "operation \(n) has a malformed path: \(error)", path: text)
        }
    }

    private static func add(_ doc: inout Value, _ tokens: ArraySlice<String>, _ value: Value, _ path: String) throws {
        guard let token = tokens.first else {
            doc = value
            return
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            doc = .null
            defer { doc = .object(o) }
            if last {
                o[token] = value
            } else {
                guard var child = o[token] else { throw DiffError(.patchFailed, "the parent of the target does not exist", path: path) }
                o[token] = .null
                defer { o[token] = child }
                try add(&child, tokens.dropFirst(), value, path)
            }
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            if last {
                if token == "-" {
                    a.append(value)
                } else {
                    guard let i = Int(token), i >= 0, i <= a.count else { throw DiffError(.patchFailed, "index '\(token)' is out of range", path: path) }
                    a.insert(value, at: i)
                }
            } else {
                guard let i = Int(token), i >= 0, i < a.count else { throw DiffError(.patchFailed, "index '\(token)' is out of range", path: path) }
                try add(&a[i], tokens.dropFirst(), value, path)
            }
        default:
            throw DiffError(.patchFailed, "the path goes through a \(doc.kindName)", path: path)
        }
    }

    private static func remove(_ doc: inout Value, _ tokens: ArraySlice<String>, _ path: String) throws -> Value {
        guard let token = tokens.first else {
            defer { doc = .null }
            return doc
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            doc = .null
            defer { doc = .object(o) }
            if last {
                guard let removed = o.removeValue(forKey: token) else { throw DiffError(.patchFailed, "nothing to remove", path: path) }
                return removed
            }
            guard var child = o[token] else { throw DiffError(.patchFailed, "the parent of the target does not exist", path: path) }
            o[token] = .null
            defer { o[token] = child }
            return try remove(&child, tokens.dropFirst(), path)
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            guard let i = Int(token), i >= 0, i < a.count else { throw DiffError(.patchFailed, "index '\(token)' is out of range", path: path) }
            if last { return a.remove(at: i) }
            return try remove(&a[i], tokens.dropFirst(), path)
        default:
            throw DiffError(.patchFailed, "the path goes through a \(doc.kindName)", path: path)
        }
    }

    /// The operations that turn live into desired, from changes: additions and replacements
    /// first, then removals, deepest list positions last-to-first so positions stay valid.
    static func operations(for changes: [Change]) -> Value {
        var ops: [Value] = []
        var removals: [Change] = []
        for c in changes {
            switch c.kind {
            case .added: ops.append(["op": "add", "path": .string(c.pointer.description), "value": c.new ?? .null])
            case .modified: ops.append(["op": "replace", "path": .string(c.pointer.description), "value": c.new ?? .null])
            case .removed: removals.append(c)
            }
        }
        removals.sort { a, b in
            // Later positions first, so that removing one does not shift the others.
            for (x, y) in zip(a.pointer.tokens, b.pointer.tokens) where x != y {
                if let i = Int(x), let j = Int(y) { return i > j }
                return x > y
            }
            return a.pointer.tokens.count > b.pointer.tokens.count
        }
        for c in removals { ops.append(["op": "remove", "path": .string(c.pointer.description)]) }
        return .array(ops)
    }
}

/// JSON Merge Patch (RFC 7386).
public enum MergePatch {
    /// Applies `patch` to `document`: members of an object patch are merged recursively, `null`
    /// removes a member, anything else (arrays included) replaces.
    public static func apply(_ patch: Value, to document: Value) -> Value {
        guard case .object(let p) = patch else { return patch }
        var target = document.objectValue ?? ObjectValue()
        for e in p.entries {
            if case .null = e.value {
                target.removeValue(forKey: e.key)
            } else {
                target[e.key] = apply(e.value, to: target[e.key] ?? .null)
            }
        }
        return .object(target)
    }

    /// The merge patch that turns `live` into `patched`, touching only where `changes` are: a
    /// change inside a list sets the whole list (merge patches cannot address elements).
    static func patch(for changes: [Change], live: Value, patched: Value) -> Value {
        var patch: Value = .object(ObjectValue())
        var done: [[String]] = []
        for c in changes {
            // Cut the pointer at the first list.
            var prefix: [String] = []
            var current: Value? = live
            for token in c.pointer.tokens {
                if case .array = current ?? .null { break }
                prefix.append(token)
                current = current?[token]
            }
            if done.contains(where: { prefix.starts(with: $0) }) { continue }
            done.append(prefix)
            let value = patched[JSONPointer(tokens: prefix)] ?? .null
            try? patch.set(value, at: JSONPointer(tokens: prefix))
        }
        return patch
    }
}
