extension KubeObject {
    /// Every problem the API server would reject this object for before looking at its kind's
    /// schema: missing `apiVersion`, `kind` or name, names and namespaces that break Kubernetes'
    /// naming rules for the kind, malformed label keys and values, annotation keys, and
    /// annotations over 256 KiB. Empty when the object is fine.
    ///
    /// - Parameter location: where the object was read from, copied into each error.
    public func validationErrors(at location: SourceLocation? = nil) -> [ManifestError] {
        var errors: [ManifestError] = []
        let object = (kind ?? "object") + (name.map { " \($0)" } ?? "")
        func fail(_ field: String, _ message: String) {
            errors.append(ManifestError(.invalidObject, message, location: location, object: object, field: field))
        }
        switch fields["apiVersion"] {
        case .string(let s) where !s.isEmpty: break
        case nil: fail("/apiVersion", "apiVersion is missing")
        default: fail("/apiVersion", "apiVersion must be a non-empty string")
        }
        switch fields["kind"] {
        case .string(let s) where !s.isEmpty: break
        case nil: fail("/kind", "kind is missing")
        default: fail("/kind", "kind must be a non-empty string")
        }
        guard let metadata = fields["metadata"] else {
            fail("/metadata", "metadata is missing (it needs at least a name)")
            return errors
        }
        guard case .object = metadata else {
            fail("/metadata", "metadata must be a mapping, not a \(metadata.kindName)")
            return errors
        }
        let rule = NameRule(group: groupVersionKind?.group ?? "", kind: kind ?? "")
        switch metadata["name"] {
        case .string(let n):
            if let problem = rule.problem(with: n) { fail("/metadata/name", "name '\(n)' \(problem)") }
        case nil:
            if metadata["generateName"]?.stringValue?.isEmpty ?? true {
                fail("/metadata/name", "name is missing (and there is no generateName)")
            }
        case let other?:
            fail("/metadata/name", "name must be a string, not a \(other.kindName)")
        }
        if let namespace = metadata["namespace"] {
            if let ns = namespace.stringValue {
                if !ns.isEmpty, let problem = NameRule.dnsLabel.problem(with: ns) {
                    fail("/metadata/namespace", "namespace '\(ns)' \(problem)")
                }
            } else {
                fail("/metadata/namespace", "namespace must be a string, not a \(namespace.kindName)")
            }
        }
        if let labels = metadata["labels"], !labels.isNull {
            if case .object(let o) = labels {
                for e in o.entries {
                    if let problem = Self.qualifiedNameProblem(e.key) {
                        fail("/metadata/labels", "label key '\(e.key)' \(problem)")
                    }
                    if let v = e.value.stringValue {
                        if let problem = Self.labelValueProblem(v) {
                            fail("/metadata/labels/\(e.key)", "label value '\(v)' \(problem)")
                        }
                    } else {
                        fail(
                            "/metadata/labels/\(e.key)",
                            "label value must be a string, not a \(e.value.kindName) (quote it)"
                        )
                    }
                }
            } else {
                fail("/metadata/labels", "labels must be a mapping, not a \(labels.kindName)")
            }
        }
        if let annotations = metadata["annotations"], !annotations.isNull {
            if case .object(let o) = annotations {
                var size = 0
                for e in o.entries {
                    if let problem = Self.qualifiedNameProblem(e.key) {
                        fail("/metadata/annotations", "annotation key '\(e.key)' \(problem)")
                    }
                    if let v = e.value.stringValue {
                        size += e.key.utf8.count + v.utf8.count
                    } else {
                        fail(
                            "/metadata/annotations/\(e.key)",
                            "annotation value must be a string, not a \(e.value.kindName) (quote it)"
                        )
                    }
                }
                if size > 256 * 1024 {
                    fail("/metadata/annotations", "annotations total \(size) bytes, more than the limit of 262144")
                }
            } else {
                fail("/metadata/annotations", "annotations must be a mapping, not a \(annotations.kindName)")
            }
        }
        return errors
    }

