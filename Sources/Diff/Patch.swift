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
        do {
            return try document.applyingJSONPatch(patch)
        } catch let error as ManifestError {
            throw DiffError(error.code == .invalidPointer ? .patchFailed : .invalidPatch, error.message, path: error.field)
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
