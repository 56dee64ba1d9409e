import Manifests

/// A small OpenAPI v3 surface: the index and, per group-version, the paths with their query
/// parameters (kubectl checks `fieldValidation` there) and one schema per kind carrying
/// `x-kubernetes-group-version-kind`: the real server's schemas (without descriptions) for the
/// core and apps kinds, the CRD schema for custom resources, a bare object for the rest.
enum OpenAPI {
    static func gvPath(_ group: String, _ version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    static func serve(_ parts: [String], _ r: APIRequest, registry: Registry) throws -> APIResponse {
        if parts.count == 2 && parts[1] == "v2" {
            // An empty protobuf document (kubectl asks for protobuf): a valid OpenAPI v2 with no
            // definitions, so client-side validation finds nothing to check instead of failing.
            return .full(
                status: 200,
                headers: [("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")],
                body: []
            )
        }
        guard parts.count >= 2, parts[1] == "v3" else { throw APIError.pageNotFound() }
        var gvs: [(String, String)] = [("", "v1")]
        for g in registry.groups { for v in g.versions { gvs.append((g.name, v)) } }
        if parts.count == 2 {
            var paths = ObjectValue()
            for (g, v) in gvs {
                let doc = document(registry, g, v)
                let hash = SHA256Digest.hex(SHA256Digest.hash(Render.json(doc, pretty: false)))
                paths[gvPath(g, v)] = ["serverRelativeURL": .string("/openapi/v3/\(gvPath(g, v))?hash=\(hash)")]
            }
            return .full(
                status: 200,
                headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Render.json(["paths": .object(paths)], pretty: false)
            )
        }
        let rest = parts[2...].joined(separator: "/")
        guard let (g, v) = gvs.first(where: { gvPath($0.0, $0.1) == rest }) else { throw APIError.pageNotFound() }
        let body = Render.json(document(registry, g, v), pretty: false)
        let hash = SHA256Digest.hex(SHA256Digest.hash(body))
        let cache = r.query["hash"] != nil ? "public, immutable" : "no-cache, private"
        return .full(
            status: 200,
            headers: [
                ("Cache-Control", cache), ("Content-Type", "application/json"), ("Etag", "\"\(hash)\""),
                ("Vary", "Accept"),
            ],
            body: body
        )
    }

    static func schemaName(_ t: ResourceType) -> String {
        let g = t.group.isEmpty ? "core" : t.group
        if t.isCustom {
            return "\(t.group.split(separator: ".").reversed().joined(separator: ".")).\(t.version).\(t.kind)"
        }
        return "io.k8s.api.\(g.split(separator: ".").first ?? "").\(t.version).\(t.kind)"
    }

    static func document(_ registry: Registry, _ group: String, _ version: String) -> Value {
        var paths = ObjectValue()
        var schemas = ObjectValue()
        let queryParams: [Value] = ["dryRun", "fieldManager", "fieldValidation", "force", "pretty"].map {
            [
                "name": .string($0), "in": "query",
                "schema": ["type": .string($0 == "force" ? "boolean" : "string"), "uniqueItems": true],
            ]
        }
        for t in registry.types(group: group, version: version) {
            let name = schemaName(t)
            var schema: ObjectValue =
                t.schema?.objectValue ?? BuiltinSchemaIndex.schema(for: t)?.objectValue ?? ["type": "object"]
            schema["x-kubernetes-group-version-kind"] = [
                ["group": .string(t.group), "kind": .string(t.kind), "version": .string(t.version)]
            ]
            schemas[name] = .object(schema)
            let base = "/" + gvPath(group, version) + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.resource
            let ref: Value = ["$ref": .string("#/components/schemas/\(name)")]
            let response: Value = ["200": ["description": "OK", "content": ["application/json": ["schema": ref]]]]
            let op: Value = [
                "parameters": .array(queryParams), "responses": response,
                "x-kubernetes-group-version-kind": [
                    "group": .string(t.group), "kind": .string(t.kind), "version": .string(t.version),
                ],
            ]
            paths[base] = ["get": op, "post": op]
            paths[base + "/{name}"] = ["get": op, "put": op, "patch": op, "delete": op]
        }
        if group.isEmpty || group == "apps" {
            // The referenced component schemas of the real server's core and apps documents.
            for e in BuiltinSchemaIndex.schemas.entries where schemas[e.key] == nil { schemas[e.key] = e.value }
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.36.2"], "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
    }
}
