import Manifests

/// How a list is compared and patched.
public enum ListType: Sendable, Hashable {
    /// The list is one value: two lists are the same when their elements are, in order.
    case atomic
    /// The elements are unique scalars and their order does not matter (`metadata.finalizers`).
    case set
    /// The elements are objects identified by the values of `keys` (containers by `name`, ports by
    /// `containerPort` and `protocol`); order does not matter, and each element is compared with the
    /// live element of the same keys.
    case map(keys: [String])
}

/// Tells the comparison how the lists of a kind behave, from its schema: OpenAPI v3
/// `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`, as the API server publishes them for
/// custom resources. KubeClient supplies one read from the cluster; ``CRDSchemaProvider`` and
/// ``OpenAPISchemaProvider`` read them from documents.
public protocol SchemaProvider: Sendable {
    /// The list type of the list at `path` (field names from the object's root, list positions
    /// left out: `["spec", "template", "spec", "containers"]`) in objects of `kind`; `nil` when
    /// the schema says nothing, and the built-in table (then atomic) decides.
    func listType(for kind: GroupVersionKind, at path: [String]) -> ListType?
}

/// A ``SchemaProvider`` made of a closure.
///
/// ```swift
/// let schema = SchemaProviderClosure { kind, path in
///     kind.kind == "Widget" && path == ["spec", "parts"] ? .map(keys: ["name"]) : nil
/// }
/// ```
public struct SchemaProviderClosure: SchemaProvider {
    private let body: @Sendable (GroupVersionKind, [String]) -> ListType?

    /// A provider that answers with `body`.
    public init(_ body: @escaping @Sendable (GroupVersionKind, [String]) -> ListType?) { self.body = body }

    /// Calls the closure.
    public func listType(for kind: GroupVersionKind, at path: [String]) -> ListType? { body(kind, path) }
}

/// List types read from OpenAPI v3 schemas: the `openAPIV3Schema` of CustomResourceDefinitions
/// (``init(crds:)``), or any structural schema for one kind (``init(kind:schema:)``).
public struct CRDSchemaProvider: SchemaProvider {
    /// List types by group and kind (the version is ignored, like ``ResourceKey``), then path.
    private var tables: [String: [[String]: ListType]] = [:]

    /// Reads the list types of every version of every CustomResourceDefinition in `crds`.
    ///
    /// - Throws: ``DiffError`` (`.invalidSchema`) when an object is not a CRD or has no
    ///   `spec.group` and `spec.names.kind`.
    public init(crds: [KubeObject]) throws {
        for crd in crds {
            guard crd.kind == "CustomResourceDefinition", let spec = crd["spec"],
                let group = spec["group"]?.stringValue, let kind = spec["names"]?["kind"]?.stringValue
            else {
                throw DiffError(.invalidSchema, "\(crd.key) is not a CustomResourceDefinition with spec.group and spec.names.kind")
            }
            var table = tables[group + "/" + kind] ?? [:]
            for version in spec["versions"]?.arrayValue ?? [] {
                if let schema = version["schema"]?["openAPIV3Schema"] {
                    SchemaWalker.collect(schema, path: [], into: &table, resolve: { _ in nil }, depth: 0)
                }
            }
            tables[group + "/" + kind] = table
        }
    }

    /// List types of one kind from its structural schema (the value of `openAPIV3Schema`).
    public init(kind: GroupVersionKind, schema: Value) {
        var table: [[String]: ListType] = [:]
        SchemaWalker.collect(schema, path: [], into: &table, resolve: { _ in nil }, depth: 0)
        tables[kind.group + "/" + kind.kind] = table
    }

    /// The list type the schema declares at `path`, if any.
    public func listType(for kind: GroupVersionKind, at path: [String]) -> ListType? {
        tables[kind.group + "/" + kind.kind]?[path]
    }
}

/// List types read from an OpenAPI v3 document as the API server serves it under
/// `/openapi/v3/apis/<group>/<version>`: every schema in `components.schemas` that carries
/// `x-kubernetes-group-version-kind` is walked, following `$ref` and `allOf`.
public struct OpenAPISchemaProvider: SchemaProvider {
    private var tables: [String: [[String]: ListType]] = [:]

    /// Reads `document`, an OpenAPI v3 document.
    ///
    /// - Throws: ``DiffError`` (`.invalidSchema`) when it has no `components.schemas` object.
    public init(document: Value) throws {
        guard let schemas = document["components"]?["schemas"]?.objectValue else {
            throw DiffError(.invalidSchema, "an OpenAPI v3 document needs a components.schemas object")
        }
        let resolve: (String) -> Value? = { ref in
            let prefix = "#/components/schemas/"
            guard ref.hasPrefix(prefix) else { return nil }
            return schemas[String(ref.dropFirst(prefix.count))]
        }
        for entry in schemas.entries {
            for gvk in entry.value["x-kubernetes-group-version-kind"]?.arrayValue ?? [] {
                guard let group = gvk["group"]?.stringValue, let kind = gvk["kind"]?.stringValue else { continue }
                var table = tables[group + "/" + kind] ?? [:]
                SchemaWalker.collect(entry.value, path: [], into: &table, resolve: resolve, depth: 0)
                tables[group + "/" + kind] = table
            }
        }
    }

