import Foundation
import Manifests
import Testing

@testable import SOPS

@Suite("DecryptingRenderer")
struct DecryptingRendererTests {
    @Test func decryptsRenderedSecretsAndStripsMetadata() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let secret = """
            apiVersion: v1
            kind: Secret
            metadata:
              name: db
              namespace: prod
            type: Opaque
            stringData:
              password: "pa55w0rd"
              port: "5432"
            data:
              token: c2VjcmV0LXRva2Vu

            """
        let encrypted = try tools.encrypt(
            secret,
            name: "secret.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-regex", "^(data|stringData)$"]
        )
        try tools.write(encrypted, to: "deploy/secret.enc.yaml")
        try tools.write(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n",
            to: "deploy/config.yaml"
        )
        let input = RenderInput(directory: tools.directory.path + "/deploy")

        let renderer = DecryptingRenderer(
            wrapping: DirectoryRenderer(),
            decryptor: SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)])
        )
        let objects = try await renderer.render(input)
        #expect(objects.count == 2)
        let decrypted = try #require(objects.first { $0.kind == "Secret" })
        #expect(decrypted["sops"] == nil)
        #expect(decrypted["stringData"]?["password"] == "pa55w0rd")
        #expect(decrypted["stringData"]?["port"] == "5432")
        #expect(decrypted["data"]?["token"] == "c2VjcmV0LXRva2Vu")
        #expect(decrypted.name == "db")
        #expect(objects.first { $0.kind == "ConfigMap" }?["data"]?["a"] == "b")

        // A wrong key: the error names the object and the recipient, not the value.
        let other = try tools.newAgeKey("other")
        let wrong = DecryptingRenderer(
            wrapping: DirectoryRenderer(),
            decryptor: SOPSDecryptor(ageIdentities: [try AgeIdentity(other.secret)])
        )
        let error = await #expect(throws: SOPSError.self) { try await wrong.render(input) }
        #expect(error?.code == .noMatchingKey)
        #expect(error?.description.contains("v1/Secret") == true || error?.description.contains("Secret") == true)
        #expect(error?.description.contains(key.recipient) == true)
        #expect(error?.description.contains("pa55w0rd") == false)
    }

    @Test func fullyEncryptedObjectsAndFlattenedLists() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let decryptor = SOPSDecryptor(ageIdentities: [try AgeIdentity(key.secret)])
        let renderer = DecryptingRenderer(wrapping: DirectoryRenderer(), decryptor: decryptor)

        // Everything encrypted, apiVersion and kind too.
        let full = try tools.encrypt(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: full\nstringData:\n  k: v4lue\n",
            name: "full.yaml",
            recipients: [key.recipient]
        )
        try tools.write(full, to: "full/secret.yaml")
        // DirectoryRenderer validates names before anything decrypts them, so whether an
        // encrypted name passes depends on its ciphertext: either the object decrypts, or the
        // render fails on validation, without the plaintext.
        do {
            let objects = try await renderer.render(RenderInput(directory: tools.directory.path + "/full"))
            #expect(objects.first?.kind == "Secret")
            #expect(objects.first?.name == "full")
            #expect(objects.first?["stringData"]?["k"] == "v4lue")
        } catch let error as ManifestError {
            #expect(error.code == .invalidObject)
            #expect(!error.description.contains("v4lue"))
        }

        // An encrypted List: the renderer flattens it and drops the List's metadata.
        let list = try tools.encrypt(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: a\n"
                + "  stringData:\n    k: v4lue\n",
            name: "list.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-regex", "^stringData$"]
        )
        try tools.write(list, to: "list/list.yaml")
        let error = await #expect(throws: SOPSError.self) {
            try await renderer.render(RenderInput(directory: tools.directory.path + "/list"))
        }
        #expect(error?.field == "/stringData/k")
        #expect(error?.description.contains("List") == true)
    }

    @Test func gitopsRenderDecryptsWithAgeKeyFile() async throws {
        let tools = try Tools()
        defer { tools.cleanUp() }
        let key = try tools.newAgeKey("k1")
        let other = try tools.newAgeKey("other")
        let encrypted = try tools.encrypt(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: pa55w0rd\n",
            name: "secret.yaml",
            recipients: [key.recipient],
            options: ["--encrypted-regex", "^stringData$"]
        )
        let deploy = try tools.write(encrypted, to: "deploy/secret.yaml")
        let directory = URL(fileURLWithPath: deploy).deletingLastPathComponent().path

        let tool = try renderTool()
        let output = try tools.run(tool, [directory, "--age-key-file", key.file])
        #expect(output.contains("password: pa55w0rd"))
        #expect(!output.contains("sops:"))
        #expect(!output.contains("ENC["))

        // Keys found as sops finds them.
        let viaEnvironment = try tools.run(tool, [directory], environment: ["SOPS_AGE_KEY_FILE": key.file])
        #expect(viaEnvironment == output)

        do {
            try tools.run(tool, [directory, "--age-key-file", other.file])
            Issue.record("gitops-render decrypted with the wrong key")
        } catch let Tools.Failure.failed(_, status, stderr) {
            #expect(status == 1)
            #expect(stderr.contains(key.recipient))
            #expect(!stderr.contains("pa55w0rd"))
        }
    }

    /// The `gitops-render` example built next to the test binary.
    func renderTool() throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gitops-render").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("gitops-render").path
    }

    @Test func objectsWithoutMetadataPassThrough() async throws {
        let object = KubeObject(apiVersion: "v1", kind: "ConfigMap", name: "x")
        let renderer = DecryptingRenderer(
            wrapping: ClosureRenderer { _ in [object] },
            decryptor: SOPSDecryptor(keyProviders: [])
        )
        #expect(try await renderer.render(RenderInput(directory: "/nonexistent")) == [object])
    }
}
