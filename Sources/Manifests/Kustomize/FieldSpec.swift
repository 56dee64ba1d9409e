/// A field that a Kustomize transformer changes in the objects of some kinds: a path such as
/// `spec/template/metadata/labels` (lists along the way are entered element by element, `[]` marks
/// one explicitly, `\/` is a slash inside a key) and the kinds it applies to.
struct FieldSpec {
    var path: [String]
    var group: String?
    var version: String?
    var kind: String?
    /// Whether missing fields along the path are created.
    var create: Bool

    init(_ path: String, group: String? = nil, version: String? = nil, kind: String? = nil, create: Bool = false) {
        self.path = FieldSpec.split(path)
        self.group = group
        self.version = version
        self.kind = kind
        self.create = create
    }

    /// Splits on `/` except where escaped as `\/`; `[]` suffixes are dropped (lists are entered anyway).
    static func split(_ path: String) -> [String] {
        var out: [String] = []
        var current = ""
        var escaped = false
        for c in path {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "/" {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out.map { $0.hasSuffix("[]") ? String($0.dropLast(2)) : $0 }
    }

    /// Whether the spec applies to objects of this group, version and kind (an unset part matches all).
    func selects(_ gvk: GroupVersionKind) -> Bool {
        if let group, !group.isEmpty, group != gvk.group { return false }
        if let version, !version.isEmpty, version != gvk.version { return false }
        if let kind, !kind.isEmpty, kind != gvk.kind { return false }
        return true
    }

    /// Calls `body` on every value at the path in `object` (creating the path when ``create`` is set and
    /// it is missing; `body` then sees `.null`).
    func visit(_ object: inout Value, _ body: (inout Value) throws -> Void) throws {
        try FieldSpec.visit(&object, path[...], create: create, body)
    }

    private static func visit(
        _ value: inout Value,
        _ path: ArraySlice<String>,
        create: Bool,
        _ body: (inout Value) throws -> Void
    ) throws {
        guard let key = path.first else {
            try body(&value)
            return
        }
        switch value {
        case .array(var items):
            value = .null
            defer { value = .array(items) }
            for i in items.indices where items[i].objectValue != nil {
                try visit(&items[i], path, create: create, body)
            }
        case .object(var o):
            let rest = path.dropFirst()
            var member = o[key] ?? .null
            if member.isNull {
                guard create else { return }
                if rest.isEmpty {
                    try body(&member)
                    if !member.isNull { o[key] = member }
                    value = .object(o)
                    return
                }
                member = .object([:])
            }
            if case .array = member, rest.isEmpty {
                // A list at the end of the path: the body handles it whole (name lists, selectors).
            }
            o[key] = .null
            value = .null
            defer {
                o[key] = member
                value = .object(o)
            }
            try visit(&member, rest, create: create, body)
        default:
            return
        }
    }
}

/// The tables of kustomize's built-in transformer configurations (kustomize
/// api/internal/konfig/builtinpluginconsts) and kind orders (kyaml resid).
enum KustomizeTables {
    static let orderFirst = [
        "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
        "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret",
        "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
        "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
    ]
    static let orderLast = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

    /// Kinds that are certainly cluster-scoped (kyaml's precomputed table); every other kind is
    /// namespaced.
    static let clusterScoped: Set<String> = [
        "admissionregistration.k8s.io/MutatingWebhookConfiguration",
        "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
        "apiextensions.k8s.io/CustomResourceDefinition", "apiregistration.k8s.io/APIService",
        "certificates.k8s.io/CertificateSigningRequest", "flowcontrol.apiserver.k8s.io/FlowSchema",
        "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration", "networking.k8s.io/IngressClass",
        "node.k8s.io/RuntimeClass", "policy/PodSecurityPolicy", "rbac.authorization.k8s.io/ClusterRole",
        "rbac.authorization.k8s.io/ClusterRoleBinding", "scheduling.k8s.io/PriorityClass", "storage.k8s.io/CSIDriver",
        "storage.k8s.io/CSINode", "storage.k8s.io/StorageClass", "storage.k8s.io/VolumeAttachment",
        "/ComponentStatus", "/Namespace", "/Node", "/NodeProxyOptions", "/PersistentVolume",
    ]

    static func isClusterScoped(_ gvk: GroupVersionKind) -> Bool { clusterScoped.contains(gvk.group + "/" + gvk.kind) }

    /// Where the pod template's spec is, by kind.
    private static let podSpecs: [(kind: String, group: String?, spec: String)] = [
        ("Pod", nil, "spec"), ("PodTemplate", nil, "template/spec"), ("Deployment", nil, "spec/template/spec"),
        ("ReplicaSet", nil, "spec/template/spec"), ("DaemonSet", nil, "spec/template/spec"),
        ("StatefulSet", nil, "spec/template/spec"), ("Job", nil, "spec/template/spec"),
        ("ReplicationController", nil, "spec/template/spec"), ("CronJob", nil, "spec/jobTemplate/spec/template/spec"),
    ]

    private static let workloads = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob"]

    /// `metadata/<field>` of every object and of the pod (and job) templates of the workload kinds.
    private static func metadataAndTemplates(_ field: String, statefulSetGroup: String?) -> [FieldSpec] {
        [
            FieldSpec("metadata/\(field)", create: true),
            FieldSpec("spec/template/metadata/\(field)", version: "v1", kind: "ReplicationController", create: true),
            FieldSpec("spec/template/metadata/\(field)", kind: "Deployment", create: true),
            FieldSpec("spec/template/metadata/\(field)", kind: "ReplicaSet", create: true),
            FieldSpec("spec/template/metadata/\(field)", kind: "DaemonSet", create: true),
            FieldSpec("spec/template/metadata/\(field)", group: statefulSetGroup, kind: "StatefulSet", create: true),
            FieldSpec("spec/template/metadata/\(field)", group: "batch", kind: "Job", create: true),
            FieldSpec("spec/jobTemplate/metadata/\(field)", group: "batch", kind: "CronJob", create: true),
            FieldSpec(
                "spec/jobTemplate/spec/template/metadata/\(field)",
                group: "batch",
                kind: "CronJob",
                create: true
            ),
        ]
    }

    static let metadataLabels = metadataAndTemplates("labels", statefulSetGroup: "apps")

    static let volumeClaimTemplateLabels: [FieldSpec] = [
        FieldSpec("spec/volumeClaimTemplates[]/metadata/labels", group: "apps", kind: "StatefulSet", create: true)
    ]

    static let commonLabels: [FieldSpec] = {
        var specs: [FieldSpec] = [
            FieldSpec("spec/selector", version: "v1", kind: "Service", create: true),
            FieldSpec("spec/selector", version: "v1", kind: "ReplicationController", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "Deployment", create: true),
        ]
        let affinity = [
            "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
            "podAffinity/requiredDuringSchedulingIgnoredDuringExecution",
            "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
            "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution",
        ]
        for a in affinity {
            specs.append(
                FieldSpec(
                    "spec/template/spec/affinity/\(a)/labelSelector/matchLabels",
                    group: "apps",
                    kind: "Deployment"
                )
            )
        }
        specs.append(
            FieldSpec(
                "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
                group: "apps",
                kind: "Deployment"
            )
        )
        specs.append(FieldSpec("spec/selector/matchLabels", kind: "ReplicaSet", create: true))
        specs.append(FieldSpec("spec/selector/matchLabels", kind: "DaemonSet", create: true))
        specs.append(FieldSpec("spec/selector/matchLabels", group: "apps", kind: "StatefulSet", create: true))
        for a in affinity {
            specs.append(
                FieldSpec(
                    "spec/template/spec/affinity/\(a)/labelSelector/matchLabels",
                    group: "apps",
                    kind: "StatefulSet"
                )
            )
        }
        specs.append(
            FieldSpec(
                "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
                group: "apps",
                kind: "StatefulSet"
            )
        )
        specs += [
            FieldSpec("spec/selector/matchLabels", group: "batch", kind: "Job"),
            FieldSpec("spec/jobTemplate/spec/selector/matchLabels", group: "batch", kind: "CronJob"),
            FieldSpec("spec/selector/matchLabels", group: "policy", kind: "PodDisruptionBudget"),
            FieldSpec("spec/podSelector/matchLabels", group: "networking.k8s.io", kind: "NetworkPolicy"),
            FieldSpec("spec/ingress/from/podSelector/matchLabels", group: "networking.k8s.io", kind: "NetworkPolicy"),
            FieldSpec("spec/egress/to/podSelector/matchLabels", group: "networking.k8s.io", kind: "NetworkPolicy"),
        ]
        return specs + metadataLabels + volumeClaimTemplateLabels
    }()

    static let commonAnnotations = metadataAndTemplates("annotations", statefulSetGroup: nil)

    static let images: [FieldSpec] = [
        FieldSpec("spec/containers[]/image"), FieldSpec("spec/initContainers[]/image"),
        FieldSpec("spec/template/spec/containers[]/image"), FieldSpec("spec/template/spec/initContainers[]/image"),
    ]

    static let replicas: [FieldSpec] = [
        FieldSpec("spec/replicas", kind: "Deployment", create: true),
        FieldSpec("spec/replicas", kind: "ReplicationController", create: true),
        FieldSpec("spec/replicas", kind: "ReplicaSet", create: true),
        FieldSpec("spec/replicas", kind: "StatefulSet", create: true),
    ]

    /// One kind whose name other objects refer to, and the fields that refer to it.
    struct NameReference {
        var group: String?
        var version: String?
        var kind: String
        var referrers: [FieldSpec]

        func selects(_ gvk: GroupVersionKind) -> Bool {
            FieldSpec("", group: group, version: version, kind: kind).selects(gvk)
        }
    }

    /// Fields under a pod spec that name objects of one kind, for the pod-carrying kinds listed.
    private static func inPodSpecs(_ paths: [String], kinds: [String]) -> [FieldSpec] {
        var out: [FieldSpec] = []
        for p in podSpecs where kinds.contains(p.kind) {
            let version: String? = p.kind == "Pod" ? "v1" : nil
            for path in paths { out.append(FieldSpec(p.spec + "/" + path, version: version, kind: p.kind)) }
        }
        return out
    }

    static let nameReferences: [NameReference] = {
        let podKinds = ["Pod", "PodTemplate"] + workloads
        let configMapPaths = [
            "volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name",
            "initContainers/env/valueFrom/configMapKeyRef/name", "containers/envFrom/configMapRef/name",
            "initContainers/envFrom/configMapRef/name", "volumes/projected/sources/configMap/name",
        ]
        let secretPaths = [
            "volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name",
            "initContainers/env/valueFrom/secretKeyRef/name", "containers/envFrom/secretRef/name",
            "initContainers/envFrom/secretRef/name", "imagePullSecrets/name", "volumes/projected/sources/secret/name",
        ]
        let scaled = ["Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"].map {
            NameReference(kind: $0, referrers: [FieldSpec("spec/scaleTargetRef/name", kind: "HorizontalPodAutoscaler")])
        }
        let withController = [
            "Pod", "StatefulSet", "Deployment", "ReplicationController", "CronJob", "Job", "DaemonSet",
        ]
        return scaled + [
            NameReference(
                version: "v1",
                kind: "ConfigMap",
                referrers: inPodSpecs(configMapPaths, kinds: podKinds) + [
                    FieldSpec("spec/configSource/configMap", kind: "Node"),
                    FieldSpec("rules/resourceNames", kind: "Role"),
                    FieldSpec("rules/resourceNames", kind: "ClusterRole"),
                    FieldSpec(
                        "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap",
                        kind: "Ingress"
                    ),
                ]
            ),
            NameReference(
                version: "v1",
                kind: "Secret",
                referrers: inPodSpecs(secretPaths, kinds: podKinds) + [
                    FieldSpec("spec/tls/secretName", kind: "Ingress"),
                    FieldSpec("metadata/annotations/ingress.kubernetes.io\\/auth-secret", kind: "Ingress"),
                    FieldSpec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", kind: "Ingress"),
                    FieldSpec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", kind: "Ingress"),
                    FieldSpec("imagePullSecrets/name", kind: "ServiceAccount"),
                    FieldSpec("parameters/secretName", kind: "StorageClass"),
                    FieldSpec("parameters/adminSecretName", kind: "StorageClass"),
                    FieldSpec("parameters/userSecretName", kind: "StorageClass"),
                    FieldSpec("parameters/secretRef", kind: "StorageClass"),
                    FieldSpec("rules/resourceNames", kind: "Role"),
                    FieldSpec("rules/resourceNames", kind: "ClusterRole"),
                    FieldSpec(
                        "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                        group: "serving.knative.dev",
                        version: "v1",
                        kind: "Service"
                    ),
                    FieldSpec("spec/azureFile/secretName", kind: "PersistentVolume"),
                ]
            ),
            NameReference(
                version: "v1",
                kind: "Service",
                referrers: [
                    FieldSpec("spec/serviceName", group: "apps", kind: "StatefulSet"),
                    FieldSpec("spec/rules/http/paths/backend/serviceName", kind: "Ingress"),
                    FieldSpec("spec/backend/serviceName", kind: "Ingress"),
                    FieldSpec("spec/rules/http/paths/backend/service/name", kind: "Ingress"),
                    FieldSpec("spec/defaultBackend/service/name", kind: "Ingress"),
                    FieldSpec("spec/service/name", group: "apiregistration.k8s.io", kind: "APIService"),
                    FieldSpec(
                        "webhooks/clientConfig/service",
                        group: "admissionregistration.k8s.io",
                        kind: "ValidatingWebhookConfiguration"
                    ),
                    FieldSpec(
                        "webhooks/clientConfig/service",
                        group: "admissionregistration.k8s.io",
                        kind: "MutatingWebhookConfiguration"
                    ),
                ]
            ),
            NameReference(
                group: "rbac.authorization.k8s.io",
                kind: "Role",
                referrers: [FieldSpec("roleRef/name", group: "rbac.authorization.k8s.io", kind: "RoleBinding")]
            ),
            NameReference(
                group: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                referrers: [
                    FieldSpec("roleRef/name", group: "rbac.authorization.k8s.io", kind: "RoleBinding"),
                    FieldSpec("roleRef/name", group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding"),
                ]
            ),
            NameReference(
                version: "v1",
                kind: "ServiceAccount",
                referrers: [
                    FieldSpec("subjects", group: "rbac.authorization.k8s.io", kind: "RoleBinding"),
                    FieldSpec("subjects", group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding"),
                ] + inPodSpecs(["serviceAccountName"], kinds: withController)
            ),
            NameReference(
                version: "v1",
                kind: "PersistentVolumeClaim",
                referrers: inPodSpecs(["volumes/persistentVolumeClaim/claimName"], kinds: withController)
            ),
            NameReference(
                version: "v1",
                kind: "PersistentVolume",
                referrers: [
                    FieldSpec("spec/volumeName", kind: "PersistentVolumeClaim"),
                    FieldSpec("rules/resourceNames", kind: "ClusterRole"),
                ]
            ),
            NameReference(
                group: "storage.k8s.io",
                version: "v1",
                kind: "StorageClass",
                referrers: [
                    FieldSpec("spec/storageClassName", kind: "PersistentVolume"),
                    FieldSpec("spec/storageClassName", kind: "PersistentVolumeClaim"),
                    FieldSpec("spec/volumeClaimTemplates/spec/storageClassName", kind: "StatefulSet"),
                ]
            ),
            NameReference(
                group: "scheduling.k8s.io",
                version: "v1",
                kind: "PriorityClass",
                referrers: inPodSpecs(["priorityClassName"], kinds: withController)
            ),
            NameReference(
                group: "networking.k8s.io/v1",
                version: "v1",
                kind: "IngressClass",
                referrers: [FieldSpec("spec/ingressClassName", kind: "Ingress")]
            ),
            NameReference(
                group: "admissionregistration.k8s.io",
                kind: "ValidatingAdmissionPolicy",
                referrers: [
                    FieldSpec(
                        "spec/policyName",
                        group: "admissionregistration.k8s.io",
                        kind: "ValidatingAdmissionPolicyBinding"
                    )
                ]
            ),
        ]
    }()
}
