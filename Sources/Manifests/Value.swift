/// A JSON or YAML value: the tree every module of the SDK reads and writes.
///
/// Objects keep their keys in the order they were written (see ``ObjectValue``), so an emitted
/// document or a diff does not reorder what a person wrote. Equality is semantic: the order of an
/// object's keys does not matter, and an integer equals a double of the same value (`1 == 1.0`),
/// as Kubernetes treats numbers that decode from JSON.
///
/// ```swift
/// var value: Value = ["metadata": ["name": "web"], "spec": ["replicas": 3]]
/// value["metadata"]?["labels"] = ["app": "web"]
/// let replicas = value["spec"]?["replicas"]?.intValue   // 3
/// ```
public enum Value: Sendable {
    /// JSON `null`, YAML `~`, `null` or an empty plain scalar.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case int(Int64)
    /// A floating-point number (including, in YAML, `.inf` and `.nan`).
    case double(Double)
    /// A string.
    case string(String)
    /// An array (a YAML sequence).
    case array([Value])
    /// An object (a YAML mapping) with its keys in written order.
    case object(ObjectValue)
}

// MARK: - Typed access

extension Value {
    /// Whether this is `.null`.
    @inlinable public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The string, if this is a string.
    @inlinable public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, if this is a boolean.
    @inlinable public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The integer, if this is an integer or a double with an integral value that fits in 64 bits.
    @inlinable public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    /// The number as a `Double`, if this is an integer or a double.
    @inlinable public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The elements, if this is an array.
    @inlinable public var arrayValue: [Value]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object, if this is an object.
    @inlinable public var objectValue: ObjectValue? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// A short name of the value's kind, for messages: `null`, `boolean`, `integer`, `number`,
    /// `string`, `array` or `object`.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Subscripts

extension Value {
    /// The member `key` of an object; `nil` when this is not an object or has no such key.
    ///
    /// Setting a key on an object sets or replaces it (a new key goes last); setting `nil` removes
    /// it. Setting a key on `.null` turns it into an object. Setting a key on any other kind of value
    /// is a programming error and traps, like an out-of-range array index.
    @inlinable public subscript(key: String) -> Value? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        _modify {
            switch self {
            case .object(var o):
                self = .null  // keep `o` uniquely referenced while it is mutated
                defer { self = .object(o) }
                yield &o[key]
            case .null:
                var o = ObjectValue()
                defer { if !o.isEmpty { self = .object(o) } }
                yield &o[key]
            default:
                var member: Value? = nil
                yield &member
                precondition(member == nil, "cannot set key '\(key)' on a \(kindName)")
            }
        }
    }

    /// The element at `index` of an array; `nil` when this is not an array or the index is out of
    /// range.
    @inlinable public subscript(index: Int) -> Value? {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    /// The value that `pointer` (RFC 6901) refers to, or `nil` when there is none.
    public subscript(pointer: JSONPointer) -> Value? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = JSONPointer.arrayIndex(token), i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }
}

// MARK: - Equality and hashing

extension Value: Equatable {
    /// Semantic equality: object key order does not matter, `1 == 1.0`, and NaN equals NaN.
    @inlinable public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Int64(exactly: b) == a
        default: return false
        }
    }
}

extension Value: Hashable {
    /// Hashes consistently with `==`: a double with an integral value hashes as that integer.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b):
            hasher.combine(1 as UInt8)
            hasher.combine(b)
        case .int(let i):
            hasher.combine(2 as UInt8)
            hasher.combine(i)
        case .double(let d):
            if let i = Int64(exactly: d) {
                hasher.combine(2 as UInt8)
                hasher.combine(i)
            } else {
                hasher.combine(3 as UInt8)
                hasher.combine(d.isNaN ? .nan : d)
            }
        case .string(let s):
            hasher.combine(4 as UInt8)
            hasher.combine(s)
        case .array(let a):
            hasher.combine(5 as UInt8)
            hasher.combine(a)
        case .object(let o):
            hasher.combine(6 as UInt8)
            hasher.combine(o)
        }
    }
}

// MARK: - Literals

extension Value: ExpressibleByNilLiteral {
    /// `nil` is `.null`.
    @inlinable public init(nilLiteral: ()) { self = .null }
}

extension Value: ExpressibleByBooleanLiteral {
    /// A boolean literal.
    @inlinable public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension Value: ExpressibleByIntegerLiteral {
    /// An integer literal.
    @inlinable public init(integerLiteral value: Int64) { self = .int(value) }
}

extension Value: ExpressibleByFloatLiteral {
    /// A floating-point literal.
    @inlinable public init(floatLiteral value: Double) { self = .double(value) }
}

extension Value: ExpressibleByStringLiteral {
    /// A string literal.
    @inlinable public init(stringLiteral value: String) { self = .string(value) }
}

extension Value: ExpressibleByArrayLiteral {
    /// An array literal.
    @inlinable public init(arrayLiteral elements: Value...) { self = .array(elements) }
}

extension Value: ExpressibleByDictionaryLiteral {
    /// A dictionary literal: an object whose keys keep the literal's order.
    @inlinable public init(dictionaryLiteral elements: (String, Value)...) {
        var o = ObjectValue(minimumCapacity: elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension Value: CustomStringConvertible {
    /// The value as compact JSON (non-finite doubles written as `.inf`, `-.inf` or `.nan`).
    public var description: String {
        var writer = JSONWriter(options: .init(nonFiniteNumbers: .yamlNames))
        // With `.yamlNames` the writer cannot fail.
        (try? writer.write(self)) ?? ()
        return writer.string
    }
}
