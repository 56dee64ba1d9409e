import Foundation
import Manifests

/// A parsed label selector: equality (`=`, `==`, `!=`) and set-based (`in`, `notin`, exists, `!key`).
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
        case exists(String)
        case notExists(String)
    }
    var requirements: [Requirement] = []
    var isEmpty: Bool { requirements.isEmpty }

    init() {}

    init(parsing text: String) throws(APIError) {
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
            let p = raw.trimmingCharacters(in: .whitespaces)
            if p.isEmpty { continue }
            if let r = p.range(of: " notin ") ?? p.range(of: " notin(") {
                let key = p[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                requirements.append(.notIn(key, try Self.values(String(p[r.lowerBound...].dropFirst(" notin".count)))))
            } else if let r = p.range(of: " in ") ?? p.range(of: " in(") {
                let key = p[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                requirements.append(.isIn(key, try Self.values(String(p[r.lowerBound...].dropFirst(" in".count)))))
            } else if let r = p.range(of: "!=") {
                requirements.append(
                    .notEquals(
                        p[..<r.lowerBound].trimmingCharacters(in: .whitespaces),
                        p[r.upperBound...].trimmingCharacters(in: .whitespaces)
                    )
                )
            } else if let r = p.range(of: "==") ?? p.range(of: "=") {
                requirements.append(
                    .equals(
                        p[..<r.lowerBound].trimmingCharacters(in: .whitespaces),
                        p[r.upperBound...].trimmingCharacters(in: .whitespaces)
                    )
                )
            } else if p.hasPrefix("!") {
                requirements.append(.notExists(String(p.dropFirst()).trimmingCharacters(in: .whitespaces)))
            } else if p.contains(" ") || p.contains("(") {
                throw APIError.badRequest(
                    "unable to parse requirement: found '\(p)', expected: in, notin, =, ==, !=, gt, lt"
                )
            } else {
                requirements.append(.exists(p))
            }
        }
    }

    private static func values(_ text: String) throws(APIError) -> [String] {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("("), t.hasSuffix(")") else {
            throw APIError.badRequest("unable to parse requirement: found '\(t)', expected: '('")
        }
        return t.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func matches(_ labels: ObjectValue?) -> Bool {
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

/// A field selector on `metadata.name` and `metadata.namespace` (and `status.phase` for Pods and Namespaces).
struct FieldSelector: Sendable {
    var requirements: [(field: String, value: String, equal: Bool)] = []

    init() {}

    init(parsing text: String, kind: String) throws(APIError) {
        for raw in text.split(separator: ",") {
            let p = String(raw)
            let equal: Bool
            let r: Range<String.Index>
            if let x = p.range(of: "!=") {
                r = x
                equal = false
            } else if let x = p.range(of: "==") ?? p.range(of: "=") {
                r = x
                equal = true
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(p)'")
            }
            let field = String(p[..<r.lowerBound])
            let value = String(p[r.upperBound...])
            guard
                ["metadata.name", "metadata.namespace", "status.phase", "spec.nodeName", "type", "involvedObject.name"]
                    .contains(field)
            else {
                throw APIError.badRequest("field label not supported: \(field)")
            }
            requirements.append((field, value, equal))
        }
    }

    var name: String? { requirements.first { $0.field == "metadata.name" && $0.equal }?.value }

    func matches(_ object: ObjectValue) -> Bool {
        for r in requirements {
            var v: Value = .object(object)
            for part in r.field.split(separator: ".") { v = v[String(part)] ?? .string("") }
            let s = v.stringValue ?? ""
            if (s == r.value) != r.equal { return false }
        }
        return true
    }
}
