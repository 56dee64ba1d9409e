extension Value {
    /// The value as a YAML document in kubectl's style: two-space block style, sequences in a
    /// mapping not indented further than their key, strings quoted only when they would otherwise
    /// read as something else, multi-line strings as literal blocks (`|`). Keys keep their order.
    ///
    /// Reading the text back with ``init(yaml:source:limits:)`` gives an equal value.
    public func yamlString() -> String {
        String(decoding: yamlBytes(), as: UTF8.self)
    }

    /// The value as a YAML document in UTF-8; see ``yamlString()``.
    public func yamlBytes() -> [UInt8] {
        var writer = YAMLWriter()
        writer.writeDocument(self)
        return writer.bytes
    }
}

extension YAML {
    /// A YAML stream of `documents`, separated by `---` lines.
    public static func string(documents: [Value]) -> String {
        var writer = YAMLWriter()
        for (n, document) in documents.enumerated() {
            if n > 0 { writer.bytes.append(contentsOf: "---\n".utf8) }
            writer.writeDocument(document)
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Writes values as block-style YAML into a byte buffer.
struct YAMLWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(4096) }

    mutating func writeDocument(_ value: Value) {
        switch value {
        case .object(let o) where !o.isEmpty: writeObject(o, indent: 0)
        case .array(let a) where !a.isEmpty: writeArray(a, indent: 0)
        default:
            writeScalar(value, indent: 0)
            bytes.append(UInt8(ascii: "\n"))
        }
    }

    @inline(__always)
    private mutating func spaces(_ n: Int) {
        for _ in 0..<n { bytes.append(UInt8(ascii: " ")) }
    }

    /// Writes the members of a non-empty object, each line at `indent`; the first line's
    /// indentation is assumed already written when `firstInline` is set (after `- `).
    private mutating func writeObject(_ o: ObjectValue, indent: Int, firstInline: Bool = false) {
        for (n, entry) in o.entries.enumerated() {
            if n > 0 || !firstInline { spaces(indent) }
            writeString(entry.key, indent: indent, isKey: true)
            bytes.append(UInt8(ascii: ":"))
            writeMember(entry.value, indent: indent, inSequence: false)
        }
    }

    /// Writes the elements of a non-empty array, each `- ` at `indent`.
    private mutating func writeArray(_ a: [Value], indent: Int, firstInline: Bool = false) {
        for (n, element) in a.enumerated() {
            if n > 0 || !firstInline { spaces(indent) }
            bytes.append(UInt8(ascii: "-"))
            writeMember(element, indent: indent, inSequence: true)
        }
    }

    /// Writes what follows `key:` or `-`: a scalar on the same line, or a nested block.
    private mutating func writeMember(_ value: Value, indent: Int, inSequence: Bool) {
        switch value {
        case .object(let o) where !o.isEmpty:
            if inSequence {
                bytes.append(UInt8(ascii: " "))
                writeObject(o, indent: indent + 2, firstInline: true)
            } else {
                bytes.append(UInt8(ascii: "\n"))
                writeObject(o, indent: indent + 2)
            }
        case .array(let a) where !a.isEmpty:
            if inSequence {
                bytes.append(UInt8(ascii: " "))
                writeArray(a, indent: indent + 2, firstInline: true)
            } else {
                bytes.append(UInt8(ascii: "\n"))
                writeArray(a, indent: indent)
            }
        default:
            bytes.append(UInt8(ascii: " "))
            writeScalar(value, indent: indent)
            bytes.append(UInt8(ascii: "\n"))
        }
    }

    private mutating func writeScalar(_ value: Value, indent: Int) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): NumberText.append(i, to: &bytes)
        case .double(let d):
            if d.isNaN {
                bytes.append(contentsOf: ".nan".utf8)
            } else if d.isInfinite {
                bytes.append(contentsOf: (d < 0 ? "-.inf" : ".inf").utf8)
            } else {
                NumberText.append(d, to: &bytes)
            }
        case .string(let s): writeString(s, indent: indent, isKey: false)
        case .array: bytes.append(contentsOf: "[]".utf8)
        case .object: bytes.append(contentsOf: "{}".utf8)
        }
    }

    private enum Style { case plain, singleQuoted, doubleQuoted, literal }

    private mutating func writeString(_ s: String, indent: Int, isKey: Bool) {
        var s = s
        s.withUTF8 { utf8 in
            switch Self.style(of: utf8, isKey: isKey) {
            case .plain:
                bytes.append(contentsOf: utf8)
            case .singleQuoted:
                bytes.append(UInt8(ascii: "'"))
                for b in utf8 {
                    if b == UInt8(ascii: "'") { bytes.append(b) }
                    bytes.append(b)
                }
                bytes.append(UInt8(ascii: "'"))
            case .doubleQuoted:
                writeDoubleQuoted(utf8)
            case .literal:
                writeLiteral(utf8, indent: indent + 2)
            }
        }
    }

    /// Chooses the simplest style that reads back as the same string.
    private static func style(of s: UnsafeBufferPointer<UInt8>, isKey: Bool) -> Style {
        let n = s.count
        guard n > 0 else { return .doubleQuoted }
        var hasNewline = false
        var plainSafe = true
        var hasSpecial = false  // characters only double quotes can carry
        var previous: UInt8 = 0
        for k in 0..<n {
            let b = s[k]
            switch b {
            case 0x0A: hasNewline = true
            case 0x09: plainSafe = false
            case 0x00..<0x20, 0x7F: hasSpecial = true
            case 0x80...0xFF:
                if !hasSpecial && isNonPrintable(s, at: k) { hasSpecial = true }
            case UInt8(ascii: "#"):
                if previous == UInt8(ascii: " ") { plainSafe = false }
            case UInt8(ascii: ":"):
                if k + 1 == n || s[k + 1] == UInt8(ascii: " ") { plainSafe = false }
            default: break
            }
            previous = b
        }
        if hasSpecial { return .doubleQuoted }
        if hasNewline { return isKey || !literalFits(s) ? .doubleQuoted : .literal }
        if plainSafe {
            switch s[0] {
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["),
                UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"),
                UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"),
                UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: " "):
                plainSafe =
                    s[0] == UInt8(ascii: "-") && n > 1 && s[1] != UInt8(ascii: " ")
                    && !(n >= 3 && s[1] == UInt8(ascii: "-") && s[2] == UInt8(ascii: "-"))
            default: break
            }
            if s[n - 1] == UInt8(ascii: " ") { plainSafe = false }
        }
        if ScalarResolver.isAmbiguous(s) { return .doubleQuoted }
        return plainSafe ? .plain : .singleQuoted
    }

    /// Whether the character starting at `k` (a non-ASCII lead byte) is outside YAML's printable set.
    private static func isNonPrintable(_ s: UnsafeBufferPointer<UInt8>, at k: Int) -> Bool {
        guard let (scalar, _) = scalar(in: s, at: k) else { return false }
        switch scalar {
        case 0x85, 0x2028, 0x2029, 0xFEFF: return true  // line breaks and BOM need escapes
        case 0x80..<0xA0, 0xD800...0xDFFF, 0xFFFE, 0xFFFF: return true
        default: return false
        }
    }

    /// The Unicode scalar whose UTF-8 lead byte is at `k`, and its length in bytes; `nil` at a
    /// continuation byte. (Strings are valid UTF-8, so the sequence is complete.)
    private static func scalar(in s: UnsafeBufferPointer<UInt8>, at k: Int) -> (UInt32, Int)? {
        let b = s[k]
        guard b & 0xC0 == 0xC0 else { return nil }
        let length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        var scalar = UInt32(b & (0x7F >> length))
        for m in 1..<min(length, s.count - k) { scalar = scalar << 6 | UInt32(s[k + m] & 0x3F) }
        return (scalar, length)
    }

    /// A literal block keeps text exactly when it has some content and its first content line does
    /// not start with a space (which would change the detected indentation).
    private static func literalFits(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var k = 0
        while k < s.count, s[k] == 0x0A { k += 1 }
        guard k < s.count else { return false }
        return s[k] != UInt8(ascii: " ") && s[k] != 0x0D
    }

    private mutating func writeLiteral(_ s: UnsafeBufferPointer<UInt8>, indent: Int) {
        var trailing = 0
        while trailing < s.count, s[s.count - 1 - trailing] == 0x0A { trailing += 1 }
        bytes.append(UInt8(ascii: "|"))
        if trailing == 0 {
            bytes.append(UInt8(ascii: "-"))
        } else if trailing > 1 {
            bytes.append(UInt8(ascii: "+"))
        }
        bytes.append(UInt8(ascii: "\n"))
        let body = UnsafeBufferPointer(rebasing: s[0..<(s.count - trailing)])
        var lineStart = 0
        for k in 0...body.count where k == body.count || body[k] == 0x0A {
            if k > lineStart {
                spaces(indent)
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: body[lineStart..<k]))
            }
            bytes.append(UInt8(ascii: "\n"))
            lineStart = k + 1
        }
        // The block's own last line break is written above; keep the extra ones.
        for _ in 1..<max(trailing, 1) { bytes.append(UInt8(ascii: "\n")) }
        bytes.removeLast()  // the caller writes the line break after a scalar
    }

    private mutating func writeDoubleQuoted(_ s: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var k = 0
        while k < s.count {
            let b = s[k]
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0x0A: bytes.append(contentsOf: "\\n".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0x0D: bytes.append(contentsOf: "\\r".utf8)
            case 0x00..<0x20, 0x7F:
                bytes.append(contentsOf: "\\x".utf8)
                bytes.append(NumberText.hexDigit(b >> 4))
                bytes.append(NumberText.hexDigit(b & 0xF))
            case 0x80...0xFF where Self.isNonPrintable(s, at: k):
                guard let (scalar, length) = Self.scalar(in: s, at: k) else { break }
                bytes.append(contentsOf: (scalar > 0xFFFF ? "\\U" : "\\u").utf8)
                let digits = scalar > 0xFFFF ? 8 : 4
                for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                    bytes.append(NumberText.hexDigit(UInt8((scalar >> UInt32(shift)) & 0xF)))
                }
                k += length
                continue
            default: bytes.append(b)
            }
            k += 1
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
