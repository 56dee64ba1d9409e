import Foundation
import Manifests

extension APIServer {
    struct DeleteOptions {
        var propagation: String = "Background"
        var orphanDependents: Bool? = nil
        var uid: String? = nil
        var resourceVersion: String? = nil
        var dryRun = false
    }

    func deleteOptions(_ r: APIRequest) -> DeleteOptions {
        var d = DeleteOptions()
        if !r.body.isEmpty, let body = try? Value(json: r.body) {
            if let p = body["propagationPolicy"]?.stringValue { d.propagation = p }
            d.orphanDependents = body["orphanDependents"]?.boolValue
            d.uid = body["preconditions"]?["uid"]?.stringValue
            d.resourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            if body["dryRun"]?.arrayValue?.contains("All") == true { d.dryRun = true }
        }
        if let p = r.query["propagationPolicy"] { d.propagation = p }
        if r.query["orphanDependents"] == "false" { d.orphanDependents = false }
        if r.query["orphanDependents"] == "true" { d.propagation = "Orphan" }
        if d.orphanDependents == true { d.propagation = "Orphan" }
        if r.dryRun { d.dryRun = true }
        return d
    }

    func delete(_ r: APIRequest, _ t: ResourceType, _ ns: String?, _ name: String) throws -> APIResponse {
        guard t.verbs.contains("delete") else { throw APIError.methodNotAllowed() }
        let options = deleteOptions(r)
        return try state.withLock { s in
            guard let old = s.get(t, ns, name) else { throw APIError.notFound(t, name) }
            if let uid = options.uid, uid != old["metadata"]?["uid"]?.stringValue {
                throw APIError(
                    code: 409,
                    reason: "Conflict",
                    message:
                        "Operation cannot be fulfilled on \(t.groupResource) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(old["metadata"]?["uid"]?.stringValue ?? "")",
                    details: APIError.details(t, name: name)
                )
            }
            if let rv = options.resourceVersion, rv != old["metadata"]?["resourceVersion"]?.stringValue {
                throw APIError(
                    code: 409,
                    reason: "Conflict",
                    message:
                        "Operation cannot be fulfilled on \(t.groupResource) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(old["metadata"]?["resourceVersion"]?.stringValue ?? "")",
                    details: APIError.details(t, name: name)
                )
            }
            let (code, body) = deleteLocked(&s, t, old, options)
            return ok(body, r, code: code)
        }
    }

