/// A `--set`-style override of one Helm value.
public struct HelmParameter: Sendable, Hashable {
    /// The value's path, in Helm's syntax (`image.tag`, `servers[0].port`).
    public var name: String
    /// The value. Commas and backslashes are escaped for Helm, so the value arrives as written.
    public var value: String
    /// Whether the value stays a string (`--set-string`) instead of being read as a number or
    /// boolean where it looks like one (`--set`).
    public var forceString: Bool

    /// An override of `name` with `value`.
    public init(name: String, value: String, forceString: Bool = false) {
        self.name = name
        self.value = value
        self.forceString = forceString
    }
}

/// Renders a Helm chart directory by running `helm template`.
///
/// The directory of the ``RenderInput`` is the chart (it holds `Chart.yaml`). Dependencies must be
/// vendored in its `charts/` folder: the renderer never downloads anything. Values come, in
/// Helm's order of precedence (later wins), from the chart's `values.yaml`, then ``valueFiles``,
/// then ``values``, then ``parameters``.
///
/// ```swift
/// var helm = HelmRenderer(releaseName: "shop", namespace: "prod")
/// helm.valueFiles = ["values-prod.yaml"]
/// helm.parameters = [HelmParameter(name: "image.tag", value: "1.4.2", forceString: true)]
/// let objects = try await helm.render(RenderInput(directory: "checkout/charts/shop", root: "checkout"))
/// ```
///
/// Confinement: the chart directory and every value file must lie inside ``RenderInput/root``,
/// and no symbolic link in the chart may lead outside it. `helm` runs without a shell, with the
/// environment in ``environment``, a ``timeout`` and an output limit; cancelling the task kills it.
public struct HelmRenderer: ManifestRenderer {
    /// The `helm` program: a path (with a `/`), or a name looked up in ``searchPath``.
    public var executable: String
    /// The directories searched for ``executable`` when it has no `/`, colon-separated; the
    /// caller's `PATH` when `nil`.
    public var searchPath: String?
    /// The release name (`.Release.Name`).
    public var releaseName: String
    /// The release namespace (`.Release.Namespace`, `--namespace`); Helm's `default` when `nil`.
    public var namespace: String?
    /// Values files, relative to the chart directory (or absolute), each inside the checkout.
    public var valueFiles: [String]
    /// Whether a value file that does not exist is skipped instead of being an error.
    public var ignoreMissingValueFiles: Bool
    /// Values given inline (like Argo CD's `valuesObject`), applied after ``valueFiles``. Must be
    /// an object when set.
    public var values: Value?
    /// `--set` and `--set-string` overrides, applied last, in order.
    public var parameters: [HelmParameter]
    /// `.Capabilities.KubeVersion` (`--kube-version`), such as `1.31.0`.
    public var kubeVersion: String?
    /// Extra API versions for `.Capabilities.APIVersions` (`--api-versions`), such as
    /// `monitoring.coreos.com/v1`.
    public var apiVersions: [String]
    /// Whether the chart's `crds/` are included in the output (`--include-crds`; on by default,
    /// as Argo CD does).
    public var includeCRDs: Bool
    /// Whether test hooks are left out (`--skip-tests`).
    public var skipTests: Bool
    /// Further arguments passed to `helm template` as they are, before the chart. Nothing checks
    /// them: do not let repository content choose them (`--post-renderer` runs a program).
    public var additionalArguments: [String]
    /// The environment `helm` runs with. By default `PATH`, `HOME` and every `HELM_*` variable of
    /// the calling process.
    public var environment: [String: String]
    /// How long `helm` may run (two minutes by default).
    public var timeout: Duration
    /// The most bytes `helm` may print (64 MiB by default).
    public var maxOutputBytes: Int
    /// Limits for reading the printed YAML.
    public var limits: ReadLimits

    /// A renderer running `executable` for release `releaseName`.
    public init(
        executable: String = "helm",
        releaseName: String = "release",
        namespace: String? = nil,
        valueFiles: [String] = [],
        values: Value? = nil,
        parameters: [HelmParameter] = [],
        timeout: Duration = .seconds(120)
    ) {
        self.executable = executable
        self.searchPath = nil
        self.releaseName = releaseName
        self.namespace = namespace
        self.valueFiles = valueFiles
        self.ignoreMissingValueFiles = false
        self.values = values
        self.parameters = parameters
        self.kubeVersion = nil
        self.apiVersions = []
        self.includeCRDs = true
        self.skipTests = false
        self.additionalArguments = []
        self.environment = HelmRenderer.defaultEnvironment()
        self.timeout = timeout
        self.maxOutputBytes = 64 << 20
        self.limits = ReadLimits()
    }

