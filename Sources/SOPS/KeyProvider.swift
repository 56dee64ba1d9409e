@preconcurrency import Crypto
import Foundation
import Manifests

/// What a master key decrypts to: the key a SOPS file's values are encrypted with (AES-256, 32
/// bytes), or, in a file using Shamir key groups, one share of it (33 bytes). It holds the bytes
/// in memory that is zeroed when released; it never prints them.
public struct DataKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    /// A data key (or key share) from its raw bytes, as a KMS or an age file decrypts them.
    ///
    /// - Throws: ``SOPSError`` (`invalidKey`) when `bytes` is empty or longer than 256 bytes; the
    ///   decryptor checks the length it needs.
    public init(bytes: some ContiguousBytes) throws {
        let count = bytes.withUnsafeBytes { $0.count }
        guard count >= 1 && count <= 256 else {
            throw SOPSError(.invalidKey, "a SOPS data key is 32 bytes (33 for a Shamir share), got \(count)")
        }
        key = SymmetricKey(data: bytes)
    }

    /// The number of bytes.
    var count: Int { key.bitCount / 8 }

    /// `DataKey(<redacted>)`.
    public var description: String { "DataKey(<redacted>)" }
}

/// One master key of a SOPS file: an entry of its `sops` metadata that holds the data key
/// encrypted for one recipient (an age public key, a KMS key, a PGP key...).
public struct MasterKey: Sendable, Hashable, CustomStringConvertible {
    /// The metadata list the entry comes from: `age`, `kms`, `gcp_kms`, `azure_kv`, `hc_vault`,
    /// `hckms` or `pgp`.
    public var type: String
    /// Who can decrypt it: the age recipient, KMS ARN, GCP resource id, Vault or Azure key URL, or
    /// PGP fingerprint.
    public var identifier: String
    /// The data key encrypted for this recipient (`enc`): an armored age file for `age`, a KMS
    /// ciphertext (base64) for the others.
    public var encryptedKey: String
    /// The entry's fields as written (for providers that need more, such as a KMS role or context).
    public var fields: ObjectValue

    /// A master key entry.
    public init(type: String, identifier: String, encryptedKey: String, fields: ObjectValue = [:]) {
        self.type = type
        self.identifier = identifier
        self.encryptedKey = encryptedKey
        self.fields = fields
    }

    /// `type:identifier`, such as `age:age1...`.
    public var description: String { "\(type):\(identifier)" }
}

/// Recovers a SOPS file's data key from one of its master keys: the seam for age keys, a KMS, a
/// Vault or any other key service.
///
/// A provider returns `nil` for master keys it does not hold (another recipient, another key
/// type) and throws only when it holds the key and still fails (a KMS refused, a key file is
/// unreadable). ``SOPSDecryptor`` asks each provider about each master key in order and uses the
/// first data key it gets.
public protocol KeyProvider: Sendable {
    /// The data key held in `masterKey`, or `nil` when this provider cannot decrypt that entry.
    ///
    /// - Throws: an error when this provider holds the key but cannot decrypt it; it is reported
    ///   with the other attempts if no provider succeeds. It must not contain secret material.
    func dataKey(for masterKey: MasterKey) async throws -> DataKey?
}

/// A key provider made from a function, for plugging in a KMS without declaring a type.
///
/// ```swift
/// let kms = ClosureKeyProvider { masterKey in
///     guard masterKey.type == "kms" else { return nil }
///     return try DataKey(bytes: try await myKMS.decrypt(base64: masterKey.encryptedKey))
/// }
/// ```
public struct ClosureKeyProvider: KeyProvider {
    private let body: @Sendable (MasterKey) async throws -> DataKey?

    /// A provider that calls `body`.
    public init(_ body: @escaping @Sendable (MasterKey) async throws -> DataKey?) { self.body = body }

    /// Calls the function.
    public func dataKey(for masterKey: MasterKey) async throws -> DataKey? { try await body(masterKey) }
}

/// Decrypts the `age` master keys of SOPS files with a set of age X25519 identities.
///
/// Build it from identities, key files or the environment the way `sops` looks for keys
/// (``discover(environment:)``).
public struct AgeKeyProvider: KeyProvider, CustomStringConvertible {
    /// The identities tried, in order.
    public var identities: [AgeIdentity]

