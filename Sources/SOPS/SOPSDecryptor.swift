import Crypto
import Foundation
import Manifests

/// Decrypts documents that `sops` encrypted: YAML and JSON files whose values are
/// `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]` and which carry a `sops` metadata block.
///
/// The data key is recovered through the ``KeyProvider``s (age identities with
/// ``AgeKeyProvider``, or your own for a KMS); each value is decrypted with AES-256-GCM using its
/// key path as additional data, as `sops` does; the MAC over all values is checked, so a changed,
/// removed, reordered or added value is an error. The result is the document without its `sops`
/// block, each decrypted value typed by its `type` (`str`, `int`, `float`, `bool`).
///
/// Dotenv files (``decrypt(dotenv:source:)``) and key groups with Shamir secret sharing are
/// supported too; binary files encrypted by `sops` are JSON or YAML documents with a `data` key
/// and decrypt like any other document. Not supported (each is a clear ``SOPSError``): INI
/// files, `encrypted_comment_regex`/`unencrypted_comment_regex`, age plugin, post-quantum and
/// SSH identities.
///
/// ```swift
/// let decryptor = SOPSDecryptor(keyProviders: [try AgeKeyProvider.discover()])
/// let documents = try await decryptor.decrypt(yaml: text, source: "secret.enc.yaml")
/// ```
///
/// Decrypted values never appear in errors or descriptions; buffers holding key material or
/// plaintext bytes are zeroed after use (the decrypted strings themselves are ordinary Swift
/// values and live as long as the caller keeps them).
public struct SOPSDecryptor: Sendable {
    /// The providers asked for the data key, in order.
    public var keyProviders: [any KeyProvider]

    /// A decryptor that asks `keyProviders` for data keys.
    public init(keyProviders: [any KeyProvider]) { self.keyProviders = keyProviders }

    /// A decryptor holding age identities.
    public init(ageIdentities: [AgeIdentity]) { self.keyProviders = [AgeKeyProvider(identities: ageIdentities)] }

    /// Whether `document` carries SOPS metadata: an object with a `sops` object holding a `mac`.
    public static func isEncrypted(_ document: Value) -> Bool {
        if case .object(let sops)? = document["sops"], sops["mac"] != nil { return true }
        return false
    }

    /// Decrypts one document; see ``decrypt(documents:source:)``.
    ///
    /// - Throws: ``SOPSError``.
    public func decrypt(_ document: Value, source: String? = nil) async throws -> Value {
        try await decrypt(documents: [document], source: source)[0]
    }

    /// Decrypts the documents of one file, which share one `sops` metadata block and one MAC
    /// (`sops` writes the same block into each document of a multi-document YAML file).
    ///
    /// Documents without metadata are an error; use ``isEncrypted(_:)`` to pick the ones to decrypt.
    ///
    /// - Throws: ``SOPSError``: `invalidMetadata` or `unsupported` for the metadata,
    ///   `noMatchingKey` naming the recipients when no provider has a key, `decryptionFailed` or
    ///   `macMismatch` for a tampered file, `invalidValue` for a malformed value.
    public func decrypt(documents: [Value], source: String? = nil) async throws -> [Value] {
        do {
            guard let first = documents.first else { return [] }
            guard case .object(let firstObject) = first, let metadataValue = firstObject["sops"] else {
                throw SOPSError(.invalidMetadata, "the document has no 'sops' metadata")
            }
            for (i, document) in documents.enumerated() where document["sops"] != metadataValue {
                throw SOPSError(
                    .invalidMetadata,
                    "document \(i + 1) has different 'sops' metadata from the first; decrypt the files apart"
                )
            }
            let metadata = try SOPSMetadata(metadataValue)
            let dataKey = try await dataKey(for: metadata)
            var walker = try TreeDecryption(metadata: metadata, key: dataKey.key)
            var results: [Value] = []
            for document in documents {
                guard case .object(var object) = document else { continue }
                object.removeValue(forKey: "sops")
                results.append(try walker.walk(.object(object), path: [], pointer: ""))
            }
            try walker.verifyMAC()
            return results
        } catch let error as SOPSError {
            throw error.located(in: source)
        }
    }

