/// Resolves plain YAML scalars as go-yaml v2 does for sigs.k8s.io/yaml, so that a manifest means
/// here what it means to kubectl.
///
/// The rules, from go-yaml v2's `resolve`:
/// - `""`, `~`, `null`, `Null`, `NULL` are null.
/// - `y Y yes Yes YES true True TRUE on On ON` are true; `n N no No NO false False FALSE off Off OFF`
///   are false.
/// - `.inf`, `+.inf`, `-.inf`, `.nan` (in three spellings each) are the special doubles.
/// - A scalar starting with a digit, `+` or `-` is tried, after removing `_`, as a Go integer
///   literal (decimal, `0x` hex, `0o` or leading-`0` octal, `0b` binary), then as an unsigned
///   one, then as a float matching `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
/// - A scalar starting with `.` is tried as a float.
/// - Anything else, including timestamps and floats out of range, stays a string.
enum ScalarResolver {
    static func resolvePlain(_ text: UnsafeBufferPointer<UInt8>) -> Value {
        nonString(text) ?? .string(String(decoding: text, as: UTF8.self))
    }

    /// Whether a plain scalar may mean something other than a string, by its first byte: a cheap
    /// test that lets most keys and names (`image`, `metadata`, `app`) skip ``nonString(_:)``.
    @inline(__always)
    static func mayNotBeString(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return true }
        switch first {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            // Keywords start with one of these letters in either case.
            switch first | 0x20 {
            case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "y"), UInt8(ascii: "o"):
                return true
            default:
                return false
            }
        default:
            return true
        }
    }

    /// What a plain scalar means when it is not a string (null, a boolean, a number); `nil` when
    /// it is a string.
    static func nonString(_ text: UnsafeBufferPointer<UInt8>) -> Value? {
        let n = text.count
        guard n > 0 else { return .null }
        switch text[0] {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
            UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"),
            UInt8(ascii: "O"):
            if n <= 5, let word = keyword(text) { return word }
        case UInt8(ascii: "."):
            if let special = specialFloat(text[...]) { return .double(special) }
            if let d = dotFloat(text) { return .double(d) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            if n >= 4, text[1] == UInt8(ascii: "."), let special = specialFloat(text[1...]), !special.isNaN {
                return .double(text[0] == UInt8(ascii: "-") ? -special : special)
            }
            if let number = number(text) { return number }
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let number = number(text) { return number }
        default:
            break
        }
        return nil
    }

    private static func equals(_ text: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard text.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<text.count where text[k] != w[k] { return false }
        return true
    }

    /// The keywords of go-yaml v2 (`~`, `y`, `yes`, `on`, `true`, `n`, `no`, `off`, `false`, `null`,
    /// each in lower case, capitalized or upper case), dispatched on the first letter so that a
    /// word is compared with at most one keyword.
    private static func keyword(_ text: UnsafeBufferPointer<UInt8>) -> Value? {
        let n = text.count
        guard n > 0 else { return nil }
        if text[0] == UInt8(ascii: "~") { return n == 1 ? .null : nil }
        switch text[0] | 0x20 {  // the first letter in lower case
        case UInt8(ascii: "y"):
            return n == 1 || isKeyword(text, "yes") ? .bool(true) : nil
        case UInt8(ascii: "n"):
            if n == 1 || isKeyword(text, "no") { return .bool(false) }
            return isKeyword(text, "null") ? .null : nil
        case UInt8(ascii: "t"):
            return isKeyword(text, "true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return isKeyword(text, "false") ? .bool(false) : nil
        case UInt8(ascii: "o"):
            if isKeyword(text, "on") { return .bool(true) }
            return isKeyword(text, "off") ? .bool(false) : nil
        default:
            return nil
        }
    }

    /// Whether `text` is `word` (given in lower case) written in lower case, capitalized or in upper
    /// case; its first letter is known to match in either case.
    @inline(__always)
    private static func isKeyword(_ text: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let n = text.count
        guard n == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        // A lower-case first letter takes a lower-case rest; a capital one, the case of the second.
        let upperRest = text[0] & 0x20 == 0 && text[1] & 0x20 == 0
        for k in 1..<n where text[k] != (upperRest ? w[k] & ~0x20 : w[k]) { return false }
        return true
    }

    /// `.inf`, `.Inf`, `.INF` and `.nan`, `.NaN`, `.NAN`, starting at a `.`.
    private static func specialFloat(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        guard text.count == 4 else { return nil }
        let buffer = UnsafeBufferPointer(rebasing: text)
        if equals(buffer, ".inf") || equals(buffer, ".Inf") || equals(buffer, ".INF") { return .infinity }
        if equals(buffer, ".nan") || equals(buffer, ".NaN") || equals(buffer, ".NAN") { return .nan }
        return nil
    }

    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// A float that starts with `.`: `\.[0-9]+([eE][-+]?[0-9]+)?`, as Go's ParseFloat accepts it.
    private static func dotFloat(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var k = 1
        let n = text.count
        let start = k
        while k < n, isDigit(text[k]) { k += 1 }
        guard k > start else { return nil }
        if k < n {
            guard text[k] == UInt8(ascii: "e") || text[k] == UInt8(ascii: "E") else { return nil }
            k += 1
            if k < n, text[k] == UInt8(ascii: "+") || text[k] == UInt8(ascii: "-") { k += 1 }
            let digits = k
            while k < n, isDigit(text[k]) { k += 1 }
            guard k > digits, k == n else { return nil }
        }
        return finiteDouble(text[...])
    }

    private static func finiteDouble(_ bytes: some Collection<UInt8>) -> Double? {
        guard let d = Double(String(decoding: bytes, as: UTF8.self)), d.isFinite else { return nil }
        return d
    }

    /// An integer or float that starts with a digit or a sign, or `nil` when it is neither.
    private static func number(_ text: UnsafeBufferPointer<UInt8>) -> Value? {
        // Underscores are removed first, as go-yaml v2 does.
        if text.contains(UInt8(ascii: "_")) {
            return text.filter { $0 != UInt8(ascii: "_") }.withUnsafeBufferPointer { number(withoutUnderscores: $0) }
        }
        return number(withoutUnderscores: text)
    }

    private static func number(withoutUnderscores text: UnsafeBufferPointer<UInt8>) -> Value? {
        let n = text.count
        guard n > 0 else { return nil }
        var k = 0
        var negative = false
        if text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") {
            negative = text[0] == UInt8(ascii: "-")
            k = 1
        }
        guard k < n else { return nil }
        // Integer with Go's base prefixes.
        var base: UInt64 = 10
        var firstDigit = k
        if text[k] == UInt8(ascii: "0"), k + 1 < n {
            switch text[k + 1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                base = 16
                firstDigit = k + 2
            case UInt8(ascii: "o"), UInt8(ascii: "O"):
                base = 8
                firstDigit = k + 2
            case UInt8(ascii: "b"), UInt8(ascii: "B"):
                base = 2
                firstDigit = k + 2
            default:
                base = 8
                firstDigit = k + 1
            }
        }
        if firstDigit < n, let magnitude = parseMagnitude(text[firstDigit...], base: base) {
            if negative {
                if magnitude <= UInt64(Int64.max) + 1 { return .int(Int64(truncatingIfNeeded: 0 &- magnitude)) }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            } else if text[0] != UInt8(ascii: "+") {
                // go-yaml reads it as uint64; through JSON, Kubernetes then reads it as a double.
                return .double(Double(magnitude))
            }
        }
        // A float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var j = k
        if text[j] == UInt8(ascii: ".") {
            j += 1
            let start = j
            while j < n, isDigit(text[j]) { j += 1 }
            guard j > start else { return nil }
        } else {
            let start = j
            while j < n, isDigit(text[j]) { j += 1 }
            guard j > start else { return nil }
            if j < n, text[j] == UInt8(ascii: ".") {
                j += 1
                while j < n, isDigit(text[j]) { j += 1 }
            }
        }
        if j < n, text[j] == UInt8(ascii: "e") || text[j] == UInt8(ascii: "E") {
            j += 1
            if j < n, text[j] == UInt8(ascii: "+") || text[j] == UInt8(ascii: "-") { j += 1 }
            let start = j
            while j < n, isDigit(text[j]) { j += 1 }
            guard j > start else { return nil }
        }
        guard j == n, let d = finiteDouble(text[...]) else { return nil }
        return .double(d)
    }

    /// The value of `digits` in `base`, or `nil` when a character is not a digit of that base,
    /// there are none, or the value does not fit in 64 bits.
    private static func parseMagnitude(_ digits: Slice<UnsafeBufferPointer<UInt8>>, base: UInt64) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for b in digits {
            let d: UInt64
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(b - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard d < base else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            value = s
        }
        return value
    }

    /// The text of a float used as a mapping key, as sigs.k8s.io/yaml writes it
    /// (`strconv.FormatFloat(f, 'g', -1, 32)`): `1.5`, `3`, `.inf`.
    static func keyText(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        let f = Float(d)
        if f == f.rounded(), abs(f) < 1e6 { return String(Int64(f)) }
        return f.description
    }

    /// Whether a string would be read back as something other than itself when written as a plain
    /// scalar: the writer quotes such strings.
    static func isAmbiguous(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return true }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
            UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"),
            UInt8(ascii: "O"):
            return text.count <= 5 && keyword(text) != nil
        case UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "<"):
            // Quote anything that looks numeric, even where go-yaml would read a string (`1e400`,
            // `2001-12-14`), as go-yaml's writer does for timestamps and base-60 numbers.
            return nonString(text) != nil || looksNumeric(text)
        default:
            return false
        }
    }

    /// Digits with separators that some YAML readers take for numbers or dates.
    private static func looksNumeric(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if text.count == 2 && text[0] == UInt8(ascii: "<") && text[1] == UInt8(ascii: "<") { return true }  // merge key
        var sawDigit = false
        for b in text {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "_"),
                UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: " "), UInt8(ascii: "T"), UInt8(ascii: "t"),
                UInt8(ascii: "Z"):
                continue
            default: return false
            }
        }
        return sawDigit
    }
}
