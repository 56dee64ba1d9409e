/// Renders a directory by running a program that prints manifests (Argo CD's
/// config-management-plugin idea): any tool that reads the directory and prints a YAML stream
/// (or JSON) of Kubernetes objects.
///
/// ```swift
/// let plugin = CommandPluginRenderer(name: "envsubst", command: ["./render.sh", "--env", "prod"])
/// let objects = try await plugin.render(
///     RenderInput(directory: "checkout/apps/shop", root: "checkout", environment: ["REGION": "eu-1"])
/// )
/// ```
///
/// What the program gets, and nothing else:
/// - its arguments exactly as in ``command``, with no shell; with ``useShell`` on, the single
///   element of ``command`` is run by `/bin/sh -c`;
/// - the working directory ``RenderInput/directory``, which must lie inside ``RenderInput/root``
///   with no symbolic link under it leading outside (both refused with an error before the
///   program starts);
/// - an environment of `PATH` (``searchPath``), `PWD` (the working directory), the renderer's
///   ``environment``, and the application's ``RenderInput/environment``, each name with
///   ``variablePrefix`` in front; the caller's own environment is not passed on;
/// - standard input from `/dev/null`.
///
/// The program is killed (with every process it started in its process group) when it runs past
/// ``timeout``, prints more than ``maxOutputBytes``, or the task is cancelled. A non-zero exit is
/// an error carrying the start of its standard error.
public struct CommandPluginRenderer: ManifestRenderer {
    /// The plugin's name, used in errors.
    public var name: String
    /// The program and its arguments. The program is a name looked up in ``searchPath``, an
    /// absolute path, or a path relative to the working directory (such as `./render.sh`), which
    /// must then lie inside the checkout.
    public var command: [String]
    /// Whether ``command`` is one shell script run by `/bin/sh -c` (off by default).
    public var useShell: Bool
    /// The directories searched for the program and given to it as `PATH`
    /// (`/usr/local/bin:/usr/bin:/bin` by default).
    public var searchPath: String
    /// Variables every run gets, set by whoever configures the renderer (not the repository).
    public var environment: [String: String]
    /// Put in front of the names of the application's variables (``RenderInput/environment``);
    /// Argo CD uses `ARGOCD_ENV_`. Empty by default.
    public var variablePrefix: String
    /// How long the program may run (90 seconds by default).
    public var timeout: Duration
    /// The most bytes the program may print (16 MiB by default).
    public var maxOutputBytes: Int
    /// Limits for reading the printed YAML.
    public var limits: ReadLimits

    /// A plugin called `name` that runs `command`.
    public init(
        name: String,
        command: [String],
        useShell: Bool = false,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(90),
        maxOutputBytes: Int = 16 << 20
    ) {
        self.name = name
        self.command = command
        self.useShell = useShell
        self.searchPath = "/usr/local/bin:/usr/bin:/bin"
        self.environment = environment
        self.variablePrefix = ""
        self.timeout = timeout
        self.maxOutputBytes = maxOutputBytes
        self.limits = ReadLimits()
    }

    /// Runs the program in `input.directory` and reads what it prints.
    ///
    /// - Throws: ``RenderToolError`` when the configuration is unusable, a path leaves the
    ///   checkout, the program is not found, fails (with its trimmed standard error), times out
    ///   or prints too much; ``ManifestError``/``ManifestErrors`` when its output is not valid
    ///   manifests; `CancellationError` when the task is cancelled.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        let program = "plugin \(name)"
        func bad(_ message: String) -> RenderToolError {
            RenderToolError(.invalidConfiguration, program: program, message)
        }
        guard let first = command.first, !first.isEmpty else { throw bad("the command is empty") }
        if useShell && command.count != 1 {
            throw bad("with useShell the command is one script, not \(command.count) arguments")
        }
        let directory = try Confinement.check(input.directory, root: input.root, program: program)
        let realRoot = try FileSystem.realPath(input.root)

        var variables = environment
        for (key, value) in input.environment {
            let name = variablePrefix + key
            guard Self.isVariableName(name) else {
                throw bad("the application's variable '\(key)' is not a valid environment variable name")
            }
            guard name != "PATH" && name != "PWD" else {
                throw bad("the application's variable '\(key)' would replace \(name); refused")
            }
            variables[name] = value
        }
        for key in environment.keys where !Self.isVariableName(key) {
            throw bad("'\(key)' is not a valid environment variable name")
        }
        variables["PATH"] = searchPath
        variables["PWD"] = directory

        let executable: String
        var arguments: [String]
        if useShell {
            executable = "/bin/sh"
            arguments = ["-c", first]
        } else {
            arguments = Array(command.dropFirst())
            if first.contains("/") && !first.hasPrefix("/") {
                let path = directory + "/" + first
                guard FileSystem.entryType(path) != nil else {
                    throw RenderToolError(.notFound, program: program, "no file '\(first)' in '\(input.directory)'")
                }
                let real = try FileSystem.realPath(path)
                guard FileSystem.isInside(real, root: realRoot) else {
                    throw RenderToolError(
                        .outsideRoot,
                        program: program,
                        "'\(first)' is outside the checkout '\(input.root)'; refused"
                    )
                }
                executable = try Subprocess.resolveExecutable(
                    real,
                    searchPath: searchPath,
                    hint: "make it executable (chmod +x) or run it through its interpreter"
                )
            } else {
                executable = try Subprocess.resolveExecutable(
                    first,
                    searchPath: searchPath,
                    hint: "install it or set CommandPluginRenderer.searchPath"
                )
            }
        }
        let process = Subprocess(
            executable: executable,
            arguments: arguments,
            environment: variables,
            workingDirectory: directory,
            timeout: timeout,
            maxOutputBytes: maxOutputBytes,
            displayName: program
        )
        let result = try await process.run()
        guard result.exitStatus == 0 else {
            var message = "failed in '\(input.directory)'"
            if let status = result.exitStatus { message += " with exit status \(status)" }
            if let signal = result.signal { message += ", killed by signal \(signal)" }
            throw RenderToolError(
                .failed,
                program: program,
                message,
                exitStatus: result.exitStatus,
                standardError: result.trimmedError
            )
        }
        return try RenderedOutput.objects(result.standardOutput, source: "<\(program) output>", limits: limits)
    }

    /// A POSIX environment variable name: a letter or `_`, then letters, digits and `_`.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= 97 && first | 0x20 <= 122)
        else { return false }
        return name.utf8.allSatisfy { c in
            c == UInt8(ascii: "_") || (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122)
        }
    }
}
