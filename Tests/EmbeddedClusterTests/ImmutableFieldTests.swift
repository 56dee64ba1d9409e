import EmbeddedCluster
import Foundation
import Manifests
import Testing

/// Updates that change what the real server keeps immutable answer 422 `field is immutable`.
@Suite("Immutable fields")
struct ImmutableFieldTests {
    func send(_ port: Int, _ method: String, _ path: String, _ json: String, type: String = "application/json")
        throws -> HTTPResult
    {
        try RawHTTP.request(port: port, method, path, headers: [("Content-Type", type)], body: Array(json.utf8))
    }

    @Test func aDeploymentSelectorCannotChange() async throws {
        try await withCluster { cluster in
            let path = "/apis/apps/v1/namespaces/default/deployments"
            func body(_ app: String) -> String {
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"\#(app)"}},"template":{"metadata":{"labels":{"app":"\#(app)"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"#
            }
            #expect(try send(cluster.port, "POST", path, body("web")).status == 201)
            let changed = try send(
                cluster.port,
                "PATCH",
                path + "/web?fieldManager=t&force=true",
                body("other"),
                type: "application/apply-patch+yaml"
            )
            #expect(changed.status == 422)
            #expect(changed.json["reason"]?.stringValue == "Invalid")
            let cause = changed.json["details"]?["causes"]?[0]
            #expect(cause?["field"]?.stringValue == "spec.selector")
            #expect(cause?["message"]?.stringValue?.hasSuffix("field is immutable") == true)
            // The same selector again is fine.
            let same = try send(
                cluster.port,
                "PATCH",
                path + "/web?fieldManager=t&force=true",
                body("web"),
                type: "application/apply-patch+yaml"
            )
            #expect(same.status == 200)
        }
    }

    @Test func anImmutableConfigMapKeepsItsData() async throws {
        try await withCluster { cluster in
            let path = "/api/v1/namespaces/default/configmaps"
            let created = try send(
                cluster.port,
                "POST",
                path,
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"frozen"},"data":{"k":"v"},"immutable":true}"#
            )
            #expect(created.status == 201)
            let changed = try send(
                cluster.port,
                "PATCH",
                path + "/frozen",
                #"{"data":{"k":"w"}}"#,
                type: "application/merge-patch+json"
            )
            #expect(changed.status == 422)
            #expect(changed.text.contains("data: Forbidden: field is immutable when `immutable` is set"))
            let labelled = try send(
                cluster.port,
                "PATCH",
                path + "/frozen",
                #"{"metadata":{"labels":{"a":"b"}}}"#,
                type: "application/merge-patch+json"
            )
            #expect(labelled.status == 200)
        }
    }

    @Test func aJobTemplateAndAServiceClusterIPCannotChange() async throws {
        try await withCluster { cluster in
            let jobs = "/apis/batch/v1/namespaces/default/jobs"
            #expect(
                try send(
                    cluster.port,
                    "POST",
                    jobs,
                    #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"a"}]}}}}"#
                ).status == 201
            )
            let job = try send(
                cluster.port,
                "PATCH",
                jobs + "/j",
                #"{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"b"}]}}}}"#,
                type: "application/strategic-merge-patch+json"
            )
            #expect(job.status == 422)
            #expect(job.json["details"]?["causes"]?[0]?["field"]?.stringValue == "spec.template")

            let services = "/api/v1/namespaces/default/services"
            let svc = try send(
                cluster.port,
                "POST",
                services,
                #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}"#
            )
            #expect(svc.status == 201)
            let ip = svc.json["spec"]?["clusterIP"]?.stringValue ?? ""
            let other = ip == "10.96.0.99" ? "10.96.0.98" : "10.96.0.99"
            let moved = try send(
                cluster.port,
                "PATCH",
                services + "/s",
                #"{"spec":{"clusterIP":"\#(other)","clusterIPs":["\#(other)"]}}"#,
                type: "application/merge-patch+json"
            )
            #expect(moved.status == 422)
            #expect(moved.text.contains("spec.clusterIP"))
        }
    }
}
