/// Limits that protect a reader from hostile or broken input. Each has a default that no real
/// Kubernetes manifest comes near.
public struct ReadLimits: Sendable, Hashable {
    /// The most bytes one input may have (64 MiB by default).
    public var maxBytes: Int = 64 << 20
    /// The deepest nesting of arrays and objects (512 by default; Kubernetes objects rarely pass 20).
    public var maxDepth: Int = 512
    /// The most nodes that YAML aliases may add to a stream when expanded (1,000,000 by default).
    /// Counting expansion stops a "billion laughs" document before it costs time or memory.
    public var maxAliasExpansion: Int = 1_000_000
    /// Whether a key that appears twice in one mapping is an error (the default) or, as in
    /// kubectl, the last one wins silently.
    public var rejectDuplicateKeys: Bool = true
    /// Whether an integer that does not fit in `Int64` is an error, or (the default, as the
    /// Kubernetes decoder does) read as a `Double`.
    public var rejectBigIntegers: Bool = false

    /// The default limits.
    public init() {}
}

extension Value {
    /// Reads one JSON value (RFC 8259) from `bytes`.
    ///
    /// Integers that fit in 64 bits become `.int`, other numbers `.double`; see
    /// ``ReadLimits/rejectBigIntegers``. Escapes `\uXXXX` with surrogate pairs are decoded; a lone
    /// surrogate becomes U+FFFD, as Go's decoder does.
    ///
    /// - Parameters:
    ///   - bytes: UTF-8 JSON text.
    ///   - source: the name used in error locations, such as a file path.
    ///   - limits: limits against hostile input.
    /// - Throws: ``ManifestError`` with the source, line and column of the first error.
    public init(json bytes: some Collection<UInt8>, source: String = "<json>", limits: ReadLimits = ReadLimits()) throws
    {
        if let value = try bytes.withContiguousStorageIfAvailable({
            try JSONReader.read($0, source: source, limits: limits)
        }) {
            self = value
        } else {
            self = try Array(bytes).withUnsafeBufferPointer { try JSONReader.read($0, source: source, limits: limits) }
        }
    }

    /// Reads one JSON value from a string. See ``init(json:source:limits:)-(some Collection<UInt8>,_,_)``.
    public init(json text: String, source: String = "<json>", limits: ReadLimits = ReadLimits()) throws {
        var text = text
        self = try text.withUTF8 { try JSONReader.read($0, source: source, limits: limits) }
    }
}

