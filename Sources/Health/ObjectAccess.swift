import Manifests

/// Small readers over object fields shared by the rules: missing numbers read as zero and missing
/// strings as empty, the way Go's typed structs read omitted fields.
extension Value {
    @inlinable var int: Int64 { intValue ?? 0 }
    @inlinable var string: String { stringValue ?? "" }
}

extension Optional where Wrapped == Value {
    @inlinable var int: Int64 { self?.intValue ?? 0 }
    @inlinable var string: String { self?.stringValue ?? "" }
    @inlinable var bool: Bool { self?.boolValue ?? false }
    @inlinable var count: Int { self?.arrayValue?.count ?? 0 }
}

/// One entry of `status.conditions`.
struct Condition {
    var type: String
    var status: String
    var reason: String
    var message: String

    init(_ value: Value) {
        type = value["type"].string
        status = value["status"].string
        reason = value["reason"].string
        message = value["message"].string
    }

    init(type: String, status: String, reason: String, message: String) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}

extension KubeObject {
    /// `status.conditions`, each read as a ``Condition``.
    var conditions: [Condition] {
        fields["status"]?["conditions"]?.arrayValue?.map(Condition.init) ?? []
    }

    /// The first condition of `type`, if any.
    func condition(_ type: String) -> Condition? {
        guard let list = fields["status"]?["conditions"]?.arrayValue else { return nil }
        for c in list where c["type"]?.stringValue == type { return Condition(c) }
        return nil
    }

    /// `spec`.
    var spec: Value { fields["spec"] ?? .null }

    /// `status`, or `.null`.
    var statusValue: Value { fields["status"] ?? .null }

    /// `metadata.generation`, or 0.
    var generationOrZero: Int64 { generation ?? 0 }

    /// `status.observedGeneration`, or 0.
    var observedGeneration: Int64 { statusValue["observedGeneration"].int }

    /// The group of the object's `apiVersion` (the core group is empty).
    var group: String { String(groupName) }

    /// The group of the object's `apiVersion`, without copying it.
    var groupName: Substring {
        guard case .string(let apiVersion)? = fields["apiVersion"] else { return "" }
        guard let slash = apiVersion.utf8.firstIndex(of: UInt8(ascii: "/")) else { return "" }
        return apiVersion[..<slash]
    }

    /// The version part of `apiVersion`.
    var version: String {
        guard let apiVersion = fields["apiVersion"]?.stringValue else { return "" }
        guard let slash = apiVersion.firstIndex(of: "/") else { return apiVersion }
        return String(apiVersion[apiVersion.index(after: slash)...])
    }
}

/// Go's `%q` for the names in Argo CD's messages: the text in double quotes, with `"` and `\` escaped.
func quoted(_ text: String) -> String {
    var out = "\""
    for ch in text {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.append(ch)
        }
    }
    return out + "\""
}
