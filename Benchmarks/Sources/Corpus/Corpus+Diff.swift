import Manifests

extension Corpus {
    /// One desired object and the live object a cluster would hold for it.
    public struct DiffPair {
        /// As rendered from Git.
        public var desired: Value
        /// As read back: server defaults, server metadata, `managedFields` (ours and the
        /// controller's) and `status`; a separate tree (no storage shared with `desired`).
        public var live: Value
        /// Whether live was made to drift (an image, a replica count or a data value changed).
        public var drifted: Bool
    }

    /// `count` desired/live pairs over the corpus kinds, `driftPercent` of them drifted, the same on
    /// every run. The field manager of the desired fields is `fieldManager`.
    public static func diffPairs(count: Int = 10_000, driftPercent: Int = 5, fieldManager: String = "gitops", seed: UInt64 = 7)
        -> [DiffPair]
    {
        var random = Random(state: seed)
        var pairs: [DiffPair] = []
        pairs.reserveCapacity(count)
        var n = 0
        while pairs.count < count {
            let desired: Value
            switch n % 5 {
            case 0, 1: desired = deployment(n, &random)
            case 2: desired = service(n, &random)
            case 3: desired = configMap(n, &random)
            default: desired = n % 10 == 4 ? ingress(n, &random) : widget(n, &random)
            }
            let drifted = n % 100 < driftPercent
            var live = serverView(desired, n: n, fieldManager: fieldManager)
            if drifted { drift(&live) }
            // A separate tree, as if read from the wire.
            let wire = (try? live.jsonBytes()) ?? []
            live = (try? Value(json: wire)) ?? live
            pairs.append(DiffPair(desired: desired, live: live, drifted: drifted))
            n += 1
        }
        return pairs
    }

    /// What the API server stores for `desired`.
    static func serverView(_ desired: Value, n: Int, fieldManager: String) -> Value {
        var live = desired
        let kind = desired["kind"]?.stringValue ?? ""
        var metadata = live["metadata"]?.objectValue ?? ObjectValue()
        metadata["uid"] = .string("6f1c2a3b-0000-4000-8000-\(String(100_000_000_000 + n))")
        metadata["resourceVersion"] = .string(String(1000 + n))
        metadata["generation"] = 1
        metadata["creationTimestamp"] = "2026-11-26T19:08:49Z"
        var managed: [Value] = [
            [
                "manager": .string(fieldManager), "operation": "Apply", "apiVersion": desired["apiVersion"] ?? "v1",
                "time": "2026-11-26T19:08:49Z", "fieldsType": "FieldsV1", "fieldsV1": fieldsV1(desired, parentKey: ""),
            ]
        ]
        switch kind {
        case "Deployment":
            if case .object(var spec) = live["spec"] ?? .null {
                spec["revisionHistoryLimit"] = 10
                spec["progressDeadlineSeconds"] = 600
                if case .object(var template) = spec["template"] ?? .null,
                    case .object(var podSpec) = template["spec"] ?? .null
                {
                    podSpec["restartPolicy"] = "Always"
                    podSpec["dnsPolicy"] = "ClusterFirst"
                    podSpec["securityContext"] = [:]
                    podSpec["schedulerName"] = "default-scheduler"
                    if case .array(var containers) = podSpec["containers"] ?? .null {
                        for i in containers.indices { defaultContainer(&containers[i]) }
                        podSpec["containers"] = .array(containers)
                    }
                    if case .array(var volumes) = podSpec["volumes"] ?? .null {
                        for i in volumes.indices where volumes[i]["configMap"] != nil {
                            volumes[i]["configMap"]?["defaultMode"] = 420
                        }
                        podSpec["volumes"] = .array(volumes)
                    }
                    template["spec"] = .object(podSpec)
                    spec["template"] = .object(template)
                }
                live["spec"] = .object(spec)
            }
            live["status"] = [
                "observedGeneration": 1, "replicas": live["spec"]?["replicas"] ?? 1, "updatedReplicas": 1,
                "readyReplicas": 1, "availableReplicas": 1,
                "conditions": [
                    [
                        "type": "Available", "status": "True", "lastUpdateTime": "2026-11-26T19:08:49Z",
                        "lastTransitionTime": "2026-11-26T19:08:49Z", "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability.",
                    ],
                    [
                        "type": "Progressing", "status": "True", "lastUpdateTime": "2026-11-26T19:08:56Z",
                        "lastTransitionTime": "2026-11-26T19:08:49Z", "reason": "NewReplicaSetAvailable",
                        "message": "ReplicaSet has successfully progressed.",
                    ],
                ],
            ]
            managed.append([
                "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                "time": "2026-11-26T19:08:56Z", "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": [
                    "f:status": [
                        "f:observedGeneration": [:], "f:replicas": [:], "f:updatedReplicas": [:], "f:readyReplicas": [:],
                        "f:availableReplicas": [:], "f:conditions": [".": [:], #"k:{"type":"Available"}"#: [".": [:]]],
                    ]
                ],
            ])
        case "Service":
            if case .object(var spec) = live["spec"] ?? .null {
                spec["clusterIP"] = .string("10.96.\(n % 250).\(n % 200 + 1)")
                spec["clusterIPs"] = [.string("10.96.\(n % 250).\(n % 200 + 1)")]
                spec["sessionAffinity"] = "None"
                spec["ipFamilies"] = ["IPv4"]
                spec["ipFamilyPolicy"] = "SingleStack"
                spec["internalTrafficPolicy"] = "Cluster"
                live["spec"] = .object(spec)
            }
            live["status"] = ["loadBalancer": [:]]
        case "Widget":
            live["status"] = ["ready": true]
        case "Ingress":
            live["status"] = ["loadBalancer": [:]]
        default:
            break
        }
        metadata["managedFields"] = .array(managed)
        live["metadata"] = .object(metadata)
        return live
    }

