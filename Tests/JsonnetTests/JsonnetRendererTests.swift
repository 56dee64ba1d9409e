import Foundation
import Jsonnet
import Manifests
import Testing

/// A directory removed when the value is released.
final class Scratch {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "gitops-jsonnet-" + UUID().uuidString
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

/// A repository with a library in `lib/` (found through the library path), a helper next to the
/// application, a text file read with `importstr`, and an application taking arguments.
func writeRepository(_ repo: Scratch) throws {
    try repo.write(
        "lib/k.libsonnet",
        """
        {
          configMap(name, data):: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: name },
            data: data,
          },
          deployment(name, replicas, image):: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: name, labels: { app: name } },
            spec: {
              replicas: replicas,
              selector: { matchLabels: { app: name } },
              template: {
                metadata: { labels: { app: name } },
                spec: { containers: [{ name: name, image: image }] },
              },
            },
          },
        }
        """
    )
    try repo.write("apps/shop/naming.libsonnet", "{ prefix(env):: 'shop-' + env }\n")
    try repo.write("apps/shop/motd.txt", "hello from importstr\n")
    try repo.write(
        "apps/shop/main.jsonnet",
        """
        local k = import 'k.libsonnet';
        local naming = import 'naming.libsonnet';
        function(env, replicas=1, features={})
          [
            k.deployment(naming.prefix(env), replicas, 'nginx:' + std.extVar('tag')),
            k.configMap(naming.prefix(env) + '-config', {
              region: std.extVar('region'),
              motd: importstr 'motd.txt',
              features: std.manifestJsonMinified(features),
              debug: std.toString(std.extVar('settings').debug),
            }),
          ]
        """
    )
}

@Suite struct JsonnetRendererTests {
    @Test func argumentsVariablesLibrariesAndImports() async throws {
        let repo = try Scratch()
        try writeRepository(repo)
        var jsonnet = JsonnetRenderer(libraryPaths: ["lib"])
        jsonnet.topLevelArguments = [
            "env": .string("prod"), "replicas": .code("2 + 1"), "features": .code("{ search: true }"),
        ]
        jsonnet.externalVariables = [
            "tag": .string("1.27"), "region": .string("eu-1"), "settings": .code("{ debug: false }"),
        ]
        let objects = try await jsonnet.render(RenderInput(directory: repo.path + "/apps/shop", root: repo.path))
        #expect(objects.map(\.key.description) == ["apps/Deployment//shop-prod", "/ConfigMap//shop-prod-config"])
        let deployment = objects[0]
        #expect(deployment.value["spec"]?["replicas"] == 3)
        #expect(deployment.value["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "nginx:1.27")
        let data = objects[1].value["data"]
        #expect(data?["region"] == "eu-1")
        #expect(data?["motd"] == "hello from importstr\n")
        #expect(data?["features"] == #"{"search":true}"#)
        #expect(data?["debug"] == "false")
    }

    @Test func objectsArraysAndListsAndEveryFile() async throws {
        let dir = try Scratch()
        try dir.write("a.jsonnet", "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }")
        try dir.write(
            "b.jsonnet",
            "[[{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' + i } } for i in ['1', '2']], null]"
        )
        try dir.write(
            "c.jsonnet",
            "{ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }] }"
        )
        try dir.write("lib.libsonnet", "error 'libraries are not evaluated on their own'")
        let objects = try await JsonnetRenderer().render(RenderInput(directory: dir.path))
        #expect(objects.map(\.name) == ["a", "b1", "b2", "c"])
        let one = try await JsonnetRenderer(file: "c.jsonnet").render(RenderInput(directory: dir.path))
        #expect(one.map(\.name) == ["c"])
    }

    @Test func libraryPathsLastOneWins() async throws {
        let repo = try Scratch()
        try repo.write("one/name.libsonnet", "'from-one'")
        try repo.write("two/name.libsonnet", "'from-two'")
        try repo.write(
            "app/main.jsonnet",
            "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: import 'name.libsonnet' } }"
        )
        let input = RenderInput(directory: repo.path + "/app", root: repo.path)
        #expect(try await JsonnetRenderer(libraryPaths: ["one", "two"]).render(input).first?.name == "from-two")
        #expect(try await JsonnetRenderer(libraryPaths: ["two", "one"]).render(input).first?.name == "from-one")
        // A file next to the importer comes before the library paths.
        try repo.write("app/name.libsonnet", "'local'")
        #expect(try await JsonnetRenderer(libraryPaths: ["one"]).render(input).first?.name == "local")
    }

    @Test func syntaxErrorsNameFileLineAndColumn() async throws {
        let dir = try Scratch()
        try dir.write("main.jsonnet", "{\n  a: 1,\n  b: ,\n}\n")
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? JsonnetError else { return false }
            #expect(e.code == .evaluation)
            #expect(e.location?.source.hasSuffix("/main.jsonnet") == true, "\(e)")
            #expect(e.location?.line == 3, "\(e)")
            #expect(e.location?.column == 6, "\(e)")
            return true
        }
    }

