import Manifests

/// The `sops` block of an encrypted document: who can decrypt it, which values are encrypted, and
/// the encrypted MAC.
public struct SOPSMetadata: Sendable, Hashable {
    /// Every master key of the file (the data key, or a share of it, encrypted for each
    /// recipient), in the order the metadata lists them.
    public var masterKeys: [MasterKey]
    /// The master keys by key group. A file has one group unless it uses Shamir secret sharing:
    /// then each group holds one share of the data key, and ``shamirThreshold`` shares rebuild it.
    public var keyGroups: [[MasterKey]]
    /// How many key groups must each give their share to rebuild the data key
    /// (`shamir_threshold`; all of them when absent).
    public var shamirThreshold: Int
    /// When the file was last encrypted, as written (`lastmodified`); the MAC's additional data.
    public var lastModified: String
    /// The encrypted MAC (`mac`), an `ENC[AES256_GCM,...]` value.
    public var mac: String
    /// Keys with this suffix, and everything below them, are not encrypted (`unencrypted_suffix`).
    public var unencryptedSuffix: String?
    /// Only keys with this suffix, and everything below them, are encrypted (`encrypted_suffix`).
    public var encryptedSuffix: String?
    /// Keys matching this regular expression, and everything below them, are not encrypted
    /// (`unencrypted_regex`).
    public var unencryptedRegex: String?
    /// Only keys matching this regular expression, and everything below them, are encrypted
    /// (`encrypted_regex`).
    public var encryptedRegex: String?
    /// Whether the MAC covers only the encrypted values (`mac_only_encrypted`).
    public var macOnlyEncrypted: Bool
    /// The version of `sops` that wrote the file, when given.
    public var version: String?

    /// The master key lists SOPS writes, by metadata name, and the field naming each recipient.
    static let keyTypes: [(type: String, identifier: [String])] = [
        ("age", ["recipient"]), ("kms", ["arn"]), ("gcp_kms", ["resource_id"]),
        ("azure_kv", ["vault_url", "name"]), ("hc_vault", ["vault_address", "engine_path", "key_name"]),
        ("hckms", ["key_id"]), ("pgp", ["fp"]),
    ]

    /// Reads the metadata of an encrypted document (the value of its `sops` key).
    ///
    /// - Throws: ``SOPSError`` (`invalidMetadata`) for a missing or malformed field; `unsupported`
    ///   for comment regexes.
    public init(_ value: Value) throws {
        guard case .object(let object) = value else {
            throw SOPSError(
                .invalidMetadata,
                "the 'sops' metadata is a \(value.kindName), not an object",
                field: "/sops"
            )
        }
        func string(_ key: String, required: Bool) throws -> String? {
            switch object[key] {
            case .string(let s)?: return s
            case nil, .null?:
                if required {
                    throw SOPSError(.invalidMetadata, "the 'sops' metadata has no '\(key)'", field: "/sops/\(key)")
                }
                return nil
            case let other?:
                throw SOPSError(
                    .invalidMetadata,
                    "'\(key)' is a \(other.kindName), not a string",
                    field: "/sops/\(key)"
                )
            }
        }
        lastModified = try string("lastmodified", required: true) ?? ""
        mac = try string("mac", required: true) ?? ""
        unencryptedSuffix = try string("unencrypted_suffix", required: false).flatMap { $0.isEmpty ? nil : $0 }
        encryptedSuffix = try string("encrypted_suffix", required: false).flatMap { $0.isEmpty ? nil : $0 }
        unencryptedRegex = try string("unencrypted_regex", required: false).flatMap { $0.isEmpty ? nil : $0 }
        encryptedRegex = try string("encrypted_regex", required: false).flatMap { $0.isEmpty ? nil : $0 }
        version = try string("version", required: false)
        for key in ["unencrypted_comment_regex", "encrypted_comment_regex"] {
            if let s = try string(key, required: false), !s.isEmpty {
                throw SOPSError(
                    .unsupported,
                    "'\(key)' is not supported: which values it encrypts depends on YAML comments, which this reader does not keep",
                    field: "/sops/\(key)"
                )
            }
        }
        switch object["mac_only_encrypted"] {
        case .bool(let b)?: macOnlyEncrypted = b
        case nil, .null?: macOnlyEncrypted = false
        case let other?:
            throw SOPSError(
                .invalidMetadata,
                "'mac_only_encrypted' is a \(other.kindName), not a boolean",
                field: "/sops/mac_only_encrypted"
            )
        }

        if let groups = object["key_groups"], !groups.isNull {
            guard case .array(let list) = groups else {
                throw SOPSError(.invalidMetadata, "'key_groups' is not a list", field: "/sops/key_groups")
            }
            keyGroups = try list.enumerated().map { i, group in
                try Self.masterKeys(in: group, field: "/sops/key_groups/\(i)")
            }
        } else {
            keyGroups = [try Self.masterKeys(in: value, field: "/sops")]
        }
        masterKeys = keyGroups.flatMap { $0 }
        switch object["shamir_threshold"] {
        case nil, .null?:
            shamirThreshold = keyGroups.count
        case .int(let n)? where n >= 1 && n <= Int64(max(keyGroups.count, 1)):
            shamirThreshold = Int(n)
        case let other?:
            throw SOPSError(
                .invalidMetadata,
                "'shamir_threshold' (\(other.kindName)) is not a number of key groups between 1 and \(keyGroups.count)",
                field: "/sops/shamir_threshold"
            )
        }
    }

    private static func masterKeys(in group: Value, field: String) throws -> [MasterKey] {
        guard case .object(let object) = group else {
            throw SOPSError(.invalidMetadata, "a key group is not an object", field: field)
        }
        var keys: [MasterKey] = []
        for (type, identifierFields) in keyTypes {
            guard let list = object[type], !list.isNull else { continue }
            guard case .array(let entries) = list else {
                throw SOPSError(.invalidMetadata, "'\(type)' is not a list", field: "\(field)/\(type)")
            }
            for (i, entry) in entries.enumerated() {
                guard case .object(let fields) = entry, case .string(let enc)? = fields["enc"] else {
                    throw SOPSError(
                        .invalidMetadata,
                        "a '\(type)' entry has no 'enc' string",
                        field: "\(field)/\(type)/\(i)"
                    )
                }
                let identifier = identifierFields.compactMap { fields[$0]?.stringValue }.joined(separator: "/")
                keys.append(MasterKey(type: type, identifier: identifier, encryptedKey: enc, fields: fields))
            }
        }
        return keys
    }
}
