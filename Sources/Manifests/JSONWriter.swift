/// How ``Value`` is written as JSON.
public struct JSONWriteOptions: Sendable, Hashable {
    /// What to do with a double that is infinite or NaN, which JSON cannot hold.
    public enum NonFiniteNumbers: Sendable, Hashable {
        /// Throw ``ManifestError/Code/notRepresentable`` (the default).
        case error
        /// Write YAML's names `.inf`, `-.inf` and `.nan` (not valid JSON; for messages only).
        case yamlNames
    }

    /// Spaces per level of indentation; 0 (the default) writes compact JSON on one line.
    public var indent: Int = 0
    /// What to do with non-finite doubles.
    public var nonFiniteNumbers: NonFiniteNumbers = .error
    /// Whether `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026`, as Go's encoder and
    /// the Kubernetes API server do.
    public var escapeHTML: Bool = false

    /// Compact JSON; see the properties for the other choices.
    public init(indent: Int = 0, nonFiniteNumbers: NonFiniteNumbers = .error, escapeHTML: Bool = false) {
        self.indent = indent
        self.nonFiniteNumbers = nonFiniteNumbers
        self.escapeHTML = escapeHTML
    }
}

extension Value {
    /// The value as JSON text in UTF-8, keys in their order.
    ///
    /// - Throws: ``ManifestError`` with code `notRepresentable` for an infinite or NaN double.
    public func jsonBytes(_ options: JSONWriteOptions = JSONWriteOptions()) throws -> [UInt8] {
        var writer = JSONWriter(options: options)
        try writer.write(self)
        return writer.bytes
    }

    /// The value as JSON text, keys in their order.
    ///
    /// - Throws: ``ManifestError`` with code `notRepresentable` for an infinite or NaN double.
    public func jsonString(_ options: JSONWriteOptions = JSONWriteOptions()) throws -> String {
        String(decoding: try jsonBytes(options), as: UTF8.self)
    }
}

/// Writes values as JSON into a byte buffer.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private let options: JSONWriteOptions
    private var level = 0

    init(options: JSONWriteOptions) {
        self.options = options
        bytes.reserveCapacity(1024)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func write(_ value: Value) throws {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let n): NumberText.append(n, to: &bytes)
        case .double(let d): try writeDouble(d)
        case .string(let s): writeString(s)
        case .array(let a):
            guard !a.isEmpty else { return append("[]") }
            bytes.append(UInt8(ascii: "["))
            level += 1
            for (n, element) in a.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                newline()
                try write(element)
            }
            level -= 1
            newline()
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            guard !o.isEmpty else { return append("{}") }
            bytes.append(UInt8(ascii: "{"))
            level += 1
            for (n, entry) in o.entries.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                newline()
                writeString(entry.key)
                bytes.append(UInt8(ascii: ":"))
                if options.indent > 0 { bytes.append(UInt8(ascii: " ")) }
                try write(entry.value)
            }
            level -= 1
            newline()
            bytes.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    private mutating func newline() {
        guard options.indent > 0 else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * options.indent))
    }

    private mutating func writeDouble(_ d: Double) throws {
        guard d.isFinite else {
            switch options.nonFiniteNumbers {
            case .error:
                throw ManifestError(.notRepresentable, "JSON cannot hold the number \(d)")
            case .yamlNames:
                append(d.isNaN ? ".nan" : d < 0 ? "-.inf" : ".inf")
                return
            }
        }
        NumberText.append(d, to: &bytes)
    }

    private mutating func writeString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var runStart = 0
            for k in 0..<utf8.count {
                let b = utf8[k]
                let escape: StaticString?
                switch b {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x00..<0x20: escape = nil
                case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    guard options.escapeHTML else { continue }
                    escape = nil
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<k]))
                runStart = k + 1
                if let escape {
                    append(escape)
                } else {
                    append("\\u00")
                    bytes.append(NumberText.hexDigit(b >> 4))
                    bytes.append(NumberText.hexDigit(b & 0xF))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }
}

/// Number formatting shared by the JSON and YAML writers.
enum NumberText {
    static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10
    }

    /// Appends the decimal digits of `n`.
    @inline(__always)
    static func append(_ n: Int64, to bytes: inout [UInt8]) {
        if n >= 0 && n < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(n))
            return
        }
        var magnitude = n.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var k = 20
            while magnitude > 0 {
                k -= 1
                buffer[k] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            if n < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[k..<20]))
        }
    }

    /// Appends a finite double the way Go's encoder does for integral values (`2`, not `2.0`),
    /// and in Swift's shortest round-trip form otherwise (`0.5`, `1e-07`).
    static func append(_ d: Double, to bytes: inout [UInt8]) {
        if d == d.rounded(), abs(d) < 1e15, let n = Int64(exactly: d) {
            if n == 0 && d.sign == .minus {
                bytes.append(contentsOf: "-0".utf8)
            } else {
                append(n, to: &bytes)
            }
            return
        }
        bytes.append(contentsOf: d.description.utf8)
    }
}