    /// Decrypts a YAML stream written by `sops`: every document carrying SOPS metadata is
    /// decrypted (together, as `sops` does), other documents are returned as they are.
    ///
    /// Clear scalars are read the way Kubernetes reads YAML (see ``Manifests/YAML``). `sops` reads
    /// YAML 1.2 but writes files quoting whatever YAML 1.1 reads differently (`"yes"`, `"on"`), so
    /// a file as `sops` wrote it reads the same; a clear value later edited by hand to an unquoted
    /// `yes`/`no`/`on`/`off` fails the MAC check here.
    ///
    /// - Throws: ``Manifests/ManifestError`` for a YAML syntax error; ``SOPSError`` as
    ///   ``decrypt(documents:source:)`` does, or `unsupported` for a dotenv or INI file (use
    ///   ``decrypt(dotenv:source:)`` for dotenv).
    public func decrypt(yaml text: String, source: String = "<yaml>") async throws -> [Value] {
        try Self.rejectOtherFormats(text, source: source)
        let documents = try YAML.documents(text, source: source).map(\.value)
        return try await decryptMixed(documents, source: source)
    }

    /// Decrypts a JSON document written by `sops`.
    ///
    /// - Throws: ``Manifests/ManifestError`` for a JSON syntax error; ``SOPSError`` as
    ///   ``decrypt(documents:source:)`` does.
    public func decrypt(json text: String, source: String = "<json>") async throws -> Value {
        let document = try Value(json: text, source: source)
        guard Self.isEncrypted(document) else {
            throw SOPSError(.invalidMetadata, "the document has no 'sops' metadata", source: source)
        }
        return try await decrypt(document, source: source)
    }

    /// Decrypts a file by its extension: `.json` as JSON, `.env` as dotenv, `.yaml`/`.yml` (and
    /// anything else but `.ini`) as YAML.
    ///
    /// - Throws: ``SOPSError`` (`fileSystem` when the file cannot be read, `unsupported` for INI
    ///   files) or the errors of ``decrypt(yaml:source:)`` and ``decrypt(json:source:)``.
    public func decrypt(file path: String) async throws -> [Value] {
        if path.hasSuffix(".ini") {
            throw SOPSError(.unsupported, "INI files encrypted by sops are not supported", source: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SOPSError(.fileSystem, "cannot read the file", source: path)
        }
        let text = String(decoding: data, as: UTF8.self)
        if path.hasSuffix(".json") { return [try await decrypt(json: text, source: path)] }
        if path.hasSuffix(".env") { return [try await decrypt(dotenv: text, source: path)] }
        return try await decrypt(yaml: text, source: path)
    }

    /// Decrypts the encrypted documents among `documents` (grouping consecutive documents with the
    /// same metadata) and passes the others through.
    func decryptMixed(_ documents: [Value], source: String?) async throws -> [Value] {
        var results: [Value] = []
        var i = 0
        while i < documents.count {
            guard Self.isEncrypted(documents[i]) else {
                results.append(documents[i])
                i += 1
                continue
            }
            var j = i + 1
            while j < documents.count, Self.isEncrypted(documents[j]), documents[j]["sops"] == documents[i]["sops"] {
                j += 1
            }
            results += try await decrypt(documents: Array(documents[i..<j]), source: source)
            i = j
        }
        return results
    }

    private static func rejectOtherFormats(_ text: String, source: String) throws {
        for line in text.split(separator: "\n").prefix(4096) {
            if line.hasPrefix("sops_mac=") || line.hasPrefix("sops_lastmodified=") {
                throw SOPSError(
                    .unsupported,
                    "this is a dotenv file encrypted by sops: decrypt it with decrypt(dotenv:)",
                    source: source
                )
            }
            if line.hasPrefix("[sops]") {
                throw SOPSError(.unsupported, "INI files encrypted by sops are not supported", source: source)
            }
        }
    }

    /// Asks every provider about every master key until one returns the data key; with Shamir
    /// key groups, gets a share from each group until enough are found, then combines them.
    func dataKey(for metadata: SOPSMetadata) async throws -> DataKey {
        var failures: [String] = []
        var shares: [DataKey] = []
        let sharing = metadata.keyGroups.count > 1
        let needed = sharing ? max(metadata.shamirThreshold, 2) : 1
        for group in metadata.keyGroups {
            if let key = await firstKey(in: group, failures: &failures) {
                shares.append(key)
                if shares.count >= needed { break }
            }
        }
        if shares.count >= needed {
            if sharing { return try Shamir.combine(shares) }
            guard shares[0].count == 32 else {
                throw SOPSError(.invalidKey, "the recovered data key is \(shares[0].count) bytes, not 32")
            }
            return shares[0]
        }
        let recipients =
            metadata.masterKeys.isEmpty
            ? "no master keys" : metadata.masterKeys.map(\.description).joined(separator: ", ")
        var message = "no available key can decrypt the data key; the file is encrypted for: \(recipients)"
        if sharing {
            let groups = metadata.keyGroups.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" }
            message =
                "the data key is split across \(metadata.keyGroups.count) key groups and needs keys of "
                + "\(needed) of them, but the available keys open \(shares.count); the key groups: "
                + groups.joined(separator: ", ")
        }
        let ours = keyProviders.compactMap { $0 as? AgeKeyProvider }.flatMap(\.identities)
        if keyProviders.isEmpty {
            message += "; no key providers are configured"
        } else if keyProviders.contains(where: { $0 is AgeKeyProvider }) {
            message +=
                ours.isEmpty
                ? "; no age identities were found (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, or pass a key file)"
                : "; available age identities: \(ours.map(\.recipient).joined(separator: ", "))"
        }
        if !failures.isEmpty { message += "; errors: " + failures.joined(separator: "; ") }
        throw SOPSError(.noMatchingKey, message)
    }

    /// The first key any provider gets from any master key of `group`.
    private func firstKey(in group: [MasterKey], failures: inout [String]) async -> DataKey? {
        for masterKey in group {
            for provider in keyProviders {
                do {
                    if let key = try await provider.dataKey(for: masterKey) { return key }
                } catch {
                    failures.append("\(masterKey): \(error)")
                }
            }
        }
        return nil
    }
}

/// One pass over a document tree in `sops`'s order: decrypts the values that the metadata's rules
/// say are encrypted and feeds every value to the MAC.
struct TreeDecryption {
    let metadata: SOPSMetadata
    let key: SymmetricKey
    let unencryptedRegex: Regex<AnyRegexOutput>?
    let encryptedRegex: Regex<AnyRegexOutput>?
    var hash = SHA512()

