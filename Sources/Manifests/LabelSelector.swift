/// A label selector in its text form, as the API server and Kustomize targets read it: equality
/// (`a=b`, `a==b`, `a!=b`) and set-based requirements (`a in (x,y)`, `a notin (x,y)`, `a`, `!a`),
/// joined by commas. Shared by the embedded cluster and the Kustomize renderer.
package struct LabelSelector: Sendable {
    package enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
        case exists(String)
        case notExists(String)
    }

    package var requirements: [Requirement] = []
    package var isEmpty: Bool { requirements.isEmpty }

    package init() {}

    /// Parses `text`; an empty text selects everything.
    ///
    /// - Throws: ``ManifestError`` (`invalidObject`) naming the requirement it cannot read.
    package init(parsing text: String) throws(ManifestError) {
        var parts: [String] = []
        var depth = 0
        var current = ""
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        for raw in parts {
            let p = Self.trimmed(Substring(raw))
            if p.isEmpty { continue }
            if let r = p.firstRange(of: " notin ") ?? p.firstRange(of: " notin(") {
                requirements.append(
                    .notIn(
                        Self.trimmed(p[..<r.lowerBound]),
                        try Self.values(p[r.lowerBound...].dropFirst(" notin".count))
                    )
                )
            } else if let r = p.firstRange(of: " in ") ?? p.firstRange(of: " in(") {
                requirements.append(
                    .isIn(Self.trimmed(p[..<r.lowerBound]), try Self.values(p[r.lowerBound...].dropFirst(" in".count)))
                )
            } else if let r = p.firstRange(of: "!=") {
                requirements.append(.notEquals(Self.trimmed(p[..<r.lowerBound]), Self.trimmed(p[r.upperBound...])))
            } else if let r = p.firstRange(of: "==") ?? p.firstRange(of: "=") {
                requirements.append(.equals(Self.trimmed(p[..<r.lowerBound]), Self.trimmed(p[r.upperBound...])))
            } else if p.hasPrefix("!") {
                requirements.append(.notExists(Self.trimmed(p.dropFirst())))
            } else if p.contains(" ") || p.contains("(") {
                throw ManifestError(
                    .invalidObject,
                    "unable to parse requirement: found '\(p)', expected: in, notin, =, ==, !=, gt, lt"
                )
            } else {
                requirements.append(.exists(p))
            }
        }
    }

    private static func trimmed(_ s: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = s.firstIndex(where: { !isSpace($0) }), let end = s.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(s[start...end])
    }

    private static func values(_ text: Substring) throws(ManifestError) -> [String] {
        let t = trimmed(text)
        guard t.hasPrefix("("), t.hasSuffix(")") else {
            throw ManifestError(.invalidObject, "unable to parse requirement: found '\(t)', expected: '('")
        }
        return t.dropFirst().dropLast().split(separator: ",").map { trimmed($0) }
    }

    /// Whether `labels` (a `metadata.labels` map, or `nil` for none) satisfy every requirement.
    package func matches(_ labels: ObjectValue?) -> Bool {
        for r in requirements {
            switch r {
            case .equals(let k, let v): if labels?[k]?.stringValue != v { return false }
            case .notEquals(let k, let v): if labels?[k]?.stringValue == v { return false }
            case .isIn(let k, let vs): guard let v = labels?[k]?.stringValue, vs.contains(v) else { return false }
            case .notIn(let k, let vs): if let v = labels?[k]?.stringValue, vs.contains(v) { return false }
            case .exists(let k): if labels?[k] == nil { return false }
            case .notExists(let k): if labels?[k] != nil { return false }
            }
        }
        return true
    }
}
