import Foundation
import Manifests

extension LabelSelector {
    /// Parses the `labelSelector` of a request; a bad one is a 400 with the parser's message.
    init(request text: String) throws(APIError) {
        do { try self.init(parsing: text) } catch { throw APIError.badRequest(error.message) }
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