    /// A provider holding `identities`.
    public init(identities: [AgeIdentity]) { self.identities = identities }

    /// A provider holding every identity of the given key files.
    ///
    /// - Throws: ``SOPSError`` (`keySource`) naming a file that cannot be read, `invalidKey`
    ///   naming the file and line of a malformed key.
    public init(keyFiles: [String]) throws {
        var identities: [AgeIdentity] = []
        for path in keyFiles { identities += try Self.readKeyFile(path) }
        self.identities = identities
    }

    /// The identities of one keys file (as `age-keygen` writes it; several keys allowed).
    ///
    /// - Throws: ``SOPSError`` (`keySource`) when the file cannot be read, `invalidKey` for a
    ///   malformed key.
    public static func readKeyFile(_ path: String) throws -> [AgeIdentity] {
        var data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SOPSError(.keySource, "cannot read age key file '\(path)'")
        }
        var bytes = Array(data)
        data.resetBytes(in: 0..<data.count)
        defer { bytes.zeroize() }
        return try AgeIdentity.parseKeys(String(decoding: bytes, as: UTF8.self), source: path)
    }

    /// Where `sops` looks for age keys, in the environment `environment`:
    /// - `SOPS_AGE_KEY`: keys themselves, one or more per line separated by spaces;
    /// - `SOPS_AGE_KEY_FILE`: the path of a keys file;
    /// - the user's keys file, `$XDG_CONFIG_HOME/sops/age/keys.txt`, or
    ///   `$HOME/.config/sops/age/keys.txt` when `XDG_CONFIG_HOME` is unset (on macOS, without
    ///   `XDG_CONFIG_HOME`, `$HOME/Library/Application Support/sops/age/keys.txt`).
    ///
    /// Keys from every source found are combined, as `sops` does. A missing default file is not an
    /// error; a missing `SOPS_AGE_KEY_FILE` is.
    ///
    /// Not supported: `SOPS_AGE_KEY_CMD` and SSH keys (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`).
    ///
    /// - Throws: ``SOPSError`` (`keySource`, `invalidKey`) naming the variable or file at fault.
    public static func discover(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AgeKeyProvider {
        var identities: [AgeIdentity] = []
        if let keys = environment["SOPS_AGE_KEY"] {
            identities += try AgeIdentity.parseKeys(keys, source: "SOPS_AGE_KEY", severalPerLine: true)
        }
        if let file = environment["SOPS_AGE_KEY_FILE"] {
            identities += try readKeyFile(file)
        }
        if let file = defaultKeyFile(environment: environment), FileManager.default.fileExists(atPath: file) {
            identities += try readKeyFile(file)
        }
        return AgeKeyProvider(identities: identities)
    }

    /// The user's default keys file as `sops` finds it, or `nil` when there is no home directory.
    public static func defaultKeyFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return xdg + "/sops/age/keys.txt"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        #if canImport(Darwin)
        return home + "/Library/Application Support/sops/age/keys.txt"
        #else
        return home + "/.config/sops/age/keys.txt"
        #endif
    }

    /// Decrypts an `age` master key with the first identity that can; `nil` for other key types
    /// and for files encrypted to none of the identities.
    ///
    /// - Throws: ``SOPSError`` (`invalidAgeFile`) when the age file is malformed or tampered with,
    ///   `invalidKey` when it does not hold a 32-byte key.
    public func dataKey(for masterKey: MasterKey) async throws -> DataKey? {
        guard masterKey.type == "age" else { return nil }
        let file = try AgeFile.dearmor(masterKey.encryptedKey)
        // Try the identity for this recipient first; any identity may still match the stanza.
        let ordered =
            identities.filter { $0.recipient == masterKey.identifier }
            + identities.filter { $0.recipient != masterKey.identifier }
        guard var bytes = try AgeFile.decrypt(file, identities: ordered) else { return nil }
        defer { bytes.zeroize() }
        return try DataKey(bytes: bytes)
    }

    /// Names the recipients of the identities, never the secrets.
    public var description: String {
        "AgeKeyProvider(\(identities.map(\.recipient).joined(separator: ", ")))"
    }
}
