import Health
import Manifests
import Testing

@Suite struct ServiceHealthTests {
    @Test func loadBalancerWithoutIngressIsProgressing() throws {
        let live = try Fixtures.live("service-loadbalancer.json")
        #expect(builtIn.health(of: live) == .progressing())
        #expect(
            builtIn.health(of: try live.with("/status/loadBalancer/ingress", [["ip": "203.0.113.10"]])) == .healthy()
        )
        #expect(builtIn.health(of: try live.with("/spec/type", "ClusterIP")) == .healthy())
    }

    @Test func ingress() throws {
        let ingress = try Fixtures.yaml(
            """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: web, namespace: web}
            spec: {rules: [{host: web.example.com}]}
            status: {loadBalancer: {}}
            """
        )
        #expect(builtIn.health(of: ingress) == .progressing())
        #expect(
            builtIn.health(of: try ingress.with("/status/loadBalancer/ingress", [["hostname": "lb.example.com"]]))
                == .healthy()
        )
        #expect(builtIn.health(of: try ingress.with("/apiVersion", "extensions/v1beta1")) == .progressing())
    }

    @Test func livePendingClaimAndOtherPhases() throws {
        let live = try Fixtures.live("pvc-pending.json")
        #expect(builtIn.health(of: live) == .progressing())
        #expect(builtIn.health(of: try live.with("/status/phase", "Bound")) == .healthy())
        #expect(builtIn.health(of: try live.with("/status/phase", "Lost")) == .degraded())
        #expect(builtIn.health(of: try live.with("/status", nil)) == .unknown())
    }

    @Test func apiService() throws {
        let api = try Fixtures.yaml(
            """
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata: {name: v1beta1.metrics.k8s.io}
            spec: {group: metrics.k8s.io, version: v1beta1, service: {name: metrics-server, namespace: kube-system}}
            """
        )
        #expect(builtIn.health(of: api) == .progressing("Waiting to be processed"))
        let available = try api.with(
            "/status/conditions",
            [["type": "Available", "status": "True", "reason": "Passed", "message": "all checks passed"]]
        )
        #expect(builtIn.health(of: available) == .healthy("Passed: all checks passed"))
        let missing = try api.with(
            "/status/conditions",
            [
                [
                    "type": "Available", "status": "False", "reason": "ServiceNotFound",
                    "message": "service/metrics-server in \"kube-system\" is not present",
                ]
            ]
        )
        #expect(
            builtIn.health(of: missing)
                == .progressing("ServiceNotFound: service/metrics-server in \"kube-system\" is not present")
        )
    }
}

@Suite struct ClusterHealthTests {
    let hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web, namespace: web}
        spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 5}
        """

    @Test func hpaConditions() throws {
        let hpa = try Fixtures.yaml(self.hpa)
        #expect(builtIn.health(of: hpa) == .healthy(""))
        let healthy = try hpa.with(
            "/status/conditions",
            [
                [
                    "type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                    "message": "recommended size matches current size",
                ]
            ]
        )
        #expect(builtIn.health(of: healthy) == .healthy("recommended size matches current size"))
        let waiting = try hpa.with(
            "/status/conditions",
            [
                ["type": "AbleToScale", "status": "True", "message": "ok"],
                ["type": "ScalingActive", "status": "True", "message": "valid metric"],
            ]
        )
        #expect(builtIn.health(of: waiting) == .progressing("Waiting to Autoscale"))
        let failing = try hpa.with(
            "/status/conditions",
            [
                [
                    "type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                    "message": "unable to get metrics",
                ]
            ]
        )
        #expect(builtIn.health(of: failing) == .degraded("unable to get metrics"))
    }

    @Test func hpaV1ReadsTheConditionsAnnotation() throws {
        let v1 = try Fixtures.yaml(hpa).with("/apiVersion", "autoscaling/v1")
        #expect(builtIn.health(of: v1) == .progressing("Waiting to Autoscale"))
        let annotated = try v1.with(
            "/metadata/annotations",
            [
                "autoscaling.alpha.kubernetes.io/conditions":
                    #"[{"type":"AbleToScale","status":"False","reason":"FailedGetScale","message":"no scale"}]"#
            ]
        )
        #expect(builtIn.health(of: annotated) == .degraded("no scale"))
        let broken = try v1.with("/metadata/annotations", ["autoscaling.alpha.kubernetes.io/conditions": "[{"])
        #expect(builtIn.health(of: broken)?.code == .unknown)
    }

    @Test func liveEstablishedCRDIsHealthy() throws {
        let live = try Fixtures.live("crd-widgets.json")
        #expect(builtIn.health(of: live) == .healthy("CRD is healthy"))
        #expect(
            builtIn.health(of: try live.with("/status/conditions", [])) == .progressing("Status conditions not found")
        )
        let conflict = try live.with(
            "/status/conditions",
            [
                [
                    "type": "NamesAccepted", "status": "False", "reason": "KindConflict",
                    "message": "\"Widget\" is already in use",
                ],
                [
                    "type": "Established", "status": "False", "reason": "NotAccepted",
                    "message": "not all names are accepted",
                ],
            ]
        )
        // As in Argo CD, the message is the last failing condition's.
        #expect(
            builtIn.health(of: conflict) == .degraded("CRD names have not been accepted: not all names are accepted")
        )
        let terminating = try live.with(
            "/status/conditions/-",
            ["type": "Terminating", "status": "True", "reason": "InstanceDeletionInProgress", "message": "deleting"]
        )
        #expect(builtIn.health(of: terminating) == .progressing("CRD is being terminated: deleting"))
        let nonStructural = try live.with(
            "/status/conditions/-",
            ["type": "NonStructuralSchema", "status": "True", "message": "spec.versions[0].schema: Required"]
        )
        #expect(
            builtIn.health(of: nonStructural) == .degraded("Schema violations found: spec.versions[0].schema: Required")
        )
    }
}
