import Diff
import KubeClient
import Manifests

/// Diff's server-side seam over a real cluster: a ``DryRunApplier`` that performs a server-side
/// apply with `dryRun=All` and `force=true` through any ``ClusterWriter`` (a
/// ``KubernetesClient``, or a ``ClosureClusterWriter`` in front of one). Nothing is stored.
///
/// ```swift
/// let client = KubernetesClient(configuration: try .load())
/// let differ = Differ(DiffOptions(fieldManager: "swift-gitops"))
/// let diff = try await differ.serverSideDiff(
///     desired: object, live: try? await client.get(object), applier: ClusterDryRunApplier(client))
/// ```
public struct ClusterDryRunApplier: DryRunApplier {
    /// Where the dry-run applies go.
    public let writer: any ClusterWriter

    /// An applier that sends dry-run applies to `writer`.
    public init(_ writer: any ClusterWriter) { self.writer = writer }

    /// The object the API server would store if `object` were applied by `fieldManager`: a
    /// `PATCH` with `application/apply-patch+yaml`, `fieldManager`, `force=true` and `dryRun=All`.
    ///
    /// - Throws: the writer's ``KubeError`` (a 422 `isInvalid` for an object the server rejects,
    ///   a discovery error for a kind it does not serve).
    public func dryRunApply(_ object: KubeObject, fieldManager: String) async throws -> KubeObject {
        try await writer.apply(object, options: ApplyOptions(fieldManager: fieldManager, force: true, dryRun: true))
    }
}
