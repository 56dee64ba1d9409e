import Manifests

/// Discovery documents: /version, /api, /apis (legacy and aggregated v2), resource lists.
enum Discovery {
    static let version: Value = [
        "major": "1", "minor": "36", "emulationMajor": "1", "emulationMinor": "36", "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "35", "gitVersion": "v1.36.2", "gitCommit": "98b35193b2ac7a23a673325f5e9b830ecd5ba406",
        "gitTreeState": "clean", "buildDate": "2026-11-26T17:45:28Z", "goVersion": "go1.27.3-X:nojsonv2",
        "compiler": "gc",
        "platform": "linux/amd64",
    ]

    static func apiVersions(_ host: String) -> Value {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(host)]],
        ]
    }

    static func groupVersion(_ g: String, _ v: String) -> Value {
        ["groupVersion": .string("\(g)/\(v)"), "version": .string(v)]
    }

    static func group(_ name: String, _ versions: [String]) -> Value {
        [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(name),
            "versions": .array(versions.map { groupVersion(name, $0) }),
            "preferredVersion": groupVersion(name, versions[0]),
        ]
    }

    static func groupList(_ registry: Registry) -> Value {
        let groups: [Value] = registry.groups.map { g in
            [
                "name": .string(g.name), "versions": .array(g.versions.map { groupVersion(g.name, $0) }),
                "preferredVersion": groupVersion(g.name, g.versions[0]),
            ]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func strings(_ a: [String]) -> Value { .array(a.map(Value.string)) }

    static func resourceList(_ registry: Registry, _ group: String, _ version: String) -> Value {
        var resources: [Value] = []
        for t in registry.types(group: group, version: version).sorted(by: { $0.resource < $1.resource }) {
            var o: ObjectValue = [
                "name": .string(t.resource), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                "kind": .string(t.kind), "verbs": strings(t.verbs),
            ]
            if !t.shortNames.isEmpty { o["shortNames"] = strings(t.shortNames) }
            if !t.categories.isEmpty { o["categories"] = strings(t.categories) }
            o["storageVersionHash"] = .string(t.storageVersionHash)
            resources.append(.object(o))
            for sub in t.subresourceDetails {
                var so: ObjectValue = [
                    "name": .string("\(t.resource)/\(sub.name)"), "singularName": "", "namespaced": .bool(t.namespaced),
                ]
                if !sub.group.isEmpty || !sub.version.isEmpty {
                    so["group"] = .string(sub.group)
                    so["version"] = .string(sub.version)
                }
                so["kind"] = .string(sub.kind)
                so["verbs"] = strings(sub.verbs)
                resources.append(.object(so))
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(resources),
        ]
    }

    static func aggregated(_ registry: Registry, core: Bool) -> Value {
        let groups: [(name: String, versions: [String])] = core ? [("", ["v1"])] : registry.groups
        var items: [Value] = []
        for g in groups {
            var versions: [Value] = []
            for v in g.versions {
                var resources: [Value] = []
                for t in registry.types(group: g.name, version: v) {
                    var o: ObjectValue = [
                        "resource": .string(t.resource),
                        "responseKind": ["group": "", "version": "", "kind": .string(t.kind)],
                        "scope": t.namespaced ? "Namespaced" : "Cluster", "singularResource": .string(t.singular),
                        "verbs": strings(t.verbs),
                    ]
                    if !t.shortNames.isEmpty { o["shortNames"] = strings(t.shortNames) }
                    if !t.categories.isEmpty { o["categories"] = strings(t.categories) }
                    if !t.subresources.isEmpty {
                        o["subresources"] = .array(
                            t.subresourceDetails.map { sub in
                                [
                                    "subresource": .string(sub.name),
                                    "responseKind": [
                                        "group": .string(sub.group), "version": .string(sub.version),
                                        "kind": .string(sub.kind),
                                    ],
                                    "verbs": strings(sub.verbs),
                                ]
                            }
                        )
                    }
                    resources.append(.object(o))
                }
                versions.append(["version": .string(v), "resources": .array(resources), "freshness": "Current"])
            }
            items.append(["metadata": core ? [:] : ["name": .string(g.name)], "versions": .array(versions)])
        }
        return [
            "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": [:],
            "items": .array(items),
        ]
    }
}
