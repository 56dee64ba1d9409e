@preconcurrency import Crypto
import Foundation

/// An age X25519 identity: the private key of an `age1...` recipient.
///
/// Read from its text form, `AGE-SECRET-KEY-1...` (Bech32, as `age-keygen` writes it). Its
/// ``description`` names only the public recipient, never the secret.
///
/// ```swift
/// let identity = try AgeIdentity("AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS3290GG")
/// print(identity.recipient)   // age1...
/// ```
public struct AgeIdentity: Sendable, CustomStringConvertible {
    let privateKey: Curve25519.KeyAgreement.PrivateKey
    /// The public key this identity decrypts for, as `age1...`.
    public let recipient: String

    /// Parses an `AGE-SECRET-KEY-1...` line (surrounding spaces are ignored).
    ///
    /// - Throws: ``SOPSError`` (`invalidKey`) when the text is not an age X25519 identity. The
    ///   message never repeats the text.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("AGE-PLUGIN-") {
            throw SOPSError(.unsupported, "age plugin identities (AGE-PLUGIN-...) are not supported")
        }
        if trimmed.hasPrefix("AGE-SECRET-KEY-PQ-1") {
            throw SOPSError(.unsupported, "post-quantum age identities (AGE-SECRET-KEY-PQ-1...) are not supported")
        }
        guard let (hrp, data) = Bech32.decode(trimmed) else {
            throw SOPSError(.invalidKey, "not a valid age identity (expected AGE-SECRET-KEY-1..., Bech32 encoded)")
        }
        guard hrp == "age-secret-key-", data.count == 32 else {
            throw SOPSError(.invalidKey, "not an age X25519 identity (expected AGE-SECRET-KEY-1... holding 32 bytes)")
        }
        var bytes = data
        defer { bytes.zeroize() }
        do {
            privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw SOPSError(.invalidKey, "age identity does not hold a valid X25519 key")
        }
        recipient = Bech32.encode(hrp: "age", data: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Every identity in a keys file's text: one `AGE-SECRET-KEY-1...` per line; blank lines and
    /// lines starting with `#` are skipped (the format `age-keygen` writes and `sops` reads).
    ///
    /// - Parameters:
    ///   - source: names the text in errors (a path or a variable name).
    ///   - severalPerLine: whether a line may hold several keys separated by spaces (as `sops`
    ///     allows in `SOPS_AGE_KEY`).
    /// - Throws: ``SOPSError`` (`invalidKey`) naming the source and line of a malformed key.
    public static func parseKeys(_ text: String, source: String, severalPerLine: Bool = false) throws -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words =
                severalPerLine ? trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) : [trimmed]
            for word in words {
                do {
                    identities.append(try AgeIdentity(word))
                } catch let error as SOPSError {
                    throw SOPSError(error.code, "line \(lineNumber): \(error.message)", source: source)
                }
            }
        }
        return identities
    }

    /// `AgeIdentity(age1...)`: the public recipient only.
    public var description: String { "AgeIdentity(\(recipient))" }
}

/// Reads age files (the C2SP age v1 format): armored or binary, X25519 recipient stanzas.
enum AgeFile {
    static let armorBegin = "-----BEGIN AGE ENCRYPTED FILE-----"
    static let armorEnd = "-----END AGE ENCRYPTED FILE-----"
    private static let chunkSize = 64 * 1024
    private static let tagSize = 16

    struct Stanza {
        var type: String
        var arguments: [String]
        var body: [UInt8]
    }

    struct Header {
        var stanzas: [Stanza]
        /// The header's bytes up to and including `---`, which the MAC covers.
        var macInput: [UInt8]
        var mac: [UInt8]
        var payloadStart: Int
    }

    private static func failure(_ message: String) -> SOPSError { SOPSError(.invalidAgeFile, message) }

