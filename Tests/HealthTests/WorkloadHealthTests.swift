import Health
import Manifests
import Testing

@Suite struct WorkloadHealthTests {
    @Test func liveDeploymentWaitingForAvailableReplicas() throws {
        let health = builtIn.health(of: try Fixtures.live("deployment.json"))
        #expect(health == .progressing("Waiting for rollout to finish: 0 of 2 updated replicas are available..."))
    }

    @Test func liveDeploymentMidRolloutHasOldReplicas() throws {
        let health = builtIn.health(of: try Fixtures.live("deployment-mid-rollout.json"))
        #expect(health == .progressing("Waiting for rollout to finish: 1 old replicas are pending termination..."))
    }

    @Test func liveDeploymentPastItsProgressDeadlineIsDegraded() throws {
        let health = builtIn.health(of: try Fixtures.live("deployment-progress-deadline-exceeded.json"))
        #expect(health == .degraded("Deployment \"stuck\" exceeded its progress deadline"))
    }

    @Test func deploymentVariants() throws {
        let live = try Fixtures.live("deployment.json")
        #expect(builtIn.health(of: try live.with("/spec/paused", true)) == .suspended("Deployment is paused"))
        let rolledOut = try live.with("/status/availableReplicas", 2).with("/status/readyReplicas", 2)
        #expect(builtIn.health(of: rolledOut) == .healthy())
        #expect(
            builtIn.health(of: try live.with("/spec/replicas", 3))
                == .progressing("Waiting for rollout to finish: 2 out of 3 new replicas have been updated...")
        )
        #expect(
            builtIn.health(of: try rolledOut.with("/metadata/generation", 2))
                == .progressing(
                    "Waiting for rollout to finish: observed deployment generation less then desired generation"
                )
        )
    }

    @Test func liveStatefulSetWaitsForReadyPods() throws {
        let live = try Fixtures.live("statefulset-db.json")
        #expect(builtIn.health(of: live) == .progressing("Waiting for 1 pods to be ready..."))
        let ready = try live.with("/status/readyReplicas", 1)
        // The API server defaults rollingUpdate.partition to 0: the partitioned message applies.
        #expect(builtIn.health(of: ready) == .healthy("partitioned roll out complete: 1 new pods have been updated..."))
    }

    @Test func statefulSetPartitionsOnDeleteAndRevisions() throws {
        let ready = try Fixtures.live("statefulset-db.json").with("/spec/replicas", 3).with("/status/readyReplicas", 3)
        let partitioned = try ready.with("/spec/updateStrategy/rollingUpdate/partition", 1)
        #expect(
            builtIn.health(of: partitioned)
                == .progressing("Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...")
        )
        let onDelete = try ready.with("/spec/updateStrategy", ["type": "OnDelete"])
        #expect(builtIn.health(of: onDelete) == .healthy("statefulset has 3 ready pods (1 updated)"))
        let rolling = try ready.with("/spec/updateStrategy", ["type": "RollingUpdate"])
            .with("/status/updateRevision", "db-new")
        #expect(
            builtIn.health(of: rolling)
                == .progressing("waiting for statefulset rolling update to complete 1 pods at revision db-new...")
        )
        let done = try rolling.with("/status/updateRevision", "db-7f565fc5bc")
        #expect(
            builtIn.health(of: done)
                == .healthy("statefulset rolling update complete 1 pods at revision db-7f565fc5bc...")
        )
        #expect(
            builtIn.health(of: try ready.with("/status/observedGeneration", nil))
                == .progressing("Waiting for statefulset spec update to be observed...")
        )
    }

    @Test func liveDaemonSetWithNoNodesIsHealthy() throws {
        let live = try Fixtures.live("daemonset-agent.json")
        #expect(builtIn.health(of: live) == .healthy())
        let scheduled = try live.with("/status/desiredNumberScheduled", 3).with("/status/updatedNumberScheduled", 3)
        #expect(
            builtIn.health(of: scheduled)
                == .progressing(
                    "Waiting for daemon set \"agent\" rollout to finish: 0 of 3 updated pods are available..."
                )
        )
        #expect(
            builtIn.health(of: try scheduled.with("/status/updatedNumberScheduled", 1))
                == .progressing(
                    "Waiting for daemon set \"agent\" rollout to finish: 1 out of 3 new pods have been updated..."
                )
        )
        #expect(
            builtIn.health(of: try scheduled.with("/spec/updateStrategy", ["type": "OnDelete"]))
                == .healthy("daemon set 3 out of 3 new pods have been updated")
        )
    }

    @Test func liveReplicaSet() throws {
        let live = try Fixtures.live("replicaset.json")
        #expect(
            builtIn.health(of: live)
                == .progressing("Waiting for rollout to finish: 0 out of 2 new replicas are available...")
        )
        let failure: Value = [
            "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
            "message": "pods \"web-\" is forbidden: exceeded quota",
        ]
        #expect(
            builtIn.health(of: try live.with("/status/conditions", [failure]))
                == .degraded("pods \"web-\" is forbidden: exceeded quota")
        )
        #expect(builtIn.health(of: try live.with("/status/availableReplicas", 2)) == .healthy())
    }
}
