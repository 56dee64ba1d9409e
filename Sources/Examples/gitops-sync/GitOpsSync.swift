// gitops-sync: one sync of a Git repository into a cluster, what a GitOps controller does on each
// reconcile: resolve the revision, render it, show the diff, then apply in phases and waves (hooks
// first, waiting for health after each wave), prune, and print every resource's action and health.
//
//   gitops-sync SOURCE [--revision REF] [--path DIR] [--app NAME] [--namespace NS]
//               [--kubeconfig PATH] [--context NAME] [--embedded] [--prune] [--dry-run]
//               [--timeout DURATION] [--output table|json]
//
// The cluster is the one kubectl would use, or with --embedded an in-process one with workload
// simulation. Exit status: 0 synced and healthy, 1 the sync failed (the reason is printed),
// 2 an error before anything was changed.
import ArgumentParser
import EmbeddedCluster
import Foundation
import GitOps

@main
struct GitOpsSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-sync",
        abstract: "Sync a Git repository into a cluster once (exit 0: synced and healthy, 1: failed, 2: error)."
    )

    enum Output: String, ExpressibleByArgument { case table, json }

    @Argument(help: "The Git repository: a URL (https, ssh, git, file) or a local path.")
    var source: String

    @Option(help: "What to sync: a branch, a tag, a commit SHA, or HEAD (the default).")
    var revision = "HEAD"

    @Option(help: "The application's directory inside the repository.")
    var path: String?

    @Option(help: "The application's name, written into every object's tracking annotation.")
    var app = "app"

    @Option(help: "The namespace of objects that name none (instead of the context's); created when missing.")
    var namespace: String?

    @Option(help: "The kubeconfig file (instead of KUBECONFIG or ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (instead of current-context).")
    var context: String?

    @Flag(help: "Sync into an embedded cluster started for this run, with workload simulation.")
    var embedded = false

    @Flag(help: "Delete the objects this application tracks that Git no longer holds.")
    var prune = false

    @Flag(help: "Let the API server check every object (dry run), change nothing.")
    var dryRun = false

    @Option(help: "How long each wave may take to become healthy: 90s, 5m, 1h.")
    var timeout = "5m"

    @Option(help: "The result as a table or as JSON (the target and diff then go to standard error).")
    var output: Output = .table

    /// Runs the command: 0, 1 or 2 as the header says, with one clear line on standard error.
    static func main() async {
        let command: GitOpsSync
        do { command = try parse() } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
        do {
            Foundation.exit(try await command.run() ? 0 : 1)
        } catch {
            printError("gitops-sync: \(error)")
            Foundation.exit(2)
        }
    }

    /// Syncs; returns whether the sync succeeded.
    func run() async throws -> Bool {
        guard let healthTimeout = Self.duration(timeout) else {
            throw ValidationError("--timeout \(timeout): expected a duration such as 90s, 5m or 1h")
        }
        // The revision first, so a wrong source or reference fails before any cluster is touched.
        let git = try GitSourceProvider(url: sourceURL(), cache: GitCache(directory: cacheDirectory()))
        let resolved = try await git.resolve(.named(revision))
        let checkout = try await git.materialize(resolved, subdirectory: path)
        let desired = try await DirectoryRenderer().render(RenderInput(directory: checkout.directory.path))

        let cluster = embedded ? try await EmbeddedCluster.start(.init(simulateWorkloads: true)) : nil
        do {
            let succeeded = try await sync(desired, revision: resolved, cluster: cluster, healthTimeout: healthTimeout)
            try await cluster?.shutdown()
            return succeeded
        } catch {
            try? await cluster?.shutdown()
            throw error
        }
    }

    /// Prints the target and the diff, syncs, prints the result; returns whether it succeeded.
    func sync(
        _ desired: [KubeObject],
        revision resolved: Revision,
        cluster: EmbeddedCluster?,
        healthTimeout: Duration
    )
        async throws -> Bool
    {
        let config: ClientConfiguration
        if let cluster {
            config = try Kubeconfig(yaml: cluster.kubeconfig).resolve(ConfigOverrides(namespace: namespace))
            report("target: embedded cluster \(config.server) (namespace \(config.namespace))")
        } else {
            let target = try ClusterTarget.resolve(kubeconfig: kubeconfig, context: context, namespace: namespace)
            config = target.configuration
            report("target: \(target)")
        }
        report("revision: \(resolved.commit) (\(revision)), \(desired.count) objects")

        let options = SyncOptions(
            app: app,
            defaultNamespace: config.namespace,
            prune: prune,
            createNamespace: true,
            dryRunOnly: dryRun,
            healthTimeout: healthTimeout
        )
        let client = KubernetesClient(configuration: config)
        let executor = SyncExecutor(client: client, options: options)

        // The diff, before anything changes: what the plan applies against live.
        let live = try await executor.liveObjects(for: desired)
        let plan = try executor.plan(desired: desired, live: live)
        let applied = plan.steps.filter { $0.action == .apply }.map { step in
            var object = step.object
            if !step.key.namespace.isEmpty { object.namespace = step.key.namespace }
            return object
        }
        // Offline first (cheap), then what the server would store for those that differ, in the
        // fields we own; the executor's own mark on a Namespace it created is not drift.
        let ownMark = IgnoreRuleClosure { change, _ in
            change.path.description.hasSuffix(SyncExecutor.createdByAnnotation)
        }
        let differ = Differ(DiffOptions(fieldManager: options.fieldManager, ignoreRules: [ownMark]))
        let color = output == .table && isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        for resource in try differ.diff(desired: applied, live: live).resources {
            switch resource.state {
            case .outOfSync:
                guard let desired = resource.desired, let live = resource.live else { continue }
                // A change the server refuses (an immutable field) shows as the offline diff; the
                // sync's own dry run reports the refusal.
                let applier = ClusterDryRunApplier(client)
                let diff =
                    (try? await differ.serverSideDiff(desired: desired, live: live, applier: applier)) ?? resource.diff
                report(diff?.unifiedDiff(color: color) ?? "", terminator: "")
            case .missingLive: report("+ create \(resource.key)")
            case .inSync, .pruneCandidate: continue
            }
        }
        for step in plan.steps where step.action == .prune { report("- prune \(step.key)") }
        for skipped in plan.skipped { report("  leave \(skipped.key): \(skipped.reason)") }

        fflush(nil)  // the target and the diff show before the sync starts, in a CI log too
        let result = await executor.run(desired: desired, revision: resolved.commit, live: live)
        switch output {
        case .table: print(table(result))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
        return result.succeeded
    }

    /// One line per resource: key, phase and wave, action, health, message; then the result.
    func table(_ result: SyncOperationResult) -> String {
        var rows = [["RESOURCE", "PHASE", "WAVE", "ACTION", "HEALTH", "MESSAGE"]]
        for r in result.resources {
            rows.append([
                r.key.description + (r.isHook ? " (hook)" : ""), r.phase.rawValue, String(r.wave), r.action.rawValue,
                r.health?.code.rawValue ?? "-", r.message,
            ])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row, widths + [0]).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        let dry = result.dryRun ? " (dry run: nothing changed)" : ""
        lines.append("result: \(result.status.rawValue)\(dry): \(result.message)")
        return lines.joined(separator: "\n")
    }

    /// A local path as an absolute path; anything else as given.
    func sourceURL() -> String {
        guard !source.contains("://"), FileManager.default.fileExists(atPath: source) else { return source }
        return URL(fileURLWithPath: source).standardizedFileURL.path
    }

    /// `$XDG_CACHE_HOME/swift-gitops/git`, else `~/.cache/swift-gitops/git`.
    func cacheDirectory() -> URL {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return URL(fileURLWithPath: base + "/swift-gitops/git")
    }

    /// `90s`, `5m`, `1h` or a number of seconds.
    static func duration(_ text: String) -> Duration? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let unit = text.last.flatMap { units[$0] }
        guard let value = Double(unit == nil ? text : String(text.dropLast())), value > 0 else { return nil }
        return .milliseconds(Int64(value * (unit ?? 1) * 1000))
    }

    /// The target and the diff: standard output for a table, standard error for JSON.
    func report(_ line: String, terminator: String = "\n") {
        if output == .json { printError(line, terminator: terminator) } else { print(line, terminator: terminator) }
    }
}

func printError(_ line: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((line + terminator).utf8))
}