    /// The constant `sops` starts the hash with when `mac_only_encrypted` is on.
    static let macOnlyEncryptedInitialization: [UInt8] = [
        0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
        0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
    ]

    init(metadata: SOPSMetadata, key: SymmetricKey) throws {
        self.metadata = metadata
        self.key = key
        func compile(_ pattern: String?, _ name: String) throws -> Regex<AnyRegexOutput>? {
            guard let pattern else { return nil }
            do {
                return try Regex(pattern).matchingSemantics(.unicodeScalar)
            } catch {
                throw SOPSError(
                    .invalidMetadata,
                    "'\(name)' is not a regular expression this reader understands",
                    field: "/sops/\(name)"
                )
            }
        }
        unencryptedRegex = try compile(metadata.unencryptedRegex, "unencrypted_regex")
        encryptedRegex = try compile(metadata.encryptedRegex, "encrypted_regex")
        if metadata.macOnlyEncrypted { hash.update(data: Self.macOnlyEncryptedInitialization) }
    }

    /// `sops`'s `shouldBeEncrypted`: suffix rules, then regex rules, each looking at every key of
    /// the path.
    func shouldBeEncrypted(_ path: [String]) -> Bool {
        var encrypted = true
        if let suffix = metadata.unencryptedSuffix, path.contains(where: { $0.hasSuffix(suffix) }) {
            encrypted = false
        }
        if let suffix = metadata.encryptedSuffix {
            encrypted = path.contains { $0.hasSuffix(suffix) }
        }
        if let regex = unencryptedRegex, path.contains(where: { $0.contains(regex) }) {
            encrypted = false
        }
        if let regex = encryptedRegex {
            encrypted = path.contains { $0.contains(regex) }
        }
        return encrypted
    }

    mutating func walk(_ value: Value, path: [String], pointer: String) throws -> Value {
        switch value {
        case .object(let object):
            var out = ObjectValue(minimumCapacity: object.count)
            for (k, v) in object {
                let escaped = k.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                out[k] = try walk(v, path: path + [k], pointer: pointer + "/" + escaped)
            }
            return .object(out)
        case .array(let items):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                out.append(try walk(item, path: path, pointer: pointer + "/\(i)"))
            }
            return .array(out)
        case .null:
            return .null  // sops neither encrypts nor hashes null
        default:
            return try leaf(value, path: path, pointer: pointer)
        }
    }

    mutating func leaf(_ value: Value, path: [String], pointer: String) throws -> Value {
        let encrypted = shouldBeEncrypted(path)
        let result: Value
        if encrypted {
            guard case .string(let text) = value else {
                throw SOPSError(
                    .invalidValue,
                    "expected an encrypted value (ENC[AES256_GCM,...]) but found a \(value.kindName): the file was changed after encryption",
                    field: pointer
                )
            }
            if text.isEmpty {
                result = .string("")  // sops leaves empty strings as they are
            } else {
                let aad = path.joined(separator: ":") + ":"
                var (decrypted, macBytes) = try SOPSValue.decrypt(text, key: key, additionalData: aad, field: pointer)
                hash.update(data: macBytes)
                macBytes.zeroize()
                return decrypted
            }
        } else {
            result = value
        }
        if !metadata.macOnlyEncrypted || encrypted {
            var bytes = Self.macBytes(result)
            hash.update(data: bytes)
            bytes.zeroize()
        }
        return result
    }

