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
}

/// A table of known defaults arranged for the comparison: by kind, then by the member they are
/// about (the last step of their pattern), so that a member without a default is told by a few
/// length comparisons.
struct KnownDefaultsIndex: Sendable {
    /// A default's pattern and values; when the pattern has only names, `*` and at most one `**`,
    /// the pattern also as names (`nil` for `*`) before and after the `**`.
    final class Entry: Sendable {
        let pattern: PathPattern
        let values: [Value]?
        /// Whether the pattern is one of names, `*` and at most one `**`.
        let isSimple: Bool
        /// The names (`nil` for `*`) before the `**` (all of them without one), and after it.
        let before: [String?]
        let after: [String?]
        let anyDepth: Bool

        init(pattern: PathPattern, values: [Value]?) {
            self.pattern = pattern
            self.values = values
            var before: [String?] = []
            var after: [String?] = []
            var anyDepth = false
            var simple = true
            for step in pattern.steps {
                let name: String?
                switch step {
                case .name(let n) where Int(n) == nil: name = n  // a number also matches a list position
                case .any: name = nil
                case .anyDepth where !anyDepth:
                    anyDepth = true
                    continue
                default:
                    simple = false
                    name = nil
                }
                if anyDepth { after.append(name) } else { before.append(name) }
            }
            self.isSimple = simple
            self.before = before
            self.after = after
            self.anyDepth = anyDepth
        }

        /// Whether the pattern matches `path` exactly and `value` is one of the values.
        func applies(path: some MatchablePath, value: Value) -> Bool {
            if isSimple {
                let count = path.componentCount
                if anyDepth ? count < before.count + after.count : count != before.count { return false }
                // From the end: the last names tell most patterns apart.
                let offset = count - after.count
                for k in stride(from: after.count - 1, through: 0, by: -1) {
                    if let name = after[k], !path.component(at: offset + k, isField: name) { return false }
                }
                for i in stride(from: before.count - 1, through: 0, by: -1) {
                    if let name = before[i], !path.component(at: i, isField: name) { return false }
                }
            } else if !pattern.matchesExactly(path) {
                return false
            }
            return values.map { $0.contains(value) } ?? true
        }
    }

    /// The defaults that apply to one kind.
    final class ForKind: Sendable {
        /// Those whose pattern ends in a field name, by the length of that name (the last bucket
        /// for 64 bytes and more), then by the name.
        private let byLength: [[(name: String, entries: [Entry])]]
        /// Those whose pattern ends otherwise (`*`, a selector): candidates for every member.
        private let anyName: [Entry]

        init(_ entries: [Entry]) {
            var byLength: [[(name: String, entries: [Entry])]] = Array(repeating: [], count: 65)
            var anyName: [Entry] = []
            for entry in entries {
                guard case .name(let name)? = entry.pattern.steps.last else {
                    anyName.append(entry)
                    continue
                }
                let bucket = min(name.utf8.count, 64)
                if let i = byLength[bucket].firstIndex(where: { $0.name == name }) {
                    byLength[bucket][i].entries.append(entry)
                } else {
                    byLength[bucket].append((name, [entry]))
                }
            }
            self.byLength = byLength
            self.anyName = anyName
        }

        /// Whether `value` of the member `name` at `path` (which ends in that member) is what the
        /// server fills in.
        func isDefault(name: String, path: some MatchablePath, value: Value) -> Bool {
            let bucket = min(name.utf8.count, 64)
            for i in 0..<byLength[bucket].count where KeyBytes.same(byLength[bucket][i].name, name) {
                let entries = byLength[bucket][i].entries
                for j in 0..<entries.count where entries[j].applies(path: path, value: value) { return true }
                break
            }
            for j in 0..<anyName.count where anyName[j].applies(path: path, value: value) { return true }
            return false
        }
    }

    /// The defaults of each kind a default names.
    private let byKind: [String: ForKind]
    /// The defaults of every other kind (those that name no kind).
    private let otherKinds: ForKind

    /// The index of ``KnownDefault/builtin``, built once.
    static let builtin = KnownDefaultsIndex(building: KnownDefault.builtin)

    /// The index of `table`: the shared one when `table` is ``KnownDefault/builtin`` itself (the
    /// default of ``DiffOptions``, which callers create per object).
    init(_ table: [KnownDefault]) {
        let isBuiltin = table.withUnsafeBufferPointer { t in
            KnownDefault.builtin.withUnsafeBufferPointer { b in t.baseAddress == b.baseAddress && t.count == b.count }
        }
        self = isBuiltin ? KnownDefaultsIndex.builtin : KnownDefaultsIndex(building: table)
    }

    private init(building table: [KnownDefault]) {
        let entries = table.map { Entry(pattern: $0.pattern, values: $0.values) }
        let kinds = Set(table.compactMap(\.kinds).joined())
        var byKind: [String: ForKind] = [:]
        for kind in kinds {
            byKind[kind] = ForKind(table.indices.filter { table[$0].kinds?.contains(kind) ?? true }.map { entries[$0] })
        }
        self.byKind = byKind
        self.otherKinds = ForKind(table.indices.filter { table[$0].kinds == nil }.map { entries[$0] })
    }

    /// The defaults that apply to objects of `kind`.
    func forKind(_ kind: String) -> ForKind { byKind[kind] ?? otherKinds }
}
