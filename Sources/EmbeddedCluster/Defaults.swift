import Manifests

/// Defaulting and validation of built-in kinds, as the real server's registry strategies do it
/// (the subset a GitOps tool can observe: workload and pod template defaults, Service defaults).
enum Admission {
    static func setDefault(_ o: inout ObjectValue, _ key: String, _ value: Value) {
        if o[key] == nil { o[key] = value }
    }

    static func defaultPodSpec(_ spec: inout ObjectValue, restartPolicy: String = "Always") {
        for listKey in ["initContainers", "containers"] {
            guard case .array(var containers)? = spec[listKey] else { continue }
            for i in containers.indices {
                guard case .object(var c) = containers[i] else { continue }
                if case .array(var ports)? = c["ports"] {
                    for j in ports.indices {
                        if case .object(var p) = ports[j] {
                            setDefault(&p, "protocol", "TCP")
                            ports[j] = .object(p)
                        }
                    }
                    c["ports"] = .array(ports)
                }
                setDefault(&c, "resources", [:])
                setDefault(&c, "terminationMessagePath", "/dev/termination-log")
                setDefault(&c, "terminationMessagePolicy", "File")
                if c["imagePullPolicy"] == nil {
                    let image = c["image"]?.stringValue ?? ""
                    let last = image.split(separator: "/").last.map(String.init) ?? image
                    let tagged = last.contains(":") || image.contains("@")
                    c["imagePullPolicy"] = (!tagged || last.hasSuffix(":latest")) ? "Always" : "IfNotPresent"
                }
                containers[i] = .object(c)
            }
            spec[listKey] = .array(containers)
        }
        setDefault(&spec, "restartPolicy", .string(restartPolicy))
        setDefault(&spec, "terminationGracePeriodSeconds", 30)
        setDefault(&spec, "dnsPolicy", "ClusterFirst")
        setDefault(&spec, "securityContext", [:])
        setDefault(&spec, "schedulerName", "default-scheduler")
    }

    static func defaultTemplate(_ spec: inout ObjectValue, restartPolicy: String = "Always") {
        guard case .object(var template)? = spec["template"] else { return }
        if case .object(var podSpec)? = template["spec"] {
            defaultPodSpec(&podSpec, restartPolicy: restartPolicy)
            template["spec"] = .object(podSpec)
        }
        spec["template"] = .object(template)
    }