    /// `sops`'s `ToBytes` for a value read from the document.
    static func macBytes(_ value: Value) -> [UInt8] {
        switch value {
        case .string(let s): return Array(s.utf8)
        case .int(let i): return Array(String(i).utf8)
        case .double(let d): return Array(goFormatFloat(d).utf8)
        case .bool(let b): return Array((b ? "True" : "False").utf8)
        default: return []
        }
    }

    /// Decrypts the stored MAC and compares it with the one computed over the values.
    func verifyMAC() throws {
        let computed = hash.finalize().map { byte -> String in
            let s = String(byte, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let stored: [UInt8]
        do {
            var (_, bytes) = try SOPSValue.decrypt(
                metadata.mac,
                key: key,
                additionalData: metadata.lastModified,
                field: "/sops/mac"
            )
            stored = bytes
            bytes.zeroize()
        } catch let error as SOPSError where error.code == .decryptionFailed {
            throw SOPSError(
                .macMismatch,
                "the MAC does not decrypt: the 'mac' or 'lastmodified' metadata was changed",
                field: "/sops/mac"
            )
        }
        let expected = Array(computed.utf8)
        var difference: UInt8 = stored.count == expected.count ? 0 : 1
        for (a, b) in zip(stored, expected) { difference |= a ^ b }
        guard difference == 0 else {
            throw SOPSError(
                .macMismatch,
                "the values do not match the file's MAC: a value was changed, added, removed or reordered after encryption"
            )
        }
    }
}

/// One `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]` value.
enum SOPSValue {
    /// Decrypts `text`, returning the typed value and the bytes `sops` hashes for it.
    static func decrypt(
        _ text: String,
        key: SymmetricKey,
        additionalData: String,
        field: String
    ) throws -> (Value, [UInt8]) {
        let prefix = "ENC[AES256_GCM,data:"
        guard text.hasPrefix(prefix), text.hasSuffix("]") else {
            throw SOPSError(.invalidValue, "the value is not in sops's ENC[AES256_GCM,...] format", field: field)
        }
        let inner = text.dropFirst(prefix.count).dropLast()
        guard let ivRange = inner.range(of: ",iv:"),
            let tagRange = inner.range(of: ",tag:", range: ivRange.upperBound..<inner.endIndex),
            let typeRange = inner.range(of: ",type:", range: tagRange.upperBound..<inner.endIndex),
            let data = Data(base64Encoded: String(inner[..<ivRange.lowerBound])),
            let iv = Data(base64Encoded: String(inner[ivRange.upperBound..<tagRange.lowerBound])),
            let tag = Data(base64Encoded: String(inner[tagRange.upperBound..<typeRange.lowerBound]))
        else {
            throw SOPSError(.invalidValue, "the ENC[AES256_GCM,...] value is malformed", field: field)
        }
        let type = String(inner[typeRange.upperBound...])
        var plain: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: iv), ciphertext: data, tag: tag)
            var opened = try AES.GCM.open(box, using: key, authenticating: Array(additionalData.utf8))
            plain = Array(opened)
            opened.resetBytes(in: 0..<opened.count)
        } catch {
            throw SOPSError(
                .decryptionFailed,
                "the value does not decrypt with the data key: its ciphertext was changed, or it was moved from another key path or file",
                field: field
            )
        }
        defer { plain.zeroize() }
        guard let string = String(validating: plain, as: UTF8.self) else {
            throw SOPSError(.invalidValue, "the decrypted \(type) value is not UTF-8 text", field: field)
        }
        func bad() -> SOPSError {
            SOPSError(.invalidValue, "the decrypted value does not fit its type '\(type)'", field: field)
        }
        switch type {
        case "str", "bytes", "time":
            return (.string(string), plain)
        case "int":
            guard let i = Int64(string) else { throw bad() }
            return (.int(i), plain)
        case "float":
            guard let d = goParseFloat(string) else { throw bad() }
            return (.double(d), plain)
        case "bool":
            switch string {
            case "1", "t", "T", "TRUE", "true", "True": return (.bool(true), Array("True".utf8))
            case "0", "f", "F", "FALSE", "false", "False": return (.bool(false), Array("False".utf8))
            default: throw bad()
            }
        case "comment":
            throw SOPSError(.invalidValue, "an encrypted comment appears where a value belongs", field: field)
        default:
            throw SOPSError(.invalidValue, "unknown encrypted value type '\(type)'", field: field)
        }
    }

    private static func goParseFloat(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Double(text.replacingOccurrences(of: "_", with: ""))
        }
    }
}
