import Foundation
import Testing

@testable import Manifests

extension TemporaryDirectory {
    /// Writes an executable shell script.
    func script(_ name: String, _ body: String) throws {
        try write(name, "#!/bin/sh\n" + body)
        chmod(path + "/" + name, 0o755)
    }
}

@Suite struct CommandPluginRendererTests {
    @Test func runsAProgramThatPrintsYAML() async throws {
        let dir = try TemporaryDirectory()
        // The script reads the directory (its working directory), its arguments and its environment.
        try dir.script(
            "app/render.sh",
            """
            set -eu
            for f in *.name; do
              n=$(cat "$f")
              printf -- '---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: %s\\n' "$n"
              printf 'data:\\n  arg: "%s"\\n  region: "%s"\\n  token: "%s"\\n  home: "%s"\\n  pwd: "%s"\\n' \\
                "$1" "${APP_REGION:-}" "${FIXED:-}" "${HOME:-unset}" "$(pwd)"
            done
            """
        )
        try dir.write("app/a.name", "alpha\n")
        try dir.write("app/b.name", "beta\n")
        setenv("GITOPS_TEST_LEAK", "should-not-pass", 1)
        var plugin = CommandPluginRenderer(
            name: "names",
            command: ["./render.sh", "first arg; with $(shell) chars"],
            environment: ["FIXED": "fixed-value"]
        )
        plugin.variablePrefix = "APP_"
        let objects = try await plugin.render(
            RenderInput(directory: dir.path + "/app", root: dir.path, environment: ["REGION": "eu-1"])
        )
        #expect(objects.map(\.name) == ["alpha", "beta"])
        let data = try #require(objects.first?.value["data"])
        #expect(data["arg"] == "first arg; with $(shell) chars")  // no shell in between
        #expect(data["region"] == "eu-1")
        #expect(data["token"] == "fixed-value")
        #expect(data["home"] == "unset")  // the caller's environment is not passed on
        let realApp = try FileSystem.realPath(dir.path + "/app")
        #expect(data["pwd"] == .string(realApp))
    }

    @Test func onlyDeclaredVariablesReachTheProgram() async throws {
        let dir = try TemporaryDirectory()
        setenv("GITOPS_TEST_LEAK", "should-not-pass", 1)
        let plugin = CommandPluginRenderer(
            name: "env",
            command: [
                "sh", "-c",
                "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: env}\\ndata:\\n'; env | sort | sed 's/^\\([^=]*\\)=\\(.*\\)$/  \\1: \"\\2\"/'",
            ]
        )
        let objects = try await plugin.render(RenderInput(directory: dir.path, environment: ["APP_ONE": "1"]))
        let data = try #require(objects.first?.value["data"]?.objectValue)
        #expect(Set(data.keys).subtracting(["SHLVL", "_"]) == ["APP_ONE", "PATH", "PWD"], "\(data.keys)")
        #expect(data["PATH"] == "/usr/local/bin:/usr/bin:/bin")
    }