    /// Throws the first of ``validationErrors(at:)``, if any.
    ///
    /// - Throws: ``ManifestError`` with code `invalidObject`, naming the object and field.
    public func validate(at location: SourceLocation? = nil) throws {
        if let first = validationErrors(at: location).first { throw first }
    }

    /// A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most
    /// 63 characters of `[A-Za-z0-9_.-]` starting and ending with an alphanumeric.
    static func qualifiedNameProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.count == 2 ? parts[1] : parts[0]
        if parts.count == 2 {
            if parts[0].isEmpty { return "has an empty prefix before '/'" }
            if let problem = NameRule.dnsSubdomain.problem(with: String(parts[0])) {
                return "has a prefix that \(problem)"
            }
        }
        if name.isEmpty { return "has an empty name" }
        if name.utf8.count > 63 { return "has a name longer than 63 characters" }
        if !isQualifiedNamePart(name) {
            return "must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"
        }
        return nil
    }

    /// A label value: empty, or at most 63 characters like a qualified name's name part.
    static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 63 { return "is longer than 63 characters" }
        if !isQualifiedNamePart(Substring(value)) {
            return "must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"
        }
        return nil
    }

    private static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }
}

/// Kubernetes' rules for object names, which differ by kind.
enum NameRule {
    /// RFC 1123 subdomain: at most 253 characters, lowercase alphanumerics, `-` and `.`, each
    /// dot-separated part starting and ending with an alphanumeric. Most kinds.
    case dnsSubdomain
    /// RFC 1123 label: at most 63 characters, lowercase alphanumerics and `-`. Namespaces.
    case dnsLabel
    /// RFC 1035 label: an RFC 1123 label that starts with a letter. Services.
    case dns1035Label
    /// Anything usable as a URL path segment: not `.` or `..`, no `/` or `%`. RBAC kinds
    /// (`system:aggregate-to-view`) and custom resources, whose names the API server checks only so.
    case pathSegment

    private static let builtinGroups: Set<String> = [
        "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "coordination.k8s.io",
        "storage.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
        "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io", "apiregistration.k8s.io",
    ]

    init(group: String, kind: String) {
        switch (group, kind) {
        case ("", "Namespace"): self = .dnsLabel
        case ("", "Service"): self = .dns1035Label
        case ("rbac.authorization.k8s.io", _): self = .pathSegment
        case (let g, _) where Self.builtinGroups.contains(g): self = .dnsSubdomain
        default: self = .pathSegment
        }
    }

    /// What is wrong with `name` under this rule, or `nil` when it is valid.
    func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "is empty" }
        switch self {
        case .pathSegment:
            if name == "." || name == ".." { return "may not be '.' or '..'" }
            if bytes.contains(UInt8(ascii: "/")) || bytes.contains(UInt8(ascii: "%")) {
                return "may not contain '/' or '%'"
            }
            return nil
        case .dnsSubdomain:
            if bytes.count > 253 { return "is longer than 253 characters" }
            for part in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            where !Self.isLabel(part) {
                return
                    "must consist of lowercase alphanumerics, '-' and '.', and each part must start and end with an alphanumeric (RFC 1123 subdomain)"
            }
            return nil
        case .dnsLabel, .dns1035Label:
            if bytes.count > 63 { return "is longer than 63 characters" }
            guard Self.isLabel(bytes[...]) else {
                return
                    "must consist of lowercase alphanumerics and '-', and start and end with an alphanumeric (RFC 1123 label)"
            }
            if self == .dns1035Label, !(bytes[0] >= UInt8(ascii: "a") && bytes[0] <= UInt8(ascii: "z")) {
                return "must start with a lowercase letter (RFC 1035 label)"
            }
            return nil
        }
    }

    private static func isLabel(_ part: ArraySlice<UInt8>) -> Bool {
        guard let first = part.first, let last = part.last, part.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        }
        return alnum(first) && alnum(last) && part.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }
}
