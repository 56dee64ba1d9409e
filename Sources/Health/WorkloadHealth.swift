import Manifests

/// Rules for the `apps` workloads, following Argo CD (gitops-engine `pkg/health`), which follows
/// `kubectl rollout status`.
enum WorkloadHealth {
    /// Deployment: paused is Suspended; a Progressing condition with reason
    /// `ProgressDeadlineExceeded` is Degraded; otherwise Progressing until every replica is
    /// updated, old replicas are gone and updated replicas are available.
    static func deployment(_ object: KubeObject) -> HealthStatus {
        let spec = object.spec
        if spec.member("paused").bool == true { return .suspended("Deployment is paused") }
        let status = object.statusValue
        guard object.generationOrZero <= status.member("observedGeneration").int else {
            return .progressing(
                "Waiting for rollout to finish: observed deployment generation less then desired generation"
            )
        }
        let updated = status.member("updatedReplicas").int
        let replicas = status.member("replicas").int
        let available = status.member("availableReplicas").int
        if let c = KubeObject.condition("Progressing", in: status), c.reason == "ProgressDeadlineExceeded" {
            return .degraded("Deployment \(quoted(object.name ?? "")) exceeded its progress deadline")
        }
        if let desired = spec.member("replicas")?.intValue, updated < desired {
            return .progressing(
                "Waiting for rollout to finish: \(updated) out of \(desired) new replicas have been updated..."
            )
        }
        if replicas > updated {
            return .progressing(
                "Waiting for rollout to finish: \(replicas - updated) old replicas are pending termination..."
            )
        }
        if available < updated {
            return .progressing(
                "Waiting for rollout to finish: \(available) of \(updated) updated replicas are available..."
            )
        }
        return .healthy()
    }

    /// StatefulSet: Progressing until the spec is observed and every replica is ready; then a
    /// partitioned rolling update is done when the pods above the partition are updated, `OnDelete`
    /// is Healthy, and a rolling update is done when the update revision is the current one.
    static func statefulSet(_ object: KubeObject) -> HealthStatus {
        let spec = object.spec
        let status = object.statusValue
        let observed = status.member("observedGeneration").int
        if observed == 0 || object.generationOrZero > observed {
            return .progressing("Waiting for statefulset spec update to be observed...")
        }
        let desired = spec.member("replicas")?.intValue
        let ready = status.member("readyReplicas").int
        let updated = status.member("updatedReplicas").int
        if let desired, ready < desired {
            return .progressing("Waiting for \(desired - ready) pods to be ready...")
        }
        let strategy = spec.member("updateStrategy")
        let strategyType = strategy?.member("type")?.stringValue ?? "RollingUpdate"
        if strategyType == "RollingUpdate", let rolling = strategy?.member("rollingUpdate"), !rolling.isNull {
            if let desired, let partition = rolling.member("partition")?.intValue, updated < desired - partition {
                return .progressing(
                    "Waiting for partitioned roll out to finish: \(updated) out of \(desired - partition) new pods have been updated..."
                )
            }
            return .healthy("partitioned roll out complete: \(updated) new pods have been updated...")
        }
        if strategyType == "OnDelete" {
            return .healthy("statefulset has \(ready) ready pods (\(updated) updated)")
        }
        let updateRevision = status.member("updateRevision").string
        let currentRevision = status.member("currentRevision").string
        if updateRevision != currentRevision {
            return .progressing(
                "waiting for statefulset rolling update to complete \(updated) pods at revision \(updateRevision)..."
            )
        }
        let current = status.member("currentReplicas").int
        return .healthy("statefulset rolling update complete \(current) pods at revision \(currentRevision)...")
    }

    /// DaemonSet: `OnDelete` is Healthy once observed; otherwise Progressing until every scheduled
    /// pod is updated and available.
    static func daemonSet(_ object: KubeObject) -> HealthStatus {
        guard object.generationOrZero <= object.observedGeneration else {
            return .progressing(
                "Waiting for rollout to finish: observed daemon set generation less then desired generation"
            )
        }
        let status = object.statusValue
        let updated = status.member("updatedNumberScheduled").int
        let desired = status.member("desiredNumberScheduled").int
        let available = status.member("numberAvailable").int
        if object.spec.member("updateStrategy")?.member("type")?.stringValue == "OnDelete" {
            return .healthy("daemon set \(updated) out of \(desired) new pods have been updated")
        }
        let name = quoted(object.name ?? "")
        if updated < desired {
            return .progressing(
                "Waiting for daemon set \(name) rollout to finish: \(updated) out of \(desired) new pods have been updated..."
            )
        }
        if available < desired {
            return .progressing(
                "Waiting for daemon set \(name) rollout to finish: \(available) of \(desired) updated pods are available..."
            )
        }
        return .healthy()
    }

    /// ReplicaSet: a true `ReplicaFailure` condition is Degraded; otherwise Progressing until
    /// every replica is available.
    static func replicaSet(_ object: KubeObject) -> HealthStatus {
        guard object.generationOrZero <= object.observedGeneration else {
            return .progressing(
                "Waiting for rollout to finish: observed replica set generation less then desired generation"
            )
        }
        if let c = object.condition("ReplicaFailure"), c.status == "True" { return .degraded(c.message) }
        let available = object.statusValue.member("availableReplicas").int
        if let desired = object.spec.member("replicas")?.intValue, available < desired {
            return .progressing(
                "Waiting for rollout to finish: \(available) out of \(desired) new replicas are available..."
            )
        }
        return .healthy()
    }
}
