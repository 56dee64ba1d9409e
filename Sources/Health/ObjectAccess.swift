import Manifests

extension ObjectValue {
    /// The value of `key`, comparing lengths before bytes: the rules look up many keys in
    /// objects whose other keys are long (`managedFields`, `creationTimestamp`...).
    @inline(__always) func member(_ key: String) -> Value? {
        let length = key.utf8.count
        return entries.withUnsafeBufferPointer { buffer in
            for i in buffer.indices where buffer[i].key.utf8.count == length && buffer[i].key == key {
                return buffer[i].value
            }
            return nil
        }
    }
}

extension Value {
    /// The member `key` of an object (see ``ObjectValue/member(_:)``); `nil` otherwise.
    @inline(__always) func member(_ key: String) -> Value? {
        guard case .object(let object) = self else { return nil }
        return object.member(key)
    }
}

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
        type = value.member("type").string
        status = value.member("status").string
        reason = value.member("reason").string
        message = value.member("message").string
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
        fields.member("status")?.member("conditions")?.arrayValue?.map(Condition.init) ?? []
    }

    /// The first condition of `type` in `status` (already read), if any.
    static func condition(_ type: String, in status: Value) -> Condition? {
        guard let list = status.member("conditions")?.arrayValue else { return nil }
        for c in list where c.member("type")?.stringValue == type { return Condition(c) }
        return nil
    }

    /// The first condition of `type`, if any.
    func condition(_ type: String) -> Condition? {
        guard let list = fields.member("status")?.member("conditions")?.arrayValue else { return nil }
        for c in list where c.member("type")?.stringValue == type { return Condition(c) }
        return nil
    }

    /// `spec`.
    var spec: Value { fields.member("spec") ?? .null }

    /// `status`, or `.null`.
    var statusValue: Value { fields.member("status") ?? .null }

    /// `metadata.generation`, or 0.
    var generationOrZero: Int64 { fields.member("metadata")?.member("generation")?.intValue ?? 0 }

    /// `kind`, or empty.
    var kindName: String { fields.member("kind")?.stringValue ?? "" }

    /// Whether `metadata.deletionTimestamp` is set.
    var isBeingDeleted: Bool { fields.member("metadata")?.member("deletionTimestamp")?.stringValue != nil }

    /// `status.observedGeneration`, or 0.
    var observedGeneration: Int64 { statusValue.member("observedGeneration").int }

    /// The group of the object's `apiVersion` (the core group is empty).
    var group: String { String(groupName) }

    /// The group of the object's `apiVersion`, without copying it.
    var groupName: Substring {
        guard case .string(let apiVersion)? = fields.member("apiVersion") else { return "" }
        guard let slash = apiVersion.utf8.firstIndex(of: UInt8(ascii: "/")) else { return "" }
        return apiVersion[..<slash]
    }

    /// The version part of `apiVersion`.
    var version: String {
        guard let apiVersion = fields.member("apiVersion")?.stringValue else { return "" }
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