    @Test func runtimeErrorsNameTheInnermostFrame() async throws {
        let dir = try Scratch()
        try dir.write(
            "helpers.libsonnet",
            "{\n  check(x)::\n    if x > 2 then error 'too many replicas: ' + x else x,\n}\n"
        )
        try dir.write(
            "main.jsonnet",
            "local h = import 'helpers.libsonnet';\n{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' + h.check(5) } }\n"
        )
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? JsonnetError else { return false }
            #expect(e.code == .evaluation)
            #expect(e.message == "too many replicas: 5", "\(e)")
            #expect(e.location?.source.hasSuffix("/helpers.libsonnet") == true, "\(e)")
            #expect(e.location?.line == 3, "\(e)")
            #expect(e.description.contains("main.jsonnet:2:"), "the trace is kept: \(e)")
            return true
        }
    }

    @Test func missingArgumentsAndVariablesAreErrors() async throws {
        let dir = try Scratch()
        try dir.write(
            "main.jsonnet",
            "function(env) { apiVersion: 'v1', kind: 'Namespace', metadata: { name: env + std.extVar('x') } }"
        )
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? JsonnetError)?.code == .evaluation && "\(error)".contains("env")
        }
        let noVariable = JsonnetRenderer(topLevelArguments: ["env": .string("a")])
        await #expect { try await noVariable.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? JsonnetError)?.code == .evaluation && "\(error)".contains("x")
        }
        let badCode = JsonnetRenderer(topLevelArguments: ["env": .code("'a' +")], externalVariables: ["x": .string("")])
        await #expect { try await badCode.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? JsonnetError)?.code == .evaluation
        }
    }

    @Test func importsOutsideTheCheckoutAreRefused() async throws {
        let outside = try Scratch()
        try outside.write("secret.libsonnet", "'stolen'")
        let repo = try Scratch()
        let escape = "../../" + (outside.path as NSString).lastPathComponent + "/secret.libsonnet"
        try repo.write(
            "app/main.jsonnet",
            "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: import '\(escape)' } }"
        )
        let input = RenderInput(directory: repo.path + "/app", root: repo.path)
        await #expect { try await JsonnetRenderer().render(input) } throws: { error in
            guard let e = error as? JsonnetError else { return false }
            return e.code == .importRefused && e.message.contains("secret.libsonnet")
        }
        try repo.write(
            "app/main.jsonnet",
            "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: importstr '/etc/hostname' } }"
        )
        await #expect { try await JsonnetRenderer().render(input) } throws: { error in
            (error as? JsonnetError)?.code == .importRefused
        }
        // Through a symbolic link inside the checkout.
        try FileManager.default.createSymbolicLink(
            atPath: repo.path + "/app/link.libsonnet",
            withDestinationPath: outside.path + "/secret.libsonnet"
        )
        try repo.write(
            "app/main.jsonnet",
            "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: import 'link.libsonnet' } }"
        )
        await #expect { try await JsonnetRenderer().render(input) } throws: { error in
            (error as? JsonnetError)?.code == .importRefused
        }
        // A library path the caller names may lie outside the checkout.
        try repo.write(
            "app/main.jsonnet",
            "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: import 'secret.libsonnet' } }"
        )
        let withLibrary = JsonnetRenderer(libraryPaths: [outside.path])
        #expect(try await withLibrary.render(input).first?.name == "stolen")
        // A missing import names what it looked for.
        try repo.write("app/main.jsonnet", "import 'nothing.libsonnet'")
        await #expect { try await JsonnetRenderer().render(input) } throws: { error in
            (error as? JsonnetError)?.code == .evaluation && "\(error)".contains("nothing.libsonnet")
        }
    }

    @Test func resultsThatAreNotObjects() async throws {
        let dir = try Scratch()
        try dir.write("main.jsonnet", "[{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }, 'text']")
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? JsonnetError else { return false }
            return e.code == .invalidOutput && e.message.contains("at /1") && e.message.contains("string")
        }
        try dir.write("main.jsonnet", "{ kind: 'Namespace', metadata: { name: 'x' } }")
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? ManifestError)?.code == .invalidObject
        }
        try dir.write(
            "main.jsonnet",
            "local n = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }; [n, n]"
        )
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? ManifestError)?.code == .duplicateResource
        }
        let empty = try Scratch()
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: empty.path)) } throws: { error in
            (error as? JsonnetError)?.code == .configuration && "\(error)".contains("no .jsonnet file")
        }
        await #expect {
            try await JsonnetRenderer(libraryPaths: ["missing"]).render(RenderInput(directory: dir.path))
        } throws: {
            error in (error as? JsonnetError)?.code == .configuration && "\(error)".contains("missing")
        }
    }

    @Test func deepRecursionIsAnErrorNotACrash() async throws {
        let dir = try Scratch()
        try dir.write(
            "main.jsonnet",
            "local f(n) = 1 + f(n + 1); { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' + f(0) } }"
        )
        await #expect { try await JsonnetRenderer().render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? JsonnetError)?.code == .evaluation && "\(error)".contains("stack")
        }
    }

    @Test func detectionWithTheJsonnetFactory() async throws {
        let dir = try Scratch()
        try dir.write("main.jsonnet", "{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: std.extVar('n') } }")
        #expect(try RendererKind.detect(directory: dir.path) == .jsonnet)
        let factory = RendererFactory().withJsonnet(JsonnetRenderer(externalVariables: ["n": .string("detected")]))
        let objects = try await DetectingRenderer(factory: factory).render(RenderInput(directory: dir.path))
        #expect(objects.map(\.name) == ["detected"])
        #expect(JsonnetRenderer.libraryVersion.hasPrefix("v"))
    }
}
