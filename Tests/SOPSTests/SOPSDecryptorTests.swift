import Foundation
import Manifests
import Synchronization
import Testing

@testable import SOPS

/// A document with every kind of value sops types: nested maps, lists, numbers, booleans,
/// multi-line strings, nulls, an empty string.
let richYAML = """
    apiVersion: v1
    kind: Secret
    metadata:
      name: rich
      labels:
        app: web
    stringData:
      password: "correct horse battery staple"
      empty: ""
      nothing: null
      multiline: |
        first line
        second line
          indented third
      folded: >
        folded text
        continues
    numbers:
      answer: 42
      negative: -7
      ratio: 0.125
      big: 1.5e+20
      tiny: 0.00001
    flags:
      on: true
      off: false
    list:
      - alpha
      - 2
      - 3.5
      - false
      - nested:
          deep: [x, y, {z: "zeta"}]
    unicode: "päss wörd ✓"

    """

@Suite("SOPS decryption against the real sops and age")
struct SOPSDecryptorTests {
    /// Our decryption of `encrypted` equals what the real sops decrypts it to.
    func expectAgreement(
        _ encrypted: String,
        tools: Tools,
        key: (file: String, secret: String, recipient: String),
        inputType: String = "yaml",
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws {
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)])
        let ours: Value
        if inputType == "json" {
            ours = try await decryptor.decrypt(json: encrypted)
        } else {
            let docs = try await decryptor.decrypt(yaml: encrypted)
            #expect(docs.count == 1, sourceLocation: sourceLocation)
            ours = try #require(docs.first, sourceLocation: sourceLocation)
        }
        let theirs = try Value(
            json: try tools.sopsDecryptToJSON(
                encrypted,
                name: "x.\(inputType)",
                keyFile: key.file,
                inputType: inputType
            )
        )
        #expect(ours == theirs, sourceLocation: sourceLocation)
        #expect(ours["sops"] == nil, sourceLocation: sourceLocation)
    }

    @Test func roundTripEveryValueKind() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let encrypted = try tools.encrypt(richYAML, name: "rich.yaml", recipients: [key.recipient])
        #expect(!encrypted.contains("correct horse"))
        #expect(encrypted.contains("type:int"))
        #expect(encrypted.contains("type:float"))
        #expect(encrypted.contains("type:bool"))
        try await expectAgreement(encrypted, tools: tools, key: key)

        // And against the plaintext itself: types come from the `type` field.
        let ours = try await SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)]).decrypt(yaml: encrypted)[0]
        #expect(ours["stringData"]?["password"] == "correct horse battery staple")
        #expect(ours["stringData"]?["multiline"] == "first line\nsecond line\n  indented third\n")
        #expect(ours["numbers"]?["answer"] == .int(42))
        #expect(ours["numbers"]?["ratio"] == .double(0.125))
        #expect(ours["flags"]?["off"] == .bool(false))
        #expect(ours["list"]?[3] == .bool(false))
        #expect(ours["unicode"] == "päss wörd ✓")
        #expect(ours["apiVersion"] == "v1")
        #expect(
            ours.objectValue?.keys == [
                "apiVersion", "kind", "metadata", "stringData", "numbers", "flags", "list", "unicode",
            ]
        )
    }

    @Test func encryptedRegexLeavesOtherFieldsInTheClear() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let encrypted = try tools.encrypt(
            richYAML,
            name: "secret.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-regex", "^(data|stringData)$"]
        )
        let raw = try Value(yaml: encrypted)
        #expect(raw["metadata"]?["name"] == "rich")
        #expect(raw["numbers"]?["answer"] == .int(42))
        #expect(raw["stringData"]?["password"]?.stringValue?.hasPrefix("ENC[AES256_GCM,") == true)
        try await expectAgreement(encrypted, tools: tools, key: key)
    }

    @Test func unencryptedSuffixAndMACOnlyEncrypted() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let text = """
            db:
              host_plain: db.internal
              port_plain: 5432
              password: hunter2
            tokens:
              - abc
              - def

            """
        let suffix = try tools.encrypt(
            text,
            name: "suffix.yaml",
            recipients: [key.recipient],
            options: ["--unencrypted-suffix", "_plain"]
        )
        #expect(suffix.contains("host_plain: db.internal"))
        try await expectAgreement(suffix, tools: tools, key: key)

        let macOnly = try tools.encrypt(
            text,
            name: "maconly.yaml",
            recipients: [key.recipient],
            options: ["--unencrypted-regex", "_plain$", "--mac-only-encrypted"]
        )
        #expect(macOnly.contains("mac_only_encrypted: true"))
        try await expectAgreement(macOnly, tools: tools, key: key)
        // With mac_only_encrypted, clear values may change without breaking the MAC.
        let edited = macOnly.replacingOccurrences(of: "db.internal", with: "db.elsewhere")
        let docs = try await SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)]).decrypt(yaml: edited)
        #expect(docs[0]["db"]?["host_plain"] == "db.elsewhere")
        #expect(docs[0]["db"]?["password"] == "hunter2")
    }

    @Test func clearValuesOfEveryKindKeepTheMAC() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        // Scalars YAML 1.1 (kubectl) and 1.2 (sops) read differently, left in the clear.
        let text = """
            clear_unencrypted:
              enabled: yes
              on: off
              n: y
              octal: 0777
              hex: 0x1F
              when: 2024-01-01T00:00:00Z
              exp: 1e3
              big: 1e21
              tiny: 0.1
              neg: -1.5
              none: ~
              quoted: "true"
              list: [1, 2.5, "x", no]
            secret: hidden

            """
        let encrypted = try tools.encrypt(
            text,
            name: "clear.yaml",
            recipients: [key.recipient],
            options: ["--unencrypted-suffix", "_unencrypted"]
        )
        try await expectAgreement(encrypted, tools: tools, key: key)
    }

    @Test func encryptedSuffix() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let text = "user: admin\npassword_secret: hunter2\nnested_secret:\n  a: [1, two]\nport: 80\n"
        let encrypted = try tools.encrypt(
            text,
            name: "suffix.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-suffix", "_secret"]
        )
        #expect(encrypted.contains("user: admin"))
        #expect(!encrypted.contains("hunter2"))
        try await expectAgreement(encrypted, tools: tools, key: key)
    }

    @Test func binaryFilesAreDocumentsWithData() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let content = "line one\nline two: not yaml [\n"
        let path = try tools.write(content, to: "blob.bin")
        let encrypted = try tools.run(
            tools.sops,
            ["--encrypt", "--input-type", "binary", "--output-type", "json", "--age", key.recipient, path]
        )
        let decrypted = try await SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)]).decrypt(json: encrypted)
        #expect(decrypted == ["data": .string(content)])
    }

    @Test func jsonFiles() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let text = """
            {"user": "admin", "password": "s3cret", "port": 8443, "ratio": 2.5, "enabled": true,
             "nested": {"list": [1, "two", {"three": null}]}}
            """
        let encrypted = try tools.encrypt(text, name: "config.json", recipients: [key.recipient])
        #expect(!encrypted.contains("s3cret"))
        try await expectAgreement(encrypted, tools: tools, key: key, inputType: "json")
    }

    @Test func severalRecipientsAndSeveralKeysPerFile() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let alice = try tools.newAgeKey("alice")
        let bob = try tools.newAgeKey("bob")
        let carol = try tools.newAgeKey("carol")
        let encrypted = try tools.encrypt(
            "token: abc123\n",
            name: "multi.yaml",
            recipients: [alice.recipient, bob.recipient]
        )
        for key in [alice, bob] {
            let docs = try await SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)]).decrypt(yaml: encrypted)
            #expect(docs[0]["token"] == "abc123")
        }
        // A keys file holding a key that does not fit first, then one that does.
        let combined = try tools.write(
            "# carol\n\(carol.secret)\n\n# bob\n\(bob.secret)\n",
            to: "combined.txt"
        )
        let provider = try AgeKeyProvider(keyFiles: [combined])
        #expect(provider.identities.map(\.recipient) == [carol.recipient, bob.recipient])
        let docs = try await SOPSDecryptor(keyProviders: [provider]).decrypt(yaml: encrypted)
        #expect(docs[0]["token"] == "abc123")
    }

    @Test func multiDocumentYAMLSharesOneMAC() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let encrypted = try tools.encrypt(
            "a: one\n---\nb: two\n",
            name: "multi.yaml",
            recipients: [key.recipient]
        )
        let docs = try await SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)]).decrypt(yaml: encrypted)
        #expect(docs == [["a": "one"], ["b": "two"]])
    }

    @Test func wrongKeyNamesTheRecipients() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let alice = try tools.newAgeKey("alice")
        let bob = try tools.newAgeKey("bob")
        let mallory = try tools.newAgeKey("mallory")
        let encrypted = try tools.encrypt(
            "password: topsecret\n",
            name: "s.yaml",
            recipients: [alice.recipient, bob.recipient]
        )
        let error = await #expect(throws: SOPSError.self) {
            try await SOPSDecryptor(ageIdentities: [try AgeIdentity(mallory.secret)])
                .decrypt(yaml: encrypted, source: "s.yaml")
        }
        #expect(error?.code == .noMatchingKey)
        let message = error?.description ?? ""
        #expect(message.contains(alice.recipient))
        #expect(message.contains(bob.recipient))
        #expect(message.contains(mallory.recipient))
        #expect(message.hasPrefix("s.yaml: "))
        #expect(!message.contains("topsecret"))
        #expect(!message.contains("AGE-SECRET-KEY"))

        let none = await #expect(throws: SOPSError.self) {
            try await SOPSDecryptor(ageIdentities: []).decrypt(yaml: encrypted)
        }
        #expect(none?.code == .noMatchingKey)
        #expect(none?.description.contains("SOPS_AGE_KEY_FILE") == true)
    }

    @Test func tamperedFilesAreErrors() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)])
        let encrypted = try tools.encrypt(
            "kind: Secret\nstringData:\n  a: alpha-secret\n  b: bravo-secret\n",
            name: "t.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-regex", "^stringData$"]
        )
        let raw = try Value(yaml: encrypted)
        let a = try #require(raw["stringData"]?["a"]?.stringValue)
        let b = try #require(raw["stringData"]?["b"]?.stringValue)

        // A changed ciphertext byte.
        let dataStart = try #require(a.range(of: "data:")).upperBound
        let flipped = a[dataStart] == "A" ? "B" : "A"
        let changedValue = a.replacingCharacters(in: dataStart..<a.index(after: dataStart), with: flipped)
        let tampered = encrypted.replacingOccurrences(of: a, with: changedValue)
        let e1 = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: tampered) }
        #expect(e1?.code == .decryptionFailed)
        #expect(e1?.field == "/stringData/a")

        // Two values swapped: each decrypts only under its own path.
        let swapped = encrypted.replacingOccurrences(of: a, with: "@@A@@").replacingOccurrences(of: b, with: a)
            .replacingOccurrences(of: "@@A@@", with: b)
        let e2 = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: swapped) }
        #expect(e2?.code == .decryptionFailed)

        // A clear value changed: only the MAC notices.
        let renamed = encrypted.replacingOccurrences(of: "kind: Secret", with: "kind: ConfigMap")
        let e3 = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: renamed) }
        #expect(e3?.code == .macMismatch)

        // A value removed.
        let removed = encrypted.replacingOccurrences(of: "    b: \(b)\n", with: "")
        #expect(removed != encrypted)
        let e4 = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: removed) }
        #expect(e4?.code == .macMismatch)

        // The MAC itself changed.
        let mac = try #require(raw["sops"]?["mac"]?.stringValue)
        let macStart = try #require(mac.range(of: "data:")).upperBound
        let macFlipped = mac.replacingCharacters(
            in: macStart..<mac.index(after: macStart),
            with: mac[macStart] == "A" ? "B" : "A"
        )
        let e5 = await #expect(throws: SOPSError.self) {
            try await decryptor.decrypt(yaml: encrypted.replacingOccurrences(of: mac, with: macFlipped))
        }
        #expect(e5?.code == .macMismatch)

        for error in [e1, e2, e3, e4, e5] {
            let text = error?.description ?? ""
            #expect(!text.contains("alpha-secret") && !text.contains("bravo-secret"))
        }
    }

    @Test func keyDiscoveryAsSopsDoes() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let fromFile = try tools.newAgeKey("file")
        let fromVar = try tools.newAgeKey("var")
        let fromDefault = try tools.newAgeKey("default")
        try tools.write(
            try String(contentsOfFile: fromDefault.file, encoding: .utf8),
            to: "xdg/sops/age/keys.txt"
        )
        let xdg = tools.directory.path + "/xdg"

        let all = try AgeKeyProvider.discover(environment: [
            "SOPS_AGE_KEY": fromVar.secret, "SOPS_AGE_KEY_FILE": fromFile.file, "XDG_CONFIG_HOME": xdg,
        ])
        #expect(all.identities.map(\.recipient) == [fromVar.recipient, fromFile.recipient, fromDefault.recipient])
        #expect(!all.description.contains("AGE-SECRET-KEY"))

        // SOPS_AGE_KEY may hold several keys on one line.
        let twoOnALine = try AgeKeyProvider.discover(environment: [
            "SOPS_AGE_KEY": "\(fromVar.secret) \(fromFile.secret)", "HOME": tools.directory.path + "/nohome",
        ])
        #expect(twoOnALine.identities.map(\.recipient) == [fromVar.recipient, fromFile.recipient])

        let home = try AgeKeyProvider.discover(environment: ["HOME": tools.directory.path + "/nohome"])
        #expect(home.identities.isEmpty)
        #expect(
            AgeKeyProvider.defaultKeyFile(environment: ["HOME": "/home/u"]) == "/home/u/.config/sops/age/keys.txt"
        )

        let missing = #expect(throws: SOPSError.self) {
            try AgeKeyProvider.discover(environment: ["SOPS_AGE_KEY_FILE": tools.directory.path + "/absent.txt"])
        }
        #expect(missing?.code == .keySource)

        let malformed = #expect(throws: SOPSError.self) {
            try AgeKeyProvider.discover(environment: ["SOPS_AGE_KEY": "# comment\nAGE-SECRET-KEY-1NOTAKEY"])
        }
        #expect(malformed?.code == .invalidKey)
        #expect(malformed?.description.contains("line 2") == true)
        #expect(malformed?.description.contains("NOTAKEY") == false)
    }

    @Test func closureKeyProviderPlugsInAKMS() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let encrypted = try tools.encrypt("token: t0k3n\n", name: "k.yaml", recipients: [key.recipient])
        let age = AgeKeyProvider(identities: [try AgeIdentity(key.secret)])
        let seen = SeenKeys()
        let plugin = ClosureKeyProvider { masterKey in
            seen.add(masterKey.description)
            return try await age.dataKey(for: masterKey)
        }
        let docs = try await SOPSDecryptor(keyProviders: [ClosureKeyProvider { _ in nil }, plugin])
            .decrypt(yaml: encrypted)
        #expect(docs[0]["token"] == "t0k3n")
        #expect(seen.all == ["age:\(key.recipient)"])

        let failing = ClosureKeyProvider { _ in throw SOPSError(.keySource, "KMS unreachable") }
        let error = await #expect(throws: SOPSError.self) {
            try await SOPSDecryptor(keyProviders: [failing]).decrypt(yaml: encrypted)
        }
        #expect(error?.description.contains("KMS unreachable") == true)
    }

    @Test func dotenvFiles() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let alice = try tools.newAgeKey("alice")
        let bob = try tools.newAgeKey("bob")
        let text =
            "# database\nPASSWORD=hunter2\nUSER_unencrypted=admin\nMULTI=first\\nsecond\nEMPTY=\nURL=postgres://u:p@h/db?x=1\n"
        let path = try tools.write(text, to: "app.env")
        let encrypted = try tools.run(
            tools.sops,
            ["--encrypt", "--age", "\(alice.recipient),\(bob.recipient)", path]
        )
        #expect(encrypted.contains("sops_mac="))
        #expect(!encrypted.contains("hunter2"))
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(bob.secret)])
        let ours = try await decryptor.decrypt(dotenv: encrypted)
        let theirs = try Value(
            json: try tools.sopsDecryptToJSON(encrypted, name: "app.env", keyFile: bob.file, inputType: "dotenv")
        )
        #expect(ours == theirs)
        #expect(ours["MULTI"] == "first\nsecond")
        #expect(ours.objectValue?.keys == ["PASSWORD", "USER_unencrypted", "MULTI", "EMPTY", "URL"])

        // By extension, too.
        let file = try tools.write(encrypted, to: "enc.env")
        #expect(try await decryptor.decrypt(file: file) == [ours])

        // Read as YAML, it says what it is.
        let asYAML = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: encrypted) }
        #expect(asYAML?.code == .unsupported)
        #expect(asYAML?.description.contains("decrypt(dotenv:)") == true)

        // A clear value changed: the MAC notices; the error does not show the secret.
        let edited = encrypted.replacingOccurrences(of: "USER_unencrypted=admin", with: "USER_unencrypted=root")
        let tampered = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(dotenv: edited) }
        #expect(tampered?.code == .macMismatch)
        #expect(tampered?.description.contains("hunter2") == false)
    }

    @Test func shamirKeyGroups() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let a = try tools.newAgeKey("a")
        let b = try tools.newAgeKey("b")
        let c = try tools.newAgeKey("c")
        try tools.write(
            """
            creation_rules:
              - shamir_threshold: 2
                key_groups:
                  - age: [\(a.recipient)]
                  - age: [\(b.recipient)]
                  - age: [\(c.recipient)]

            """,
            to: ".sops.yaml"
        )
        let path = try tools.write("x: secret-value\nn: 3\n", to: "shamir.yaml")
        let shamir = try tools.run(tools.sops, ["--encrypt", path])
        #expect(shamir.contains("shamir_threshold: 2"))
        // Any two of the three groups rebuild the key.
        for pair in [(a, b), (b, c), (a, c)] {
            let decryptor = SOPSDecryptor(ageIdentities: [
                try AgeIdentity(pair.0.secret), try AgeIdentity(pair.1.secret),
            ])
            #expect(try await decryptor.decrypt(yaml: shamir) == [["x": "secret-value", "n": 3]])
        }
        // One is not enough, and the error says how many are needed.
        let one = await #expect(throws: SOPSError.self) {
            try await SOPSDecryptor(ageIdentities: [try AgeIdentity(b.secret)]).decrypt(yaml: shamir)
        }
        #expect(one?.code == .noMatchingKey)
        #expect(one?.description.contains("needs keys of 2 of them") == true)
        #expect(one?.description.contains(a.recipient) == true)
    }

    @Test func commentRegexesAreUnsupported() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let a = try tools.newAgeKey("a")
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(a.secret)])
        let comments = try tools.encrypt(
            "# sops:enc\nx: secret-value\ny: clear\n",
            name: "comments.yaml",
            recipients: [a.recipient],
            options: ["--encrypted-comment-regex", "sops:enc"]
        )
        let e2 = await #expect(throws: SOPSError.self) { try await decryptor.decrypt(yaml: comments) }
        #expect(e2?.code == .unsupported)
        #expect(e2?.field == "/sops/encrypted_comment_regex")
    }

    @Test func filesByExtension() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)])
        let yaml = try tools.write(
            try tools.encrypt("a: 1\n", name: "a.yaml", recipients: [key.recipient]),
            to: "out/a.enc.yaml"
        )
        let json = try tools.write(
            try tools.encrypt("{\"b\": true}", name: "b.json", recipients: [key.recipient]),
            to: "out/b.enc.json"
        )
        #expect(try await decryptor.decrypt(file: yaml) == [["a": 1]])
        #expect(try await decryptor.decrypt(file: json) == [["b": true]])
        let missing = await #expect(throws: SOPSError.self) {
            try await decryptor.decrypt(file: tools.directory.path + "/absent.yaml")
        }
        #expect(missing?.code == .fileSystem)
    }

    @Test func goFloatFormatting() {
        #expect(goFormatFloat(0.125) == "0.125")
        #expect(goFormatFloat(1.5e20) == "150000000000000000000")
        #expect(goFormatFloat(1e-5) == "0.00001")
        #expect(goFormatFloat(100) == "100")
        #expect(goFormatFloat(-2.5) == "-2.5")
        #expect(goFormatFloat(0) == "0")
        #expect(goFormatFloat(.infinity) == "+Inf")
    }
}

/// Records master keys a provider was asked about.
final class SeenKeys: Sendable {
    private let storage = Mutex<[String]>([])
    func add(_ key: String) { storage.withLock { $0.append(key) } }
    var all: [String] { storage.withLock { $0 } }
}
