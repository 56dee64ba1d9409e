import Foundation
import Manifests
import Testing

/// The overlays under Fixtures/kustomize, rendered by ours and by the real `kubectl kustomize`.
@Suite struct KustomizeAgreementTests {
    static let overlays = ["base", "prod", "prod-eu", "misc", "names", "edge", "ordered"]

    @Test(arguments: overlays)
    func rendersAsKubectlKustomizeDoes(_ overlay: String) async throws {
        let directory = fixturePath("kustomize/\(overlay)")
        let result = try runKubectl(["kustomize", directory])
        try #require(result.status == 0, "kubectl kustomize failed: \(result.stderr)")
        let theirs = try YAML.documents(result.stdout, source: "kubectl").map(\.value).filter { !$0.isNull }
        let ours = try await KustomizeRenderer().render(
            RenderInput(directory: directory, root: fixturePath("kustomize"))
        ).map(\.value)
        #expect(ours.count == theirs.count)
        #expect(ours.map(Self.identity) == theirs.map(Self.identity), "order differs")
        for (o, t) in zip(ours, theirs) where o != t {
            Issue.record("\(Self.identity(t)) differs\nours:\n\(o.yamlString())\nkubectl:\n\(t.yamlString())")
        }
        #expect(!ours.isEmpty)
    }

    static func identity(_ v: Value) -> String {
        "\(v["kind"]?.stringValue ?? "")/\(v["metadata"]?["namespace"]?.stringValue ?? "")/\(v["metadata"]?["name"]?.stringValue ?? "")"
    }

    @Test func hashSuffixIsKustomizesForKnownInputs() async throws {
        // `kubectl kustomize` names a ConfigMap generated from the literal a=b `cfg-4h2mbtbbt6`,
        // whatever its prefix; checked by hand against kustomize v5.8.
        let dir = try TemporaryDirectory()
        try dir.write("kustomization.yaml", "namePrefix: p-\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\n")
        let objects = try await KustomizeRenderer().render(RenderInput(directory: dir.path))
        #expect(objects.map(\.name) == ["p-cfg-4h2mbtbbt6"])
    }
}

/// Every refused input gets an error naming the field or file.
@Suite struct KustomizeErrorTests {
    func render(
        _ files: [String: String],
        options: KustomizeOptions = KustomizeOptions(),
        directory: String = ""
    ) async throws
        -> [KubeObject]
    {
        let dir = try TemporaryDirectory()
        for (name, text) in files { try dir.write(name, text) }
        let target = directory.isEmpty ? dir.path : dir.path + "/" + directory
        return try await KustomizeRenderer(options: options).render(RenderInput(directory: target, root: dir.path))
    }

