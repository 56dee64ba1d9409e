import Manifests
import Testing

@testable import Diff

/// The server-side mode on 04-server-side-apply: manager "other" applied replicas 5 with
/// dryRun=All (06); live before and after (05, 07) has replicas 4.
@Suite struct ServerSideTests {
    @Test func ownedFieldThatDiffersIsDrift() throws {
        let differ = Differ(DiffOptions(fieldManager: "other"))
        let diff = try differ.serverSideDiff(predicted: fixture("ssa-dryrun-result.json"), live: fixture("ssa-get-after-dryrun.json"))
        // generation 4 against 3, the managedFields times: not ours, not drift.
        #expect(summary(diff) == ["modified /spec/replicas"])
        #expect(diff.changes.first?.old == 4 && diff.changes.first?.new == 5)
        #expect(diff.jsonPatch() == [["op": "replace", "path": "/spec/replicas", "value": 5]])
        #expect(try diff.mergePatch() == ["spec": ["replicas": 5]])
        #expect(diff.unifiedDiff() == """
            --- live/apps/Deployment/fixtures/web
            +++ desired/apps/Deployment/fixtures/web
            @@ -8,7 +8,7 @@
               annotations:
                 deployment.kubernetes.io/revision: "1"
             spec:
            -  replicas: 4
            +  replicas: 5
               selector:
                 matchLabels:
                   app: web

            """)
    }

    @Test func otherManagersFieldsDropOut() throws {
        let differ = Differ(DiffOptions(fieldManager: "gitops-test"))
        let diff = try differ.serverSideDiff(predicted: fixture("ssa-dryrun-result.json"), live: fixture("ssa-get-after-dryrun.json"))
        #expect(diff.isInSync, "\(diff.changes)")
    }

    @Test func throughTheDryRunSeam() async throws {
        let predicted = try fixture("ssa-dryrun-result.json")
        let applier = DryRunApplierClosure { object, manager in
            #expect(manager == "other")
            #expect(object.name == "web")
            return predicted
        }
        let differ = Differ(DiffOptions(fieldManager: "other"))
        let diff = try await differ.serverSideDiff(desired: fixture("ssa-applied.yaml"), live: fixture("ssa-get-before-dryrun.json"), applier: applier)
        #expect(summary(diff) == ["modified /spec/replicas"])
        let failing = DryRunApplierClosure { _, _ in throw DiffError(.patchFailed, "422") }
        await #expect(throws: DiffError.self) {
            try await differ.serverSideDiff(desired: predicted, live: nil, applier: failing)
        }
    }

    /// A field the dry run no longer has but we owned in live: removed on apply, so drift.
    @Test func fieldWeStoppedSettingIsDrift() throws {
        var predicted = try fixture("ssa-dryrun-result.json")
        try predicted.value.remove(at: JSONPointer("/metadata/labels"))
        let differ = Differ(DiffOptions(fieldManager: "gitops-test"))
        let diff = try differ.serverSideDiff(predicted: predicted, live: fixture("ssa-get-after-dryrun.json"))
        #expect(summary(diff) == ["removed /metadata/labels/app"])
    }

    @Test func containerFieldsByKey() throws {
        var predicted = try fixture("ssa-dryrun-result.json")
        try predicted.value.set("registry.invalid/sidecar:2.0", at: JSONPointer("/spec/template/spec/containers/1/image"))
        let differ = Differ(DiffOptions(fieldManager: "gitops-test"))
        let diff = try differ.serverSideDiff(predicted: predicted, live: fixture("ssa-get-after-dryrun.json"))
        #expect(summary(diff) == ["modified /spec/template/spec/containers[name=sidecar]/image"])
        #expect(diff.changes.first?.pointer.description == "/spec/template/spec/containers/1/image")
    }
}
