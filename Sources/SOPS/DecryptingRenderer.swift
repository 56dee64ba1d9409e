import Manifests

/// A renderer that decrypts SOPS-encrypted objects after another renderer has produced them, so
/// that nothing downstream (diff, apply, events) ever sees `ENC[...]` values or `sops` metadata.
///
/// Objects without SOPS metadata pass through unchanged. Consecutive objects carrying the same
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
        guard objects.contains(where: { SOPSDecryptor.isEncrypted($0.value) }) else { return objects }
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
            let source = group.map(\.key.description).joined(separator: ", ")
            let decrypted = try await decryptor.decrypt(documents: group.map(\.value), source: source)
            for value in decrypted {
                guard case .object(let fields) = value else { continue }
                results.append(KubeObject(fields: fields))
            }
            i = j
        }
        return results
    }
}
