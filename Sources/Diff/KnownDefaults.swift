import Manifests

/// A value the API server fills in for a built-in kind when the field is left out.
///
/// In the offline mode, a field this manager set before and has since removed from Git is drift
/// to remove, unless the live value is the one the server would fill in again: then applying
/// would change nothing.
public struct KnownDefault: Sendable {
    /// The kinds it applies to (core and built-in groups); `nil` for every kind.
    public var kinds: Set<String>?
    /// Where the field is.
    public var pattern: PathPattern
    /// The values the server may fill in; `nil` when it allocates one (a `clusterIP`, a `nodePort`).
    public var values: [Value]?

    /// A known default.
    public init(kinds: Set<String>?, pattern: PathPattern, values: [Value]?) {
        self.kinds = kinds
        self.pattern = pattern
        self.values = values
    }

    /// The defaults of the Kubernetes API server (v1.36) for the built-in kinds.
    public static let builtin: [KnownDefault] = {
        var table: [KnownDefault] = []
        func add(_ kinds: Set<String>?, _ pattern: String, _ values: [Value]?) {
            // The patterns below are constants of this file; a test checks each one parses.
            if let p = try? PathPattern(pattern) { table.append(KnownDefault(kinds: kinds, pattern: p, values: values)) }
        }
        let workloads: Set<String> = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "PodTemplate", "ReplicationController"]
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            add(workloads, "**/\(list)/*/imagePullPolicy", ["IfNotPresent", "Always"])
            add(workloads, "**/\(list)/*/terminationMessagePath", ["/dev/termination-log"])
            add(workloads, "**/\(list)/*/terminationMessagePolicy", ["File"])
            add(workloads, "**/\(list)/*/resources", [[:]])
            add(workloads, "**/\(list)/*/ports/*/protocol", ["TCP"])
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                add(workloads, "**/\(list)/*/\(probe)/timeoutSeconds", [1])
                add(workloads, "**/\(list)/*/\(probe)/periodSeconds", [10])
                add(workloads, "**/\(list)/*/\(probe)/successThreshold", [1])
                add(workloads, "**/\(list)/*/\(probe)/failureThreshold", [3])
                add(workloads, "**/\(list)/*/\(probe)/httpGet/scheme", ["HTTP"])
            }
        }
        add(workloads, "**/fieldRef/apiVersion", ["v1"])
        for volume in ["configMap", "secret", "projected", "downwardAPI"] {
            add(workloads, "**/volumes/*/\(volume)/defaultMode", [420])
        }
        for podSpec in ["/spec", "/spec/template/spec", "/spec/jobTemplate/spec/template/spec"] {
            add(workloads, "\(podSpec)/dnsPolicy", ["ClusterFirst"])
            add(workloads, "\(podSpec)/restartPolicy", ["Always"])
            add(workloads, "\(podSpec)/schedulerName", ["default-scheduler"])
            add(workloads, "\(podSpec)/securityContext", [[:]])
            add(workloads, "\(podSpec)/terminationGracePeriodSeconds", [30])
            add(workloads, "\(podSpec)/enableServiceLinks", [true])
            add(workloads, "\(podSpec)/priority", [0])
            add(workloads, "\(podSpec)/preemptionPolicy", ["PreemptLowerPriority"])
            add(workloads, "\(podSpec)/serviceAccount", nil)
        }
        add(["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"], "/spec/replicas", [1])
        add(["Deployment"], "/spec/strategy", [["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]]])
        add(["Deployment"], "/spec/strategy/type", ["RollingUpdate"])
        add(["Deployment"], "/spec/strategy/rollingUpdate", [["maxUnavailable": "25%", "maxSurge": "25%"]])
        add(["Deployment"], "/spec/strategy/rollingUpdate/maxUnavailable", ["25%"])
        add(["Deployment"], "/spec/strategy/rollingUpdate/maxSurge", ["25%"])
        add(["Deployment", "StatefulSet", "DaemonSet"], "/spec/revisionHistoryLimit", [10])
        add(["Deployment"], "/spec/progressDeadlineSeconds", [600])
        add(["StatefulSet"], "/spec/podManagementPolicy", ["OrderedReady"])
        add(["StatefulSet"], "/spec/updateStrategy", [["type": "RollingUpdate", "rollingUpdate": ["partition": 0]]])
        add(["StatefulSet"], "/spec/persistentVolumeClaimRetentionPolicy", [["whenDeleted": "Retain", "whenScaled": "Retain"]])
        add(["DaemonSet"], "/spec/updateStrategy", [["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]]])
        add(["Job"], "/spec/backoffLimit", [6])
        add(["Job"], "/spec/completions", [1])
        add(["Job"], "/spec/parallelism", [1])
        add(["Job"], "/spec/completionMode", ["NonIndexed"])
        add(["Job"], "/spec/suspend", [false])
        add(["Job"], "/spec/podReplacementPolicy", ["TerminatingOrFailed"])
        add(["Job"], "/spec/manualSelector", nil)
        add(["CronJob"], "/spec/concurrencyPolicy", ["Allow"])
        add(["CronJob"], "/spec/suspend", [false])
        add(["CronJob"], "/spec/successfulJobsHistoryLimit", [3])
        add(["CronJob"], "/spec/failedJobsHistoryLimit", [1])
        add(["Service"], "/spec/type", ["ClusterIP"])
        add(["Service"], "/spec/sessionAffinity", ["None"])
        add(["Service"], "/spec/clusterIP", nil)
        add(["Service"], "/spec/clusterIPs", nil)
        add(["Service"], "/spec/ipFamilies", nil)
        add(["Service"], "/spec/ipFamilyPolicy", ["SingleStack"])
        add(["Service"], "/spec/internalTrafficPolicy", ["Cluster"])
        add(["Service"], "/spec/externalTrafficPolicy", ["Cluster"])
        add(["Service"], "/spec/allocateLoadBalancerNodePorts", [true])
        add(["Service"], "/spec/ports/*/targetPort", nil)
        add(["Service"], "/spec/ports/*/protocol", ["TCP"])
        add(["Service"], "/spec/ports/*/nodePort", nil)
        add(["PersistentVolumeClaim"], "/spec/volumeMode", ["Filesystem"])
        add(["PersistentVolumeClaim"], "/spec/storageClassName", nil)
        add(["Namespace"], "/spec/finalizers", [["kubernetes"]])
        return table
    }()

    /// Whether `value` at `path` in an object of `kind` is what the server fills in.
    static func isDefault(_ table: [KnownDefault], kind: String, path: FieldPath, value: Value) -> Bool {
        for d in table {
            if let kinds = d.kinds, !kinds.contains(kind) { continue }
            guard d.pattern.matchesExactly(path) else { continue }
            guard let values = d.values else { return true }
            if values.contains(value) { return true }
        }
        return false
    }
}
