import Manifests
import Testing

@testable import Diff

@Suite struct SchemaAndReportTests {
    func widget(_ parts: String) throws -> KubeObject {
        try object("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: fixtures}\nspec: {size: 3, parts: \(parts)}\n")
    }

    @Test func crdListMapKeysFromTheCRD() throws {
        let schema = try CRDSchemaProvider(crds: [fixture("crd-widgets.json")])
        #expect(schema.listType(for: GroupVersionKind(apiVersion: "example.com/v1", kind: "Widget"), at: ["spec", "parts"]) == .map(keys: ["name"]))
        let live = try fixture("widget-w.json")
        let reordered = try widget("[{name: b, count: 2}, {name: a, count: 1}]")
        // Without the schema the list is atomic, and order matters.
        #expect(try !Differ().diff(desired: reordered, live: live).isInSync)
        let differ = Differ(DiffOptions(schemaProvider: schema))
        #expect(try differ.diff(desired: reordered, live: live).isInSync)
        let changed = try differ.diff(desired: widget("[{name: b, count: 5}, {name: a, count: 1}]"), live: live)
        #expect(summary(changed) == ["modified /spec/parts[name=b]/count"])
        #expect(changed.changes.first?.pointer.description == "/spec/parts/1/count")
        try checkPatches(differ, changed)
        #expect(throws: DiffError.self) { try CRDSchemaProvider(crds: [live]) }
    }

    @Test func listMapKeysFromAnOpenAPIDocument() throws {
        let document = try Value(json: FileSystem.readFile(fixturePath("openapi-v3-example-com-v1.json"), maxBytes: 1 << 20))
        let schema = try OpenAPISchemaProvider(document: document)
        let gvk = GroupVersionKind(apiVersion: "example.com/v1", kind: "Widget")
        // The CRD of 08-crd at the time of this capture: spec.ports keyed by name, spec.tags a set.
        #expect(schema.listType(for: gvk, at: ["spec", "ports"]) == .map(keys: ["name"]))
        #expect(schema.listType(for: gvk, at: ["spec", "tags"]) == .set)
        #expect(schema.listType(for: gvk, at: ["metadata", "ownerReferences"]) == .map(keys: ["uid"]))
        let differ = Differ(DiffOptions(schemaProvider: schema))
        let live = try object("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, tags: [a, b], ports: [{name: http, port: 80, protocol: TCP}, {name: grpc, port: 90, protocol: TCP}]}\n")
        let desired = try object("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, tags: [b, a], ports: [{name: grpc, port: 91}, {name: http, port: 80}]}\n")
        #expect(try summary(differ.diff(desired: desired, live: live)) == ["modified /spec/ports[name=grpc]/port"])
        #expect(throws: DiffError.self) { try OpenAPISchemaProvider(document: ["openapi": "3.0.0"]) }
    }

    @Test func closureSchemaProvider() throws {
        let schema = SchemaProviderClosure { kind, path in kind.kind == "Widget" && path == ["spec", "parts"] ? .set : nil }
        let live = try widget("[x, y]")
        #expect(try Differ(DiffOptions(schemaProvider: schema)).diff(desired: widget("[y, x]"), live: live).isInSync)
    }

    @Test func pairingReport() throws {
        let applied = try fixture("ssa-applied.yaml")
        var changed = applied
        try changed.value.set(3, at: JSONPointer("/spec/replicas"))
        let job = try fixture("job.json")
        let newConfig = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {a: b}\n")
        let noNamespace = try object("apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\n")
        let differ = Differ(DiffOptions(fieldManager: "gitops-test", defaultNamespace: "fixtures"))
        let report = try differ.diff(
            desired: [changed, newConfig, noNamespace], live: [fixture("deployment.json"), job, fixture("pvc-pending.json")])
        #expect(report.resources.map(\.state) == [.outOfSync, .missingLive, .inSync, .pruneCandidate])
        #expect(report.resources(in: .pruneCandidate).first?.key.kind == "PersistentVolumeClaim")
        #expect(report.resources(in: .inSync).first?.key == job.key)
        #expect(report.resources.first.flatMap { $0.diff.map(summary) } == ["modified /spec/replicas"])
        #expect(!report.isInSync)
    }

    @Test func customNormalizers() throws {
        let desired = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
        let live = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: B}\n")
        let lower = NormalizerClosure(applyingTo: { $0.kind == "ConfigMap" }) { object, _ in
            object["data"] = object["data"]?.objectValue.map { .object($0.mapValues { .string($0.stringValue?.lowercased() ?? "") }) }
        }
        #expect(try !Differ().diff(desired: desired, live: live).isInSync)
        #expect(try Differ(DiffOptions(normalizers: [lower])).diff(desired: desired, live: live).isInSync)
    }

    @Test func builtinNormalizersStandalone() throws {
        var live = try fixture("deployment.json")
        for n in BuiltinNormalizers.all { try n.normalize(&live, context: NormalizationContext(side: .live, key: live.key)) }
        #expect(live.metadata?["managedFields"] == nil && live.metadata?["uid"] == nil && live.status == nil)
        #expect(live[try JSONPointer("/spec/template/spec/containers/0/resources")] == nil)
        var pod = try object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, resources: {requests: {cpu: 1000m, memory: 1Gi}}}]}\n")
        QuantityNormalizer().normalize(&pod, context: NormalizationContext(side: .desired, key: pod.key))
        #expect(pod[try JSONPointer("/spec/containers/0/resources/requests")] == ["cpu": "1", "memory": "1073741824"])
        var secret = try object("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: é}\n")
        SecretDataNormalizer().normalize(&secret, context: NormalizationContext(side: .desired, key: secret.key))
        #expect(secret["data"] == ["k": "w6k="] && secret["stringData"] == nil)
    }
}

