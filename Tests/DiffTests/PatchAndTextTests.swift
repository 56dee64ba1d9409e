import Manifests
import Testing

@testable import Diff

@Suite struct PatchAndTextTests {
    /// RFC 6902 appendix A examples.
    @Test func jsonPatchOperations() throws {
        let doc: Value = ["foo": ["bar", "baz"], "q": ["x": 1]]
        #expect(try JSONPatch.apply([["op": "add", "path": "/foo/1", "value": "qux"]], to: doc)["foo"] == ["bar", "qux", "baz"])
        #expect(try JSONPatch.apply([["op": "remove", "path": "/foo/0"]], to: doc)["foo"] == ["baz"])
        #expect(try JSONPatch.apply([["op": "replace", "path": "/q/x", "value": 2]], to: doc)["q"] == ["x": 2])
        #expect(try JSONPatch.apply([["op": "move", "from": "/q/x", "path": "/y"]], to: doc) == ["foo": ["bar", "baz"], "q": [:], "y": 1])
        #expect(try JSONPatch.apply([["op": "copy", "from": "/foo/0", "path": "/foo/-"]], to: doc)["foo"] == ["bar", "baz", "bar"])
        #expect(try JSONPatch.apply([["op": "test", "path": "/q/x", "value": 1.0]], to: doc) == doc)
        #expect(throws: DiffError.self) { try JSONPatch.apply([["op": "test", "path": "/q/x", "value": 2]], to: doc) }
        #expect(throws: DiffError.self) { try JSONPatch.apply([["op": "remove", "path": "/nope"]], to: doc) }
        #expect(throws: DiffError.self) { try JSONPatch.apply([["op": "add", "path": "/a/b", "value": 1]], to: doc) }
        #expect(throws: DiffError.self) { try JSONPatch.apply([["op": "add", "path": "/foo/5", "value": 1]], to: doc) }
        #expect(throws: DiffError.self) { try JSONPatch.apply([["op": "jump", "path": "/"]], to: doc) }
        #expect(throws: DiffError.self) { try JSONPatch.apply(["op": "add"], to: doc) }
    }

    /// RFC 7386 section 3 example.
    @Test func mergePatch() throws {
        let target = try Value(json: #"{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}"#)
        let patch = try Value(json: #"{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}"#)
        let expected = try Value(json: #"{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}"#)
        #expect(MergePatch.apply(patch, to: target) == expected)
    }

    /// Live without server additions: the patches give desired back exactly.
    @Test func patchesTurnLiveIntoDesiredExactly() throws {
        let live = try object("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d, labels: {a: "1", gone: x}}
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - {name: a, image: a:1, env: [{name: "X", value: "1"}, {name: "Y", value: "2"}]}
                  - {name: b, image: b:1}
                  - {name: c, image: c:1}
            """)
        var lastApplied = live
        lastApplied.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: try live.value.jsonString())
        let desired = try object("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d, labels: {a: "2"}}
            spec:
              replicas: 3
              template:
                spec:
                  containers:
                  - {name: c, image: c:2}
                  - {name: a, image: a:1, env: [{name: "Y", value: "3"}]}
                  - {name: d, image: d:1}
            """)
        let diff = try Differ().diff(desired: desired, live: lastApplied)
        #expect(Set(summary(diff)) == [
            "modified /metadata/labels/a", "removed /metadata/labels/gone", "modified /spec/replicas",
            "modified /spec/template/spec/containers[name=c]/image", "added /spec/template/spec/containers[name=d]",
            "modified /spec/template/spec/containers[name=a]/env[name=Y]/value", "removed /spec/template/spec/containers[name=a]/env[name=X]",
            "removed /spec/template/spec/containers[name=b]",
        ])
        let patched = try checkPatches(Differ(), diff)
        var expectedObject = desired
        expectedObject.setAnnotation(ServerMetadataNormalizer.lastAppliedAnnotation, to: lastApplied.annotation(ServerMetadataNormalizer.lastAppliedAnnotation))
        // Same fields; map-list elements keep live's order, the new one last.
        let containers = patched[try JSONPointer("/spec/template/spec/containers")]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(containers == ["a", "c", "d"])
        #expect(patched["metadata"] == expectedObject["metadata"] && patched["spec"]?["replicas"] == 3)
        let merge = try diff.mergePatch()
        #expect(merge["metadata"]?["labels"] == ["a": "2", "gone": .null])
        #expect(merge["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.count == 3)
    }

    @Test func unifiedDiffLikeKubectl() throws {
        var desired = try fixture("ssa-applied.yaml")
        try desired.value.set("registry.invalid/web:2.0", at: JSONPointer("/spec/template/spec/containers/0/image"))
        let diff = try Differ(DiffOptions(fieldManager: "gitops-test")).diff(desired: desired, live: fixture("deployment.json"))
        let text = diff.unifiedDiff()
        #expect(text.hasPrefix("--- live/apps/Deployment/fixtures/web\n+++ desired/apps/Deployment/fixtures/web\n@@ -"))
        #expect(text.contains("\n-        image: registry.invalid/web:1.0\n+        image: registry.invalid/web:2.0\n"))
        // Defaults stay on both sides as context, status and managedFields are gone.
        #expect(!text.contains("managedFields") && !text.contains("status:") && !text.contains("uid:"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count == 4, "\(text)")
        let colored = diff.unifiedDiff(color: true)
        #expect(colored.contains("\u{1B}[31m-        image: registry.invalid/web:1.0\u{1B}[0m"))
    }

    @Test func textDiffHunks() {
        let a = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        var lines = (1...20).map { "line \($0)" }
        lines[2] = "changed 3"
        lines.remove(at: 15)
        let b = lines.joined(separator: "\n") + "\n"
        #expect(TextDiff.unified(old: a, new: b, oldName: "a", newName: "b") == """
            --- a
            +++ b
            @@ -1,6 +1,6 @@
             line 1
             line 2
            -line 3
            +changed 3
             line 4
             line 5
             line 6
            @@ -13,7 +13,6 @@
             line 13
             line 14
             line 15
            -line 16
             line 17
             line 18
             line 19

            """)
        #expect(TextDiff.unified(old: a, new: a).isEmpty)
        #expect(TextDiff.unified(old: "", new: "x\n", oldName: "a", newName: "b") == "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n")
    }

    @Test func secretMaskIsStable() {
        #expect(SecretMask.mask("aHVudGVyMg==") == SecretMask.mask("aHVudGVyMg=="))
        #expect(SecretMask.mask("a") != SecretMask.mask("b"))
        // SHA-256("abc") starts ba7816bf.
        #expect(SecretMask.mask("abc") == "+++ sha256:ba7816bf")
    }
}
