import Manifests
import Testing

/// The shared strategic merge patch (used by the embedded cluster and the Kustomize renderer).
@Suite struct StrategicMergeTests {
    static let deployment: Value = [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "finalizers": ["a"]],
        "spec": [
            "template": [
                "spec": [
                    "containers": [
                        ["name": "web", "image": "nginx", "ports": [["containerPort": 80]], "args": ["x"]],
                        ["name": "sidecar", "image": "busybox"],
                    ],
                    "tolerations": [["key": "old"]],
                ]
            ]
        ],
    ]

    func merge(_ patch: Value, order: StrategicMerge.ListOrder = .targetFirst) -> Value? {
        StrategicMerge.apply(
            patch,
            to: Self.deployment,
            order: order,
            lists: StrategicMerge.builtinLists(group: "apps", kind: "Deployment")
        )
    }

    func containers(_ v: Value?) -> [Value] { v?["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? [] }

    @Test func listsWithMergeKeysMergeOthersAreReplaced() throws {
        let patch: Value = [
            "spec": [
                "template": [
                    "spec": [
                        "containers": [
                            ["name": "new", "image": "alpine"], ["name": "web", "image": "nginx:2", "args": ["y"]],
                        ],
                        "tolerations": [["key": "new"]],
                    ]
                ]
            ]
        ]
        let appended = containers(merge(patch))
        #expect(appended.map { $0["name"] } == ["web", "sidecar", "new"])
        #expect(appended[0]["image"] == "nginx:2")
        #expect(appended[0]["args"] == ["y"])  // a list without a merge key is replaced
        #expect(appended[0]["ports"] == [["containerPort": 80]])
        let patchFirst = containers(merge(patch, order: .patchFirst))
        #expect(patchFirst.map { $0["name"] } == ["new", "web", "sidecar"])
        #expect(merge(patch)?["spec"]?["template"]?["spec"]?["tolerations"] == [["key": "new"]])
    }

    @Test func directives() throws {
        // $patch: delete of an element, of a map, of the whole object; null deletes a field.
        let deleteSidecar: Value = [
            "spec": ["template": ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]]
        ]
        #expect(containers(merge(deleteSidecar)).map { $0["name"] } == ["web"])
        #expect(merge(["$patch": "delete"]) == nil)
        #expect(merge(["spec": ["template": ["$patch": "delete"]]])?["spec"] == [:])
        #expect(merge(["metadata": ["finalizers": nil]])?["metadata"] == ["name": "web"])
        // $patch: replace of a map and of a list.
        let replaced = merge(["spec": ["template": ["spec": ["$patch": "replace", "containers": [["name": "only"]]]]]])
        #expect(replaced?["spec"]?["template"]?["spec"] == ["containers": [["name": "only"]]])
        let replacedList = merge([
            "spec": ["template": ["spec": ["containers": [["$patch": "replace"], ["name": "only"]]]]]
        ])
        #expect(containers(replacedList) == [["name": "only"]])
        // Primitive lists with the merge strategy; $deleteFromPrimitiveList.
        #expect(merge(["metadata": ["finalizers": ["b", "a"]]])?["metadata"]?["finalizers"] == ["a", "b"])
        #expect(merge(["metadata": ["$deleteFromPrimitiveList/finalizers": ["a"]]])?["metadata"]?["finalizers"] == [])
        // $setElementOrder and $retainKeys.
        let ordered = merge([
            "spec": ["template": ["spec": ["$setElementOrder/containers": [["name": "sidecar"], ["name": "web"]]]]]
        ])
        #expect(containers(ordered).map { $0["name"] } == ["sidecar", "web"])
        let retained = merge(["spec": ["template": ["spec": ["$retainKeys": ["containers"]]]]])
        #expect(retained?["spec"]?["template"]?["spec"]?["tolerations"] == nil)
        #expect(containers(retained).count == 2)
    }

    @Test func customResourcesReplaceEveryList() {
        let widget: Value = ["apiVersion": "example.com/v1", "kind": "Widget", "spec": ["containers": [["name": "a"]]]]
        let merged = StrategicMerge.apply(
            ["spec": ["containers": [["name": "b"]]]],
            to: widget,
            lists: StrategicMerge.builtinLists(group: "example.com", kind: "Widget")
        )
        #expect(merged?["spec"]?["containers"] == [["name": "b"]])
    }

    @Test func jsonPatchKeepsKeyOrderAndNamesFailures() throws {
        let doc: Value = ["a": 1, "b": ["c": [1, 2]]]
        let patched = try doc.applyingJSONPatch([
            ["op": "replace", "path": "/a", "value": 2], ["op": "add", "path": "/b/c/-", "value": 3],
        ])
        #expect(patched.objectValue?.keys == ["a", "b"])
        #expect(patched["b"]?["c"] == [1, 2, 3])
        #expect(throws: ManifestError.self) { try doc.applyingJSONPatch([["op": "remove", "path": "/nope"]]) }
        do {
            _ = try doc.applyingJSONPatch([["op": "test", "path": "/a", "value": 5]])
            Issue.record("a failing test operation must throw")
        } catch let error as ManifestError {
            #expect(error.code == .invalidPointer)
            #expect(error.field == "/a")
        }
    }

    @Test func labelSelectors() throws {
        let labels: ObjectValue = ["app": "web", "env": "prod"]
        #expect(try LabelSelector(parsing: "app=web,env in (prod, staging)").matches(labels))
        #expect(try LabelSelector(parsing: "app, !debug, env notin (dev)").matches(labels))
        #expect(try !LabelSelector(parsing: "app!=web").matches(labels))
        #expect(try LabelSelector(parsing: "").matches(nil))
        #expect(throws: ManifestError.self) { try LabelSelector(parsing: "app in prod") }
        #expect(throws: ManifestError.self) { try LabelSelector(parsing: "a b") }
    }
}
