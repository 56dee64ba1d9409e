import Testing

@testable import Manifests

@Suite struct KubeObjectTests {
    @Test func accessorsOnALiveDeployment() throws {
        let object = try KubeObject(Value(json: LiveFixtures.bytes("deployment.json")))
        #expect(object.groupVersionKind == GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"))
        #expect(object.key.description == "apps/Deployment/\(object.namespace ?? "")/\(object.name ?? "")")
        #expect(object.uid != nil)
        #expect(object.resourceVersion != nil)
        #expect(object.generation != nil)
        #expect(object.creationTimestamp != nil)
        #expect(!object.managedFields.isEmpty)
        #expect(object.managedFields.contains { $0.manager == "kube-controller-manager" && $0.subresource == "status" })
        #expect(object.status?["observedGeneration"] != nil)
        #expect(object.validationErrors().isEmpty)
        let replicaSet = try KubeObject(Value(json: LiveFixtures.bytes("replicaset.json")))
        #expect(replicaSet.ownerReferences.first?.kind == "Deployment")
        #expect(replicaSet.ownerReferences.first?.controller == true)
    }

    @Test func editingMetadataKeepsOtherFields() throws {
        var object = try KubeObject(
            Value(yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: \"1\"}\ndata: {k: v}\n")
        )
        object.namespace = "ns"
        object.setLabel("y", to: "2")
        object.setAnnotation("note", to: "hello")
        #expect(object.labels == ["x": "1", "y": "2"])
        #expect(object.annotation("note") == "hello")
        object.setLabel("x", to: nil)
        object.setLabel("y", to: nil)
        #expect(object.metadata?["labels"] == nil)
        #expect(object["data"] == ["k": "v"])
        #expect(object.metadata?.keys == ["name", "namespace", "annotations"])
        object.namespace = nil
        #expect(object.metadata?["namespace"] == nil)
        #expect(!object.value.yamlString().contains("null"))
        let created = KubeObject(apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "prod")
        #expect(created.key == ResourceKey(group: "apps", kind: "Deployment", namespace: "prod", name: "web"))
    }

    @Test func resourceKeyText() throws {
        let key = ResourceKey(group: "", kind: "Namespace", namespace: "", name: "team-a")
        #expect(key.description == "/Namespace//team-a")
        #expect(try ResourceKey("/Namespace//team-a") == key)
        #expect(try ResourceKey("apps/Deployment/ns/web").group == "apps")
        #expect(throws: ManifestError.self) { try ResourceKey("Deployment/web") }
        #expect(GroupVersionKind(apiVersion: "v1", kind: "Pod").apiVersion == "v1")
        #expect(GroupVersionKind(apiVersion: "example.com/v1alpha1", kind: "Widget").group == "example.com")
    }

    @Test(
        arguments: [
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n", nil),
            ("kind: ConfigMap\nmetadata: {name: a}\n", "/apiVersion"),
            ("apiVersion: v1\nmetadata: {name: a}\n", "/kind"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "/metadata/name"),
            ("apiVersion: v1\nkind: ConfigMap\n", "/metadata"),
            ("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n", nil),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Upper}\n", "/metadata/name"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a.b-c}\n", nil),
            ("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n", "/metadata/name"),
            ("apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n", "/metadata/name"),
            ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"system:view\"}\n", nil),
            ("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: Any_Name}\n", nil),
            ("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a/b}\n", "/metadata/name"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: Bad_NS}\n", "/metadata/namespace"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: yes}}\n", "/metadata/labels/app"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: -bad}}\n", "/metadata/labels/app"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {example.com/app: ok}}\n", nil),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {Bad_Prefix/app: ok}}\n",
                "/metadata/labels"
            ),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {note: 3}}\n",
                "/metadata/annotations/note"
            ),
        ] as [(String, String?)]
    )
    func validation(yaml: String, failingField: String?) throws {
        let object = try KubeObject(Value(yaml: yaml))
        let errors = object.validationErrors(at: SourceLocation(source: "v.yaml", line: 1, column: 1))
        if let failingField {
            #expect(errors.contains { $0.field == failingField }, "\(errors)")
            #expect(errors.allSatisfy { $0.code == .invalidObject && $0.location?.source == "v.yaml" })
        } else {
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    @Test func notAnObject() {
        #expect(throws: ManifestError.self) { try KubeObject(Value.array([])) }
    }
}
