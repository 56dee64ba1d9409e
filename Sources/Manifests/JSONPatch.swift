/// JSON patch (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and `test` operations, as the
/// API server applies `application/json-patch+json` and Kustomize its `patchesJson6902`.
package enum JSONPatch {
    /// Applies the operations of `patch` (an array) to `target` in order.
    ///
    /// - Throws: ``ManifestError`` (`invalidPointer`) naming the operation (by position) and its
    ///   path when an operation is malformed, its path does not exist, or a `test` fails.
    package static func apply(_ patch: Value, to target: Value) throws -> Value {
        guard case .array(let operations) = patch else {
            throw ManifestError(.invalidPointer, "a JSON patch must be an array of operations, not a \(patch.kindName)")
        }
        var document = target
        for (index, operation) in operations.enumerated() {
            func fail(_ message: String) -> ManifestError {
                ManifestError(.invalidPointer, "JSON patch operation \(index): \(message)")
            }
            guard let op = operation["op"]?.stringValue else { throw fail("has no 'op'") }
            guard let pathText = operation["path"]?.stringValue else { throw fail("'\(op)' has no 'path'") }
            let path: JSONPointer
            do { path = try JSONPointer(pathText) } catch let error as ManifestError { throw fail(error.message) }
            func from() throws -> JSONPointer {
                guard let text = operation["from"]?.stringValue else { throw fail("'\(op)' has no 'from'") }
                do { return try JSONPointer(text) } catch let error as ManifestError { throw fail(error.message) }
            }
            func value() throws -> Value {
                guard let v = operation.objectValue?["value"] else { throw fail("'\(op)' has no 'value'") }
                return v
            }
            do {
                switch op {
                case "add": try add(try value(), at: path, in: &document)
                case "remove": try remove(at: path, in: &document)
                case "replace":
                    let v = try value()
                    try remove(at: path, in: &document)
                    try add(v, at: path, in: &document)
                case "move":
                    let source = try from()
                    let v = try remove(at: source, in: &document)
                    try add(v, at: path, in: &document)
                case "copy":
                    let source = try from()
                    guard let v = document[source] else { throw fail("'from' \(source) does not exist") }
                    try add(v, at: path, in: &document)
                case "test":
                    let v = try value()
                    guard document[path] == v else { throw fail("test of \(pathText) failed: the value is not \(v)") }
                default:
                    throw fail("unknown operation '\(op)' (expected add, remove, replace, move, copy or test)")
                }
            } catch let error as ManifestError where !error.message.hasPrefix("JSON patch operation") {
                throw fail(error.message)
            }
        }
        return document
    }

    /// RFC 6902 `add`: sets an object member, or inserts into an array (`-` appends); the parent
    /// must exist.
    private static func add(_ value: Value, at path: JSONPointer, in document: inout Value) throws {
        guard let parentPath = path.parent, let last = path.tokens.last else {
            document = value
            return
        }
        guard let parent = document[parentPath] else { throw ManifestError(.invalidPointer, "\(path): no parent to add to") }
        switch parent {
        case .object:
            try document.set(value, at: path)
        case .array(var items):
            let index: Int
            if last == "-" {
                index = items.count
            } else {
                guard let i = JSONPointer.arrayIndex(last), i <= items.count else {
                    throw ManifestError(.invalidPointer, "\(path): index out of range of an array of \(items.count)")
                }
                index = i
            }
            items.insert(value, at: index)
            try document.set(.array(items), at: parentPath)
        default:
            throw ManifestError(.invalidPointer, "\(path): the parent is a \(parent.kindName)")
        }
    }

    /// RFC 6902 `remove`: the value must exist.
    @discardableResult
    private static func remove(at path: JSONPointer, in document: inout Value) throws -> Value {
        guard document[path] != nil else { throw ManifestError(.invalidPointer, "\(path): no value to remove") }
        guard !path.tokens.isEmpty else {
            defer { document = .null }
            return document
        }
        return try document.remove(at: path) ?? .null
    }
}