    /// `PATH`, `HOME` and the `HELM_*` variables of the calling process.
    public static func defaultEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        for name in ["PATH", "HOME"] { result[name] = Subprocess.processEnvironment(name) }
        for (name, value) in ProcessEnvironment.all() where name.hasPrefix("HELM_") { result[name] = value }
        return result
    }

    /// Runs `helm template` on the chart in `input.directory` and reads what it prints.
    ///
    /// - Throws: ``RenderToolError`` when `helm` is not installed (naming where it was looked
    ///   for), fails (with Helm's message, such as a template error at `file:line:column` or a
    ///   dependency missing from `charts/`), times out or prints too much, or when a path leaves
    ///   the checkout; ``ManifestError``/``ManifestErrors`` when the output is not valid
    ///   manifests; `CancellationError` when the task is cancelled.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        let program = "helm template"
        let chart = try Confinement.check(input.directory, root: input.root, program: program)
        let path = searchPath ?? Subprocess.processEnvironment("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        let helm = try Subprocess.resolveExecutable(
            executable,
            searchPath: path,
            hint: "install Helm (https://helm.sh) or set HelmRenderer.executable to its path"
        )
        let realRoot = try FileSystem.realPath(input.root)
        var files: [String] = []
        for file in valueFiles {
            let full = file.hasPrefix("/") ? file : chart + "/" + file
            guard FileSystem.entryType(full) != nil else {
                if ignoreMissingValueFiles { continue }
                throw RenderToolError(
                    .invalidConfiguration,
                    program: program,
                    "values file '\(file)' does not exist in '\(input.directory)'"
                )
            }
            let real = try FileSystem.realPath(full)
            guard FileSystem.isInside(real, root: realRoot) else {
                throw RenderToolError(
                    .outsideRoot,
                    program: program,
                    "values file '\(file)' is outside the checkout '\(input.root)'; refused"
                )
            }
            files.append(real)
        }
        var stdin: [UInt8]? = nil
        if let values {
            guard case .object = values else {
                throw RenderToolError(
                    .invalidConfiguration,
                    program: program,
                    "inline values must be an object, not a \(values.kindName)"
                )
            }
            stdin = try values.jsonBytes()
        }
        let arguments = try commandLine(chart: chart, valueFiles: files, valuesOnStandardInput: stdin != nil)
        let process = Subprocess(
            executable: helm,
            arguments: arguments,
            environment: environment,
            workingDirectory: chart,
            standardInput: stdin,
            timeout: timeout,
            maxOutputBytes: maxOutputBytes,
            displayName: program
        )
        let result = try await process.run()
        guard result.exitStatus == 0 else {
            var message = "failed on chart '\(input.directory)'"
            if let status = result.exitStatus { message += " (exit status \(status))" }
            if let signal = result.signal { message += " (killed by signal \(signal))" }
            throw RenderToolError(
                .failed,
                program: program,
                message,
                exitStatus: result.exitStatus,
                standardError: result.trimmedError
            )
        }
        return try RenderedOutput.objects(
            result.standardOutput,
            source: "helm template \(input.directory)",
            limits: limits
        )
    }

    /// The arguments after `helm`, for the chart at `chart` and resolved value files.
    func commandLine(chart: String, valueFiles: [String], valuesOnStandardInput: Bool) throws -> [String] {
        func bad(_ message: String) -> RenderToolError {
            RenderToolError(.invalidConfiguration, program: "helm template", message)
        }
        guard !releaseName.isEmpty, !releaseName.hasPrefix("-") else {
            throw bad("release name '\(releaseName)' is empty or starts with '-'")
        }
        var arguments = ["template", releaseName, chart]
        if let namespace {
            guard !namespace.isEmpty else { throw bad("the namespace is empty") }
            arguments += ["--namespace", namespace]
        }
        for file in valueFiles { arguments += ["--values", file] }
        if valuesOnStandardInput { arguments += ["--values", "-"] }
        for parameter in parameters {
            guard !parameter.name.isEmpty,
                !parameter.name.contains(where: { $0 == "=" || $0 == "," || $0.isNewline })
            else {
                throw bad("parameter name '\(parameter.name)' is empty or holds '=', ',' or a line break")
            }
            var escaped = ""
            for character in parameter.value {
                if character == "\\" || character == "," { escaped.append("\\") }
                escaped.append(character)
            }
            arguments += [parameter.forceString ? "--set-string" : "--set", "\(parameter.name)=\(escaped)"]
        }
        if let kubeVersion { arguments += ["--kube-version", kubeVersion] }
        for version in apiVersions { arguments += ["--api-versions", version] }
        if includeCRDs { arguments.append("--include-crds") }
        if skipTests { arguments.append("--skip-tests") }
        arguments += additionalArguments
        return arguments
    }
}
