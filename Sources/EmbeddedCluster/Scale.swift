import Manifests

extension APIServer {
    /// The `autoscaling/v1` Scale view of a Deployment, ReplicaSet or StatefulSet.
    func scaleObject(_ o: ObjectValue, _ t: ResourceType) -> Value {
        var meta = ObjectValue()
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { meta[k] = o["metadata"]?[k] }
        let matchLabels = o["spec"]?["selector"]?["matchLabels"]?.objectValue ?? ObjectValue()
        let selector = matchLabels.entries.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",")
        var status: ObjectValue = ["replicas": o["status"]?["replicas"] ?? 0]
        if !selector.isEmpty { status["selector"] = .string(selector) }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(meta),
            "spec": ["replicas": o["spec"]?["replicas"] ?? 1], "status": .object(status),
        ]
    }

    /// GET, PUT and PATCH (merge, JSON, strategic) on `/scale`: they read and write `spec.replicas`.
    func scale(_ r: APIRequest, _ t: ResourceType, _ ns: String?, _ name: String) throws -> APIResponse {
        try state.withLock { s in
            guard let old = s.get(t, ns, name) else { throw APIError.notFound(t, name) }
            let current = scaleObject(old, t)
            let wanted: Value
            switch r.method {
            case "GET": return ok(current, r)
            case "PUT":
                do { wanted = try Value(json: r.body) } catch {
                    throw APIError.badRequest("error decoding body: \(error)")
                }
                if let rv = wanted["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty,
                    rv != old["metadata"]?["resourceVersion"]?.stringValue
                {
                    throw APIError.conflict(t, name)
                }
            case "PATCH":
                let ct = (r.header("content-type") ?? "").lowercased()
                guard let patch = try? Value(json: r.body) else { throw APIError.badRequest("error decoding patch") }
                if ct.contains("json-patch") {
                    guard let p = try? Patches.jsonPatch(current, patch) else {
                        throw APIError(
                            code: 422,
                            reason: "Invalid",
                            message: "the server rejected our request due to an error in our request",
                            details: [:]
                        )
                    }
                    wanted = p
                } else if ct.contains("merge-patch") {
                    wanted = Patches.mergePatch(current, patch)
                } else {
                    throw APIError(
                        code: 415,
                        reason: "UnsupportedMediaType",
                        message:
                            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json",
                        details: nil
                    )
                }
            default: throw APIError.methodNotAllowed()
            }
            guard let replicas = wanted["spec"]?["replicas"]?.intValue, replicas >= 0 else {
                throw APIError.invalid(
                    kind: "Scale",
                    group: "autoscaling",
                    name: name,
                    causes: [
                        ("spec.replicas", "FieldValueInvalid", "Invalid value: must be greater than or equal to 0")
                    ]
                )
            }
            var n = old
            n["spec"]?["replicas"] = .int(replicas)
            let response = try commitUpdate(
                &s,
                t,
                old: old,
                new: n,
                r,
                manager: r.fieldManager,
                subresource: "scale",
                managedFields: nil
            )
            guard case .full(_, _, let body) = response, let stored = try? Value(json: body).objectValue else {
                return response
            }
            return ok(scaleObject(stored, t), r)
        }
    }
}