    static func defaultContainer(_ c: inout Value) {
        c["terminationMessagePath"] = "/dev/termination-log"
        c["terminationMessagePolicy"] = "File"
        c["imagePullPolicy"] = "IfNotPresent"
        for probe in ["livenessProbe", "readinessProbe"] where c[probe] != nil {
            c[probe]?["timeoutSeconds"] = 1
            if c[probe]?["periodSeconds"] == nil { c[probe]?["periodSeconds"] = 10 }
            c[probe]?["successThreshold"] = 1
            if c[probe]?["failureThreshold"] == nil { c[probe]?["failureThreshold"] = 3 }
            c[probe]?["httpGet"]?["scheme"] = "HTTP"
        }
        if case .array(var env) = c["env"] ?? .null {
            for i in env.indices where env[i]["valueFrom"]?["fieldRef"] != nil {
                env[i]["valueFrom"]?["fieldRef"]?["apiVersion"] = "v1"
            }
            c["env"] = .array(env)
        }
    }

    /// Changes one thing the desired object sets.
    static func drift(_ live: inout Value) {
        switch live["kind"]?.stringValue ?? "" {
        case "Deployment":
            live["spec"]?["replicas"] = 17
        case "ConfigMap":
            live["data"]?["LOG_LEVEL"] = "debug"
        case "Service":
            live["spec"]?["selector"] = ["app.kubernetes.io/name": "elsewhere"]
        case "Ingress":
            live["spec"]?["ingressClassName"] = "other"
        default:
            live["spec"]?["size"] = 999
        }
    }

    /// The `fieldsV1` an apply of `value` gives its manager (map lists keyed as the API server
    /// keys them).
    static func fieldsV1(_ value: Value, parentKey: String) -> Value {
        guard case .object(let o) = value else { return [:] }
        var out = ObjectValue()
        for e in o.entries {
            if parentKey == "" && (e.key == "apiVersion" || e.key == "kind") { continue }
            if parentKey == "metadata" && (e.key == "name" || e.key == "namespace") { continue }
            switch e.value {
            case .object(let child) where !child.isEmpty:
                out["f:" + e.key] = fieldsV1(e.value, parentKey: e.key)
            case .array(let items):
                let keys: [String]?
                switch e.key {
                case "containers", "env", "volumes": keys = ["name"]
                case "ports" where parentKey == "": keys = nil
                case "ports": keys = items.first?["containerPort"] != nil ? ["containerPort", "protocol"] : ["port", "protocol"]
                case "volumeMounts": keys = ["mountPath"]
                default: keys = nil
                }
                guard let keys else {
                    out["f:" + e.key] = [:]
                    continue
                }
                var list = ObjectValue()
                list["."] = [:]
                for item in items {
                    var keyObject = ObjectValue()
                    for k in keys.sorted() { keyObject[k] = item[k] ?? (k == "protocol" ? "TCP" : .null) }
                    let text = "k:" + ((try? Value.object(keyObject).jsonString()) ?? "{}")
                    var element = fieldsV1(item, parentKey: e.key).objectValue ?? ObjectValue()
                    element["."] = [:]
                    list[text] = .object(element)
                }
                out["f:" + e.key] = .object(list)
            default:
                out["f:" + e.key] = [:]
            }
        }
        return .object(out)
    }
}
