import Manifests
import Testing

@testable import Diff

@Suite struct IgnoreRuleTests {
    /// desired: replicas 2 and a new image; live (07-get-after-dryrun): replicas 4 owned by manager
    /// "other", as an HPA would.
    func drifted() throws -> (KubeObject, KubeObject) {
        var desired = try fixture("ssa-applied.yaml")
        try desired.value.set("registry.invalid/web:2.0", at: JSONPointer("/spec/template/spec/containers/0/image"))
        return (desired, try fixture("ssa-get-after-dryrun.json"))
    }

    @Test func withoutRulesBothShow() throws {
        let (desired, live) = try drifted()
        let diff = try Differ(DiffOptions(fieldManager: "gitops-test")).diff(desired: desired, live: live)
        #expect(summary(diff) == ["modified /spec/replicas", "modified /spec/template/spec/containers[name=web]/image"])
    }

    @Test func fieldsOwnedByListedManagersAreIgnored() throws {
        let (desired, live) = try drifted()
        let differ = Differ(DiffOptions(fieldManager: "gitops-test", ignoreRules: [ManagedFieldsIgnoreRule(managers: ["other"])]))
        #expect(try summary(differ.diff(desired: desired, live: live)) == ["modified /spec/template/spec/containers[name=web]/image"])
        let notThem = Differ(DiffOptions(fieldManager: "gitops-test", ignoreRules: [ManagedFieldsIgnoreRule(managers: ["kube-controller-manager"])]))
        #expect(try notThem.diff(desired: desired, live: live).changes.count == 2)
    }

    @Test func pathRulesWithSelectorsAndObjectFilters() throws {
        let (desired, live) = try drifted()
        func changes(_ patterns: [String], _ selector: ObjectSelector = ObjectSelector()) throws -> [String] {
            let rule = try PathIgnoreRule(patterns, for: selector)
            return try summary(Differ(DiffOptions(fieldManager: "gitops-test", ignoreRules: [rule])).diff(desired: desired, live: live))
        }
        #expect(try changes(["/spec/template/spec/containers[name=web]/image"]) == ["modified /spec/replicas"])
        #expect(try changes(["/spec/template/spec/containers[name=sidecar]/image"]).count == 2)
        #expect(try changes(["/spec/template/spec/containers/*/image", "/spec/replicas"]) == [])
        #expect(try changes(["/spec/template/spec/containers[*]"]) == ["modified /spec/replicas"])
        #expect(try changes(["**/image"]) == ["modified /spec/replicas"])
        #expect(try changes(["/spec/template"]) == ["modified /spec/replicas"])
        #expect(try changes(["/spec/replicas"], ObjectSelector(group: "apps", kind: "Deployment", namespace: "fixtures", name: "web")).count == 1)
        #expect(try changes(["/spec/replicas"], ObjectSelector(name: "other")).count == 2)
        #expect(try changes(["/spec/replicas"], ObjectSelector(group: "")).count == 2)
    }

    @Test func jsonPointerRules() throws {
        let (desired, live) = try drifted()
        let rule = try JSONPointerIgnoreRule(["/spec/template/spec/containers/0"])
        let diff = try Differ(DiffOptions(fieldManager: "gitops-test", ignoreRules: [rule])).diff(desired: desired, live: live)
        #expect(summary(diff) == ["modified /spec/replicas"])
        #expect(throws: ManifestError.self) { try JSONPointerIgnoreRule(["spec"]) }
    }

    @Test func closureRules() throws {
        let (desired, live) = try drifted()
        let rule = IgnoreRuleClosure { change, context in context.key.kind == "Deployment" && change.new == .int(2) }
        #expect(try Differ(DiffOptions(fieldManager: "gitops-test", ignoreRules: [rule])).diff(desired: desired, live: live).changes.count == 1)
    }

    @Test func patternLanguage() throws {
        let path = FieldPath([.field("spec"), .field("ports"), .key(["containerPort": 8080, "protocol": "TCP"]), .field("name")])
        #expect(path.description == "/spec/ports[containerPort=8080,protocol=TCP]/name")
        #expect(try PathPattern("/spec/ports[containerPort=8080,protocol=TCP]/name").matches(path))
        #expect(try PathPattern("/spec/ports[protocol=TCP]").matches(path))
        #expect(try !PathPattern("/spec/ports[protocol=UDP]").matches(path))
        #expect(try PathPattern("/spec/*/*/name").matches(path))
        #expect(try PathPattern("**").matches(path))
        #expect(try PathPattern("").matches(path))
        #expect(try !PathPattern("/spec/ports[containerPort=8080]/name/deeper").matches(path))
        let labels = FieldPath([.field("metadata"), .field("labels"), .field("app.kubernetes.io/name")])
        #expect(try PathPattern("/metadata/labels/app.kubernetes.io~1name").matches(labels))
        #expect(labels.description == "/metadata/labels/app.kubernetes.io~1name")
        #expect(try PathPattern("/spec/args/1").matches(FieldPath([.field("spec"), .field("args"), .index(1)])))
        #expect(try PathPattern("/spec/args[1]").matches(FieldPath([.field("spec"), .field("args"), .index(1)])))
        #expect(try PathPattern("/metadata/finalizers[=a/b]").matches(FieldPath([.field("metadata"), .field("finalizers"), .value("a/b")])))
        for bad in ["spec", "/spec/containers[name=app", "/a~2", "/a[]", "/a[=x]b", "/a~"] {
            #expect(throws: DiffError.self, "\(bad)") { try PathPattern(bad) }
        }
    }

    @Test func everyBuiltinDefaultPatternParses() {
        // The table is built with try?; a pattern that failed to parse would be missing.
        #expect(KnownDefault.builtin.count == 3 * (5 + 3 * 5) + 1 + 4 + 3 * 9 + 38)
    }
}