    static func applyDefaults(_ object: inout ObjectValue, _ type: ResourceType) {
        if type.isCustom {
            if let schema = type.schema { StructuralSchema.prepare(&object, schema: schema) }
            return
        }
        var spec = object["spec"]?.objectValue
        switch (type.group, type.kind) {
        case ("apps", "Deployment"):
            guard var s = spec else { break }
            setDefault(&s, "replicas", 1)
            defaultTemplate(&s)
            setDefault(&s, "strategy", [:])
            if case .object(var st)? = s["strategy"] {
                setDefault(&st, "type", "RollingUpdate")
                if st["type"]?.stringValue == "RollingUpdate" {
                    var ru = st["rollingUpdate"]?.objectValue ?? ObjectValue()
                    setDefault(&ru, "maxUnavailable", "25%")
                    setDefault(&ru, "maxSurge", "25%")
                    st["rollingUpdate"] = .object(ru)
                }
                s["strategy"] = .object(st)
            }
            setDefault(&s, "revisionHistoryLimit", 10)
            setDefault(&s, "progressDeadlineSeconds", 600)
            spec = s
        case ("apps", "StatefulSet"):
            guard var s = spec else { break }
            setDefault(&s, "replicas", 1)
            defaultTemplate(&s)
            setDefault(&s, "podManagementPolicy", "OrderedReady")
            setDefault(&s, "updateStrategy", ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
            setDefault(&s, "revisionHistoryLimit", 10)
            setDefault(&s, "persistentVolumeClaimRetentionPolicy", ["whenDeleted": "Retain", "whenScaled": "Retain"])
            spec = s
        case ("apps", "DaemonSet"):
            guard var s = spec else { break }
            defaultTemplate(&s)
            setDefault(
                &s,
                "updateStrategy",
                ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]]
            )
            setDefault(&s, "revisionHistoryLimit", 10)
            spec = s
        case ("apps", "ReplicaSet"):
            guard var s = spec else { break }
            setDefault(&s, "replicas", 1)
            defaultTemplate(&s)
            spec = s
        case ("batch", "Job"):
            guard var s = spec else { break }
            setDefault(&s, "parallelism", 1)
            setDefault(&s, "completions", 1)
            setDefault(&s, "backoffLimit", 6)
            setDefault(&s, "completionMode", "NonIndexed")
            setDefault(&s, "suspend", false)
            setDefault(&s, "podReplacementPolicy", "TerminatingOrFailed")
            defaultTemplate(&s, restartPolicy: "Never")
            spec = s
        case ("batch", "CronJob"):
            guard var s = spec else { break }
            setDefault(&s, "concurrencyPolicy", "Allow")
            setDefault(&s, "suspend", false)
            setDefault(&s, "successfulJobsHistoryLimit", 3)
            setDefault(&s, "failedJobsHistoryLimit", 1)
            if case .object(var jt)? = s["jobTemplate"], case .object(var js)? = jt["spec"] {
                defaultTemplate(&js, restartPolicy: "Never")
                jt["spec"] = .object(js)
                s["jobTemplate"] = .object(jt)
            }
            spec = s
        case ("", "Pod"):
            guard var s = spec else { break }
            defaultPodSpec(&s)
            spec = s
            if object["status"] == nil || object["status"] == [:] {
                object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
            }
        case ("", "Service"):
            guard var s = spec else { break }
            setDefault(&s, "type", "ClusterIP")
            if case .array(var ports)? = s["ports"] {
                for j in ports.indices {
                    if case .object(var p) = ports[j] {
                        setDefault(&p, "protocol", "TCP")
                        if p["targetPort"] == nil, let port = p["port"] { p["targetPort"] = port }
                        ports[j] = .object(p)
                    }
                }
                s["ports"] = .array(ports)
            }
            setDefault(&s, "sessionAffinity", "None")
            if ["NodePort", "LoadBalancer"].contains(s["type"]?.stringValue ?? "") {
                setDefault(&s, "externalTrafficPolicy", "Cluster")
                if s["type"]?.stringValue == "LoadBalancer" { setDefault(&s, "allocateLoadBalancerNodePorts", true) }
            }
            if s["type"]?.stringValue != "ExternalName" {
                setDefault(&s, "ipFamilies", ["IPv4"])
                setDefault(&s, "ipFamilyPolicy", "SingleStack")
                setDefault(&s, "internalTrafficPolicy", "Cluster")
            }
            spec = s
            if object["status"] == nil { object["status"] = ["loadBalancer": [:]] }
        case ("", "Namespace"):
            var s = spec ?? ObjectValue()
            setDefault(&s, "finalizers", ["kubernetes"])
            spec = s
            var status = object["status"]?.objectValue ?? ObjectValue()
            setDefault(&status, "phase", "Active")
            object["status"] = .object(status)
            if let name = object["metadata"]?["name"]?.stringValue {
                object["metadata"]?["labels"]?["kubernetes.io/metadata.name"] = nil
                var labels = object["metadata"]?["labels"]?.objectValue ?? ObjectValue()
                labels["kubernetes.io/metadata.name"] = .string(name)
                object["metadata"]?["labels"] = .object(labels)
            }
        case ("", "Secret"):
            if object["type"] == nil || object["type"] == "" { object["type"] = "Opaque" }
        case ("", "PersistentVolumeClaim"):
            guard var s = spec else { break }
            setDefault(&s, "volumeMode", "Filesystem")
            spec = s
            if object["status"] == nil { object["status"] = ["phase": "Pending"] }
        default: break
        }
        if let spec { object["spec"] = .object(spec) }
    }

    typealias Cause = (field: String, reason: String, message: String)

    /// The 422 causes the real server gives for the most common mistakes.
    static func validate(_ object: ObjectValue, _ type: ResourceType) -> [Cause] {
        var causes: [Cause] = []
        let kube = KubeObject(fields: object)
        if (kube.name ?? "").isEmpty {
            causes.append(("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
        }
        for problem in kube.validationErrors() {
            guard let field = problem.field,
                field.hasPrefix("/metadata/labels") || field.hasPrefix("/metadata/annotations")
                    || field == "/metadata/name"
            else { continue }
            if field == "/metadata/name" && (kube.name ?? "").isEmpty { continue }
            let path = field.dropFirst().replacingOccurrences(of: "/", with: ".")
            causes.append((String(path), "FieldValueInvalid", "Invalid value: \(problem.message)"))
        }
        if type.isCustom {
            if let schema = type.schema { causes += StructuralSchema.validate(object, schema: schema) }
            return causes
        }
        guard case .object(let spec)? = object["spec"] else {
            if ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"].contains(type.kind), type.group == "apps" {
                causes.append(("spec.selector", "FieldValueRequired", "Required value"))
            }
            return causes
        }
        if type.group == "apps", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"].contains(type.kind) {
            let labels = spec["template"]?["metadata"]?["labels"]
            if let selector = spec["selector"], case .object = selector {
                if let ml = selector["matchLabels"]?.objectValue {
                    let l = labels?.objectValue ?? ObjectValue()
                    if !ml.entries.allSatisfy({ l[$0.key] == $0.value }) {
                        causes.append(
                            (
                                "spec.template.metadata.labels", "FieldValueInvalid",
                                "Invalid value: \(labels.map { (try? $0.jsonString()) ?? "" } ?? "null"): `selector` does not match template `labels`"
                            )
                        )
                    }
                }
            } else {
                causes.append(("spec.selector", "FieldValueRequired", "Required value"))
                causes.append(
                    (
                        "spec.template.metadata.labels", "FieldValueInvalid",
                        "Invalid value: \(labels.map { (try? $0.jsonString()) ?? "" } ?? "null"): `selector` does not match template `labels`"
                    )
                )
            }
            if case .array(let cs)? = spec["template"]?["spec"]?["containers"], cs.isEmpty {
                causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
            } else if spec["template"]?["spec"]?["containers"] == nil {
                causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
            }
        }
        return causes
    }

    /// The 422 causes the real server gives for an update that changes what cannot change: a
    /// workload's selector, a Job's selector or pod template, a Service's cluster IP, an immutable
    /// ConfigMap's or Secret's data, StatefulSet spec fields other than the updatable ones.
    static func validateUpdate(old: ObjectValue, new: ObjectValue, _ type: ResourceType) -> [Cause] {
        guard !type.isCustom else { return [] }
        var causes: [Cause] = []
        func immutable(_ path: String) {
            let keys = path.split(separator: ".").map(String.init)
            var a: Value? = .object(old)
            var b: Value? = .object(new)
            for k in keys {
                a = a?[k]
                b = b?[k]
            }
            guard let before = a, before != .null, before != b else { return }
            causes.append(
                (path, "FieldValueInvalid", "Invalid value: \((b ?? .null).goDescription): field is immutable")
            )
        }
        switch (type.group, type.kind) {
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"):
            immutable("spec.selector")
        case ("apps", "StatefulSet"):
            let updatable: Set<String> = [
                "replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ]
            var a = old["spec"]?.objectValue ?? ObjectValue()
            var b = new["spec"]?.objectValue ?? ObjectValue()
            for k in updatable {
                a[k] = nil
                b[k] = nil
            }
            if a != b {
                causes.append(
                    (
                        "spec", "FieldValueForbidden",
                        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                            + "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                            + "'minReadySeconds' are forbidden"
                    )
                )
            }
        case ("batch", "Job"):
            immutable("spec.selector")
            immutable("spec.template")
        case ("", "Service"):
            immutable("spec.clusterIP")
        case ("", "ConfigMap"), ("", "Secret"):
            if old["immutable"]?.boolValue == true {
                if new["immutable"]?.boolValue != true {
                    causes.append(("immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set"))
                }
                for field in ["data", "binaryData", "stringData"] where old[field] != new[field] {
                    causes.append((field, "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set"))
                }
            }
        default:
            break
        }
        return causes
    }
}
