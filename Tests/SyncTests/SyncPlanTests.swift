import Manifests
import Testing

@testable import Sync

@Suite struct SyncPlanTests {
    func objects(_ yaml: String) throws -> [KubeObject] {
        try YAML.documents(yaml).compactMap { $0.value.isNull ? nil : try KubeObject($0.value) }
    }

    @Test func ordersByPhaseWaveKindAndName() throws {
        let desired = try objects(
            """
            {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}
            ---
            {apiVersion: v1, kind: Service, metadata: {name: web}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: b-config}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: a-config}}
            ---
            {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
            ---
            {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: widgets.example.com}}
            ---
            {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}
            ---
            {apiVersion: v1, kind: ServiceAccount, metadata: {name: web}}
            ---
            {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: web}}
            ---
            {apiVersion: apps/v1, kind: Deployment, metadata: {name: late, annotations: {argocd.argoproj.io/sync-wave: "2"}}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: early, annotations: {argocd.argoproj.io/sync-wave: "-1"}}}
            ---
            {apiVersion: batch/v1, kind: Job, metadata: {generateName: migrate-, annotations: {argocd.argoproj.io/hook: PreSync}}}
            ---
            {apiVersion: batch/v1, kind: Job, metadata: {name: smoke, annotations: {argocd.argoproj.io/hook: "PostSync, SyncFail", argocd.argoproj.io/hook-delete-policy: HookSucceeded}}}
            """
        )
        let plan = try SyncPlan(desired: desired, live: [], options: SyncPlanOptions(app: "shop"))
        #expect(
            plan.steps.map { "\($0.phase.rawValue) \($0.wave) \($0.key.kind)/\($0.key.name)" } == [
                "PreSync 0 Job/",
                "Sync -1 ConfigMap/early",
                "Sync 0 Namespace/shop",
                "Sync 0 CustomResourceDefinition/widgets.example.com",
                "Sync 0 ServiceAccount/web",
                "Sync 0 RoleBinding/web",
                "Sync 0 ConfigMap/a-config",
                "Sync 0 ConfigMap/b-config",
                "Sync 0 Service/web",
                "Sync 0 Deployment/web",
                "Sync 0 Widget/w",
                "Sync 2 Deployment/late",
                "PostSync 0 Job/smoke",
            ]
        )
        #expect(plan.syncFailHooks.map(\.key.name) == ["smoke"])
        #expect(plan.steps.last?.annotations.deletePolicies == [.hookSucceeded])
        #expect(plan.steps.first?.annotations.deletePolicies == [.beforeHookCreation])
        #expect(
            plan.groups.map { "\($0.phase.rawValue)/\($0.wave)/\($0.steps.count)" } == [
                "PreSync/0/1", "Sync/-1/1", "Sync/0/9", "Sync/2/1", "PostSync/0/1",
            ]
        )
        // Every applied object carries the application's tracking.
        let tracking = Tracking()
        #expect(plan.steps.allSatisfy { tracking.isTracked($0.object, by: "shop") || $0.object.name == nil })
        #expect(plan.steps[2].object.annotation(Tracking.argoCDKey) == "shop:/Namespace:/shop")
        #expect(plan.steps[9].object.annotation(Tracking.argoCDKey) == "shop:apps/Deployment:default/web")
    }

    @Test func prunesOnlyTrackedObjectsInReverseOrder() throws {
        let tracking = Tracking()
        let desired = try objects("{apiVersion: v1, kind: ConfigMap, metadata: {name: keep, namespace: shop}}")
        var live = try objects(
            """
            {apiVersion: v1, kind: ConfigMap, metadata: {name: keep, namespace: shop}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: old-config, namespace: shop}}
            ---
            {apiVersion: apps/v1, kind: Deployment, metadata: {name: old-web, namespace: shop}}
            ---
            {apiVersion: v1, kind: Secret, metadata: {name: hand-made, namespace: shop}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: kept, namespace: shop, annotations: {argocd.argoproj.io/sync-options: Prune=false}}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: theirs, namespace: shop}}
            """
        )
        for i in [0, 1, 2, 4] { live[i] = tracking.marked(live[i], app: "shop") }
        live[5] = tracking.marked(live[5], app: "other")
        let options = SyncPlanOptions(app: "shop", prune: true)
        let plan = try SyncPlan(desired: desired, live: live, options: options)
        #expect(
            plan.steps.map { "\($0.action.rawValue) \($0.key.kind)/\($0.key.name)" } == [
                "apply ConfigMap/keep", "prune Deployment/old-web", "prune ConfigMap/old-config",
            ]
        )
        #expect(plan.skipped.map(\.reason) == ["Prune=false"])
        #expect(plan.groups.map(\.isPrune) == [false, true])

        // Pruning off: reported, not deleted.
        let off = try SyncPlan(desired: desired, live: live, options: SyncPlanOptions(app: "shop"))
        #expect(off.steps.map(\.action) == [.apply])
        #expect(off.skipped.count == 3)

        // An empty render prunes nothing unless allowed.
        let empty = try SyncPlan(desired: [], live: live, options: options)
        #expect(empty.steps.isEmpty)
        #expect(empty.skipped.contains { $0.reason.contains("allow-empty") })
        var allow = options
        allow.allowEmpty = true
        #expect(try SyncPlan(desired: [], live: live, options: allow).steps.count == 3)

        // Prune-last moves pruning after PostSync.
        var last = options
        last.pruneLast = true
        #expect(try SyncPlan(desired: desired, live: live, options: last).steps.last?.phase == .postSync)
    }

    @Test func leavesObjectsOfOtherApplicationsAndSkippedOnes() throws {
        let tracking = Tracking()
        let desired = try objects(
            """
            {apiVersion: v1, kind: ConfigMap, metadata: {name: shared, namespace: ns}}
            ---
            {apiVersion: v1, kind: ConfigMap, metadata: {name: ignored, namespace: ns, annotations: {argocd.argoproj.io/hook: Skip}}}
            """
        )
        let live = [tracking.marked(desired[0], app: "billing")]
        let plan = try SyncPlan(desired: desired, live: live, options: SyncPlanOptions(app: "shop", prune: true))
        #expect(plan.steps.isEmpty)
        #expect(
            plan.skipped.map(\.reason).sorted() == [
                "marked argocd.argoproj.io/hook: Skip", "tracked by application 'billing'",
            ]
        )
        var takeOver = SyncPlanOptions(app: "shop")
        takeOver.takeOver = true
        #expect(try SyncPlan(desired: desired, live: live, options: takeOver).steps.count == 1)
    }

    @Test func invalidAnnotationsNameTheObject() throws {
        let cases = [
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {argocd.argoproj.io/sync-wave: soon}}}",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {argocd.argoproj.io/hook: Later}}}",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {argocd.argoproj.io/hook-delete-policy: Never}}}",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {argocd.argoproj.io/sync-options: Prune}}}",
        ]
        for text in cases {
            #expect { try SyncPlan(desired: try objects(text), live: [], options: SyncPlanOptions(app: "x")) } throws: {
                error in
                let e = error as? SyncError
                return e?.code == .invalidAnnotation
                    && e?.description.hasPrefix("/ConfigMap//a: annotation argocd.argoproj.io/") == true
            }
        }
    }

    @Test func trackingValues() throws {
        let tracking = Tracking()
        var object = KubeObject(apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "prod")
        object.setAnnotation(Tracking.argoCDKey, to: "shop:apps/Deployment:prod/web")
        let owner = try #require(try tracking.owner(of: object))
        #expect(owner.app == "shop")
        #expect(owner.resource == ResourceKey(group: "apps", kind: "Deployment", namespace: "prod", name: "web"))
        #expect(tracking.isTracked(object, by: "shop"))
        #expect(!tracking.isTracked(object, by: "other"))
        // A copied annotation that names another object does not make it ours.
        var copy = object
        copy.name = "web-copy"
        #expect(!tracking.isTracked(copy, by: "shop"))
        object.setAnnotation(Tracking.argoCDKey, to: "no-separators")
        #expect(throws: SyncError.self) { try tracking.owner(of: object) }
        let custom = Tracking(key: "example.com/owned-by")
        #expect(custom.marked(object, app: "a").annotation("example.com/owned-by") == "a:apps/Deployment:prod/web")
    }
}