    /// The list type the document declares at `path`, if any.
    public func listType(for kind: GroupVersionKind, at path: [String]) -> ListType? {
        tables[kind.group + "/" + kind.kind]?[path]
    }
}

enum SchemaWalker {
    /// Schemas nest deeply only through recursion (JSONSchemaProps); real objects stop far earlier.
    static let maxDepth = 24

    static func collect(
        _ schema: Value, path: [String], into table: inout [[String]: ListType], resolve: (String) -> Value?,
        depth: Int
    ) {
        guard depth < maxDepth else { return }
        var schema = schema
        // Follow $ref and single-element allOf wrappers (how the API server writes refs with defaults).
        var hops = 0
        while hops < 8 {
            if let ref = schema["$ref"]?.stringValue, let target = resolve(ref) {
                schema = merged(schema, target)
            } else if let all = schema["allOf"]?.arrayValue, let first = all.first, all.count == 1,
                let ref = first["$ref"]?.stringValue, let target = resolve(ref)
            {
                schema = merged(schema, target)
                schema["allOf"] = nil
            } else {
                break
            }
            hops += 1
        }
        if let listType = schema["x-kubernetes-list-type"]?.stringValue {
            switch listType {
            case "map":
                let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                table[path] = keys.isEmpty ? .atomic : .map(keys: keys)
            case "set": table[path] = .set
            default: table[path] = .atomic
            }
        } else if let mergeKey = schema["x-kubernetes-patch-merge-key"]?.stringValue,
            schema["x-kubernetes-patch-strategy"]?.stringValue?.contains("merge") == true, table[path] == nil
        {
            table[path] = .map(keys: [mergeKey])
        }
        if let properties = schema["properties"]?.objectValue {
            for entry in properties.entries {
                collect(entry.value, path: path + [entry.key], into: &table, resolve: resolve, depth: depth + 1)
            }
        }
        if let items = schema["items"] {
            collect(items, path: path, into: &table, resolve: resolve, depth: depth + 1)
        }
    }

    private static func merged(_ schema: Value, _ target: Value) -> Value {
        var out = target
        if case .object(let o) = schema {
            for e in o.entries where e.key != "$ref" && e.key != "allOf" { out[e.key] = e.value }
        }
        return out
    }
}

/// The list types of built-in kinds, from their strategic-merge `patchMergeKey`s and SSA
/// `listMapKeys` (k8s.io/api): decided by the list's field name and its parent's.
enum BuiltinLists {
    static func listType(kind: String, parentKey: String, key: String) -> ListType? {
        // Dispatched on the length first: each candidate costs one byte comparison.
        switch key.utf8.count {
        case 3: return KeyBytes.same(key, "env") ? name : nil
        case 5:
            guard KeyBytes.same(key, "ports") else { return nil }
            if KeyBytes.same(parentKey, "containers") || KeyBytes.same(parentKey, "initContainers")
                || KeyBytes.same(parentKey, "ephemeralContainers")
            {
                return containerPorts
            }
            if KeyBytes.same(parentKey, "spec") && kind == "Service" { return servicePorts }
            return nil
        case 7: return KeyBytes.same(key, "volumes") ? name : nil
        case 8: return KeyBytes.same(key, "webhooks") ? name : nil
        case 10:
            if KeyBytes.same(key, "containers") { return name }
            if KeyBytes.same(key, "conditions") { return byType }
            if KeyBytes.same(key, "finalizers") { return .set }
            return nil
        case 11: return KeyBytes.same(key, "hostAliases") ? byIP : nil
        case 12: return KeyBytes.same(key, "volumeMounts") ? byMountPath : nil
        case 13: return KeyBytes.same(key, "volumeDevices") ? byDevicePath : nil
        case 14: return KeyBytes.same(key, "initContainers") || KeyBytes.same(key, "resourceClaims") ? name : nil
        case 15:
            if KeyBytes.same(key, "ownerReferences") { return byUID }
            return KeyBytes.same(key, "schedulingGates") ? name : nil
        case 16: return KeyBytes.same(key, "imagePullSecrets") ? name : nil
        case 19: return KeyBytes.same(key, "ephemeralContainers") ? name : nil
        case 25:
            return KeyBytes.same(key, "topologySpreadConstraints") ? byTopology : nil
        default: return nil
        }
    }

    private static let name = ListType.map(keys: ["name"])
    private static let containerPorts = ListType.map(keys: ["containerPort", "protocol"])
    private static let servicePorts = ListType.map(keys: ["port", "protocol"])
    private static let byType = ListType.map(keys: ["type"])
    private static let byIP = ListType.map(keys: ["ip"])
    private static let byMountPath = ListType.map(keys: ["mountPath"])
    private static let byDevicePath = ListType.map(keys: ["devicePath"])
    private static let byUID = ListType.map(keys: ["uid"])
    private static let byTopology = ListType.map(keys: ["topologyKey", "whenUnsatisfiable"])

    /// The value the API server fills into a missing merge-key field, so that a desired port
    /// without `protocol` pairs with the live port whose protocol was defaulted to TCP.
    @inline(__always)
    static func keyDefault(_ key: String) -> Value? {
        KeyBytes.same(key, "protocol") ? "TCP" : nil
    }
}
