/// Go's `strconv.FormatFloat(d, 'f', -1, 64)`: the shortest decimal that reads back as `d`,
/// without an exponent. SOPS hashes unencrypted floats in this form for the MAC.
func goFormatFloat(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    let negative = d.sign == .minus
    let text = "\(d.magnitude)"  // shortest round-trip digits, maybe with an exponent
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    var digits = ""
    var point = 0
    if let dot = mantissa.firstIndex(of: ".") {
        digits = String(mantissa[..<dot]) + mantissa[mantissa.index(after: dot)...]
        point = mantissa.distance(from: mantissa.startIndex, to: dot)
    } else {
        digits = String(mantissa)
        point = digits.count
    }
    point += exponent
    while digits.first == "0" {
        digits.removeFirst()
        point -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    var out = negative ? "-" : ""
    if digits.isEmpty {
        out += "0"
    } else if point <= 0 {
        out += "0." + String(repeating: "0", count: -point) + digits
    } else if point >= digits.count {
        out += digits + String(repeating: "0", count: point - digits.count)
    } else {
        let i = digits.index(digits.startIndex, offsetBy: point)
        out += digits[..<i] + "." + digits[i...]
    }
    return out
}
