/// An API group, version and kind, such as `apps/v1` `Deployment`; the core group is `""`.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    /// The API group: `""` for the core group (`v1`), `apps`, `example.com`.
    public var group: String
    /// The version: `v1`, `v1beta1`.
    public var version: String
    /// The kind: `Deployment`.
    public var kind: String

    /// A group, version and kind.
    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// Splits an `apiVersion` such as `apps/v1` (group `apps`) or `v1` (the core group).
    public init(apiVersion: String, kind: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            group = String(apiVersion[..<slash])
            version = String(apiVersion[apiVersion.index(after: slash)...])
        } else {
            group = ""
            version = apiVersion
        }
        self.kind = kind
    }

    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `apps/v1, Kind=Deployment`, the form Kubernetes uses in messages.
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

/// The identity that pairs a desired object with a live one: group, kind, namespace and name.
///
/// The version is left out on purpose: `apps/v1` and `apps/v1beta2` Deployments are the same
/// object. Its text form, `group/kind/namespace/name` (`apps/Deployment/default/web`,
/// `/Namespace//team-a` for a cluster-scoped core object), is stable and can be parsed back.
public struct ResourceKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The API group; `""` for the core group.
    public var group: String
    /// The kind.
    public var kind: String
    /// The namespace; `""` for cluster-scoped objects (or namespaced ones that leave it to a default).
    public var namespace: String
    /// The name.
    public var name: String

    /// A key from its four parts.
    public init(group: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// Parses the text form `group/kind/namespace/name`.
    ///
    /// - Throws: ``ManifestError`` when the text does not have four `/`-separated parts.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[1].isEmpty, !parts[3].isEmpty else {
            throw ManifestError(.invalidObject, "'\(text)' is not a resource key of the form group/kind/namespace/name")
        }
        self.init(group: String(parts[0]), kind: String(parts[1]), namespace: String(parts[2]), name: String(parts[3]))
    }

    /// `group/kind/namespace/name`.
    public var description: String { "\(group)/\(kind)/\(namespace)/\(name)" }

    /// Orders by group, kind, namespace, then name.
    public static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool {
        (lhs.group, lhs.kind, lhs.namespace, lhs.name) < (rhs.group, rhs.kind, rhs.namespace, rhs.name)
    }
}
