import Manifests

extension APIServer {
    /// The annotation that makes a simulated workload fail instead of becoming ready.
    static let failAnnotation = "embedded-cluster.gitops.dev/simulate"

    /// Writes the status the real controllers would write once the pods were ready (or failed,
    /// when the object carries `embedded-cluster.gitops.dev/simulate: fail`).
    func simulate(_ t: ResourceType, _ ns: String?, _ name: String) {
        state.withLock { s in
            guard let o = s.get(t, ns, name), o["metadata"]?["deletionTimestamp"] == nil else { return }
            let fail = o["metadata"]?["annotations"]?[Self.failAnnotation]?.stringValue == "fail"
            let generation = o["metadata"]?["generation"] ?? 1
            let replicas = o["spec"]?["replicas"]?.intValue ?? 1
            let now = Clock.now()
            let hash = String(SHA256Digest.hex(SHA256Digest.hash(Array(name.utf8))).prefix(10)).lowercased()
            func condition(
                _ type: String,
                _ status: String,
                _ reason: String,
                _ message: String,
                update: Bool = true
            ) -> Value {
                var c: ObjectValue = ["type": .string(type), "status": .string(status)]
                if update { c["lastUpdateTime"] = .string(now) }
                c["lastTransitionTime"] = .string(now)
                c["reason"] = .string(reason)
                c["message"] = .string(message)
                return .object(c)
            }
            var status: ObjectValue
            switch t.kind {
            case "Deployment":
                if fail {
                    status = [
                        "observedGeneration": generation, "replicas": .int(replicas), "updatedReplicas": .int(replicas),
                        "unavailableReplicas": .int(replicas),
                        "conditions": [
                            condition(
                                "Available",
                                "False",
                                "MinimumReplicasUnavailable",
                                "Deployment does not have minimum availability."
                            ),
                            condition(
                                "Progressing",
                                "False",
                                "ProgressDeadlineExceeded",
                                "ReplicaSet \"\(name)-\(hash)\" has timed out progressing."
                            ),
                        ],
                    ]
                } else {
                    status = [
                        "observedGeneration": generation, "replicas": .int(replicas), "updatedReplicas": .int(replicas),
                        "readyReplicas": .int(replicas), "availableReplicas": .int(replicas),
                        "conditions": [
                            condition(
                                "Available",
                                "True",
                                "MinimumReplicasAvailable",
                                "Deployment has minimum availability."
                            ),
                            condition(
                                "Progressing",
                                "True",
                                "NewReplicaSetAvailable",
                                "ReplicaSet \"\(name)-\(hash)\" has successfully progressed."
                            ),
                        ],
                    ]
                    if replicas == 0 {
                        status["readyReplicas"] = nil
                        status["availableReplicas"] = nil
                    }
                }
            case "StatefulSet":
                let ready = fail ? 0 : replicas
                status = [
                    "observedGeneration": generation, "replicas": .int(replicas), "readyReplicas": .int(ready),
                    "currentReplicas": .int(replicas), "updatedReplicas": .int(replicas),
                    "availableReplicas": .int(ready),
                    "currentRevision": .string("\(name)-\(hash)"), "updateRevision": .string("\(name)-\(hash)"),
                    "collisionCount": 0,
                ]
            case "DaemonSet":
                let ready: Int64 = fail ? 0 : 1
                status = [
                    "currentNumberScheduled": 1, "numberMisscheduled": 0, "desiredNumberScheduled": 1,
                    "numberReady": .int(ready),
                    "observedGeneration": generation, "updatedNumberScheduled": 1, "numberAvailable": .int(ready),
                ]
                if fail { status["numberUnavailable"] = 1 }
            case "ReplicaSet":
                let ready = fail ? 0 : replicas
                status = [
                    "replicas": .int(replicas), "fullyLabeledReplicas": .int(replicas), "readyReplicas": .int(ready),
                    "availableReplicas": .int(ready), "observedGeneration": generation,
                ]
            case "Job":
                if fail {
                    status = [
                        "conditions": [
                            condition(
                                "FailureTarget",
                                "True",
                                "BackoffLimitExceeded",
                                "Job has reached the specified backoff limit",
                                update: false
                            ),
                            condition(
                                "Failed",
                                "True",
                                "BackoffLimitExceeded",
                                "Job has reached the specified backoff limit",
                                update: false
                            ),
                        ],
                        "startTime": .string(now),
                        "failed": .int(o["spec"]?["backoffLimit"]?.intValue.map { $0 + 1 } ?? 7),
                        "terminating": 0, "ready": 0, "uncountedTerminatedPods": [:],
                    ]
                } else {
                    status = [
                        "conditions": [
                            condition(
                                "SuccessCriteriaMet",
                                "True",
                                "CompletionsReached",
                                "Reached expected number of succeeded pods",
                                update: false
                            ),
                            condition(
                                "Complete",
                                "True",
                                "CompletionsReached",
                                "Reached expected number of succeeded pods",
                                update: false
                            ),
                        ],
                        "startTime": .string(now), "completionTime": .string(now),
                        "succeeded": .int(o["spec"]?["completions"]?.intValue ?? 1), "terminating": 0, "ready": 0,
                        "uncountedTerminatedPods": [:],
                    ]
                }
            default: return
            }
            var n = o
            n["status"] = .object(status)
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
                old: o,
                new: n,
                r,
                manager: "kube-controller-manager",
                subresource: "status",
                managedFields: nil,
                dryRun: false
            )
        }
    }
}
