import Manifests

extension Corpus {
    /// `count` objects as controllers leave them in a live cluster, with `status` in the shapes
    /// kube-apiserver v1.36 writes (see shared/fixtures/.../objects-live): Deployments and
    /// StatefulSets mid-rollout, rolled out or past their deadline; Pods pending, running, ready or
    /// crash-looping; Services, PersistentVolumeClaims, Jobs, ConfigMaps and custom resources with
    /// `Ready` conditions. For the health benchmarks.
    public static func liveObjects(count: Int = 10_000, seed: UInt64 = 7) -> [Value] {
        var random = Random(state: seed)
        var objects: [Value] = []
        objects.reserveCapacity(count)
        for n in 0..<count {
            var object: Value
            let state = random.int(0...9)  // 0-6 settled, 7-8 in progress, 9 failing
            switch n % 8 {
            case 0, 1:
                object = deployment(n, &random)
                let replicas = object["spec"]?["replicas"]?.intValue ?? 1
                let updated = state >= 7 ? max(0, replicas - 1) : replicas
                object["metadata"]?["generation"] = 3
                object["status"] = [
                    "observedGeneration": 3, "replicas": .int(replicas), "updatedReplicas": .int(updated),
                    "readyReplicas": .int(updated), "availableReplicas": .int(updated),
                    "conditions": [
                        [
                            "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                            "message": "Deployment has minimum availability.",
                        ],
                        [
                            "type": "Progressing", "status": state == 9 ? "False" : "True",
                            "reason": state == 9 ? "ProgressDeadlineExceeded" : "NewReplicaSetAvailable",
                            "message": "ReplicaSet has successfully progressed.",
                        ],
                    ],
                ]
            case 2:
                object = deployment(n, &random)
                object["kind"] = "StatefulSet"
                let replicas = object["spec"]?["replicas"]?.intValue ?? 1
                object["spec"]?["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]]
                object["metadata"]?["generation"] = 1
                object["status"] = [
                    "observedGeneration": 1, "replicas": .int(replicas), "currentReplicas": .int(replicas),
                    "updatedReplicas": .int(replicas), "readyReplicas": .int(state >= 7 ? 0 : replicas),
                    "currentRevision": "db-7f565fc5bc", "updateRevision": "db-7f565fc5bc",
                ]
            case 3:
                object = pod(n, state, &random)
            case 4:
                object = service(n, &random)
                object["status"] = ["loadBalancer": state >= 7 ? [:] : ["ingress": [["ip": "203.0.113.10"]]]]
            case 5:
                let phase = state >= 9 ? "Lost" : state >= 7 ? "Pending" : "Bound"
                object = [
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": ["name": .string("data-\(n)"), "namespace": .string("team-\(n % 17)")],
                    "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "10Gi"]]],
                    "status": ["phase": .string(phase)],
                ]
            case 6:
                object = [
                    "apiVersion": "batch/v1", "kind": "Job",
                    "metadata": [
                        "name": .string("migrate-\(n)"), "namespace": .string("team-\(n % 17)"), "generation": 1,
                    ],
                    "spec": ["backoffLimit": 6, "completions": 1, "parallelism": 1, "suspend": false],
                    "status": state >= 7
                        ? ["startTime": "2026-11-26T19:11:59Z", "active": 1, "ready": 0]
                        : [
                            "startTime": "2026-11-26T19:11:59Z", "succeeded": 1,
                            "conditions": [["type": "Complete", "status": "True"]],
                        ],
                ]
            default:
                object = n % 16 == 7 ? configMap(n, &random) : widget(n, &random)
                if object["kind"]?.stringValue == "Widget" {
                    object["metadata"]?["generation"] = 2
                    object["status"] = [
                        "observedGeneration": 2,
                        "conditions": [
                            ["type": "Ready", "status": state >= 9 ? "False" : "True", "reason": "Reconciled"]
                        ],
                    ]
                }
            }
            objects.append(object)
        }
        return objects
    }

    static func pod(_ n: Int, _ state: Int, _ random: inout Random) -> Value {
        let name = "\(random.word())-\(n)-7d9f8"
        var status: Value = ["phase": "Running", "qosClass": "Burstable", "podIP": .string("10.0.0.\(n % 250)")]
        status["conditions"] = [
            ["type": "PodScheduled", "status": "True"], ["type": "Initialized", "status": "True"],
            ["type": "ContainersReady", "status": state >= 7 ? "False" : "True"],
            ["type": "Ready", "status": state >= 7 ? "False" : "True"],
        ]
        let waiting: Value = [
            "waiting": ["reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"]
        ]
        status["containerStatuses"] = [
            [
                "name": "app", "image": "registry.example.com/app:1.2.3", "ready": .bool(state < 7),
                "restartCount": .int(state == 9 ? 12 : 0),
                "state": state == 9 ? waiting : ["running": ["startedAt": "2026-11-26T19:12:00Z"]],
            ]
        ]
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string("team-\(n % 17)"), "labels": labels(name, &random),
            ],
            "spec": [
                "restartPolicy": "Always",
                "containers": [["name": "app", "image": "registry.example.com/app:1.2.3"]],
            ],
            "status": status,
        ]
    }
}
