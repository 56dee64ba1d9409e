import Manifests
import Testing

@testable import Diff

/// The in-sync walk (`Differ.diff`'s fast path) must never change a result: every pair gives the
/// same changes with it as with the full comparison alone, and whenever it says "in sync" the full
/// comparison finds nothing.
@Suite struct FastPathTests {
    /// Checks one pair both ways.
    func expectSame(
        _ differ: Differ, _ desired: KubeObject, _ live: KubeObject, _ label: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let fast = try differ.diff(desired: desired, live: live)
        let full = try differ.fullDiff(desired: desired, live: live)
        #expect(fast.changes == full.changes, "\(label)", sourceLocation: sourceLocation)
        #expect(fast.rawChanges == full.rawChanges, "\(label)", sourceLocation: sourceLocation)
        #expect(fast.comparesStatus == full.comparesStatus, "\(label)", sourceLocation: sourceLocation)
        if try differ.fastPathSaysInSync(desired: desired, live: live) {
            #expect(full.isInSync, "fast path said in sync: \(label): \(full.changes)", sourceLocation: sourceLocation)
        }
    }

    /// Every position of a value, as JSON pointers (the root excluded).
    func pointers(_ value: Value, _ prefix: [String] = []) -> [JSONPointer] {
        var out: [JSONPointer] = []
        switch value {
        case .object(let o):
            for e in o.entries {
                out.append(JSONPointer(tokens: prefix + [e.key]))
                out += pointers(e.value, prefix + [e.key])
            }
        case .array(let a):
            for (i, element) in a.enumerated() {
                out.append(JSONPointer(tokens: prefix + [String(i)]))
                out += pointers(element, prefix + [String(i)])
            }
        default:
            break
        }
        return out
    }

    /// Another value of the same kind (or a string for containers).
    func changed(_ value: Value) -> Value {
        switch value {
        case .string(let s): return .string(s + "-x")
        case .int(let i): return .int(i + 1)
        case .double(let d): return .double(d + 0.5)
        case .bool(let b): return .bool(!b)
        case .null: return "now-set"
        case .object: return ["replaced": true]
        case .array: return ["replaced"]
        }
    }

    /// Each position of `object` changed, then removed: one variant each.
    func variants(of object: KubeObject) throws -> [(String, KubeObject)] {
        var out: [(String, KubeObject)] = []
        for pointer in pointers(object.value) {
            guard let current = object.value[pointer] else { continue }
            var modified = object
            try modified.value.set(changed(current), at: pointer)
            out.append(("changed \(pointer)", modified))
            var removed = object
            try removed.value.remove(at: pointer)
            out.append(("removed \(pointer)", removed))
        }
        return out
    }

    /// The real Deployment of a kube-apiserver v1.36 against its applied manifest, with every
    /// field of either side changed or removed in turn, for our manager, another one and without
    /// known defaults.
    @Test func agreesOnEveryVariantOfTheRealDeployment() throws {
        let desired = try fixture("ssa-applied.yaml")
        let live = try fixture("deployment.json")
        let differs = [
            Differ(DiffOptions(fieldManager: "gitops-test")), Differ(DiffOptions(fieldManager: "someone-else")),
            Differ(DiffOptions(fieldManager: "gitops-test", knownDefaults: [])),
        ]
        for differ in differs {
            try expectSame(differ, desired, live, "as read")
            for (label, variant) in try variants(of: live) { try expectSame(differ, desired, variant, "live \(label)") }
            for (label, variant) in try variants(of: desired) { try expectSame(differ, variant, live, "desired \(label)") }
        }
        #expect(try Differ(DiffOptions(fieldManager: "gitops-test")).fastPathSaysInSync(desired: desired, live: live))
    }

    /// Objects created by a plain POST (manager `curl`, which owns every defaulted field): the known
    /// defaults decide, in the fast path as in the full comparison.
    @Test func agreesOnObjectsOwnedWithTheirDefaults() throws {
        let curl = Differ(DiffOptions(fieldManager: "curl"))
        let service = try object("""
            apiVersion: v1
            kind: Service
            metadata: {name: web-lb, namespace: fixtures}
            spec:
              type: LoadBalancer
              selector: {app: web}
              ports:
              - name: http
                port: 80
                targetPort: 8080
            """)
        let live = try fixture("service-loadbalancer.json")
        try expectSame(curl, service, live, "as read")
        #expect(try curl.fastPathSaysInSync(desired: service, live: live))
        for (label, variant) in try variants(of: live) { try expectSame(curl, service, variant, "live \(label)") }
        for (label, variant) in try variants(of: service) { try expectSame(curl, variant, live, "desired \(label)") }
        // A table of other shapes: selectors on map-list elements, `*`, `**` in the middle, no kinds.
        var options = DiffOptions(fieldManager: "curl")
        options.knownDefaults = [
            KnownDefault(kinds: nil, pattern: try PathPattern("/spec/ports[name=http]/protocol"), values: ["TCP"]),
            KnownDefault(kinds: ["Service"], pattern: try PathPattern("/spec/*/nodePort"), values: nil),
            KnownDefault(kinds: nil, pattern: try PathPattern("/spec/**/targetPort"), values: nil),
            KnownDefault(kinds: ["Service"], pattern: try PathPattern("**/sessionAffinity"), values: ["None"]),
            KnownDefault(kinds: ["Deployment"], pattern: try PathPattern("/spec/clusterIP"), values: nil),
        ]
        let custom = Differ(options)
        try expectSame(custom, service, live, "custom table")
        for (label, variant) in try variants(of: live) { try expectSame(custom, service, variant, "custom, live \(label)") }
    }

