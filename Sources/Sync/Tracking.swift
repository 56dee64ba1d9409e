import Manifests

/// Marks which application owns an object, so that only an application's own objects are ever
/// pruned.
///
/// The value has Argo CD's tracking-id form `<app>:<group>/<kind>:<namespace>/<name>`, so objects
/// applied by Argo CD (`argocd.argoproj.io/tracking-id`) are read the same way.
public struct Tracking: Sendable, Hashable {
    /// Argo CD's annotation key.
    public static let argoCDKey = "argocd.argoproj.io/tracking-id"

    /// The annotation key this SDK writes and reads (Argo CD's by default).
    public var key: String

    /// Tracking under `key`.
    public init(key: String = Tracking.argoCDKey) { self.key = key }

    /// The tracking value for `object` in application `app`.
    public func value(for object: KubeObject, app: String, defaultNamespace: String = "") -> String {
        let k = object.key
        let namespace = k.namespace.isEmpty ? defaultNamespace : k.namespace
        return "\(app):\(k.group)/\(k.kind):\(namespace)/\(k.name)"
    }

    /// `object` with the tracking annotation of application `app` set.
    public func marked(_ object: KubeObject, app: String, defaultNamespace: String = "") -> KubeObject {
        var object = object
        object.setAnnotation(key, to: value(for: object, app: app, defaultNamespace: defaultNamespace))
        return object
    }

    /// The application and resource an object's annotation names; `nil` when it has none.
    ///
    /// - Throws: ``SyncError`` (`invalidTracking`) when the annotation is malformed.
    public func owner(of object: KubeObject) throws -> (app: String, resource: ResourceKey)? {
        guard let text = object.annotation(key) else { return nil }
        // app:group/kind:namespace/name — the app name cannot hold ':', the rest is split from the right.
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { throw invalid(object, text) }
        let rest = parts[1]
        guard let lastColon = rest.lastIndex(of: ":") else { throw invalid(object, text) }
        let groupKind = rest[..<lastColon].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let namespaceName = rest[rest.index(after: lastColon)...].split(
            separator: "/",
            maxSplits: 1,
            omittingEmptySubsequences: false
        )
        guard groupKind.count == 2, namespaceName.count == 2, !groupKind[1].isEmpty, !namespaceName[1].isEmpty else {
            throw invalid(object, text)
        }
        return (
            String(parts[0]),
            ResourceKey(
                group: String(groupKind[0]),
                kind: String(groupKind[1]),
                namespace: String(namespaceName[0]),
                name: String(namespaceName[1])
            )
        )
    }

    /// Whether `object` carries the tracking of application `app` for itself (a copy of another
    /// object's annotation, as `kubectl get -o yaml | kubectl apply` makes, does not count).
    public func isTracked(_ object: KubeObject, by app: String) -> Bool {
        guard let owner = try? owner(of: object), owner.app == app else { return false }
        let k = object.key
        return owner.resource.group == k.group && owner.resource.kind == k.kind && owner.resource.name == k.name
            && (k.namespace.isEmpty || owner.resource.namespace == k.namespace)
    }

    private func invalid(_ object: KubeObject, _ text: String) -> SyncError {
        SyncError(
            .invalidTracking,
            object: object.key,
            message: "annotation \(key) is '\(text)'; expected app:group/kind:namespace/name"
        )
    }
}