    @Test func shellOnlyWhenAsked() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("x.txt", "gamma")
        let script = "echo 'apiVersion: v1'; echo 'kind: Namespace'; echo \"metadata: {name: $(cat x.txt)}\""
        let shell = CommandPluginRenderer(name: "sh", command: [script], useShell: true)
        #expect(try await shell.render(RenderInput(directory: dir.path)).map(\.name) == ["gamma"])
        // Without useShell the same text is a program name, which does not exist.
        let noShell = CommandPluginRenderer(name: "sh", command: [script])
        await #expect { try await noShell.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? RenderToolError)?.code == .notFound
        }
        let twoParts = CommandPluginRenderer(name: "sh", command: ["echo", "x"], useShell: true)
        await #expect { try await twoParts.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration
        }
    }

    @Test func aFailingProgramIsAnErrorWithItsStandardError() async throws {
        let dir = try TemporaryDirectory()
        try dir.script(
            "fail.sh",
            "echo '   ' >&2\necho 'template values.yaml: key \"x\" missing' >&2\necho partial\nexit 3\n"
        )
        let plugin = CommandPluginRenderer(name: "failing", command: ["./fail.sh"])
        await #expect { try await plugin.render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? RenderToolError else { return false }
            #expect(e.code == .failed)
            #expect(e.exitStatus == 3)
            #expect(e.standardError == "template values.yaml: key \"x\" missing")
            #expect(e.description.hasPrefix("plugin failing: failed in '\(dir.path)' with exit status 3:\n"))
            return true
        }
    }

    @Test func aSlowProgramIsKilledAtTheTimeout() async throws {
        let dir = try TemporaryDirectory()
        // The script starts a child that would outlive it; the whole process group goes.
        try dir.script("slow.sh", "echo started >&2\nsleep 300 &\nsleep 300\n")
        let plugin = CommandPluginRenderer(name: "slow", command: ["./slow.sh"], timeout: .seconds(1))
        let start = ContinuousClock.now
        await #expect { try await plugin.render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? RenderToolError else { return false }
            return e.code == .timedOut && e.standardError == "started"
        }
        // Generous: the point is that it does not wait for the 300 s sleep.
        #expect(ContinuousClock.now - start < .seconds(120))
    }

    @Test func cancellingTheTaskKillsTheProgram() async throws {
        let dir = try TemporaryDirectory()
        try dir.script("slow.sh", "sleep 300\n")
        let plugin = CommandPluginRenderer(name: "slow", command: ["./slow.sh"], timeout: .seconds(600))
        let task = Task { try await plugin.render(RenderInput(directory: dir.path)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func tooMuchOutputIsRefused() async throws {
        let dir = try TemporaryDirectory()
        try dir.script("loud.sh", "yes 'data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n")
        let plugin = CommandPluginRenderer(name: "loud", command: ["./loud.sh"], maxOutputBytes: 100_000)
        await #expect { try await plugin.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? RenderToolError)?.code == .outputTooLarge && "\(error)".contains("100000 bytes")
        }
    }

    @Test func invalidOutputNamesThePluginAndLine() async throws {
        let dir = try TemporaryDirectory()
        try dir.script(
            "bad.sh",
            "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\n---\\nkind: Secret\\nmetadata: {name: b}\\n'\n"
        )
        let plugin = CommandPluginRenderer(name: "bad", command: ["./bad.sh"])
        await #expect { try await plugin.render(RenderInput(directory: dir.path)) } throws: { error in
            guard let e = error as? ManifestError else { return false }
            return e.location?.source == "<plugin bad output>" && e.location?.line == 5
                && e.message.contains("apiVersion")
        }
    }

    @Test func theCheckoutConfinesTheProgram() async throws {
        let outside = try TemporaryDirectory()
        try outside.script("evil.sh", "echo 'apiVersion: v1'\n")
        let dir = try TemporaryDirectory()
        try dir.write("repo/app/ok.txt", "x")
        let input = RenderInput(directory: dir.path + "/repo/app", root: dir.path + "/repo")
        // A relative program path that leaves the checkout.
        let escape = CommandPluginRenderer(
            name: "p",
            command: ["../../../" + (outside.path as NSString).lastPathComponent + "/evil.sh"]
        )
        await #expect { try await escape.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .outsideRoot
        }
        // A working directory outside the root.
        let plugin = CommandPluginRenderer(name: "p", command: ["true"])
        await #expect {
            try await plugin.render(RenderInput(directory: outside.path, root: dir.path + "/repo"))
        } throws: {
            error in (error as? RenderToolError)?.code == .outsideRoot
        }
        // A symbolic link under the directory that leads out, even through another directory of the checkout.
        try FileManager.default.createDirectory(atPath: dir.path + "/repo/shared", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/repo/shared/out",
            withDestinationPath: outside.path
        )
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/repo/app/shared",
            withDestinationPath: "../shared"
        )
        await #expect { try await plugin.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .outsideRoot && "\(error)".contains("shared/out")
        }
        try FileManager.default.removeItem(atPath: dir.path + "/repo/shared/out")
        #expect(try await plugin.render(input).isEmpty)  // `true` prints nothing: no objects
    }

    @Test func badVariablesAreRefused() async throws {
        let dir = try TemporaryDirectory()
        let plugin = CommandPluginRenderer(name: "p", command: ["true"])
        for name in ["PATH", "1X", "A-B", ""] {
            await #expect {
                try await plugin.render(RenderInput(directory: dir.path, environment: [name: "v"]))
            } throws: {
                error in (error as? RenderToolError)?.code == .invalidConfiguration
            }
        }
        let empty = CommandPluginRenderer(name: "p", command: [])
        await #expect { try await empty.render(RenderInput(directory: dir.path)) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration
        }
    }
}