    /// Pairs shaped like the benchmark's (`Corpus.diffPairs`): map lists of containers, env, ports
    /// and mounts, server defaults, our `managedFields`, status; each field changed or removed.
    @Test func agreesOnBenchmarkLikePairs() throws {
        let differ = Differ(DiffOptions(fieldManager: "gitops"))
        let desired = try object(Self.deploymentYAML)
        let live = try KubeObject(Self.serverView(desired.value, manager: "gitops"))
        try expectSame(differ, desired, live, "in sync")
        #expect(try differ.fastPathSaysInSync(desired: desired, live: live))
        #expect(try differ.diff(desired: desired, live: live).isInSync)
        for (label, variant) in try variants(of: live) { try expectSame(differ, desired, variant, "live \(label)") }
        for (label, variant) in try variants(of: desired) { try expectSame(differ, variant, live, "desired \(label)") }
        // The same with the last-applied annotation instead of managedFields.
        var applied = live
        try applied.value.remove(at: JSONPointer("/metadata/managedFields"))
        applied.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: try desired.value.jsonString())
        try expectSame(differ, desired, applied, "last-applied")
        for (label, variant) in try variants(of: applied) { try expectSame(differ, desired, variant, "applied \(label)") }
        // Reordered lists and members, an injected container, ignore rules.
        var reordered = live
        let containers = reordered.value[try JSONPointer("/spec/template/spec/containers")]?.arrayValue ?? []
        try reordered.value.set(.array(containers.reversed()), at: JSONPointer("/spec/template/spec/containers"))
        try reordered.value.set(
            ["name": "istio-proxy", "image": "istio/proxyv2"], at: JSONPointer("/spec/template/spec/containers/-"))
        try expectSame(differ, desired, reordered, "reordered and injected")
        let ignoring = Differ(
            DiffOptions(fieldManager: "gitops", ignoreRules: [try PathIgnoreRule(["/spec/replicas"])]))
        var scaled = live
        try scaled.value.set(9, at: JSONPointer("/spec/replicas"))
        try expectSame(ignoring, desired, scaled, "ignored replicas")
        #expect(try ignoring.diff(desired: desired, live: scaled).isInSync)
    }

    /// A custom resource whose lists a schema provider describes.
    @Test func agreesWithASchemaProvider() throws {
        let schema = SchemaProviderClosure { kind, path in
            guard kind.kind == "Widget" else { return nil }
            if path == ["spec", "parts"] { return .map(keys: ["id"]) }
            if path == ["spec", "tags"] { return .set }
            return nil
        }
        let differ = Differ(DiffOptions(fieldManager: "gitops", schemaProvider: schema))
        let desired = try object("""
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w, namespace: default}
            spec:
              size: 3
              tags: [a, b]
              parts: [{id: p1, weight: 2}, {id: p2, weight: 5}]
              matrix: [[1, 2], [3]]
            """)
        var live = try KubeObject(Self.serverView(desired.value, manager: "gitops"))
        try expectSame(differ, desired, live, "in sync")
        #expect(try differ.fastPathSaysInSync(desired: desired, live: live))
        try live.value.set(["b", "a", "c"], at: JSONPointer("/spec/tags"))
        try live.value.set([["id": "p2", "weight": 5], ["id": "p1", "weight": 2, "extra": 1]], at: JSONPointer("/spec/parts"))
        try expectSame(differ, desired, live, "reordered")
        for (label, variant) in try variants(of: live) { try expectSame(differ, desired, variant, "live \(label)") }
        for (label, variant) in try variants(of: desired) { try expectSame(differ, variant, live, "desired \(label)") }
    }

    static let deploymentYAML = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: shop-7
          namespace: team-7
          labels: {app.kubernetes.io/name: shop-7, app.kubernetes.io/part-of: storefront}
          annotations: {deployment.kubernetes.io/revision: "4"}
        spec:
          replicas: 3
          selector: {matchLabels: {app.kubernetes.io/name: shop-7}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
          template:
            metadata: {labels: {app.kubernetes.io/name: shop-7}}
            spec:
              serviceAccountName: shop-7
              containers:
              - name: app
                image: registry.example.com/shop/web:1.2.3
                args: [--port=8080, --log-level=info]
                ports:
                - {name: http, containerPort: 8080, protocol: TCP}
                - {name: metrics, containerPort: 9090}
                env:
                - {name: FEATURE_FLAGS_SETTING_0, value: value-12}
                - {name: CACHE_SIZE_SETTING_1, value: value-99}
                - name: POD_IP
                  valueFrom: {fieldRef: {fieldPath: status.podIP}}
                resources:
                  requests: {cpu: 500m, memory: 256Mi}
                  limits: {cpu: "1", memory: 1Gi}
                livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 10, periodSeconds: 10}
                readinessProbe: {httpGet: {path: /ready, port: http}, failureThreshold: 3}
                volumeMounts:
                - {name: config, mountPath: /etc/app, readOnly: true}
                - {name: data, mountPath: /var/lib/app}
              - name: sidecar-1
                image: registry.example.com/shop/proxy:2.0.1
                env: [{name: MODE, value: proxy}]
              volumes:
              - {name: config, configMap: {name: shop-7-config}}
              - {name: data, emptyDir: {}}
              terminationGracePeriodSeconds: 30
        """

    /// What an API server stores for `desired` applied by `manager`: defaults, server metadata,
    /// `managedFields` and `status` (as the benchmark's corpus builds it).
    static func serverView(_ desired: Value, manager: String) -> Value {
        var live = desired
        live["metadata"]?["uid"] = "6f1c2a3b-0000-4000-8000-000000000007"
        live["metadata"]?["resourceVersion"] = "1007"
        live["metadata"]?["generation"] = 1
        live["metadata"]?["managedFields"] = [
            [
                "manager": .string(manager), "operation": "Apply", "apiVersion": desired["apiVersion"] ?? "v1",
                "fieldsType": "FieldsV1", "fieldsV1": fieldsV1(desired, parentKey: ""),
            ],
            [
                "manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                "fieldsType": "FieldsV1", "fieldsV1": ["f:status": ["f:replicas": [:]]],
            ],
        ]
        if live["kind"] == "Deployment" {
            live["spec"]?["revisionHistoryLimit"] = 10
            live["spec"]?["progressDeadlineSeconds"] = 600
            live["spec"]?["template"]?["spec"]?["restartPolicy"] = "Always"
            live["spec"]?["template"]?["spec"]?["dnsPolicy"] = "ClusterFirst"
            live["spec"]?["template"]?["spec"]?["securityContext"] = [:]
            if case .array(var containers) = live["spec"]?["template"]?["spec"]?["containers"] ?? .null {
                for i in containers.indices {
                    containers[i]["terminationMessagePath"] = "/dev/termination-log"
                    containers[i]["imagePullPolicy"] = "IfNotPresent"
                    if containers[i]["livenessProbe"] != nil {
                        containers[i]["livenessProbe"]?["timeoutSeconds"] = 1
                        containers[i]["livenessProbe"]?["httpGet"]?["scheme"] = "HTTP"
                    }
                    if case .array(var ports) = containers[i]["ports"] ?? .null {
                        for p in ports.indices where ports[p]["protocol"] == nil { ports[p]["protocol"] = "TCP" }
                        containers[i]["ports"] = .array(ports)
                    }
                    if case .array(var env) = containers[i]["env"] ?? .null {
                        for e in env.indices where env[e]["valueFrom"] != nil {
                            env[e]["valueFrom"]?["fieldRef"]?["apiVersion"] = "v1"
                        }
                        containers[i]["env"] = .array(env)
                    }
                }
                live["spec"]?["template"]?["spec"]?["containers"] = .array(containers)
            }
            if case .array(var volumes) = live["spec"]?["template"]?["spec"]?["volumes"] ?? .null {
                for i in volumes.indices where volumes[i]["configMap"] != nil { volumes[i]["configMap"]?["defaultMode"] = 420 }
                live["spec"]?["template"]?["spec"]?["volumes"] = .array(volumes)
            }
        }
        live["status"] = ["observedGeneration": 1, "replicas": 3]
        return live
    }

    /// The `fieldsV1` an apply of `value` gives its manager (map lists keyed as the API server keys
    /// them; `fieldRef` atomic, as in k8s.io/api).
    static func fieldsV1(_ value: Value, parentKey: String) -> Value {
        guard case .object(let o) = value else { return [:] }
        var out = ObjectValue()
        for e in o.entries {
            if parentKey == "" && (e.key == "apiVersion" || e.key == "kind") { continue }
            if parentKey == "metadata" && (e.key == "name" || e.key == "namespace") { continue }
            switch e.value {
            case .object(let child) where !child.isEmpty && e.key != "fieldRef":
                out["f:" + e.key] = fieldsV1(e.value, parentKey: e.key)
            case .array(let items):
                let keys: [String]?
                switch e.key {
                case "containers", "env", "volumes": keys = ["name"]
                case "ports": keys = ["containerPort", "protocol"]
                case "volumeMounts": keys = ["mountPath"]
                case "parts": keys = ["id"]
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
                    var element = fieldsV1(item, parentKey: e.key).objectValue ?? ObjectValue()
                    element["."] = [:]
                    list["k:" + ((try? Value.object(keyObject).jsonString()) ?? "{}")] = .object(element)
                }
                out["f:" + e.key] = .object(list)
            default:
                out["f:" + e.key] = [:]
            }
        }
        return .object(out)
    }
}
