import Manifests
import Testing

@testable import Diff

/// Each source of false drift, on the real objects of a kube-apiserver v1.36.
@Suite struct OfflineDiffTests {
    let differ = Differ(DiffOptions(fieldManager: "gitops-test"))

    /// The Deployment as applied (01-apply-create) against the live one 7 s later: server
    /// defaults, status, managedFields, uid, the revision annotation: no drift.
    @Test func appliedDeploymentIsInSyncWithLive() throws {
        let diff = try differ.diff(desired: fixture("ssa-applied.yaml"), live: fixture("deployment.json"))
        #expect(diff.isInSync, "\(diff.changes)")
        #expect(diff.unifiedDiff().isEmpty)
    }

    @Test func imageChangeIsDriftAtTheContainersMergeKey() throws {
        var desired = try fixture("ssa-applied.yaml")
        try desired.value.set("registry.invalid/web:2.0", at: JSONPointer("/spec/template/spec/containers/0/image"))
        let diff = try differ.diff(desired: desired, live: fixture("deployment.json"))
        #expect(summary(diff) == ["modified /spec/template/spec/containers[name=web]/image"])
        #expect(diff.changes.first?.pointer.description == "/spec/template/spec/containers/0/image")
        #expect(diff.changes.first?.old == "registry.invalid/web:1.0")
        #expect(diff.changes.first?.new == "registry.invalid/web:2.0")
        try checkPatches(differ, diff)
    }

    @Test func containerOrderDoesNotMatter() throws {
        var desired = try fixture("ssa-applied.yaml")
        let containers = desired[try JSONPointer("/spec/template/spec/containers")]?.arrayValue ?? []
        try desired.value.set(.array(containers.reversed()), at: JSONPointer("/spec/template/spec/containers"))
        #expect(try differ.diff(desired: desired, live: fixture("deployment.json")).isInSync)
    }

    /// A container removed from Git was ours (k:{"name":"sidecar"} in our managedFields): drift.
    @Test func removedOwnedContainerIsDrift() throws {
        var desired = try fixture("ssa-applied.yaml")
        try desired.value.remove(at: JSONPointer("/spec/template/spec/containers/1"))
        let diff = try differ.diff(desired: desired, live: fixture("deployment.json"))
        #expect(summary(diff) == ["removed /spec/template/spec/containers[name=sidecar]"])
        let patched = try checkPatches(differ, diff)
        #expect(patched[try JSONPointer("/spec/template/spec/containers")]?.arrayValue?.count == 1)
    }

    /// A container a webhook injected (not in our fields) is not drift.
    @Test func injectedContainerIsNotDrift() throws {
        var live = try fixture("deployment.json")
        try live.value.set(["name": "istio-proxy", "image": "istio/proxyv2"], at: JSONPointer("/spec/template/spec/containers/-"))
        live.setAnnotation("sidecar.istio.io/status", to: "injected")
        #expect(try differ.diff(desired: fixture("ssa-applied.yaml"), live: live).isInSync)
    }

    /// A field removed from Git that we set before is drift; one we never set is not.
    @Test func removedOwnedFieldIsDriftUnlessDefault() throws {
        var desired = try fixture("ssa-applied.yaml")
        desired.setLabel("app", to: nil)
        desired.setLabel("tier", to: "web")
        let diff = try differ.diff(desired: desired, live: fixture("deployment.json"))
        #expect(summary(diff) == ["added /metadata/labels/tier", "removed /metadata/labels/app"])
        try checkPatches(differ, diff)
    }

