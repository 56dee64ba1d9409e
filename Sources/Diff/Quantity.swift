import Manifests

/// A Kubernetes resource quantity (`500m`, `1Gi`, `2.5e3`, `1k`), read exactly as the API
/// server's `resource.ParseQuantity` reads it, so that two spellings of one amount compare equal:
/// `1000m` equals `1`, `1Gi` equals `1024Mi`, `1e3` equals `1k`.
///
/// The grammar (from `k8s.io/apimachinery/pkg/api/resource`):
///
///     <quantity>        ::= <signedNumber><suffix>
///     <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
///     <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
///     <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
///     <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
///     <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
///
/// Like the API server, an amount finer than one nano-unit is rounded up (away from zero) to the
/// next nano-unit. The value is kept exactly as decimal digits, never as a floating-point number.
///
/// ```swift
/// try Quantity("1000m") == Quantity("1")     // true
/// try Quantity("1Gi") == Quantity("1024Mi")  // true
/// ```
public struct Quantity: Sendable, Hashable, CustomStringConvertible {
    /// Whether the amount is below zero.
    public private(set) var isNegative: Bool
    /// The significant decimal digits (0...9), most significant first, without leading or trailing
    /// zeros; empty for zero.
    public private(set) var digits: [UInt8]
    /// The power of ten the digits are scaled by: the amount is `digits × 10^exponent`.
    public private(set) var exponent: Int

    /// Parses a quantity.
    ///
    /// - Throws: ``DiffError`` when `text` is not a quantity.
    public init(_ text: String) throws {
        guard let q = Quantity(parsing: text) else {
            throw DiffError(.invalidQuantity, "'\(text)' is not a Kubernetes quantity (such as 500m, 1Gi or 2.5e3)")
        }
        self = q
    }

    /// Reads a quantity from a value: a string in quantity form, or a number (YAML `cpu: 1`).
    /// Returns `nil` for anything else.
    public init?(_ value: Value) {
        switch value {
        case .string(let s): self.init(parsing: s)
        case .int(let i): self.init(parsing: String(i))
        case .double(let d) where d.isFinite: self.init(parsing: "\(d)")
        default: return nil
        }
    }

    /// Parses, returning `nil` when `text` is not a quantity.
    init?(parsing text: String) {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 128 else { return nil }
        var pos = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            pos = 1
        } else if bytes[0] == UInt8(ascii: "+") {
            pos = 1
        }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        var mantissa: [UInt8] = []
        var fractionDigits = 0
        while pos < bytes.count, isDigit(bytes[pos]) {
            mantissa.append(bytes[pos] - UInt8(ascii: "0"))
            pos += 1
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            while pos < bytes.count, isDigit(bytes[pos]) {
                mantissa.append(bytes[pos] - UInt8(ascii: "0"))
                fractionDigits += 1
                pos += 1
            }
        }
        // Like the API server's parser, a number without digits ("", ".", "-" before a suffix)
        // reads as zero.
        let suffix = bytes[pos...]
        var exponent10 = -fractionDigits
        var binaryPower = 0
        switch String(decoding: suffix, as: UTF8.self) {
        case "": break
        case "n": exponent10 -= 9
        case "u": exponent10 -= 6
        case "m": exponent10 -= 3
        case "k": exponent10 += 3
        case "M": exponent10 += 6
        case "G": exponent10 += 9
        case "T": exponent10 += 12
        case "P": exponent10 += 15
        case "E": exponent10 += 18
        case "Ki": binaryPower = 1
        case "Mi": binaryPower = 2
        case "Gi": binaryPower = 3
        case "Ti": binaryPower = 4
        case "Pi": binaryPower = 5
        case "Ei": binaryPower = 6
        default:
            // A decimal exponent: e or E, an optional sign, digits.
            guard let first = suffix.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E") else { return nil }
            var rest = suffix.dropFirst()
            var expNegative = false
            if let s = rest.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                expNegative = s == UInt8(ascii: "-")
                rest = rest.dropFirst()
            }
            guard !rest.isEmpty, rest.count <= 6, rest.allSatisfy(isDigit) else { return nil }
            var e = 0
            for b in rest { e = e * 10 + Int(b - UInt8(ascii: "0")) }
            exponent10 += expNegative ? -e : e
        }
        bytes = []
        // Multiply out the binary suffix exactly: digits × 1024^binaryPower.
        for _ in 0..<binaryPower { Quantity.multiply(&mantissa, by: 1024) }
        Quantity.normalize(&mantissa, &exponent10)
        // Round finer than nano up, away from zero.
        if exponent10 < -9 {
            let drop = -9 - exponent10
            if drop >= mantissa.count {
                mantissa = mantissa.isEmpty ? [] : [1]
            } else {
                mantissa.removeLast(drop)  // the dropped digits end in a non-zero digit
                Quantity.multiply(&mantissa, by: 1, adding: 1)
            }
            exponent10 = -9
            Quantity.normalize(&mantissa, &exponent10)
        }
        self.isNegative = negative && !mantissa.isEmpty
        self.digits = mantissa
        self.exponent = mantissa.isEmpty ? 0 : exponent10
    }

    /// `digits = digits × factor + addend`, in place.
    private static func multiply(_ digits: inout [UInt8], by factor: Int, adding addend: Int = 0) {
        var carry = addend
        for i in stride(from: digits.count - 1, through: 0, by: -1) {
            let product = Int(digits[i]) * factor + carry
            digits[i] = UInt8(product % 10)
            carry = product / 10
        }
        while carry > 0 {
            digits.insert(UInt8(carry % 10), at: 0)
            carry /= 10
        }
    }

    /// Strips leading zeros, and trailing zeros into the exponent.
    private static func normalize(_ digits: inout [UInt8], _ exponent: inout Int) {
        var lead = 0
        while lead < digits.count, digits[lead] == 0 { lead += 1 }
        if lead > 0 { digits.removeFirst(lead) }
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
    }

    /// Whether the amount is zero.
    public var isZero: Bool { digits.isEmpty }

    /// The amount in plain decimal notation, such as `0.5`, `1073741824` or `-3`.
    public var description: String {
        guard !digits.isEmpty else { return "0" }
        var s = isNegative ? "-" : ""
        let text = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
        if exponent >= 0 {
            s += text + String(repeating: "0", count: exponent)
        } else {
            let intCount = digits.count + exponent
            if intCount > 0 {
                s += String(text.prefix(intCount)) + "." + String(text.dropFirst(intCount))
            } else {
                s += "0." + String(repeating: "0", count: -intCount) + text
            }
        }
        return s
    }
}

extension Quantity {
    /// Whether two values are the same quantity written differently (`"1000m"` and `1`). Both must
    /// read as quantities; values that are already equal are not asked about.
    static func sameAmount(_ a: Value, _ b: Value) -> Bool {
        guard let qa = Quantity(a), let qb = Quantity(b) else { return false }
        return qa == qb
    }
}