    /// Deletes one object: at once, or by marking it with a deletionTimestamp when finalizers
    /// (or the namespace, CRD and foreground controllers) must finish first.
    func deleteLocked(
        _ s: inout ClusterState,
        _ t: ResourceType,
        _ old: ObjectValue,
        _ options: DeleteOptions
    ) -> (Int, Value) {
        let name = old["metadata"]?["name"]?.stringValue ?? ""
        if old["metadata"]?["deletionTimestamp"] != nil {
            return (options.orphanDependents == false ? 202 : 200, .object(old))
        }
        var finalizers = old["metadata"]?["finalizers"]?.arrayValue ?? []
        let isNamespace = t.group == "" && t.resource == "namespaces"
        let isCRD = t.kind == "CustomResourceDefinition"
        if options.propagation == "Foreground" && !finalizers.contains("foregroundDeletion") {
            finalizers.append("foregroundDeletion")
        }
        if options.propagation == "Orphan" && !options.dryRun { orphanDependents(&s, old) }
        if isCRD && !finalizers.contains("customresourcecleanup.apiextensions.k8s.io") {
            finalizers.append("customresourcecleanup.apiextensions.k8s.io")
        }
        if !finalizers.isEmpty || isNamespace {
            var o = old
            o["metadata"]?["deletionTimestamp"] = .string(Clock.now())
            o["metadata"]?["deletionGracePeriodSeconds"] = 0
            if !finalizers.isEmpty { o["metadata"]?["finalizers"] = .array(finalizers) }
            if isNamespace { o["status"]?["phase"] = "Terminating" }
            if isCRD {
                var conds = o["status"]?["conditions"]?.arrayValue ?? []
                conds.append([
                    "type": "Terminating", "status": "True", "lastTransitionTime": .string(Clock.now()),
                    "reason": "InstanceDeletionPending",
                    "message": "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
                ])
                o["status"]?["conditions"] = .array(conds)
            }
            o = Render.canonical(o, custom: t.isCustom)
            if options.dryRun { return (200, .object(o)) }
            o["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
            s.put(t, o, type: "MODIFIED", old: old)
            requestControllers(&s)
            return (
                options.orphanDependents == false && !old.isEmpty
                    && !(old["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty ? 202 : 200, .object(o)
            )
        }
        let status: Value = .object(
            {
                var d: ObjectValue = ["name": .string(name)]
                if !t.group.isEmpty { d["group"] = .string(t.group) }
                d["kind"] = .string(t.resource)
                d["uid"] = old["metadata"]?["uid"] ?? ""
                return [
                    "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(d),
                ]
            }()
        )
        if options.dryRun { return (200, status) }
        var gone = old
        gone["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
        s.put(t, gone, type: "DELETED", old: old)
        afterDelete(&s, t, gone)
        return (200, status)
    }

    func deleteCollection(_ r: APIRequest, _ t: ResourceType, _ ns: String?) throws -> APIResponse {
        guard t.verbs.contains("deletecollection") else { throw APIError.methodNotAllowed() }
        let labels = try LabelSelector(request: r.query["labelSelector"] ?? "")
        let fields = try FieldSelector(parsing: r.query["fieldSelector"] ?? "", kind: t.kind)
        let options = deleteOptions(r)
        return state.withLock { s in
            var deleted: [Value] = []
            let store = s.objects[t.groupResource] ?? [:]
            for k in s.sortedKeys(t.groupResource) {
                guard let o = store[k] else { continue }
                if let ns, o["metadata"]?["namespace"]?.stringValue != ns { continue }
                guard labels.matches(o["metadata"]?["labels"]?.objectValue), fields.matches(o) else { continue }
                _ = deleteLocked(&s, t, o, options)
                var item = o
                item["kind"] = nil
                item["apiVersion"] = nil
                deleted.append(.object(item))
            }
            return ok(
                [
                    "kind": .string(t.listKind), "apiVersion": .string(t.apiVersion),
                    "metadata": ["resourceVersion": .string(String(s.rv))], "items": .array(deleted),
                ],
                r
            )
        }
    }

    func orphanDependents(_ s: inout ClusterState, _ owner: ObjectValue) {
        guard let uid = owner["metadata"]?["uid"]?.stringValue else { return }
        for t in s.registry.all {
            for (_, o) in s.objects[t.groupResource] ?? [:] {
                guard case .array(let refs)? = o["metadata"]?["ownerReferences"],
                    refs.contains(where: { $0["uid"]?.stringValue == uid })
                else { continue }
                var n = o
                let left = refs.filter { $0["uid"]?.stringValue != uid }
                n["metadata"]?["ownerReferences"] = left.isEmpty ? nil : .array(left)
                n["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
                s.put(t, n, type: "MODIFIED", old: o)
            }
        }
    }

    // MARK: Hooks and controllers

    func afterWrite(_ s: inout ClusterState, _ t: ResourceType, _ o: ObjectValue) {
        if t.kind == "CustomResourceDefinition" && t.group == "apiextensions.k8s.io" {
            establish(&s, o)
        }
        if options.simulateWorkloads && !t.isCustom
            && ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].contains(t.kind)
        {
            let ns = o["metadata"]?["namespace"]?.stringValue
            let name = o["metadata"]?["name"]?.stringValue ?? ""
            let generation = o["metadata"]?["generation"]?.intValue ?? 0
            if o["status"]?["observedGeneration"]?.intValue != generation
                || t.kind == "Job" && o["status"]?["conditions"] == nil
            {
                schedule(options.simulationDelay) { [self] in self.simulate(t, ns, name) }
            }
        }
    }

    func afterDelete(_ s: inout ClusterState, _ t: ResourceType, _ o: ObjectValue) {
        if t.kind == "CustomResourceDefinition" && t.group == "apiextensions.k8s.io",
            let name = o["metadata"]?["name"]?.stringValue
        {
            for ct in s.registry.all where ct.isCustom && "\(ct.resource).\(ct.group)" == name {
                s.objects[ct.groupResource] = nil
                s.sorted[ct.groupResource] = nil
            }
            s.registry.replaceCustom(for: name, with: [])
        }
        requestControllers(&s)
    }

    /// Runs the controllers after `delay` seconds, unless a run is already due sooner.
    func requestControllers(_ s: inout ClusterState, delay: Double = 0.05) {
        let due = Date().timeIntervalSince1970 + delay
        if let pending = s.controllersDue, pending <= due { return }
        s.controllersDue = due
        schedule(delay) { [self] in self.runControllers() }
    }

    /// Garbage collection, foreground deletion, namespace and CRD cleanup: one pass over the state.
    func runControllers() {
        state.withLock { s in
            s.controllersDue = nil
            var again = false
            var waiting = false
            var uids = Set<String>()
            var dependents: [String: Int] = [:]
            for t in s.registry.all {
                for (_, o) in s.objects[t.groupResource] ?? [:] {
                    if let u = o["metadata"]?["uid"]?.stringValue { uids.insert(u) }
                    for ref in o["metadata"]?["ownerReferences"]?.arrayValue ?? [] {
                        if let u = ref["uid"]?.stringValue { dependents[u, default: 0] += 1 }
                    }
                }
            }
            for t in s.registry.all {
                let store = s.objects[t.groupResource] ?? [:]
                for (_, o) in store {
                    let meta = o["metadata"]
                    let refs = meta?["ownerReferences"]?.arrayValue ?? []
                    // Background garbage collection: all owners gone.
                    if !refs.isEmpty, meta?["deletionTimestamp"] == nil,
                        refs.allSatisfy({ !uids.contains($0["uid"]?.stringValue ?? "") })
                    {
                        _ = deleteLocked(&s, t, o, DeleteOptions())
                        again = true
                        continue
                    }
                    guard meta?["deletionTimestamp"] != nil else { continue }
                    let uid = meta?["uid"]?.stringValue ?? ""
                    var finalizers = meta?["finalizers"]?.arrayValue ?? []
                    let name = meta?["name"]?.stringValue ?? ""
                    if finalizers.contains("foregroundDeletion") {
                        if dependents[uid, default: 0] == 0 {
                            finalizers.removeAll { $0 == "foregroundDeletion" }
                            again = finalize(&s, t, o, finalizers) || again
                        } else {
                            for dt in s.registry.all {
                                for (_, d) in s.objects[dt.groupResource] ?? [:]
                                where (d["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains(where: {
                                    $0["uid"]?.stringValue == uid
                                }) {
                                    _ = deleteLocked(&s, dt, d, DeleteOptions(propagation: "Foreground"))
                                    again = true
                                }
                            }
                        }
                        continue
                    }
                    if t.group == "" && t.resource == "namespaces" {
                        var remaining = 0
                        var byResource: [(String, Int)] = []
                        var byFinalizer: [String: Int] = [:]
                        for ct in s.registry.all where ct.namespaced {
                            var count = 0
                            for (_, d) in s.objects[ct.groupResource] ?? [:]
                            where d["metadata"]?["namespace"]?.stringValue == name {
                                count += 1
                                if d["metadata"]?["deletionTimestamp"] == nil {
                                    _ = deleteLocked(&s, ct, d, DeleteOptions())
                                    again = true
                                }
                                for f in d["metadata"]?["finalizers"]?.arrayValue ?? [] {
                                    if let f = f.stringValue { byFinalizer[f, default: 0] += 1 }
                                }
                            }
                            remaining += count
                            if count > 0 { byResource.append(("\(ct.resource).\(ct.group)", count)) }
                        }
                        if remaining == 0 {
                            var gone = o
                            gone["spec"]?["finalizers"] = nil
                            gone["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
                            s.put(t, gone, type: "DELETED", old: o)
                        } else {
                            waiting = true
                            namespaceConditions(&s, t, o, byResource: byResource, byFinalizer: byFinalizer)
                        }
                        continue
                    }
                    if t.kind == "CustomResourceDefinition"
                        && finalizers.contains("customresourcecleanup.apiextensions.k8s.io")
                    {
                        var remaining = 0
                        for ct in s.registry.all where ct.isCustom && "\(ct.resource).\(ct.group)" == name {
                            for (_, d) in s.objects[ct.groupResource] ?? [:] {
                                remaining += 1
                                if d["metadata"]?["deletionTimestamp"] == nil {
                                    _ = deleteLocked(&s, ct, d, DeleteOptions())
                                }
                            }
                        }
                        if remaining == 0 {
                            finalizers.removeAll { $0 == "customresourcecleanup.apiextensions.k8s.io" }
                            _ = finalize(&s, t, o, finalizers)
                        } else {
                            waiting = true
                        }
                    }
                }
            }
            if again {
                requestControllers(&s)
            } else if waiting {
                requestControllers(&s, delay: 0.5)
            }
        }
    }

    /// The conditions the namespace controller writes while content remains (12-namespace-deletion).
    func namespaceConditions(
        _ s: inout ClusterState,
        _ t: ResourceType,
        _ ns: ObjectValue,
        byResource: [(String, Int)],
        byFinalizer: [String: Int]
    ) {
        let now = Clock.now()
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> Value {
            [
                "type": .string(type), "status": .string(status), "lastTransitionTime": .string(now),
                "reason": .string(reason), "message": .string(message),
            ]
        }
        var conditions: [Value] = [
            condition(
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered"
            ),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed"
            ),
            condition(
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization"
            ),
            condition(
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: "
                    + byResource.sorted { $0.0 < $1.0 }.map { "\($0.0) has \($0.1) resource instances" }.joined(
                        separator: ", "
                    )
            ),
        ]
        if !byFinalizer.isEmpty {
            conditions.append(
                condition(
                    "NamespaceFinalizersRemaining",
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: "
                        + byFinalizer.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value) resource instances" }
                        .joined(separator: ", ")
                )
            )
        }
        func withoutTimes(_ v: Value?) -> [Value] {
            (v?.arrayValue ?? []).map { c in
                var c = c
                c["lastTransitionTime"] = nil
                return c
            }
        }
        if withoutTimes(ns["status"]?["conditions"]) == withoutTimes(.array(conditions)) { return }
        // Keep the transition time of conditions that did not change.
        for i in conditions.indices {
            if let old = ns["status"]?["conditions"]?.arrayValue?.first(where: { $0["type"] == conditions[i]["type"] }),
                old["status"] == conditions[i]["status"]
            {
                conditions[i]["lastTransitionTime"] = old["lastTransitionTime"]
            }
        }
        var n = ns
        n["status"]?["conditions"] = .array(conditions)
        let r = APIRequest(
            method: "PUT",
            path: "",
            query: [:],
            headers: [("user-agent", "kube-controller-manager/v1.36.2")],
            body: []
        )
        _ = try? commitUpdate(
            &s,
            t,
            old: ns,
            new: n,
            r,
            manager: "kube-controller-manager",
            subresource: "status",
            managedFields: nil,
            dryRun: false
        )
    }

    /// Writes the remaining finalizers; deletes the object when none are left.
    private func finalize(_ s: inout ClusterState, _ t: ResourceType, _ o: ObjectValue, _ finalizers: [Value]) -> Bool {
        var n = o
        n["metadata"]?["finalizers"] = finalizers.isEmpty ? nil : .array(finalizers)
        n["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
        if finalizers.isEmpty {
            s.put(t, n, type: "DELETED", old: o)
            afterDelete(&s, t, n)
            return true
        }
        s.put(t, n, type: "MODIFIED", old: o)
        return false
    }

    /// Serves a CRD's versions and marks it NamesAccepted and Established.
    func establish(_ s: inout ClusterState, _ crd: ObjectValue) {
        guard crd["metadata"]?["deletionTimestamp"] == nil, let spec = crd["spec"],
            let group = spec["group"]?.stringValue,
            let names = spec["names"], let plural = names["plural"]?.stringValue, let kind = names["kind"]?.stringValue
        else { return }
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        var types: [ResourceType] = []
        var storedVersions: [Value] = []
        for v in spec["versions"]?.arrayValue ?? [] {
            guard let version = v["name"]?.stringValue, v["served"]?.boolValue ?? true else { continue }
            if v["storage"]?.boolValue == true { storedVersions.append(.string(version)) }
            var subs: [Subresource] = []
            if v["subresources"]?["scale"] != nil {
                subs.append(
                    Subresource(
                        name: "scale",
                        group: "autoscaling",
                        version: "v1",
                        kind: "Scale",
                        verbs: ["get", "patch", "update"]
                    )
                )
            }
            if v["subresources"]?["status"] != nil {
                subs.append(
                    Subresource(name: "status", group: "", version: "", kind: kind, verbs: ["get", "patch", "update"])
                )
            }
            var t = ResourceType(
                group: group,
                version: version,
                resource: plural,
                kind: kind,
                singular: names["singular"]?.stringValue ?? kind.lowercased(),
                namespaced: namespaced,
                verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                shortNames: names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                categories: names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                subresourceDetails: subs
            )
            t.schema = v["schema"]?["openAPIV3Schema"]
            t.isCustom = true
            types.append(t)
        }
        let crdName = crd["metadata"]?["name"]?.stringValue ?? ""
        s.registry.replaceCustom(for: crdName, with: types)
        guard crd["status"]?["conditions"]?.arrayValue?.contains(where: { $0["type"] == "Established" }) != true else {
            return
        }
        let now = Clock.now()
        var accepted: ObjectValue = [
            "plural": .string(plural), "singular": .string(names["singular"]?.stringValue ?? kind.lowercased()),
        ]
        if let sn = names["shortNames"] { accepted["shortNames"] = sn }
        accepted["kind"] = .string(kind)
        accepted["listKind"] = .string(names["listKind"]?.stringValue ?? kind + "List")
        if let c = names["categories"] { accepted["categories"] = c }
        let status: Value = [
            "conditions": [
                [
                    "type": "NamesAccepted", "status": "True", "lastTransitionTime": .string(now),
                    "reason": "NoConflicts", "message": "no conflicts found",
                ],
                [
                    "type": "Established", "status": "True", "lastTransitionTime": .string(now),
                    "reason": "InitialNamesAccepted", "message": "the initial names have been accepted",
                ],
            ],
            "acceptedNames": .object(accepted),
            "storedVersions": .array(storedVersions),
        ]
        guard
            let t = s.registry.type(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")
        else { return }
        var n = crd
        n["status"] = status
        let fields = updatedManagedFields(old: crd, new: n, t, manager: "kube-apiserver", subresource: "status")
        n["metadata"]?["managedFields"] = fields
        n["metadata"]?["resourceVersion"] = .string(String(s.nextRV()))
        s.put(t, Render.canonical(n, custom: false), type: "MODIFIED", old: crd)
    }
}
