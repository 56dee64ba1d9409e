import Manifests

extension SOPSDecryptor {
    /// Decrypts a dotenv file written by `sops` (`KEY=ENC[...]` lines, with the metadata
    /// flattened into `sops_...` entries), returning an object of the variables in file order,
    /// each value a string.
    ///
    /// As in `sops`, `\n` in a value is a newline, lines starting with `#` are comments (not
    /// covered by the MAC), and empty lines are skipped.
    ///
    /// - Throws: ``SOPSError``: `invalidValue` for a line without `=` (named by its number, never
    ///   its text), and the errors of ``decrypt(documents:source:)``.
    public func decrypt(dotenv text: String, source: String = "<dotenv>") async throws -> Value {
        do {
            var items: [(key: String, value: String)] = []
            var metadataItems: [(key: String, value: String)] = []
            var lineNumber = 0
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let equals = line.firstIndex(of: "=") else {
                    throw SOPSError(.invalidValue, "line \(lineNumber) is not KEY=VALUE")
                }
                let key = String(line[..<equals])
                let value = String(line[line.index(after: equals)...]).replacingOccurrences(of: "\\n", with: "\n")
                if key.hasPrefix("sops_") {
                    metadataItems.append((String(key.dropFirst(5)), value))
                } else {
                    items.append((key, value))
                }
            }
            guard !metadataItems.isEmpty else {
                throw SOPSError(.invalidMetadata, "the file has no 'sops_' metadata entries")
            }
            let metadata = try SOPSMetadata(try Self.unflatten(metadataItems))
            let dataKey = try await dataKey(for: metadata)
            var walker = try TreeDecryption(metadata: metadata, key: dataKey.key)
            var result = ObjectValue(minimumCapacity: items.count)
            for (key, value) in items {
                let escaped = key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                result[key] = try walker.leaf(.string(value), path: [key], pointer: "/" + escaped)
            }
            try walker.verifyMAC()
            return .object(result)
        } catch let error as SOPSError {
            throw error.located(in: source)
        }
    }

    /// Rebuilds the metadata tree from `sops`'s flattened keys (`age__list_0__map_recipient`).
    static func unflatten(_ items: [(key: String, value: String)]) throws -> Value {
        var root: Value = .object(ObjectValue())
        for (key, value) in items {
            var typed: Value = .string(value)
            switch key {
            case "mac_only_encrypted":
                typed = .bool(value == "true" || value == "True")
            case "shamir_threshold":
                guard let n = Int64(value) else {
                    throw SOPSError(.invalidMetadata, "'shamir_threshold' is not a number", field: "/sops/\(key)")
                }
                typed = .int(n)
            default:
                break
            }
            try place(typed, at: tokens(key)[...], in: &root, field: "/sops/\(key)")
        }
        return root
    }

    private enum Token {
        case key(String)
        case index(Int)
    }

    /// Splits a flattened key at `__map_` (an object key follows) and `__list_` (an index follows).
    private static func tokens(_ path: String) throws -> [Token] {
        var tokens: [Token] = []
        var rest = Substring(path)
        var pending: Token? = nil
        var current = ""
        func finish() throws {
            switch pending {
            case nil, .key?: tokens.append(.key(current))
            case .index?:
                guard let i = Int(current), i >= 0, i < 10_000 else {
                    throw SOPSError(
                        .invalidMetadata,
                        "a flattened metadata key has a bad list index",
                        field: "/sops/\(path)"
                    )
                }
                tokens.append(.index(i))
            }
            current = ""
        }
        while !rest.isEmpty {
            if rest.hasPrefix("__map_") {
                try finish()
                pending = .key("")
                rest = rest.dropFirst(6)
            } else if rest.hasPrefix("__list_") {
                try finish()
                pending = .index(0)
                rest = rest.dropFirst(7)
            } else {
                current.append(rest.removeFirst())
            }
        }
        try finish()
        return tokens
    }

    private static func place(_ value: Value, at path: ArraySlice<Token>, in node: inout Value, field: String) throws {
        guard let first = path.first else {
            node = value
            return
        }
        switch first {
        case .key(let key):
            guard case .object(var object) = node else {
                if node.isNull {
                    node = .object(ObjectValue())
                    return try place(value, at: path, in: &node, field: field)
                }
                throw SOPSError(.invalidMetadata, "flattened metadata keys disagree on a field's kind", field: field)
            }
            node = .null
            var child = object[key] ?? .null
            try place(value, at: path.dropFirst(), in: &child, field: field)
            object[key] = child
            node = .object(object)
        case .index(let index):
            guard case .array(var array) = node else {
                if node.isNull {
                    node = .array([])
                    return try place(value, at: path, in: &node, field: field)
                }
                throw SOPSError(.invalidMetadata, "flattened metadata keys disagree on a field's kind", field: field)
            }
            node = .null
            while array.count <= index { array.append(.null) }
            try place(value, at: path.dropFirst(), in: &array[index], field: field)
            node = .array(array)
        }
    }
}