/// A JSON reader over a byte buffer: one pass, no intermediate tokens.
struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let source: String
    private let limits: ReadLimits
    private var i = 0
    private var depth = 0
    private var scratch: [UInt8] = []
    /// Members of the open containers; each container's move into one array when it closes.
    private let items = MoveStack<Value>()
    private let entries = MoveStack<ObjectValue.Entry>()

    static func read(_ bytes: UnsafeBufferPointer<UInt8>, source: String, limits: ReadLimits) throws -> Value {
        guard bytes.count <= limits.maxBytes else {
            throw ManifestError(
                .limitExceeded,
                "\(source): input of \(bytes.count) bytes is larger than the limit of \(limits.maxBytes)"
            )
        }
        try UTF8Check.validate(bytes, source: source)
        var reader = JSONReader(bytes: bytes, source: source, limits: limits)
        reader.skipWhitespace()
        let value = try reader.readValue()
        reader.skipWhitespace()
        guard reader.i == bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, source: String, limits: ReadLimits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
    }

    // MARK: Errors

    private func error(_ message: String, at offset: Int? = nil) -> ManifestError {
        let location = TextPosition.locate(offset ?? i, in: bytes, source: source)
        return ManifestError(.jsonSyntax, message, location: location)
    }

    private func describeHere() -> String {
        guard i < bytes.count else { return "the end of the input" }
        let b = bytes[i]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    // MARK: Values

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    private mutating func readValue() throws -> Value {
        guard i < bytes.count else { throw error("expected a value, found the end of the input") }
        switch bytes[i] {
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default: throw error("expected a value, found \(describeHere())")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw error("expected '\(word)'") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] {
            throw error("expected '\(word)'")
        }
        i += n
    }

    private mutating func enter() throws {
        depth += 1
        if depth > limits.maxDepth {
            throw ManifestError(
                .limitExceeded,
                "nesting deeper than the limit of \(limits.maxDepth)",
                location: TextPosition.locate(i, in: bytes, source: source)
            )
        }
    }

    private mutating func readArray() throws -> Value {
        try enter()
        i += 1
        let start = items.count
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array([])
        }
        while true {
            skipWhitespace()
            items.push(try readValue())
            skipWhitespace()
            guard i < bytes.count else { throw error("expected ',' or ']' in an array, found the end of the input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "]") {
                i += 1
                break
            } else {
                throw error("expected ',' or ']' in an array, found \(describeHere())")
            }
        }
        depth -= 1
        return .array(items.popArray(from: start))
    }

    private mutating func readObject() throws -> Value {
        try enter()
        i += 1
        let start = entries.count
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(ObjectValue())
        }
        var keyIndex: [String: Int]?  // built once the object has many keys
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw error("expected a string key in an object, found \(describeHere())")
            }
            let keyOffset = i
            let key = try readString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \"\(key)\", found \(describeHere())")
            }
            i += 1
            skipWhitespace()
            let value = try readValue()
            let existing: Int?
            if let keyIndex {
                existing = keyIndex[key]
            } else {
                existing = entries.withElements(from: start) { buffer in
                    for k in 0..<buffer.count where buffer[k].key == key { return start + k }
                    return nil
                }
            }
            if let existing {
                if limits.rejectDuplicateKeys {
                    throw error("duplicate key \"\(key)\" in an object", at: keyOffset)
                }
                entries[existing].value = value
            } else {
                entries.push(ObjectValue.Entry(key: key, value: value))
                if keyIndex != nil {
                    keyIndex?[key] = entries.count - 1
                } else if entries.count - start >= 24 {
                    var built: [String: Int] = [:]
                    for k in start..<entries.count { built[entries[k].key] = k }
                    keyIndex = built
                }
            }
            skipWhitespace()
            guard i < bytes.count else { throw error("expected ',' or '}' in an object, found the end of the input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "}") {
                i += 1
                break
            } else {
                throw error("expected ',' or '}' in an object, found \(describeHere())")
            }
        }
        depth -= 1
        return .object(ObjectValue(uniqueEntries: entries.popArray(from: start)))
    }

    // MARK: Strings

    private mutating func readString() throws -> String {
        let start = i + 1
        var j = start
        let n = bytes.count
        // Fast path: no escapes.
        while j < n {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                if j - start > 15, let base = bytes.baseAddress,
                    let known = WellKnownStrings.string(UnsafeRawPointer(base + start), count: j - start)
                {
                    return known
                }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<j]), as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 {
                throw error("control character 0x\(String(b, radix: 16)) in a string; write it escaped", at: j)
            }
            j += 1
        }
        guard j < n else { throw error("unterminated string", at: i) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<j]))
        while j < n {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b < 0x20 {
                throw error("control character 0x\(String(b, radix: 16)) in a string; write it escaped", at: j)
            }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                j += 1
                continue
            }
            guard j + 1 < n else { break }
            let e = bytes[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: j)
                j += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate: a low one must follow to make a pair.
                    if j + 6 <= n, bytes[j] == UInt8(ascii: "\\"), bytes[j + 1] == UInt8(ascii: "u"),
                        case let low = try hex4(at: j + 2), (0xDC00..<0xE000).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        j += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar)
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string", at: j - 2)
            }
        }
        throw error("unterminated string", at: i)
    }

    private func hex4(at offset: Int) throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("incomplete \\u escape", at: offset - 2) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[offset + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in a \\u escape", at: offset + k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: Numbers

    private mutating func readNumber() throws -> Value {
        let start = i
        let n = bytes.count
        var negative = false
        if bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < n, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else {
            throw error("expected a digit in a number", at: i)
        }
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < n, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                throw error("a number must not have a leading zero", at: start)
            }
        } else {
            while i < n, case let d = bytes[i] &- UInt8(ascii: "0"), d < 10 {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(d))
                overflow = overflow || o1 || o2
                magnitude = s
                i += 1
            }
        }
        var isInteger = true
        if i < n, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let digits = i
            while i < n, bytes[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            if i == digits { throw error("expected a digit after '.' in a number", at: i) }
        }
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < n, bytes[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            if i == digits { throw error("expected a digit in the exponent of a number", at: i) }
        }
        if isInteger && !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) + 1 { return .int(Int64(truncatingIfNeeded: 0 &- magnitude)) }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            }
        }
        if isInteger && limits.rejectBigIntegers {
            throw error("the integer does not fit in 64 bits", at: start)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw error("the number \(text) is out of range", at: start)
        }
        return .double(d)
    }
}

/// Lines and columns from byte offsets, computed only when an error needs them.
enum TextPosition {
    /// The 1-based line and column (in characters) of `offset` in `bytes`.
    static func locate(_ offset: Int, in bytes: UnsafeBufferPointer<UInt8>, source: String) -> SourceLocation {
        var line = 1
        var column = 1
        var k = 0
        let end = min(offset, bytes.count)
        while k < end {
            let b = bytes[k]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            k += 1
        }
        return SourceLocation(source: source, line: line, column: column)
    }
}

/// UTF-8 validation with the position of the first bad byte.
enum UTF8Check {
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>, source: String) throws {
        // Fast path: 8 bytes at a time while they are ASCII.
        var k = 0
        let n = bytes.count
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while k + 8 <= n {
                if raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                k += 8
            }
        }
        while k < n {
            let b = bytes[k]
            if b < 0x80 {
                k += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF:
                length = 2
                minimum = 0x80
                scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF:
                length = 3
                minimum = 0x800
                scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4:
                length = 4
                minimum = 0x10000
                scalar = UInt32(b & 0x07)
            default: throw invalid(at: k, in: bytes, source: source)
            }
            guard k + length <= n else { throw invalid(at: k, in: bytes, source: source) }
            for m in 1..<length {
                let c = bytes[k + m]
                guard c & 0xC0 == 0x80 else { throw invalid(at: k, in: bytes, source: source) }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
                throw invalid(at: k, in: bytes, source: source)
            }
            minimum = 0
            k += length
        }
    }

    private static func invalid(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>, source: String) -> ManifestError {
        ManifestError(
            .invalidUTF8,
            "invalid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true)))",
            location: TextPosition.locate(offset, in: bytes, source: source)
        )
    }
}
