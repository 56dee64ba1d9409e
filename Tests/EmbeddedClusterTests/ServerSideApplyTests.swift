import EmbeddedCluster
import Foundation
import Manifests
import Testing

/// Server-side apply semantics beyond the captured sequence: removal of fields a manager stops
/// applying, shared ownership, list items, Update managers.
@Suite("Server-side apply")
struct ServerSideApplyTests {
    func apply(_ port: Int, _ manager: String, _ yaml: String, force: Bool = false) throws -> HTTPResult {
        try RawHTTP.request(
            port: port,
            "PATCH",
            "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=\(manager)&force=\(force)",
            headers: [("Content-Type", "application/apply-patch+yaml")],
            body: Array(yaml.utf8)
        )
    }

    func deployment(labels: [String], containers: [String], replicas: Int? = nil) -> String {
        var y = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
        for l in labels { y += "    \(l): \"yes\"\n" }
        y += "spec:\n"
        if let replicas { y += "  replicas: \(replicas)\n" }
        y +=
            "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
        for c in containers { y += "      - name: \(c)\n        image: registry.invalid/\(c):1\n" }
        return y
    }

    func managers(_ r: HTTPResult) -> [String] {
        r.json["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
    }

    @Test func jsonAndYAMLBodiesApplyAlike() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            // JSON (what KubeClient sends), YAML flow style that is not JSON, and the same object
            // in block YAML: the same stored object.
            let bodies = [
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"yes"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"registry.invalid/web:1"}]}}}}"#,
                #"{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {app: "yes"}}, spec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: "registry.invalid/web:1"}]}}}}"#,
                deployment(labels: ["app"], containers: ["web"], replicas: 2),
            ]
            var specs: [Value] = []
            for body in bodies {
                let r = try apply(port, "a", body)
                #expect((200..<300).contains(r.status), "\(body) -> \(r.status) \(r.text)")
                specs.append(r.json["spec"] ?? .null)
                #expect(r.json["metadata"]?["labels"] == ["app": "yes"])
            }
            #expect(specs.count == 3 && specs[0] == specs[1] && specs[1] == specs[2])
            // A body that is neither JSON nor YAML is refused with the YAML reader's error.
            let bad = try apply(port, "a", #"{"apiVersion": "apps/v1", "kind": "#)
            #expect(bad.status == 400)
            #expect(bad.text.contains("error decoding YAML"))
        }
    }

    @Test func fieldsAManagerStopsApplyingAreRemoved() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            #expect(
                try apply(port, "a", deployment(labels: ["app", "x"], containers: ["web", "sidecar"])).status == 201
            )
            let second = try apply(port, "a", deployment(labels: ["app"], containers: ["web"]))
            #expect(second.status == 200)
            #expect(second.json["metadata"]?["labels"] == ["app": "yes"])
            #expect(second.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.count == 1)
            #expect(second.json["metadata"]?["generation"] == 2)
        }
    }

    @Test func sharedOwnershipKeepsAFieldAnotherManagerStillApplies() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            #expect(
                try apply(port, "a", deployment(labels: ["app", "shared"], containers: ["web"], replicas: 2)).status
                    == 201
            )
            // b applies the same label value: no conflict, both own it.
            let b = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    shared: \"yes\"\n"
            let shared = try apply(port, "b", b)
            #expect(shared.status == 200, "\(shared.text)")
            #expect(managers(shared) == ["a", "b"])
            // a stops applying it: b still owns it, so it stays.
            let dropped = try apply(port, "a", deployment(labels: ["app"], containers: ["web"], replicas: 2))
            #expect(dropped.json["metadata"]?["labels"]?["shared"] == "yes")
            // b applying a different value for a's field conflicts, naming a.
            let conflict = try apply(
                port,
                "b",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n"
            )
            #expect(conflict.status == 409)
            #expect(conflict.json["details"]?["causes"]?[0]?["field"] == ".spec.replicas")
            #expect(conflict.json["details"]?["causes"]?[0]?["message"] == #"conflict with "a""#)
        }
    }

    @Test func updateManagersConflictWithTheirAPIVersion() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            #expect(try apply(port, "a", deployment(labels: ["app"], containers: ["web"], replicas: 2)).status == 201)
            let patched = try RawHTTP.request(
                port: port,
                "PATCH",
                "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=editor",
                headers: [("Content-Type", "application/merge-patch+json")],
                body: Array(#"{"spec":{"replicas":5}}"#.utf8)
            )
            #expect(patched.status == 200)
            #expect(managers(patched) == ["a", "editor"])
            // a's replicas moved to editor (an Update); a re-applying 2 conflicts with editor.
            let conflict = try apply(port, "a", deployment(labels: ["app"], containers: ["web"], replicas: 2))
            #expect(conflict.status == 409)
            #expect(
                conflict.json["message"]
                    == #"Apply failed with 1 conflict: conflict with "editor" using apps/v1: .spec.replicas"#
            )
            let forced = try apply(
                port,
                "a",
                deployment(labels: ["app"], containers: ["web"], replicas: 2),
                force: true
            )
            #expect(forced.status == 200)
            #expect(forced.json["spec"]?["replicas"] == 2)
            #expect(managers(forced) == ["a"])
        }
    }
}
