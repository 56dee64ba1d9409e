import Manifests

/// One resource the embedded cluster serves: a group, version and plural name with its kind and scope.
struct Subresource: Sendable, Hashable {
    var name: String
    var group: String
    var version: String
    var kind: String
    var verbs: [String]
}

struct ResourceType: Sendable, Hashable {
    var group: String
    var version: String
    var resource: String
    var kind: String
    var singular: String
    var namespaced: Bool
    var verbs: [String]
    var shortNames: [String]
    var categories: [String]
    var subresourceDetails: [Subresource]
    var subresources: [String] { subresourceDetails.map(\.name) }
    /// For custom resources: the CRD's schema of this version (for list types in server-side apply).
    var schema: Value? = nil
    var isCustom = false

    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `configmaps` or `deployments.apps`: the key objects are stored under.
    var groupResource: String { group.isEmpty ? resource : "\(resource).\(group)" }
    var listKind: String { kind + "List" }
    var hasStatus: Bool { subresources.contains("status") }

    /// The storage version hash the real server advertises: base64 of the first 8 bytes of
    /// SHA-256 over "group/version/kind".
    var storageVersionHash: String {
        let digest = SHA256Digest.hash(Array("\(group)/\(version)/\(kind)".utf8))
        return Base64.encode(Array(digest.prefix(8)))
    }

    /// Whether writes bump `metadata.generation` on spec changes (types whose strategy sets it).
    var tracksGeneration: Bool {
        if isCustom { return true }
        switch group {
        case "apps", "batch", "networking.k8s.io", "policy", "apiextensions.k8s.io", "autoscaling": return true
        default: return false
        }
    }
}

/// Resource types served right now: the built-ins plus those of established CRDs.
struct Registry: Sendable {
    private(set) var all: [ResourceType] = ResourceType.builtins
    private var byPath: [String: Int] = [:]  // "group/version/resource"
    private var byKind: [String: Int] = [:]  // "group/version/Kind"

    init() { reindex() }

    private mutating func reindex() {
        byPath = [:]
        byKind = [:]
        for (i, t) in all.enumerated() {
            byPath["\(t.group)/\(t.version)/\(t.resource)"] = i
            byKind["\(t.group)/\(t.version)/\(t.kind)"] = i
        }
    }

    func type(group: String, version: String, resource: String) -> ResourceType? {
        byPath["\(group)/\(version)/\(resource)"].map { all[$0] }
    }

    func type(group: String, version: String, kind: String) -> ResourceType? {
        byKind["\(group)/\(version)/\(kind)"].map { all[$0] }
    }

    func type(groupResource: String) -> ResourceType? { all.first { $0.groupResource == groupResource } }

    func type(apiVersion: String, kind: String) -> ResourceType? {
        let gvk = GroupVersionKind(apiVersion: apiVersion, kind: kind)
        return type(group: gvk.group, version: gvk.version, kind: kind)
    }

    /// Groups in discovery order, each with its versions in order.
    var groups: [(name: String, versions: [String])] {
        var result: [(name: String, versions: [String])] = []
        for t in all where !t.group.isEmpty {
            if let i = result.firstIndex(where: { $0.name == t.group }) {
                if !result[i].versions.contains(t.version) { result[i].versions.append(t.version) }
            } else {
                result.append((t.group, [t.version]))
            }
        }
        return result
    }

    func types(group: String, version: String) -> [ResourceType] {
        all.filter { $0.group == group && $0.version == version }
    }

    mutating func replaceCustom(for crdName: String, with types: [ResourceType]) {
        all.removeAll { $0.isCustom && "\($0.resource).\($0.group)" == crdName }
        all.append(contentsOf: types)
        reindex()
    }
}
