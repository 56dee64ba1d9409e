import Foundation
import Testing

@testable import SOPS

/// Our age reader against files the real `age` writes.
@Suite("age files")
struct AgeTests {
    /// Encrypts `plaintext` with the real `age` for `recipients`, armored or binary.
    func ageEncrypt(_ tools: Tools, _ plaintext: [UInt8], recipients: [String], armor: Bool) throws -> [UInt8] {
        let input = tools.directory.appendingPathComponent("plain-\(UUID().uuidString)")
        let output = tools.directory.appendingPathComponent("enc-\(UUID().uuidString)")
        try Data(plaintext).write(to: input)
        var arguments = recipients.flatMap { ["-r", $0] } + ["-o", output.path]
        if armor { arguments.insert("-a", at: 0) }
        try tools.run(try tools.age(), arguments + [input.path])
        return Array(try Data(contentsOf: output))
    }

    @Test(arguments: [0, 1, 32, 65_535, 65_536, 65_537, 200_000])
    func payloadSizesAcrossChunks(size: Int) async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k")
        let identity = try AgeIdentity(key.secret)
        #expect(identity.recipient == key.recipient)
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for armor in [true, false] {
            let file = try ageEncrypt(tools, plaintext, recipients: [key.recipient], armor: armor)
            if armor {
                #expect(
                    try AgeFile.decrypt(
                        try AgeFile.dearmor(String(decoding: file, as: UTF8.self)),
                        identities: [identity]
                    ) == plaintext
                )
            } else {
                #expect(try AgeFile.decrypt(file, identities: [identity]) == plaintext)
            }
        }
    }

    @Test func severalRecipientsWrongKeyAndTampering() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let alice = try tools.newAgeKey("alice")
        let bob = try tools.newAgeKey("bob")
        let eve = try tools.newAgeKey("eve")
        let plaintext = Array("the data key".utf8)
        let file = try ageEncrypt(tools, plaintext, recipients: [alice.recipient, bob.recipient], armor: false)
        #expect(try AgeFile.decrypt(file, identities: [try AgeIdentity(bob.secret)]) == plaintext)
        #expect(try AgeFile.decrypt(file, identities: [try AgeIdentity(eve.secret)]) == nil)
        #expect(
            try AgeFile.decrypt(file, identities: [try AgeIdentity(eve.secret), try AgeIdentity(alice.secret)])
                == plaintext
        )

        // A flipped payload byte, a flipped header MAC, a truncated payload.
        var payloadFlipped = file
        payloadFlipped[payloadFlipped.count - 1] ^= 1
        #expect(throws: SOPSError.self) {
            try AgeFile.decrypt(payloadFlipped, identities: [try AgeIdentity(alice.secret)])
        }

        let headerEnd = try #require(indexOf(Array("\n--- ".utf8), in: file))
        var macFlipped = file
        macFlipped[headerEnd + 6] =
            macFlipped[headerEnd + 6] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let macError = #expect(throws: SOPSError.self) {
            try AgeFile.decrypt(macFlipped, identities: [try AgeIdentity(alice.secret)])
        }
        #expect(macError?.code == .invalidAgeFile)

        #expect(throws: SOPSError.self) {
            try AgeFile.decrypt(Array(file.dropLast(5)), identities: [try AgeIdentity(alice.secret)])
        }
    }

    @Test func identitiesParseAndNeverPrintTheSecret() throws {
        // Too short to hold a key or a checksum.
        let bad = #expect(throws: SOPSError.self) { try AgeIdentity("AGE-SECRET-KEY-1QQQQ") }
        #expect(bad?.code == .invalidKey)
        let plugin = #expect(throws: SOPSError.self) { try AgeIdentity("AGE-PLUGIN-YUBIKEY-1QQQQ") }
        #expect(plugin?.code == .unsupported)
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k")
        let identity = try AgeIdentity(key.secret)
        #expect(identity.description == "AgeIdentity(\(key.recipient))")
        // A checksum error is caught.
        var broken = Array(key.secret.utf8)
        broken[broken.count - 1] = broken[broken.count - 1] == UInt8(ascii: "Q") ? UInt8(ascii: "P") : UInt8(ascii: "Q")
        #expect(throws: SOPSError.self) { try AgeIdentity(String(decoding: broken, as: UTF8.self)) }
    }

    func indexOf(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
