import Diff
import KubeClient
import Manifests

/// The list types of a cluster's kinds, for Diff: `x-kubernetes-list-type` and
/// `x-kubernetes-list-map-keys` (and strategic-merge keys) read from the API server's OpenAPI v3
/// documents (`/openapi/v3/apis/<group>/<version>`), plus the schemas of CustomResourceDefinitions
/// that are about to be applied, so a custom resource whose CRD is not installed yet still
/// compares its lists by key.
///
/// ``SchemaProvider`` answers synchronously, so the documents are fetched once, up front, for the
/// group-versions of the objects to compare:
///
/// ```swift
/// let client = KubernetesClient(configuration: try .load())
/// let schema = try await ClusterSchemaProvider.load(from: client, for: desired)
/// let differ = Differ(DiffOptions(schemaProvider: schema))
/// ```
public struct ClusterSchemaProvider: SchemaProvider {
    /// List types by API group: the desired CRDs first, then the cluster's documents.
    private var providers: [String: [any SchemaProvider]] = [:]
    /// The group-versions whose OpenAPI v3 document was read, such as `apps/v1` or `v1`.
    public private(set) var groupVersions: [String] = []

    /// Reads the OpenAPI v3 documents of the group-versions of `objects` from `client`, and the
    /// schemas of the CustomResourceDefinitions among `objects`.
    ///
    /// A group-version the cluster does not publish (a CRD not installed yet) is skipped.
    ///
    /// - Throws: ``KubeError`` when the cluster cannot be asked, ``DiffError`` (`.invalidSchema`)
    ///   for a malformed document or CRD.
    public static func load(
        from client: KubernetesClient,
        for objects: [KubeObject]
    ) async throws
        -> ClusterSchemaProvider
    {
        var seen = Set<String>()
        let groupVersions = objects.compactMap(\.apiVersion).filter { seen.insert($0).inserted }
        let crds = objects.filter {
            $0.kind == "CustomResourceDefinition" && $0.apiVersion?.hasPrefix("apiextensions.k8s.io/") == true
        }
        return try await load(groupVersions: groupVersions, crds: crds) { try await client.openAPIV3(groupVersion: $0) }
    }

    /// Reads one OpenAPI v3 document per group-version through `fetch` (``KubernetesClient``'s
    /// `openAPIV3(groupVersion:)`, or anything that serves the same documents), and the schemas of
    /// `crds`. A fetch that throws a not-found ``KubeError`` skips its group-version.
    ///
    /// - Throws: what `fetch` throws otherwise, ``DiffError`` (`.invalidSchema`) for a malformed
    ///   document or CRD.
    public static func load(
        groupVersions: [String],
        crds: [KubeObject] = [],
        fetch: (String) async throws -> Value
    ) async throws -> ClusterSchemaProvider {
        var result = ClusterSchemaProvider()
        if !crds.isEmpty {
            let fromCRDs = try CRDSchemaProvider(crds: crds)
            for crd in crds {
                if let group = crd["spec"]?["group"]?.stringValue {
                    result.providers[group, default: []].append(fromCRDs)
                }
            }
        }
        for groupVersion in groupVersions {
            let document: Value
            do {
                document = try await fetch(groupVersion)
            } catch let error as KubeError where error.isNotFound {
                continue
            }
            let group = groupVersion.contains("/") ? String(groupVersion.split(separator: "/")[0]) : ""
            result.providers[group, default: []].append(try OpenAPISchemaProvider(document: document))
            result.groupVersions.append(groupVersion)
        }
        return result
    }

    /// The list type the first schema of `kind`'s group declares at `path`, if any.
    public func listType(for kind: GroupVersionKind, at path: [String]) -> ListType? {
        for provider in providers[kind.group] ?? [] {
            if let type = provider.listType(for: kind, at: path) { return type }
        }
        return nil
    }
}
