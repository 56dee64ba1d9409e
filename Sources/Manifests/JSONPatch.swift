extension Value {
    /// Applies a JSON patch (RFC 6902, an array of `add`, `remove`, `replace`, `move`, `copy` and
    /// `test` operations) and returns the result; `replace` keeps an object's key order. Shared by
    /// Diff's public `JSONPatch`, the embedded cluster and the Kustomize renderer.
    ///
    /// - Throws: ``ManifestError`` with code `invalidObject` for a malformed operation, and
    ///   `invalidPointer` (with the operation's path as ``ManifestError/field``) for a path that does
    ///   not exist where it must, or a `test` that fails. Nothing is partly applied.
    package func applyingJSONPatch(_ patch: Value) throws -> Value {
        guard case .array(let operations) = patch else {
            throw ManifestError(.invalidObject, "a JSON Patch is an array of operations, not a \(patch.kindName)")
        }
        func malformed(_ message: String) -> ManifestError { ManifestError(.invalidObject, message) }
        func failed(_ message: String, _ path: String) -> ManifestError {
            ManifestError(.invalidPointer, message, field: path)
        }
        func pointer(_ text: String, _ n: Int) throws -> JSONPointer {
            do { return try JSONPointer(text) } catch {
                throw ManifestError(.invalidObject, "operation \(n) has a malformed path: \(error)", field: text)
            }
        }
        var doc = self
        for (n, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let pathText = operation["path"]?.stringValue else {
                throw malformed("operation \(n) needs string members 'op' and 'path'")
            }
            let path = try pointer(pathText, n)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw malformed("operation \(n) (add) needs 'value'") }
                try Self.patchAdd(&doc, path.tokens[...], value, pathText)
            case "remove":
                _ = try Self.patchRemove(&doc, path.tokens[...], pathText)
            case "replace":
                guard let value = operation["value"] else { throw malformed("operation \(n) (replace) needs 'value'") }
                // In place, so that an object keeps its key order.
                guard doc[path] != nil else { throw failed("nothing to replace", pathText) }
                do { try doc.set(value, at: path) } catch { throw failed("cannot replace: \(error)", pathText) }
            case "move", "copy":
                guard let fromText = operation["from"]?.stringValue else {
                    throw malformed("operation \(n) (\(op)) needs 'from'")
                }
                let from = try pointer(fromText, n)
                let value: Value
                if op == "move" {
                    value = try Self.patchRemove(&doc, from.tokens[...], fromText)
                } else {
                    guard let v = doc[from] else { throw failed("nothing at 'from' of operation \(n)", fromText) }
                    value = v
                }
                try Self.patchAdd(&doc, path.tokens[...], value, pathText)
            case "test":
                guard let value = operation["value"] else { throw malformed("operation \(n) (test) needs 'value'") }
                guard doc[path] == value else {
                    throw failed("test of operation \(n) failed: the value differs", pathText)
                }
            default:
                throw malformed("operation \(n) has an unknown op '\(op)'")
            }
        }
        return doc
    }

    private static func patchAdd(
        _ doc: inout Value,
        _ tokens: ArraySlice<String>,
        _ value: Value,
        _ path: String
    ) throws {
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
                guard var child = o[token] else {
                    throw ManifestError(.invalidPointer, "the parent of the target does not exist", field: path)
                }
                o[token] = .null
                defer { o[token] = child }
                try patchAdd(&child, tokens.dropFirst(), value, path)
            }
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            if last {
                if token == "-" {
                    a.append(value)
                } else {
                    guard let i = Int(token), i >= 0, i <= a.count else {
                        throw ManifestError(.invalidPointer, "index '\(token)' is out of range", field: path)
                    }
                    a.insert(value, at: i)
                }
            } else {
                guard let i = Int(token), i >= 0, i < a.count else {
                    throw ManifestError(.invalidPointer, "index '\(token)' is out of range", field: path)
                }
                try patchAdd(&a[i], tokens.dropFirst(), value, path)
            }
        default:
            throw ManifestError(.invalidPointer, "the path goes through a \(doc.kindName)", field: path)
        }
    }

    private static func patchRemove(_ doc: inout Value, _ tokens: ArraySlice<String>, _ path: String) throws -> Value {
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
                guard let removed = o.removeValue(forKey: token) else {
                    throw ManifestError(.invalidPointer, "nothing to remove", field: path)
                }
                return removed
            }
            guard var child = o[token] else {
                throw ManifestError(.invalidPointer, "the parent of the target does not exist", field: path)
            }
            o[token] = .null
            defer { o[token] = child }
            return try patchRemove(&child, tokens.dropFirst(), path)
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            guard let i = Int(token), i >= 0, i < a.count else {
                throw ManifestError(.invalidPointer, "index '\(token)' is out of range", field: path)
            }
            if last { return a.remove(at: i) }
            return try patchRemove(&a[i], tokens.dropFirst(), path)
        default:
            throw ManifestError(.invalidPointer, "the path goes through a \(doc.kindName)", field: path)
        }
    }
}