    /// Removes the PEM-like armor, or returns binary input unchanged.
    static func dearmor(_ text: String) throws -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(armorBegin) else { return Array(text.utf8) }
        guard trimmed.hasSuffix(armorEnd) else { throw failure("armored age file has no end line") }
        let inner = trimmed.dropFirst(armorBegin.count).dropLast(armorEnd.count)
        var base64 = ""
        for line in inner.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.count <= 64 else { throw failure("armored age file has a line longer than 64 columns") }
            base64 += l
        }
        guard let data = Data(base64Encoded: base64) else { throw failure("armored age file is not valid base64") }
        return Array(data)
    }

    /// Unpadded standard base64, as age writes it.
    static func rawBase64(_ text: Substring) -> [UInt8]? {
        guard !text.contains("=") else { return nil }
        var padded = String(text)
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map(Array.init)
    }

    static func parseHeader(_ bytes: [UInt8]) throws -> Header {
        var position = 0
        func nextLine() throws -> Substring {
            guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw failure("age header is truncated")
            }
            let line = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            return line[...]
        }
        guard try nextLine() == "age-encryption.org/v1" else {
            throw failure("not an age v1 file (the first line is not 'age-encryption.org/v1')")
        }
        var stanzas: [Stanza] = []
        while true {
            let lineStart = position
            let line = try nextLine()
            if line.hasPrefix("--- ") {
                guard let mac = rawBase64(line.dropFirst(4)), mac.count == 32 else {
                    throw failure("age header MAC is malformed")
                }
                let macInput = Array(bytes[lineStart..<(lineStart + 3)])
                return Header(
                    stanzas: stanzas,
                    macInput: Array(bytes[..<lineStart]) + macInput,
                    mac: mac,
                    payloadStart: position
                )
            }
            guard line.hasPrefix("-> ") else { throw failure("age header has a malformed line") }
            let parts = line.dropFirst(3).split(separator: " ", omittingEmptySubsequences: false)
            guard let type = parts.first, !type.isEmpty else { throw failure("age stanza has no type") }
            var body: [UInt8] = []
            while true {
                let bodyLine = try nextLine()
                guard bodyLine.count <= 64, let decoded = rawBase64(bodyLine) else {
                    throw failure("age stanza body is malformed")
                }
                body += decoded
                if bodyLine.count < 64 { break }
            }
            stanzas.append(Stanza(type: String(type), arguments: parts.dropFirst().map(String.init), body: body))
        }
    }

    /// Tries to unwrap the file key from an X25519 stanza; `nil` when the stanza is for another key.
    static func unwrapX25519(_ stanza: Stanza, with identity: AgeIdentity) throws -> SymmetricKey? {
        guard stanza.arguments.count == 1, let share = rawBase64(stanza.arguments[0][...]), share.count == 32 else {
            throw failure("age X25519 stanza is malformed")
        }
        guard stanza.body.count == 32 else { throw failure("age X25519 stanza body is not 32 bytes") }
        let shared: SharedSecret
        do {
            let ephemeral = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
            shared = try identity.privateKey.sharedSecretFromKeyAgreement(with: ephemeral)
        } catch {
            throw failure("age X25519 stanza has an invalid ephemeral share")
        }
        let allZero = shared.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
        guard !allZero else { throw failure("age X25519 stanza gives an all-zero shared secret") }
        let salt = share + Array(identity.privateKey.publicKey.rawRepresentation)
        let wrapKey = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self,
            salt: salt,
            sharedInfo: Array("age-encryption.org/v1/X25519".utf8),
            outputByteCount: 32
        )
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
                ciphertext: stanza.body[0..<16],
                tag: stanza.body[16..<32]
            )
            var fileKey = try ChaChaPoly.open(box, using: wrapKey)
            defer { fileKey.resetBytes(in: 0..<fileKey.count) }
            return SymmetricKey(data: fileKey)
        } catch {
            return nil  // encrypted to another recipient
        }
    }

    /// Decrypts an age file with the first identity that unwraps its file key; `nil` when none
    /// does. The caller zeroes the returned bytes when done.
    static func decrypt(_ file: [UInt8], identities: [AgeIdentity]) throws -> [UInt8]? {
        let header = try parseHeader(file)
        var fileKey: SymmetricKey?
        search: for stanza in header.stanzas where stanza.type == "X25519" {
            for identity in identities {
                if let key = try unwrapX25519(stanza, with: identity) {
                    fileKey = key
                    break search
                }
            }
        }
        guard let fileKey else { return nil }
        let macKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey,
            salt: [UInt8](),
            info: Array("header".utf8),
            outputByteCount: 32
        )
        guard HMAC<SHA256>.isValidAuthenticationCode(header.mac, authenticating: header.macInput, using: macKey) else {
            throw failure("age header MAC does not match: the file was changed")
        }
        let payload = file[header.payloadStart...]
        guard payload.count >= 16 + tagSize else { throw failure("age payload is truncated") }
        let nonce = Array(payload.prefix(16))
        let payloadKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey,
            salt: nonce,
            info: Array("payload".utf8),
            outputByteCount: 32
        )
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(payload.count)  // no reallocation leaves copies behind
        var offset = payload.startIndex + 16
        var counter: UInt64 = 0
        while true {
            let remaining = payload.endIndex - offset
            let isLast = remaining <= chunkSize + tagSize
            let length = isLast ? remaining : chunkSize + tagSize
            guard length >= tagSize, !(isLast && length == tagSize && counter > 0) else {
                plaintext.zeroize()
                throw failure("age payload is truncated")
            }
            var chunkNonce = [UInt8](repeating: 0, count: 12)
            for i in 0..<8 { chunkNonce[10 - i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
            chunkNonce[11] = isLast ? 1 : 0
            do {
                let box = try ChaChaPoly.SealedBox(
                    nonce: ChaChaPoly.Nonce(data: chunkNonce),
                    ciphertext: payload[offset..<(offset + length - tagSize)],
                    tag: payload[(offset + length - tagSize)..<(offset + length)]
                )
                var chunk = try ChaChaPoly.open(box, using: payloadKey)
                plaintext += chunk
                chunk.resetBytes(in: 0..<chunk.count)
            } catch {
                plaintext.zeroize()
                throw failure("age payload does not decrypt: the file was changed or truncated")
            }
            offset += length
            counter += 1
            if isLast { break }
        }
        return plaintext
    }
}

extension Array where Element == UInt8 {
    /// Overwrites every byte with zero (for buffers that held key material or plaintext).
    mutating func zeroize() {
        withUnsafeMutableBytes { buffer in
            for i in buffer.indices { buffer[i] = 0 }
        }
    }
}
