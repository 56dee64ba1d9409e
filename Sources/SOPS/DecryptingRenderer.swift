import Foundation
import Manifests

/// A renderer that decrypts SOPS-encrypted objects after another renderer has produced them, so
/// that nothing downstream (diff, apply, events) ever sees `ENC[...]` values or `sops` metadata.
///
/// Objects without SOPS metadata pass through unchanged, unless they hold `ENC[AES256_GCM,...]`
/// values (an encrypted `kind: List` file, which the renderer flattens, loses its metadata): that
/// is an error rather than encrypted text passed on as if it were the value. Consecutive objects
/// carrying the same
/// metadata (the documents of one multi-document file) are decrypted together, as their MAC
/// covers them all. Each decrypted object loses its `sops` block.
///
/// Kubernetes objects need their `apiVersion`, `kind` and `metadata` in the clear to be rendered,
/// so encrypt them the way Flux recommends:
/// `sops encrypt --encrypted-regex '^(data|stringData)$' --age age1... secret.yaml`.
///
/// ```swift
/// let renderer = DecryptingRenderer(
///     wrapping: DirectoryRenderer(),
///     decryptor: SOPSDecryptor(keyProviders: [try AgeKeyProvider.discover()]))
/// let objects = try await renderer.render(RenderInput(directory: "deploy"))
/// ```
public struct DecryptingRenderer<Inner: ManifestRenderer>: ManifestRenderer {
    /// The renderer whose output is decrypted.
    public var inner: Inner
    /// Decrypts the objects that carry SOPS metadata.
    public var decryptor: SOPSDecryptor

    /// Decrypts what `inner` renders with `decryptor`.
    public init(wrapping inner: Inner, decryptor: SOPSDecryptor) {
        self.inner = inner
        self.decryptor = decryptor
    }

    /// Renders with the inner renderer, then decrypts.
    ///
    /// - Throws: the inner renderer's errors; ``SOPSError`` naming the object (and the field) that
    ///   does not decrypt, never its value.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        let objects = try await inner.render(input)
        guard objects.contains(where: { SOPSDecryptor.isEncrypted($0.value) }) else {
            try Self.checkNoEncryptedValues(objects)
            return objects
        }
        var results: [KubeObject] = []
        results.reserveCapacity(objects.count)
        var i = 0
        while i < objects.count {
            let metadata = objects[i].fields["sops"]
            guard SOPSDecryptor.isEncrypted(objects[i].value) else {
                results.append(objects[i])
                i += 1
                continue
            }
            var j = i + 1
            while j < objects.count, objects[j].fields["sops"] == metadata { j += 1 }
            let group = objects[i..<j]
            // Name the objects by their key, unless the key itself is encrypted.
            let keys = group.map(\.key.description)
            let source =
                keys.contains { $0.contains("ENC[") }
                ? "objects \(i + 1)...\(j) of the render (their names are encrypted)"
                : keys.joined(separator: ", ")
            let decrypted = try await decryptor.decrypt(documents: group.map(\.value), source: source)
            for value in decrypted {
                guard case .object(let fields) = value else { continue }
                results.append(KubeObject(fields: fields))
            }
            i = j
        }
        try Self.checkNoEncryptedValues(results)
        return results
    }

    /// Refuses objects that still hold `ENC[AES256_GCM,...]` values: their metadata was lost (a
    /// `kind: List` file flattened by the renderer) or never there, and nothing downstream should
    /// see them as if they were the real values.
    static func checkNoEncryptedValues(_ objects: [KubeObject]) throws {
        for object in objects {
            if let field = encryptedField(in: object.value, pointer: "") {
                throw SOPSError(
                    .invalidMetadata,
                    "the object holds a SOPS-encrypted value but no 'sops' metadata to decrypt it with "
                        + "(an encrypted 'kind: List' file loses its metadata when it is flattened: "
                        + "encrypt each object's file apart)",
                    source: object.key.description,
                    field: field
                )
            }
        }
    }

    private static func encryptedField(in value: Value, pointer: String) -> String? {
        switch value {
        case .string(let s):
            return s.hasPrefix("ENC[AES256_GCM,data:") ? pointer : nil
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = encryptedField(in: item, pointer: pointer + "/\(i)") { return found }
            }
            return nil
        case .object(let object):
            for (key, member) in object {
                let escaped = key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                if let found = encryptedField(in: member, pointer: pointer + "/" + escaped) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