@Suite struct RendererDetectionTests {
    @Test func detectsEachKind() throws {
        let dir = try TemporaryDirectory()
        try dir.write("k1/kustomization.yaml", "resources: []\n")
        try dir.write("k1/Chart.yaml", "name: x\n")  // a kustomization wins over a chart
        try dir.write("k2/kustomization.yml", "")
        try dir.write("k3/Kustomization", "")
        try dir.write("h/Chart.yaml", "")
        try dir.write("h/main.jsonnet", "{}")
        try dir.write("j/main.jsonnet", "{}")
        try dir.write("j/lib/x.libsonnet", "{}")
        try dir.write("p/a.yaml", "")
        try dir.write("p/sub/Chart.yaml", "")  // only the directory's own files count
        try dir.write("p/.hidden.jsonnet", "")
        #expect(try RendererKind.detect(directory: dir.path + "/k1") == .kustomize)
        #expect(try RendererKind.detect(directory: dir.path + "/k2") == .kustomize)
        #expect(try RendererKind.detect(directory: dir.path + "/k3") == .kustomize)
        #expect(try RendererKind.detect(directory: dir.path + "/h") == .helm)
        #expect(try RendererKind.detect(directory: dir.path + "/j") == .jsonnet)
        #expect(try RendererKind.detect(directory: dir.path + "/p") == .directory)
        #expect(throws: ManifestError.self) { try RendererKind.detect(directory: dir.path + "/missing") }
    }

    @Test func detectingRendererUsesTheFactoryAndTheOverride() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        try dir.write("web/extra.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n")
        var factory = RendererFactory()
        factory.helm = { HelmRenderer(executable: try helmPath(), releaseName: "detected") }
        let input = RenderInput(directory: dir.path + "/web")
        let detected = try await DetectingRenderer(factory: factory).render(input)
        #expect(detected.contains { $0.name == "detected-web" })
        #expect(try DetectingRenderer(factory: factory).kind(for: input) == .helm)
        // The user says it is plain YAML: the chart's files are read as they are.
        let forced = try await DetectingRenderer(kind: .directory, factory: factory).render(
            RenderInput(directory: dir.path + "/web/crds")
        )
        #expect(forced.map(\.name) == ["widgets.example.com"])
        // A replaced function is called for its kind.
        factory.directory = { ClosureRenderer { _ in [KubeObject(apiVersion: "v1", kind: "Namespace", name: "mine")] } }
        try dir.write("plain/a.yaml", "")
        #expect(
            try await DetectingRenderer(factory: factory).render(RenderInput(directory: dir.path + "/plain")).map(
                \.name
            ) == ["mine"]
        )
        // Kustomize: the in-process KustomizeRenderer by default, and a function set by the user is used.
        try dir.write("k/kustomization.yaml", "resources: [cm.yaml]\nnamePrefix: p-\n")
        try dir.write("k/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
        #expect(try await DetectingRenderer().render(RenderInput(directory: dir.path + "/k")).map(\.name) == ["p-c"])
        factory.kustomize = { ClosureRenderer { _ in [KubeObject(apiVersion: "v1", kind: "Namespace", name: "k")] } }
        #expect(
            try await DetectingRenderer(factory: factory).render(RenderInput(directory: dir.path + "/k")).map(\.name)
                == ["k"]
        )
        // Jsonnet needs its own library: the default says so.
        try dir.write("j/main.jsonnet", "{}")
        await #expect { try await DetectingRenderer().render(RenderInput(directory: dir.path + "/j")) } throws: {
            error in
            "\(error)".contains("JsonnetRenderer")
        }
    }
}
