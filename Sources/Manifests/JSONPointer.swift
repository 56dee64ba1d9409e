/// A JSON pointer (RFC 6901): the path of a value inside a document, such as
/// `/spec/template/spec/containers/0/image`.
///
/// ```swift
/// let pointer = try JSONPointer("/metadata/labels/app.kubernetes.io~1name")
/// pointer.tokens   // ["metadata", "labels", "app.kubernetes.io/name"]
/// ```
public struct JSONPointer: Sendable, Hashable {
    /// The reference tokens, unescaped.
    public var tokens: [String]

    /// The pointer made of `tokens` (already unescaped).
    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses the text form: empty (the whole document) or `/`-separated tokens with `~0` for `~`
    /// and `~1` for `/`.
    ///
    /// - Throws: ``ManifestError`` when the text does not start with `/` or has a `~` not followed
    ///   by `0` or `1`.
    public init(_ text: String) throws {
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.utf8.first == UInt8(ascii: "/") else {
            throw ManifestError(.invalidPointer, "JSON pointer '\(text)' must be empty or start with '/'")
        }
        var tokens: [String] = []
        for raw in text.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(raw.count)
            var escaped = false
            for b in raw {
                if escaped {
                    switch b {
                    case UInt8(ascii: "0"): bytes.append(UInt8(ascii: "~"))
                    case UInt8(ascii: "1"): bytes.append(UInt8(ascii: "/"))
                    default:
                        throw ManifestError(
                            .invalidPointer,
                            "JSON pointer '\(text)' has '~' not followed by '0' or '1'"
                        )
                    }
                    escaped = false
                } else if b == UInt8(ascii: "~") {
                    escaped = true
                } else {
                    bytes.append(b)
                }
            }
            if escaped { throw ManifestError(.invalidPointer, "JSON pointer '\(text)' ends with a lone '~'") }
            tokens.append(String(decoding: bytes, as: UTF8.self))
        }
        self.tokens = tokens
    }

    /// The pointer one level deeper.
    public func appending(_ token: String) -> JSONPointer { JSONPointer(tokens: tokens + [token]) }

    /// The pointer one level deeper, at an array index.
    public func appending(_ index: Int) -> JSONPointer { appending(String(index)) }

    /// The pointer to the parent, or `nil` for the root.
    public var parent: JSONPointer? { tokens.isEmpty ? nil : JSONPointer(tokens: Array(tokens.dropLast())) }

    /// An array index token: decimal digits without a leading zero (RFC 6901 section 4).
    static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") && utf8.count > 1 { return nil }
        guard utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(token)
    }
}

extension JSONPointer: CustomStringConvertible {
    /// The text form, with `~` and `/` escaped.
    public var description: String {
        var s = ""
        for t in tokens {
            s += "/"
            s += t.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
        }
        return s
    }
}

extension String {
    /// Replaces every occurrence of `target`, without Foundation.
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 4)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}

extension Value {
    /// Sets the value at `pointer`, creating missing objects along the way; the token `-`
    /// appends to an array.
    ///
    /// - Throws: ``ManifestError`` when a step of the path goes through a scalar, or an array
    ///   index is not a valid index.
    public mutating func set(_ newValue: Value, at pointer: JSONPointer) throws {
        try update(at: pointer.tokens[...], pointer: pointer) {
            $0 = newValue
            return true
        }
    }

    /// Removes the value at `pointer` and returns it; `nil` when there was nothing there.
    ///
    /// - Throws: ``ManifestError`` when a step of the path goes through a scalar.
    @discardableResult
    public mutating func remove(at pointer: JSONPointer) throws -> Value? {
        guard !pointer.tokens.isEmpty else {
            defer { self = .null }
            return self
        }
        var removed: Value?
        let parentTokens = pointer.tokens.dropLast()
        let last = pointer.tokens[pointer.tokens.count - 1]
        guard self[JSONPointer(tokens: Array(parentTokens))] != nil else { return nil }
        try update(at: parentTokens, pointer: pointer) { parent in
            switch parent {
            case .object(var o):
                parent = .null
                removed = o.removeValue(forKey: last)
                parent = .object(o)
            case .array(var a):
                guard let i = JSONPointer.arrayIndex(last), i < a.count else { return false }
                parent = .null
                removed = a.remove(at: i)
                parent = .array(a)
            default:
                throw ManifestError(.invalidPointer, "cannot remove '\(pointer)': its parent is a \(parent.kindName)")
            }
            return true
        }
        return removed
    }

    /// Walks `tokens` (creating objects for missing keys) and lets `body` change the value there.
    private mutating func update(
        at tokens: ArraySlice<String>,
        pointer: JSONPointer,
        _ body: (inout Value) throws -> Bool
    ) throws {
        guard let token = tokens.first else {
            _ = try body(&self)
            return
        }
        let rest = tokens.dropFirst()
        switch self {
        case .null:
            var member = Value.null
            try member.update(at: rest, pointer: pointer, body)
            self = .object(ObjectValue(uniqueEntries: [.init(key: token, value: member)]))
        case .object(var o):
            self = .null
            let existed = o.index(forKey: token) != nil
            var member = o[token] ?? .null
            if existed { o[token] = .null }  // keep `member` uniquely referenced
            do {
                try member.update(at: rest, pointer: pointer, body)
            } catch {
                if existed { o[token] = member }
                self = .object(o)
                throw error
            }
            o[token] = member
            self = .object(o)
        case .array(var a):
            if token == "-" && rest.isEmpty {
                var member = Value.null
                try member.update(at: rest, pointer: pointer, body)
                self = .null
                a.append(member)
                self = .array(a)
                return
            }
            guard let i = JSONPointer.arrayIndex(token), i < a.count else {
                throw ManifestError(
                    .invalidPointer,
                    "'\(pointer)': '\(token)' is not an index of an array of \(a.count)"
                )
            }
            self = .null
            defer { self = .array(a) }
            try a[i].update(at: rest, pointer: pointer, body)
        default:
            throw ManifestError(.invalidPointer, "'\(pointer)' goes through a \(kindName) at '\(token)'")
        }
    }
}