    /// Service created by a plain POST: manager `curl` (operation Update) owns every defaulted
    /// field (sessionAffinity, ipFamilyPolicy, clusterIP...). Known defaults keep them from drift.
    @Test func knownDefaultsOfOwnedFields() throws {
        let desired = try object("""
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
        let curl = Differ(DiffOptions(fieldManager: "curl"))
        let live = try fixture("service-loadbalancer.json")
        let diff = try curl.diff(desired: desired, live: live)
        #expect(diff.isInSync, "\(diff.changes)")
        // Without the table, the same owned defaults are drift.
        let noDefaults = Differ(DiffOptions(fieldManager: "curl", knownDefaults: []))
        #expect(try summary(noDefaults.diff(desired: desired, live: live)).contains("removed /spec/sessionAffinity"))
        // A non-default value of an owned field removed from Git is drift.
        var changed = live
        try changed.value.set("ClientIP", at: JSONPointer("/spec/sessionAffinity"))
        #expect(try summary(curl.diff(desired: desired, live: changed)) == ["removed /spec/sessionAffinity"])
    }

    /// The Job and PVC created by a plain POST (manager `curl`, operation Update, which owns every
    /// defaulted field too): minimal manifests are in sync thanks to the known defaults.
    @Test func jobAndClaimCreatedByUpdateAreInSync() throws {
        let curl = Differ(DiffOptions(fieldManager: "curl"))
        let job = try object("""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: migrate, namespace: fixtures}
            spec:
              backoffLimit: 2
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: migrate
                    image: registry.invalid/migrate:1.0
                    command: [/migrate]
            """)
        let jobDiff = try curl.diff(desired: job, live: fixture("job.json"))
        #expect(jobDiff.isInSync, "\(jobDiff.changes)")
        let claim = try object("""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data, namespace: fixtures}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1024Mi}}
            """)
        let live = try fixture("pvc-pending.json")
        let claimDiff = try curl.diff(desired: claim, live: live)
        #expect(claimDiff.isInSync, "\(claimDiff.changes)")
        var bigger = claim
        try bigger.value.set("2Gi", at: JSONPointer("/spec/resources/requests/storage"))
        #expect(try summary(curl.diff(desired: bigger, live: live)) == ["modified /spec/resources/requests/storage"])
    }

    @Test func quantitiesCompareByValue() throws {
        let desired = try object(podTemplate(resources: "{requests: {cpu: '1', memory: 1Gi}, limits: {cpu: 2, memory: 2048Mi}}"))
        let live = try object(podTemplate(resources: "{requests: {cpu: 1000m, memory: 1024Mi}, limits: {cpu: 2000m, memory: 2Gi}}"))
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
        let more = try object(podTemplate(resources: "{requests: {cpu: 1001m, memory: 1Gi}, limits: {cpu: 2, memory: 2Gi}}"))
        #expect(try summary(Differ().diff(desired: desired, live: more)) == ["modified /spec/template/spec/containers[name=app]/resources/requests/cpu"])
    }

    @Test func intOrStringPorts() throws {
        let desired = try object("""
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              ports: [{port: 80, targetPort: "8080"}]
            """)
        let live = try object("""
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              ports: [{port: 80, targetPort: 8080, protocol: TCP}]
            """)
        // The desired port has no protocol: it pairs with the live port defaulted to TCP.
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
        let named = try object("""
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              ports: [{port: 80, targetPort: http}]
            """)
        #expect(try summary(Differ().diff(desired: named, live: live)) == ["modified /spec/ports[port=80,protocol=TCP]/targetPort"])
    }

    @Test func emptyAndAbsentMapsAndLists() throws {
        let desired = try object("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c, annotations: {}, labels: {}}
            data: {a: b}
            binaryData: {}
            immutable: null
            """)
        let live = try object("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c, uid: x, resourceVersion: "5", creationTimestamp: "2026-11-26T19:06:52Z"}
            data: {a: b}
            """)
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
    }

    @Test func secretStringDataFoldsIntoData() throws {
        let desired = try object("""
            apiVersion: v1
            kind: Secret
            metadata: {name: s}
            stringData: {password: hunter2}
            data: {user: YWRtaW4=}
            """)
        let live = try object("""
            apiVersion: v1
            kind: Secret
            metadata: {name: s}
            type: Opaque
            data: {password: aHVudGVyMg==, user: YWRtaW4=}
            """)
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
        var changed = live
        try changed.value.set("b2xk", at: JSONPointer("/data/password"))
        let diff = try Differ().diff(desired: desired, live: changed)
        #expect(summary(diff) == ["modified /data/password"])
        // Masked, stably, and differently for different values: the change shows, the secret not.
        let old = diff.changes.first?.old?.stringValue ?? ""
        let new = diff.changes.first?.new?.stringValue ?? ""
        #expect(old.hasPrefix("+++ sha256:") && new.hasPrefix("+++ sha256:") && old != new)
        #expect(new == SecretMask.mask("aHVudGVyMg==").stringValue)
        let text = diff.unifiedDiff()
        #expect(!text.contains("aHVudGVyMg==") && !text.contains("b2xk") && !text.contains("hunter2"))
        #expect(text.contains("-  password: +++ sha256:") && text.contains("+  password: +++ sha256:"))
        // The patch itself carries the real value, to be applied.
        #expect(diff.jsonPatch() == [["op": "replace", "path": "/data/password", "value": "aHVudGVyMg=="]])
    }

    @Test func statusIsIgnoredUnlessDesiredHasIt() throws {
        let live = try fixture("deployment.json")
        var desired = try fixture("ssa-applied.yaml")
        #expect(try differ.diff(desired: desired, live: live).isInSync)
        desired["status"] = ["observedGeneration": 7]
        #expect(try summary(differ.diff(desired: desired, live: live)) == ["modified /status/observedGeneration"])
    }

    @Test func serverMetadataInDesiredIsIgnored() throws {
        var desired = try fixture("ssa-applied.yaml")
        desired.fields["metadata"]?["uid"] = "other"
        desired.fields["metadata"]?["resourceVersion"] = "1"
        desired.fields["metadata"]?["creationTimestamp"] = .null
        desired.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: "{}")
        #expect(try differ.diff(desired: desired, live: fixture("deployment.json")).isInSync)
    }

    /// Client-side apply: the last-applied annotation says what we set before.
    @Test func lastAppliedAnnotation() throws {
        let applied = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"team":"a"}},"data":{"a":"1","b":"2"}}"#
        var live = try object("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c, labels: {team: a, injected: "yes"}}
            data: {a: "1", b: "2", c: "3"}
            """)
        live.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: applied)
        let desired = try object("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c, labels: {team: a}}
            data: {a: "1"}
            """)
        // b was applied before and is gone from Git: drift. c and the injected label never were.
        let diff = try Differ().diff(desired: desired, live: live)
        #expect(summary(diff) == ["removed /data/b"])
        try checkPatches(Differ(), diff)
        #expect(try Differ(DiffOptions(useLastApplied: false)).diff(desired: desired, live: live).isInSync)
    }

    @Test func setListsIgnoreOrder() throws {
        let desired = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [a, b]}\n")
        let live = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [b, a, kubernetes.io/pvc-protection]}\n")
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
        let more = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [a, b, c]}\n")
        let diff = try Differ().diff(desired: more, live: live)
        #expect(summary(diff) == ["added /metadata/finalizers[=c]"])
        try checkPatches(Differ(), diff)
    }

    @Test func atomicListsCompareInOrder() throws {
        let desired = try object(podTemplate(resources: "{}", args: "[--a, --b]"))
        let live = try object(podTemplate(resources: "{}", args: "[--b, --a]"))
        let diff = try Differ().diff(desired: desired, live: live)
        #expect(summary(diff) == ["modified /spec/template/spec/containers[name=app]/args/0", "modified /spec/template/spec/containers[name=app]/args/1"])
        try checkPatches(Differ(), diff)
        let shorter = try object(podTemplate(resources: "{}", args: "[--a]"))
        let diff2 = try Differ().diff(desired: shorter, live: live)
        #expect(summary(diff2) == ["modified /spec/template/spec/containers[name=app]/args"])
        try checkPatches(Differ(), diff2)
    }

    @Test func missingFieldsAndElementsAreAdditions() throws {
        var desired = try fixture("ssa-applied.yaml")
        try desired.value.set(["name": "LOG", "value": "debug"], at: JSONPointer("/spec/template/spec/containers/0/env"))
        try desired.value.set([["name": "LOG", "value": "debug"]], at: JSONPointer("/spec/template/spec/containers/0/env"))
        try desired.value.set(["name": "third", "image": "x"], at: JSONPointer("/spec/template/spec/containers/-"))
        try desired.value.set(5, at: JSONPointer("/spec/minReadySeconds"))
        let diff = try differ.diff(desired: desired, live: fixture("deployment.json"))
        #expect(summary(diff) == [
            "added /spec/template/spec/containers[name=web]/env", "added /spec/template/spec/containers[name=third]",
            "added /spec/minReadySeconds",
        ])
        #expect(diff.changes[1].pointer.description == "/spec/template/spec/containers/-")
        let patched = try checkPatches(differ, diff)
        #expect(patched[try JSONPointer("/spec/template/spec/containers/2/name")] == "third")
    }

    func podTemplate(resources: String, args: String = "[]") -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d, namespace: n}
        spec:
          template:
            spec:
              containers:
              - name: app
                image: x
                args: \(args)
                resources: \(resources)
        """
    }

    /// `kubectl apply --server-side` of a Namespace with only a name leaves our manager an empty
    /// field set: it owns nothing, so the label and finalizer the server added are not drift.
    @Test func anEmptyFieldSetOwnsNothing() throws {
        var live = try object("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop}}
            spec: {finalizers: [kubernetes]}
            status: {phase: Active}
            """)
        live.fields["metadata"]?["managedFields"] = [
            ["manager": "gitops-test", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": [:]]
        ]
        let desired = try object("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        let diff = try differ.diff(desired: desired, live: live)
        #expect(diff.isInSync, "\(diff.changes)")
    }
}

@Suite struct MalformedInputTests {
    /// A list that should hold objects but holds scalars is compared as a whole, without a crash.
    @Test func scalarsInAMapList() throws {
        let desired = try object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [a, b]}\n")
        let live = try object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n")
        let diff = try Differ().diff(desired: desired, live: live)
        #expect(summary(diff) == ["modified /spec/containers"])
        try checkPatches(Differ(), diff)
    }

    /// Type changes (a map where live has a string) are one modification at that field.
    @Test func typeChanges() throws {
        let desired = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: {b: c}}\n")
        let live = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: text}\n")
        let diff = try Differ().diff(desired: desired, live: live)
        #expect(summary(diff) == ["modified /data/a"])
        try checkPatches(Differ(), diff)
    }

    @Test func malformedManagedFieldsAreIgnored() throws {
        var live = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b, extra: x}\n")
        live.fields["metadata"]?["managedFields"] = [["manager": "gitops", "fieldsV1": "not an object"], 7, ["fieldsV1": [:]]]
        live.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: "{not json")
        let desired = try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
        #expect(try Differ().diff(desired: desired, live: live).isInSync)
    }
}
