/// Strategic merge patch, as the API server applies `application/strategic-merge-patch+json` and
/// Kustomize applies its patches to built-in kinds.
///
/// Lists that carry a `patchMergeKey` in k8s.io/api (containers, env and volumes by `name`, container
/// ports by `containerPort`, volume mounts by `mountPath`, ...) merge element by element; lists of
/// primitives with the `merge` strategy (`metadata.finalizers`) merge as sets; every other list is
/// replaced. Directives: `$patch: delete`, `$patch: replace` and `$patch: merge` on maps and list
/// elements, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
package enum StrategicMerge {
    /// How a list merges.
    package enum ListStrategy: Sendable, Hashable {
        /// Elements are objects matched by the value of `key`.
        case mergeByKey(String)
        /// Elements are primitives merged as a set (union, in order).
        case mergePrimitives
    }

    /// Decides how the list at a path (field names from the object's root, list positions left
    /// out) merges; `nil` replaces the list.
    package typealias ListStrategies = (_ path: [String]) -> ListStrategy?

    /// Where a merged list puts the elements the patch names.
    package enum ListOrder: Sendable {
        /// The target's order, new elements appended (the API server).
        case targetFirst
        /// The patch's elements first, in the patch's order, then the target's others (kustomize's
        /// kyaml merge with `MergeOptionsListPrepend`).
        case patchFirst
    }

    /// Merges `patch` into `target`.
    ///
    /// - Parameters:
    ///   - lists: the merge strategy of each list; ``builtinLists(group:kind:)`` for the built-in kinds.
    ///   - order: where merged lists put the patch's elements.
    /// - Returns: the merged value; `nil` when the patch deletes the whole value (`$patch: delete`).
    package static func apply(
        _ patch: Value,
        to target: Value,
        order: ListOrder = .targetFirst,
        lists: @escaping ListStrategies
    ) -> Value? {
        Merger(lists: lists, order: order).merge(target, patch, path: [])
    }

    private struct Merger {
        let lists: ListStrategies
        let order: ListOrder

        func merge(_ target: Value, _ patch: Value, path: [String]) -> Value? {
            guard case .object(let p) = patch else { return patch }
            switch p["$patch"]?.stringValue {
            case "delete": return nil
            case "replace":
                var o = p
                o["$patch"] = nil
                return .object(StrategicMerge.stripDirectives(o))
            default: break
            }
            var result = target.objectValue ?? ObjectValue()
            if let retain = p["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
                for k in result.keys where !retain.contains(k) && p[k] == nil { result[k] = nil }
            }
            var orders: [(String, [Value])] = []
            for e in p.entries {
                if e.key == "$patch" || e.key == "$retainKeys" { continue }
                if e.key.hasPrefix("$setElementOrder/") {
                    orders.append((String(e.key.dropFirst("$setElementOrder/".count)), e.value.arrayValue ?? []))
                    continue
                }
                if e.key.hasPrefix("$deleteFromPrimitiveList/") {
                    let field = String(e.key.dropFirst("$deleteFromPrimitiveList/".count))
                    if case .array(let items)? = result[field], let remove = e.value.arrayValue {
                        result[field] = .array(items.filter { !remove.contains($0) })
                    }
                    continue
                }
                let childPath = path + [e.key]
                switch e.value {
                case .null:
                    result[e.key] = nil
                case .object:
                    result[e.key] = merge(result[e.key] ?? .null, e.value, path: childPath)
                case .array(let items):
                    let current = result[e.key]?.arrayValue ?? []
                    result[e.key] = .array(mergeList(current, items, path: childPath))
                default:
                    result[e.key] = e.value
                }
            }
            for (field, order) in orders {
                guard case .array(let items)? = result[field] else { continue }
                result[field] = .array(StrategicMerge.reorder(items, by: order, strategy: lists(path + [field])))
            }
            return .object(result)
        }

        func mergeList(_ target: [Value], _ patch: [Value], path: [String]) -> [Value] {
            switch lists(path) {
            case nil:
                return patch.map { item in
                    if case .object(let o) = item { return .object(StrategicMerge.stripDirectives(o)) }
                    return item
                }
            case .mergePrimitives?:
                if order == .patchFirst {
                    var out: [Value] = []
                    for v in patch + target where !out.contains(v) { out.append(v) }
                    return out
                }
                var out = target
                for v in patch where !out.contains(v) { out.append(v) }
                return out
            case .mergeByKey(let key)?:
                if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
                    return patch.filter { $0["$patch"] == nil }.map { merge(.null, $0, path: path) ?? $0 }
                }
                if order == .patchFirst {
                    var remaining = target
                    var front: [Value] = []
                    for item in patch {
                        guard case .object = item, let k = item[key] else {
                            if item["$patch"] == nil { front.append(item) }
                            continue
                        }
                        let existing = remaining.firstIndex { $0[key] == k }
                        let base = existing.map { remaining[$0] } ?? .null
                        if let existing { remaining.remove(at: existing) }
                        if item["$patch"]?.stringValue == "delete" {
                            remaining.removeAll { $0[key] == k }
                            continue
                        }
                        if let merged = merge(base, item, path: path) { front.append(merged) }
                    }
                    return front + remaining
                }
                var out = target
                for item in patch {
                    guard case .object = item, let k = item[key] else {
                        if item["$patch"] == nil { out.append(item) }
                        continue
                    }
                    let i = out.firstIndex { $0[key] == k }
                    if item["$patch"]?.stringValue == "delete" {
                        out.removeAll { $0[key] == k }
                    } else if let i {
                        if let merged = merge(out[i], item, path: path) { out[i] = merged }
                    } else if let merged = merge(.null, item, path: path) {
                        out.append(merged)
                    }
                }
                return out
            }
        }

    }

    /// Orders `items` as `order` lists them (by merge key or value); items it does not list keep
    /// their relative order after the listed ones.
    static func reorder(_ items: [Value], by order: [Value], strategy: ListStrategy?) -> [Value] {
        func identity(_ v: Value) -> Value {
            if case .mergeByKey(let key)? = strategy { return v[key] ?? v }
            return v
        }
        let wanted = order.map(identity)
        var listed: [Value] = []
        var rest: [Value] = []
        for w in wanted { listed += items.filter { identity($0) == w } }
        for item in items where !wanted.contains(identity(item)) { rest.append(item) }
        return listed + rest
    }

    /// Removes patch directives from a value that is taken as it is.
    static func stripDirectives(_ o: ObjectValue) -> ObjectValue {
        var out = ObjectValue(minimumCapacity: o.count)
        for e in o.entries where !e.key.hasPrefix("$") {
            switch e.value {
            case .object(let child): out[e.key] = .object(stripDirectives(child))
            default: out[e.key] = e.value
            }
        }
        return out
    }

    /// The API groups of Kubernetes' built-in kinds, whose lists follow the `patchMergeKey` table.
    package static let builtinGroups: Set<String> = [
        "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
        "storage.k8s.io", "scheduling.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
        "apiregistration.k8s.io", "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
        "events.k8s.io", "node.k8s.io", "extensions", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
    ]

    /// The list strategies of built-in kinds (`patchMergeKey` and `patchStrategy` of k8s.io/api),
    /// decided by the list's field name and its parent's; other groups replace every list.
    package static func builtinLists(group: String, kind: String) -> ListStrategies {
        guard builtinGroups.contains(group) else { return { _ in nil } }
        return { path in builtinListStrategy(kind: kind, path: path) }
    }

    /// The strategy of one list of a built-in kind.
    package static func builtinListStrategy(kind: String, path: [String]) -> ListStrategy? {
        guard let last = path.last else { return nil }
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        switch last {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets",
            "resourceClaims", "schedulingGates":
            return .mergeByKey("name")
        case "webhooks" where kind.hasSuffix("WebhookConfiguration"): return .mergeByKey("name")
        case "secrets" where kind == "ServiceAccount": return .mergeByKey("name")
        case "volumeMounts": return .mergeByKey("mountPath")
        case "volumeDevices": return .mergeByKey("devicePath")
        case "hostAliases": return .mergeByKey("ip")
        case "conditions": return .mergeByKey("type")
        case "ownerReferences": return .mergeByKey("uid")
        case "topologySpreadConstraints": return .mergeByKey("topologyKey")
        case "finalizers" where parent == "metadata": return .mergePrimitives
        case "ports":
            switch parent {
            case "containers", "initContainers", "ephemeralContainers": return .mergeByKey("containerPort")
            case "spec" where kind == "Service" && path.count == 2: return .mergeByKey("port")
            default: return nil
            }
        default: return nil
        }
    }
}
