import EmbeddedCluster
import Foundation
import GitOps
import Testing

/// The repository's root, from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The bundled example application's revisions.
let guestbookRevision1 = repositoryRoot + "/Examples/guestbook/revision-1"
let guestbookRevision2 = repositoryRoot + "/Examples/guestbook/revision-2"

/// Starts an embedded cluster, runs `body` with a client for it, always shuts it down.
func withCluster(
    _ options: EmbeddedCluster.Options = .init(threads: 1),
    _ body: (KubernetesClient, EmbeddedCluster) async throws -> Void
) async throws {
    let cluster = try await EmbeddedCluster.start(options)
    do {
        let client = KubernetesClient(configuration: try Kubeconfig(yaml: cluster.kubeconfig).resolve())
        try await body(client, cluster)
    } catch {
        try? await cluster.shutdown()
        throw error
    }
    try await cluster.shutdown()
}

/// An object from YAML text.
func object(_ yaml: String) throws -> KubeObject { try KubeObject(Value(yaml: yaml)) }

/// The changes as `kind path` lines, for compact expectations.
func summary(_ diff: ObjectDiff) -> [String] { diff.changes.map { "\($0.kind.rawValue) \($0.path)" } }

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "gitops-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Applies the objects of `directory` as gitops-sync would (server-side apply as `swift-gitops`,
/// with application `app`'s tracking), CRDs first, hooks left out; returns what was applied.
@discardableResult
func applyAsSync(_ directory: String, app: String, client: KubernetesClient) async throws -> [KubeObject] {
    let objects = try await DirectoryRenderer().render(RenderInput(directory: directory))
        .filter { $0.annotation("argocd.argoproj.io/hook") == nil }
        .sorted { ($0.kind == "CustomResourceDefinition" ? 0 : 1) < ($1.kind == "CustomResourceDefinition" ? 0 : 1) }
    for object in objects {
        _ = try await client.apply(
            Tracking().marked(object, app: app),
            options: ApplyOptions(fieldManager: "swift-gitops", force: true)
        )
    }
    return objects
}