    func message(
        _ files: [String: String],
        options: KustomizeOptions = KustomizeOptions(),
        directory: String = ""
    ) async
        -> String
    {
        do {
            _ = try await render(files, options: options, directory: directory)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n"

    @Test func unsupportedFieldIsNamedWithItsFile() async {
        let m = await message([
            "kustomization.yaml": "resources: [cm.yaml]\nreplacements: []\n", "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("kustomization.yaml"))
        #expect(m.contains("'replacements' is not supported"))
    }

    @Test func unsupportedEntryFieldIsNamed() async {
        let m = await message([
            "kustomization.yaml": "images:\n- name: nginx\n  tagSuffix: -debug\n"
        ])
        #expect(m.contains("'images' entry field 'tagSuffix' is not supported"))
    }

    @Test func missingKustomizationFile() async {
        let m = await message(["cm.yaml": Self.configMap])
        #expect(m.contains("no kustomization file"))
    }

    @Test func remoteResourceWithoutFetcherIsRefused() async {
        let m = await message(["kustomization.yaml": "resources:\n- https://github.com/org/repo//deploy?ref=v1\n"])
        #expect(m.contains("remote resource 'https://github.com/org/repo//deploy?ref=v1'"))
        #expect(m.contains("remoteFetcher"))
    }

    @Test func remoteResourceThroughAFetcher() async throws {
        let vendored = try TemporaryDirectory()
        try vendored.write("kustomization.yaml", "resources: [cm.yaml]\n")
        try vendored.write("cm.yaml", Self.configMap)
        let path = vendored.path
        let options = KustomizeOptions(
            remoteFetcher: KustomizeRemoteFetcherClosure { url in
                guard url == "github.com/org/repo/deploy" else { throw ManifestError(.fileSystem, "unknown \(url)") }
                return path
            }
        )
        let objects = try await render(
            ["kustomization.yaml": "namePrefix: x-\nresources:\n- github.com/org/repo/deploy\n"],
            options: options
        )
        #expect(objects.map(\.name) == ["x-c"])
        let m = await message(["kustomization.yaml": "resources:\n- github.com/other/repo\n"], options: options)
        #expect(m.contains("fetching remote resource 'github.com/other/repo' failed"))
    }

    @Test func missingResourceFile() async {
        let m = await message(["kustomization.yaml": "resources: [nothere.yaml]\n"])
        #expect(m.contains("nothere.yaml"))
        #expect(m.contains("no such file"))
    }

    @Test func loadRestrictionRefusesFilesAboveTheKustomization() async throws {
        let files = ["app/kustomization.yaml": "resources: [../cm.yaml]\n", "cm.yaml": Self.configMap]
        let m = await message(files, directory: "app")
        #expect(m.contains("load restriction rootOnly"))
        let objects = try await render(files, options: KustomizeOptions(loadRestriction: .none), directory: "app")
        #expect(objects.map(\.name) == ["c"])
    }

    @Test func filesOutsideTheCheckoutAreRefused() async {
        let m = await message(
            ["kustomization.yaml": "resources: [/etc/hostname]\n"],
            options: KustomizeOptions(loadRestriction: .none)
        )
        #expect(m.contains("outside the checkout"))
    }

    @Test func componentKindsAreChecked() async {
        var m = await message(["kustomization.yaml": "components: [c]\n", "c/kustomization.yaml": "resources: []\n"])
        #expect(m.contains("kind is not Component"))
        m = await message([
            "kustomization.yaml": "resources: [c]\n", "c/kustomization.yaml": "kind: Component\n",
        ])
        #expect(m.contains("a Component can only be listed in 'components'"))
    }

    @Test func duplicateObjectsAreRefused() async {
        let m = await message([
            "kustomization.yaml": "resources: [a.yaml, b.yaml]\n", "a.yaml": Self.configMap, "b.yaml": Self.configMap,
        ])
        #expect(m.contains("already registered id"))
        #expect(m.contains("b.yaml"))
    }

    @Test func mergeWithoutABaseObject() async {
        let m = await message([
            "kustomization.yaml": "configMapGenerator:\n- name: c\n  behavior: merge\n  literals: [a=b]\n"
        ])
        #expect(m.contains("does not exist; cannot merge"))
    }

    @Test func generatorMistakes() async {
        var m = await message(["kustomization.yaml": "configMapGenerator:\n- name: c\n  literals: [novalue]\n"])
        #expect(m.contains("literal 'novalue' is not key=value"))
        m = await message(["kustomization.yaml": "configMapGenerator:\n- name: c\n  literals: [a=1, a=2]\n"])
        #expect(m.contains("key 'a' is given twice"))
        m = await message(["kustomization.yaml": "configMapGenerator:\n- name: c\n  behavior: upsert\n"])
        #expect(m.contains("behavior 'upsert'"))
    }

    @Test func patchMistakes() async {
        var m = await message([
            "kustomization.yaml":
                "resources: [cm.yaml]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: other\n",
            "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("no resource matches strategic merge patch"))
        m = await message([
            "kustomization.yaml":
                "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: remove\n      path: /data/missing\n",
            "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("/data/missing"))
        m = await message([
            "kustomization.yaml":
                "resources: [cm.yaml]\npatches:\n- patch: |-\n    - op: remove\n      path: /data/a\n",
            "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("needs a 'target'"))
        m = await message([
            "kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {name: '(['}\n  patch: '[]'\n",
            "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("not a valid regular expression"))
    }

    @Test func replicasForAnUnknownName() async {
        let m = await message([
            "kustomization.yaml": "resources: [cm.yaml]\nreplicas:\n- name: web\n  count: 2\n",
            "cm.yaml": Self.configMap,
        ])
        #expect(m.contains("replicas: no Deployment"))
    }

    @Test func cyclesAreRefused() async {
        let m = await message(["kustomization.yaml": "resources: [a]\n", "a/kustomization.yaml": "resources: [..]\n"])
        #expect(m.contains("cycle"))
    }

    @Test func malformedFieldsAreNamed() async {
        var m = await message(["kustomization.yaml": "commonLabels: [a]\n"])
        #expect(m.contains("'commonLabels': expected a map of strings"))
        m = await message(["kustomization.yaml": "kind: Kustomize\n"])
        #expect(m.contains("must be Kustomization or Component"))
        m = await message([
            "kustomization.yaml": "resources: [cm.yaml]\n",
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        ])
        #expect(m.contains("cm.yaml:1:1"))
        #expect(m.contains("no metadata.name"))
    }
}
