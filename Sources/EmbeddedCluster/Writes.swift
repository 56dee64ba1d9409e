import Foundation
import Manifests

extension APIServer {
    static let systemMetadata = [
        "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
        "managedFields", "selfLink",
    ]

    // MARK: Decoding

    func decode(_ r: APIRequest, _ t: ResourceType) throws -> ObjectValue {
        let ct = (r.header("content-type") ?? "application/json").lowercased()
        let value: Value
        do {
            if ct.contains("yaml") {
                value = try Value(yaml: String(decoding: r.body, as: UTF8.self))
            } else {
                value = try Value(json: r.body)
            }
        } catch {
            throw APIError.badRequest("couldn't get version/kind; json parse error: \(error)")
        }
        guard case .object(let o) = value else {
            throw APIError.badRequest(
                "couldn't get version/kind; json parse error: json: cannot unmarshal \(value.kindName) into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"
            )
        }
        return o
    }

    func checkTypeMeta(_ o: inout ObjectValue, _ t: ResourceType) throws {
        if o["kind"] == nil && o["apiVersion"] == nil {
            o["kind"] = .string(t.kind)
            o["apiVersion"] = .string(t.apiVersion)
        }
        guard let kind = o["kind"]?.stringValue, !kind.isEmpty else {
            throw APIError.badRequest("Object 'Kind' is missing in '\((try? Value.object(o).jsonString()) ?? "")'")
        }
        let apiVersion = o["apiVersion"]?.stringValue ?? ""
        if kind != t.kind || apiVersion != t.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(t.apiVersion))"
            )
        }
        if o["metadata"] == nil { o["metadata"] = [:] }
        guard case .object? = o["metadata"] else { throw APIError.badRequest("metadata must be an object") }
    }

    func setNamespace(_ o: inout ObjectValue, _ t: ResourceType, _ ns: String?) throws {
        guard t.namespaced, let ns else {
            if !t.namespaced { o["metadata"]?["namespace"] = nil }
            return
        }
        if let given = o["metadata"]?["namespace"]?.stringValue, !given.isEmpty, given != ns {
            throw APIError.badRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        }
        o["metadata"]?["namespace"] = .string(ns)
    }

    func stamp(_ o: inout ObjectValue, _ s: inout ClusterState, manager: String?, created: Bool) {
        o["metadata"]?["uid"] = .string(Names.uid())
        o["metadata"]?["creationTimestamp"] = .string(Clock.now())
        o["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
    }

    func shape(_ t: ResourceType) -> Shape { t.isCustom ? Shape(schema: t.schema) : .builtin }

    static let skeleton: Set<String> = [
        "metadata", "spec", "status", "spec.template", "spec.template.metadata", "spec.template.spec", "spec.strategy",
        "spec.updateStrategy", "spec.jobTemplate", "spec.jobTemplate.spec", "spec.jobTemplate.spec.template",
        "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata",
    ]

    /// The part of an object whose fields managers own: no type meta, no system metadata, and
    /// only the half (main or status) the request may change.
    func managedPart(_ o: ObjectValue, _ t: ResourceType, subresource: String?) -> ObjectValue {
        var v = o
        v["apiVersion"] = nil
        v["kind"] = nil
        if case .object(var m)? = v["metadata"] {
            for k in Self.systemMetadata + ["name", "namespace"] { m[k] = nil }
            v["metadata"] = m.isEmpty ? nil : .object(m)
        }
        if t.hasStatus {
            if subresource == "status" {
                var only = ObjectValue()
                if let st = v["status"] { only["status"] = st }
                return only
            }
            v["status"] = nil
        }
        return v
    }

    func managedEntry(
        _ manager: String,
        _ operation: String,
        _ t: ResourceType,
        _ set: FieldSet,
        subresource: String?
    ) -> Value {
        var e: ObjectValue = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(t.apiVersion),
            "time": .string(Clock.now()), "fieldsType": "FieldsV1", "fieldsV1": set.fieldsV1,
        ]
        if let subresource { e["subresource"] = .string(subresource) }
        return .object(e)
    }

    /// managedFields after an Update by `manager`: it gains what changed, the others lose it.
    func updatedManagedFields(
        old: ObjectValue?,
        new: ObjectValue,
        _ t: ResourceType,
        manager: String,
        subresource: String?
    ) -> Value {
        let shape = shape(t)
        let oldPart = old.map { managedPart($0, t, subresource: subresource) }
        let newPart = managedPart(new, t, subresource: subresource)
        var changed = FieldSet()
        for e in newPart.entries {
            let c = FieldSet.changed(
                from: oldPart?[e.key],
                to: e.value,
                shape: shape,
                path: [e.key],
                skeleton: t.isCustom ? ["metadata"] : Self.skeleton
            )
            if !c.isEmpty { changed.children["f:" + e.key] = c }
        }
        var entries = old?["metadata"]?["managedFields"]?.arrayValue ?? []
        let full = Value.object(new)
        var found = false
        for i in entries.indices {
            var set = FieldSet(fieldsV1: entries[i]["fieldsV1"] ?? [:])
            let isMine =
                entries[i]["manager"]?.stringValue == manager && entries[i]["operation"]?.stringValue == "Update"
                && entries[i]["subresource"]?.stringValue == subresource
            set.subtract(changed)
            if isMine {
                set.formUnion(changed)
                found = true
            }
            set = set.pruned(against: full, shape: shape)
            if isMine && !changed.isEmpty {
                entries[i] = managedEntry(manager, "Update", t, set, subresource: subresource)
            } else {
                entries[i]["fieldsV1"] = set.fieldsV1
                if set.isEmpty { entries[i] = .null }
            }
        }
        entries.removeAll { $0.isNull }
        if !found && !changed.isEmpty {
            entries.append(
                managedEntry(
                    manager,
                    "Update",
                    t,
                    changed.pruned(against: full, shape: shape),
                    subresource: subresource
                )
            )
        }
        return .array(entries)
    }

    func checkNamespace(_ s: ClusterState, _ t: ResourceType, _ ns: String?, name: String) throws {
        guard t.namespaced, let ns else { return }
        let nsType = s.registry.type(group: "", version: "v1", resource: "namespaces")!
        guard let n = s.get(nsType, nil, ns) else { throw APIError.namespaceNotFound(ns) }
        if n["metadata"]?["deletionTimestamp"] != nil {
            throw APIError(
                code: 403,
                reason: "Forbidden",
                message:
                    "\(t.groupResource) \"\(name)\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
                details: APIError.details(
                    t,
                    name: name,
                    causes: [
                        [
                            "reason": "NamespaceTerminating", "message": .string("namespace \(ns) is being terminated"),
                            "field": "metadata.namespace",
                        ]
                    ]
                )
            )
        }
    }

    /// A Service's cluster IP and node ports: kept from the stored object, else allocated.
    func assignServiceAddresses(_ o: inout ObjectValue, old: ObjectValue?, _ s: inout ClusterState) {
        guard case .object(var spec)? = o["spec"] else { return }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if type != "ExternalName" && spec["clusterIP"] == nil {
            if let ip = old?["spec"]?["clusterIP"] {
                spec["clusterIP"] = ip
                spec["clusterIPs"] = old?["spec"]?["clusterIPs"]
            } else {
                let n = s.nextServiceIP
                s.nextServiceIP += 1
                let ip = "10.96.\(n / 256).\(n % 256)"
                spec["clusterIP"] = .string(ip)
                spec["clusterIPs"] = [.string(ip)]
            }
        }
        if type == "NodePort" || type == "LoadBalancer", case .array(var ports)? = spec["ports"] {
            let oldPorts = old?["spec"]?["ports"]?.arrayValue ?? []
            for j in ports.indices {
                guard case .object(var p) = ports[j], p["nodePort"] == nil else { continue }
                if let kept = oldPorts.first(where: { $0["port"] == p["port"] })?["nodePort"] {
                    p["nodePort"] = kept
                } else {
                    p["nodePort"] = .int(s.nextNodePort)
                    s.nextNodePort += 1
                }
                ports[j] = .object(p)
            }
            spec["ports"] = .array(ports)
        }
        o["spec"] = .object(spec)
    }

    /// Unknown fields, by the request's `fieldValidation`: Strict is a 400, Warn (the default) one
    /// Warning header each, Ignore nothing; they are dropped from the object in every case.
    /// Custom resources use their CRD schema, core and apps kinds the real server's schemas;
    /// other built-in kinds are not checked.
    func fieldValidation(_ o: inout ObjectValue, _ t: ResourceType, _ r: APIRequest) throws -> [String] {
        let unknown: [String]
        if t.isCustom, let schema = t.schema {
            var copy = o
            unknown = StructuralSchema.unknownFields(&copy, schema: schema, remove: false)
        } else if let schema = BuiltinSchemaIndex.schema(for: t) {
            unknown = StructuralSchema.unknownFields(
                &o,
                schema: schema,
                remove: true,
                resolve: BuiltinSchemaIndex.resolve
            )
        } else {
            return []
        }
        guard !unknown.isEmpty else { return [] }
        switch r.query["fieldValidation"] {
        case "Ignore": return []
        case "Strict":
            throw APIError.badRequest(
                "\(t.kind) in version \"\(t.version)\" cannot be handled as a \(t.kind): strict decoding error: "
                    + unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
            )
        default: return unknown.map { "unknown field \"\($0)\"" }
        }
    }

    /// The real decoder refuses fields of the wrong JSON type; here: metadata, spec and status
    /// must be objects when present (everything else the server touches is read defensively).
    func checkShape(_ o: ObjectValue, _ t: ResourceType) throws {
        for field in ["metadata", "spec", "status"] {
            guard let v = o[field] else { continue }
            if case .object = v { continue }
            if v.isNull && field != "metadata" { continue }
            throw APIError.badRequest(
                "\(t.kind) in version \"\(t.version)\" cannot be handled as a \(t.kind): json: cannot unmarshal \(v.kindName) into Go struct field \(t.kind).\(field) of type object"
            )
        }
        for field in ["labels", "annotations"] {
            if let v = o["metadata"]?[field], !v.isNull, v.objectValue == nil {
                throw APIError.badRequest(
                    "\(t.kind) in version \"\(t.version)\" cannot be handled as a \(t.kind): json: cannot unmarshal \(v.kindName) into Go struct field ObjectMeta.metadata.\(field) of type map[string]string"
                )
            }
        }
    }

    // MARK: Create

    func create(_ r: APIRequest, _ t: ResourceType, _ ns: String?) throws -> APIResponse {
        guard t.verbs.contains("create") else { throw APIError.methodNotAllowed() }
        var o = try decode(r, t)
        try checkTypeMeta(&o, t)
        try setNamespace(&o, t, ns)
        return try state.withLock { s in
            try createLocked(&s, o, t, r, managedFields: nil)
        }
    }

    func createLocked(
        _ s: inout ClusterState,
        _ input: ObjectValue,
        _ t: ResourceType,
        _ r: APIRequest,
        managedFields: Value?,
        validated: [String]? = nil
    )
        throws -> APIResponse
    {
        try checkShape(input, t)
        var o = input
        if (o["metadata"]?["name"]?.stringValue ?? "").isEmpty, let g = o["metadata"]?["generateName"]?.stringValue,
            !g.isEmpty
        {
            o["metadata"]?["name"] = .string(g + Names.randomSuffix())
        }
        let name = o["metadata"]?["name"]?.stringValue ?? ""
        let ns = t.namespaced ? o["metadata"]?["namespace"]?.stringValue : nil
        if t.namespaced && (ns ?? "").isEmpty {
            throw APIError(
                code: 400,
                reason: "BadRequest",
                message: "the server could not find the requested resource",
                details: nil
            )
        }
        try checkNamespace(s, t, ns, name: name)
        for k in Self.systemMetadata { o["metadata"]?[k] = nil }
        if t.kind == "Service" && t.group == "" { assignServiceAddresses(&o, old: nil, &s) }
        let warnings = try validated ?? fieldValidation(&o, t, r)
        Admission.applyDefaults(&o, t)
        let causes = Admission.validate(o, t)
        if !causes.isEmpty { throw APIError.invalid(kind: t.kind, group: t.group, name: name, causes: causes) }
        if s.get(t, ns, name) != nil { throw APIError.alreadyExists(t, name) }
        if t.hasStatus && !["Pod", "Service", "PersistentVolumeClaim", "Namespace"].contains(t.kind) {
            if t.isCustom { o["status"] = nil } else { o["status"] = [:] }
        }
        if t.tracksGeneration { o["metadata"]?["generation"] = 1 }
        o["metadata"]?["uid"] = .string(Names.uid())
        o["metadata"]?["creationTimestamp"] = .string(Clock.now())
        let fields =
            managedFields ?? updatedManagedFields(old: nil, new: o, t, manager: r.fieldManager, subresource: nil)
        o["metadata"]?["managedFields"] = fields
        if o["metadata"]?["managedFields"] == .array([]) { o["metadata"]?["managedFields"] = nil }
        if r.dryRun {
            return ok(.object(Render.canonical(o, custom: t.isCustom)), r, code: 201, warnings: warnings)
        }
        o["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
        o = Render.canonical(o, custom: t.isCustom)
        s.put(t, o, type: "ADDED", old: nil)
        afterWrite(&s, t, o)
        return ok(.object(o), r, code: 201, warnings: warnings)
    }

    // MARK: Update

    func update(
        _ r: APIRequest,
        _ t: ResourceType,
        _ ns: String?,
        _ name: String,
        subresource: String?
    ) throws -> APIResponse {
        guard t.verbs.contains("update") else { throw APIError.methodNotAllowed() }
        var o = try decode(r, t)
        try checkTypeMeta(&o, t)
        try setNamespace(&o, t, ns)
        if let n = o["metadata"]?["name"]?.stringValue, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        o["metadata"]?["name"] = .string(name)
        return try state.withLock { s in
            guard let old = s.get(t, ns, name) else { throw APIError.notFound(t, name) }
            if let rv = o["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty,
                rv != old["metadata"]?["resourceVersion"]?.stringValue
            {
                throw APIError.conflict(t, name)
            }
            return try commitUpdate(
                &s,
                t,
                old: old,
                new: o,
                r,
                manager: r.fieldManager,
                subresource: subresource,
                managedFields: nil
            )
        }
    }

    /// Shared tail of update, patch and apply: keep system metadata, default, validate, bump
    /// generation, record managers, store (or not, for dry runs and no-ops).
    func commitUpdate(
        _ s: inout ClusterState,
        _ t: ResourceType,
        old: ObjectValue,
        new input: ObjectValue,
        _ r: APIRequest,
        manager: String,
        subresource: String?,
        managedFields: Value?,
        dryRun: Bool? = nil,
        validated: [String]? = nil
    ) throws -> APIResponse {
        try checkShape(input, t)
        var o = input
        var warnings: [String] = []
        let name = old["metadata"]?["name"]?.stringValue ?? ""
        if subresource == "status" {
            var merged = old
            merged["status"] = o["status"]
            o = merged
        } else {
            if t.hasStatus { o["status"] = old["status"] }
            for k in Self.systemMetadata { o["metadata"]?[k] = old["metadata"]?[k] }
            o["metadata"]?["name"] = old["metadata"]?["name"]
            o["metadata"]?["namespace"] = old["metadata"]?["namespace"]
            if t.kind == "Service" && t.group == "" { assignServiceAddresses(&o, old: old, &s) }
            warnings = try validated ?? fieldValidation(&o, t, r)
            Admission.applyDefaults(&o, t)
            let causes = Admission.validate(o, t) + Admission.validateUpdate(old: old, new: o, t)
            if !causes.isEmpty { throw APIError.invalid(kind: t.kind, group: t.group, name: name, causes: causes) }
            if t.tracksGeneration {
                var a = old
                var b = o
                a["metadata"] = nil
                b["metadata"] = nil
                a["status"] = nil
                b["status"] = nil
                if a != b { o["metadata"]?["generation"] = .int((old["metadata"]?["generation"]?.intValue ?? 0) + 1) }
            }
        }
        let fields =
            managedFields ?? updatedManagedFields(old: old, new: o, t, manager: manager, subresource: subresource)
        o["metadata"]?["managedFields"] = fields == .array([]) ? nil : fields
        o = Render.canonical(o, custom: t.isCustom)
        // A no-op write does not change the resourceVersion (the real server skips it too).
        var a = old
        var b = o
        a["metadata"]?["managedFields"] = nil
        b["metadata"]?["managedFields"] = nil
        let sameManagers = Self.sameManagers(old["metadata"]?["managedFields"], o["metadata"]?["managedFields"])
        if a == b && sameManagers { return ok(.object(old), r, warnings: warnings) }
        if dryRun ?? r.dryRun { return ok(.object(o), r, warnings: warnings) }
        // (Namespaces are held by spec.finalizers and removed by the namespace controller.)
        if o["metadata"]?["deletionTimestamp"] != nil, (o["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty,
            !(t.group.isEmpty && t.resource == "namespaces")
        {
            // The last finalizer went: the object is deleted instead of updated.
            var gone = o
            gone["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
            s.put(t, gone, type: "DELETED", old: old)
            afterDelete(&s, t, gone)
            return ok(.object(o), r)
        }
        o["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
        s.put(t, o, type: "MODIFIED", old: old)
        afterWrite(&s, t, o)
        return ok(.object(o), r, warnings: warnings)
    }

    static func sameManagers(_ a: Value?, _ b: Value?) -> Bool {
        func strip(_ v: Value?) -> [Value] {
            (v?.arrayValue ?? []).map { e in
                var e = e
                e["time"] = nil
                return e
            }
        }
        return strip(a) == strip(b)
    }

    // MARK: Patch

    func patch(
        _ r: APIRequest,
        _ t: ResourceType,
        _ ns: String?,
        _ name: String,
        subresource: String?
    ) throws -> APIResponse {
        guard t.verbs.contains("patch") else { throw APIError.methodNotAllowed() }
        let ct = (r.header("content-type") ?? "").lowercased().split(separator: ";").first.map(String.init) ?? ""
        let accepted =
            t.isCustom
            ? ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
            : [
                "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
                "application/apply-patch+yaml",
            ]
        guard accepted.contains(ct) else {
            throw APIError(
                code: 415,
                reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: \(accepted.joined(separator: ", "))",
                details: nil
            )
        }
        if ct == "application/apply-patch+yaml" { return try apply(r, t, ns, name, subresource: subresource) }
        let patch: Value
        do { patch = try Value(json: r.body) } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        return try state.withLock { s in
            guard let old = s.get(t, ns, name) else { throw APIError.notFound(t, name) }
            var patched: Value
            switch ct {
            case "application/merge-patch+json":
                guard case .object = patch else {
                    throw APIError.badRequest("error decoding patch: merge patch must be an object")
                }
                patched = Patches.mergePatch(.object(old), patch)
            case "application/strategic-merge-patch+json":
                guard case .object = patch else {
                    throw APIError.badRequest("error decoding patch: strategic merge patch must be an object")
                }
                patched = Patches.strategicMerge(.object(old), patch)
            default:
                do { patched = try Patches.jsonPatch(.object(old), patch) } catch {
                    throw APIError(
                        code: 422,
                        reason: "Invalid",
                        message: "the server rejected our request due to an error in our request",
                        details: [:]
                    )
                }
            }
            guard case .object(var o) = patched else { throw APIError.badRequest("patch produced a non-object") }
            if let rv = o["metadata"]?["resourceVersion"]?.stringValue,
                rv != old["metadata"]?["resourceVersion"]?.stringValue
            {
                throw APIError.conflict(t, name)
            }
            if o["kind"]?.stringValue != t.kind || o["apiVersion"]?.stringValue != t.apiVersion {
                throw APIError.badRequest(
                    "the API version in the data (\(o["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(t.apiVersion))"
                )
            }
            if o["metadata"]?["name"]?.stringValue != name {
                throw APIError.badRequest(
                    "the name of the object (\(o["metadata"]?["name"]?.stringValue ?? "")) does not match the name on the URL (\(name))"
                )
            }
            if case .array(let mf)? = patch["metadata"]?["managedFields"], mf.isEmpty {
                o["metadata"]?["managedFields"] = nil
            }
            return try commitUpdate(
                &s,
                t,
                old: old,
                new: o,
                r,
                manager: r.fieldManager,
                subresource: subresource,
                managedFields: nil
            )
        }
    }

    // MARK: Server-side apply

    /// An apply body: YAML, of which JSON is a subset. Clients mostly send JSON, which the JSON
    /// reader takes several times faster; what it refuses goes to the YAML reader, whose error
    /// is the one reported.
    static func applyConfiguration(_ body: [UInt8]) throws -> Value {
        if let first = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), first == UInt8(ascii: "{"),
            let value = try? Value(json: body)
        {
            return value
        }
        return try Value(yaml: String(decoding: body, as: UTF8.self))
    }

    func apply(
        _ r: APIRequest,
        _ t: ResourceType,
        _ ns: String?,
        _ name: String,
        subresource: String?
    ) throws -> APIResponse {
        guard let manager = r.query["fieldManager"], !manager.isEmpty else {
            throw APIError.badRequest("PATCH /\(t.groupResource)/\(name): fieldManager is required for apply requests")
        }
        let value: Value
        do { value = try Self.applyConfiguration(r.body) } catch {
            throw APIError.badRequest("error decoding YAML: \(error)")
        }
        guard case .object(var config) = value else {
            throw APIError.badRequest("error decoding YAML: the applied configuration is not an object")
        }
        try checkTypeMeta(&config, t)
        try setNamespace(&config, t, ns)
        if let n = config["metadata"]?["name"]?.stringValue, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        config["metadata"]?["name"] = .string(name)
        try checkShape(config, t)
        // Validated once, here: the merge below adds only what the stored object has, which was
        // validated when it was written. The warnings (unknown fields, when not strict) go back
        // with the answer.
        let warnings = try fieldValidation(&config, t, r)
        if t.isCustom, let schema = t.schema {
            var copy = config
            _ = StructuralSchema.unknownFields(&copy, schema: schema, remove: true)
            config = copy
        }
        let force = r.query["force"] == "true"
        let shape = shape(t)
        let appliedPart = managedPart(config, t, subresource: subresource)
        let appliedSet = FieldSet.of(appliedPart, shape: shape)
        return try state.withLock { s in
            let old = s.get(t, ns, name)
            var entries = old?["metadata"]?["managedFields"]?.arrayValue ?? []
            let live: Value = old.map { .object(managedPart($0, t, subresource: subresource)) } ?? .object([:])
            let applied: Value = .object(appliedPart)
            // Conflicts: fields another manager owns whose value this apply changes.
            var conflicts: [(manager: String, operation: String, apiVersion: String, path: [String])] = []
            for e in entries {
                let m = e["manager"]?.stringValue ?? ""
                let op = e["operation"]?.stringValue ?? ""
                if m == manager && op == "Apply" && e["subresource"]?.stringValue == subresource { continue }
                if m == manager { continue }
                let theirs = FieldSet(fieldsV1: e["fieldsV1"] ?? [:])
                for p in theirs.intersection(appliedSet).members() {
                    guard let lv = FieldSet.value(at: p, in: live) else { continue }
                    if let last = p.last, !last.hasPrefix("f:") { continue }
                    if lv == FieldSet.value(at: p, in: applied) { continue }
                    conflicts.append((m, op, e["apiVersion"]?.stringValue ?? t.apiVersion, p))
                }
            }
            if !conflicts.isEmpty && !force {
                func who(_ c: (manager: String, operation: String, apiVersion: String, path: [String])) -> String {
                    c.operation == "Apply"
                        ? "conflict with \"\(c.manager)\"" : "conflict with \"\(c.manager)\" using \(c.apiVersion)"
                }
                let message: String
                if conflicts.count == 1 {
                    message =
                        "Apply failed with 1 conflict: \(who(conflicts[0])): \(FieldSet.describe(conflicts[0].path))"
                } else {
                    var lines: [String] = []
                    for m in Array(Set(conflicts.map { who($0) })).sorted() {
                        lines.append(m.replacingOccurrences(of: "conflict with", with: "conflicts with") + ":")
                        for c in conflicts where who(c) == m { lines.append("- \(FieldSet.describe(c.path))") }
                    }
                    message = "Apply failed with \(conflicts.count) conflicts: \(lines.joined(separator: "\n"))"
                }
                throw APIError(
                    code: 409,
                    reason: "Conflict",
                    message: message,
                    details: [
                        "causes": .array(
                            conflicts.map {
                                [
                                    "reason": "FieldManagerConflict", "message": .string(who($0)),
                                    "field": .string(FieldSet.describe($0.path)),
                                ]
                            }
                        )
                    ]
                )
            }
            // Forced: the conflicting fields move to this manager.
            var previous = FieldSet()
            var others = FieldSet()
            for i in entries.indices {
                let m = entries[i]["manager"]?.stringValue ?? ""
                var set = FieldSet(fieldsV1: entries[i]["fieldsV1"] ?? [:])
                if m == manager && entries[i]["operation"]?.stringValue == "Apply"
                    && entries[i]["subresource"]?.stringValue == subresource
                {
                    previous = set
                    continue
                }
                for c in conflicts where c.manager == m {
                    var one = FieldSet()
                    one.insert(c.path)
                    set.subtract(one)
                }
                entries[i]["fieldsV1"] = set.fieldsV1
                if set.isEmpty { entries[i] = .null }
                others.formUnion(set)
            }
            entries.removeAll { $0.isNull }
            // Merge, then drop what this manager applied before, no longer applies, and nobody else owns.
            var base: ObjectValue =
                old ?? [
                    "apiVersion": .string(t.apiVersion), "kind": .string(t.kind), "metadata": config["metadata"] ?? [:],
                ]
            if old == nil { base["metadata"]?["managedFields"] = nil }
            var merged = Patches.applyMerge(.object(base), .object(appliedPart), shape: shape)
            var removed = previous
            removed.subtract(appliedSet)
            removed.subtract(others)
            removed.remove(from: &merged)
            guard case .object(var newObject) = merged else { throw APIError.badRequest("apply produced a non-object") }
            newObject["apiVersion"] = .string(t.apiVersion)
            newObject["kind"] = .string(t.kind)
            let mine = managedEntry(manager, "Apply", t, appliedSet, subresource: subresource)
            if let i = entries.firstIndex(where: {
                $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Apply"
                    && $0["subresource"]?.stringValue == subresource
            }) {
                if FieldSet(fieldsV1: entries[i]["fieldsV1"] ?? [:]) == appliedSet {
                    entries[i]["fieldsV1"] = appliedSet.fieldsV1
                } else {
                    entries[i] = mine
                }
            } else {
                entries.append(mine)
            }
            guard let old else {
                return try createLocked(&s, newObject, t, r, managedFields: .array(entries), validated: warnings)
            }
            return try commitUpdate(
                &s,
                t,
                old: old,
                new: newObject,
                r,
                manager: manager,
                subresource: subresource,
                managedFields: .array(entries),
                validated: warnings
            )
        }
    }
}

extension FieldSet {
    mutating func insert(_ path: [String]) {
        guard let first = path.first else {
            member = true
            return
        }
        var child = children[first] ?? FieldSet()
        child.insert(Array(path.dropFirst()))
        children[first] = child
    }
}
