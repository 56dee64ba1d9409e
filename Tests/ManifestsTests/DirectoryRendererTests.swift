import Foundation
import Testing

@testable import Manifests

@Suite struct DirectoryRendererTests {
    @Test func rendersAFixtureTreeInOrder() async throws {
        let objects = try await DirectoryRenderer().render(RenderInput(directory: fixturePath("render")))
        // Files in byte order of their paths; hidden files, README.md and notes.txt are not read.
        #expect(
            objects.map(\.key.description) == [
                "apps/Deployment/shop/web",  // app/deployment.yaml
                "/ConfigMap/shop/one", "/ConfigMap/shop/two",  // app/nested/list.yaml
                "/Service/shop/web",  // app/service.yml
                "/Namespace//shop",  // namespace.json
            ]
        )
    }

    @Test func orderIsSortedByPath() throws {
        let sourced = try DirectoryRenderer().renderSourced(RenderInput(directory: fixturePath("render")))
        let files = sourced.map { $0.location.source.split(separator: "/").suffix(2).joined(separator: "/") }
        #expect(
            files == [
                "app/deployment.yaml", "nested/list.yaml", "nested/list.yaml", "app/service.yml",
                "render/namespace.json",
            ]
        )
        #expect(sourced[0].location.line == 2)  // after the leading comment
    }

    @Test func includeExcludeAndRecursion() async throws {
        let dir = fixturePath("render")
        let yamlOnly = try await DirectoryRenderer(include: [GlobPattern("*.yaml")]).render(RenderInput(directory: dir))
        #expect(yamlOnly.count == 3)
        let noNested = try await DirectoryRenderer(exclude: [GlobPattern("app/nested/**")]).render(
            RenderInput(directory: dir)
        )
        #expect(noNested.count == 3)
        let braces = try await DirectoryRenderer(include: [GlobPattern("{namespace.json,app/*.yml}")]).render(
            RenderInput(directory: dir)
        )
        #expect(braces.map(\.kind) == ["Service", "Namespace"])
        let flat = try await DirectoryRenderer(recursive: false).render(RenderInput(directory: dir))
        #expect(flat.map(\.kind) == ["Namespace"])
    }

    @Test func globs() throws {
        #expect(try GlobPattern("*.yaml").matches("a/b/c.yaml"))
        #expect(try !GlobPattern("a/*.yaml").matches("a/b/c.yaml"))
        #expect(try GlobPattern("a/**/*.yaml").matches("a/b/c.yaml"))
        #expect(try GlobPattern("a/**/*.yaml").matches("a/c.yaml"))
        #expect(try GlobPattern("file-?.y[a-z]ml").matches("file-1.yaml"))
        #expect(try !GlobPattern("file-[!0-9].yaml").matches("file-1.yaml"))
        #expect(try GlobPattern("{x,y/z}.json").matches("y/z.json"))
        #expect(throws: ManifestError.self) { try GlobPattern("[abc") }
        #expect(throws: ManifestError.self) { try GlobPattern("{a,b") }
    }

    @Test func reportsEveryBrokenFileWithLocations() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a-bad-syntax.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   oops: 1\n")
        try dir.write(
            "b-invalid.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\nkind: Secret\nmetadata: {name: s}\n"
        )
        try dir.write("c-scalar.yaml", "just a string\n")
        try dir.write("d-dup.json", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#)
        try dir.write("e-json.json", "{\"a\": }")
        #expect { try DirectoryRenderer().renderSourced(RenderInput(directory: dir.path)) } throws: { error in
            guard let errors = (error as? ManifestErrors)?.errors else { return false }
            let text = errors.map(\.description)
            #expect(text.count == 5, "\(text)")
            #expect(text.contains { $0.hasPrefix("\(dir.path)/a-bad-syntax.yaml:5:") })
            #expect(
                text.contains {
                    $0.hasPrefix("\(dir.path)/b-invalid.yaml:6:1: Secret s: /apiVersion: apiVersion is missing")
                }
            )
            #expect(
                text.contains { $0.hasPrefix("\(dir.path)/c-scalar.yaml:1:1:") && $0.contains("must be a mapping") }
            )
            #expect(text.contains { $0.contains("e-json.json:1:7") })
            #expect(text.contains { $0.contains("d-dup.json:1:1") && $0.contains("b-invalid.yaml:1:1") })
            return true
        }
    }

    @Test func symlinksOutsideTheRootAreRefused() throws {
        let outside = try TemporaryDirectory()
        try outside.write("secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n")
        let dir = try TemporaryDirectory()
        try dir.write("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/escape.yaml",
            withDestinationPath: outside.path + "/secret.yaml"
        )
        #expect { try DirectoryRenderer().renderSourced(RenderInput(directory: dir.path)) } throws: { error in
            let e = error as? ManifestError
            return e?.code == .symlinkEscape && e?.message.contains("escape.yaml") == true
        }
        // A link that stays inside is followed, and a directory loop is read once.
        try FileManager.default.removeItem(atPath: dir.path + "/escape.yaml")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/alias.yml", withDestinationPath: "ok.yaml")
        try FileManager.default.createDirectory(atPath: dir.path + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/sub/loop", withDestinationPath: "..")
        #expect { try DirectoryRenderer().renderSourced(RenderInput(directory: dir.path)) } throws: { error in
            (error as? ManifestError)?.code == .duplicateResource
        }
        let objects = try DirectoryRenderer(exclude: [GlobPattern("alias.yml")]).renderSourced(
            RenderInput(directory: dir.path)
        )
        #expect(objects.map(\.object.name) == ["ok"])
    }

    @Test func closureRenderer() async throws {
        let renderer: any ManifestRenderer = ClosureRenderer { input in
            [KubeObject(apiVersion: "v1", kind: "Namespace", name: input.environment["NAME"] ?? "none")]
        }
        let objects = try await renderer.render(RenderInput(directory: "/", environment: ["NAME": "team"]))
        #expect(objects.first?.name == "team")
    }
}

/// A directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "gitops-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
