import Manifests

/// Masks Secret values for display: each value becomes `+++ sha256:<first 8 hex digits>`, the
/// same for the same value on every run and machine, so that a changed value still shows as a
/// change while the value itself never appears.
public enum SecretMask {
    /// The mask of one value.
    public static func mask(_ value: Value) -> Value {
        let bytes: [UInt8]
        switch value {
        case .string(let s): bytes = Array(s.utf8)
        case .null: return .null
        default: bytes = Array(value.description.utf8)
        }
        let digest = SHA256Digest.hash(bytes)
        let hex = Array("0123456789abcdef".utf8)
        var text = "+++ sha256:"
        for b in digest.prefix(4) {
            text.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
            text.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
        }
        return .string(text)
    }

    /// Whether objects of `key` are Secrets (core group).
    public static func isSecret(_ key: ResourceKey) -> Bool { key.group.isEmpty && key.kind == "Secret" }

    /// A copy of `object` with every value of `data` and `stringData` masked.
    public static func masked(_ object: Value) -> Value {
        var out = object
        for field in ["data", "stringData"] {
            if case .object(let o) = out[field] ?? .null { out[field] = .object(o.mapValues(mask)) }
        }
        return out
    }

    /// A change with its values masked when it is in `data` or `stringData`.
    static func masked(_ change: Change) -> Change {
        guard case .field(let top)? = change.path.components.first, top == "data" || top == "stringData" else {
            return change
        }
        let whole = change.path.components.count == 1
        func m(_ v: Value) -> Value { whole ? (v.objectValue.map { .object($0.mapValues(mask)) } ?? mask(v)) : mask(v) }
        var c = change
        c.old = c.old.map(m)
        c.new = c.new.map(m)
        return c
    }
}
