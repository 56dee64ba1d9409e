// gitops-diff: diff a directory of manifests against a cluster, as a pull-request check would.
//
//   gitops-diff deploy/ [--kubeconfig PATH] [--context NAME] [--namespace NS] [--app NAME] [--server-side]
//
// The cluster is the one kubectl would use (--kubeconfig, else KUBECONFIG, else ~/.kube/config,
// else the Pod's service account). It prints the target first, then a unified diff per object
// (colour on a terminal only; Secret values masked), then a summary line.
// Exit status: 0 no difference, 1 differences, 2 error.
import ArgumentParser
import Foundation
import GitOps

@main
struct GitOpsDiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-diff",
        abstract: "Diff a directory of Kubernetes manifests against a cluster (exit 0: none, 1: differences, 2: error)."
    )

    @Argument(help: "The directory of manifests (.yaml, .yml, .json), read recursively.")
    var directory: String

    @Option(help: "The kubeconfig file (instead of KUBECONFIG or ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (instead of current-context).")
    var context: String?

    @Option(help: "The namespace of objects that name none (instead of the context's).")
    var namespace: String?

    @Option(
        help: """
            The application: objects are compared with its tracking annotation, as gitops-sync \
            applies them, and live objects it tracks that the directory no longer holds show as pruned.
            """
    )
    var app: String?

    @Flag(help: "Compare a server-side dry-run apply with live, in the fields our field manager owns.")
    var serverSide = false

    @Option(help: "The field manager gitops-sync applies as.")
    var fieldManager = "swift-gitops"

    /// Runs the command; every failure exits with 2 and one clear line on standard error.
    static func main() async {
        let command: GitOpsDiff
        do { command = try parse() } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
        do {
            Foundation.exit(try await command.diff() ? 1 : 0)
        } catch {
            printError("gitops-diff: \(error)")
            Foundation.exit(2)
        }
    }

    /// Prints the target and the differences; returns whether there are any.
    func diff() async throws -> Bool {
        let target = try ClusterTarget.resolve(kubeconfig: kubeconfig, context: context, namespace: namespace)
        let config = target.configuration
        print("target: \(target)")
        let client = KubernetesClient(configuration: config)

        // What Git holds, as gitops-sync would apply it. Hooks run during a sync and are not part
        // of the application's state, so they are not compared (as in Argo CD).
        let rendered = try await DirectoryRenderer().render(RenderInput(directory: directory))
        let served = try await servedKinds(client)
        var desired: [KubeObject] = []
        for var object in rendered where object.annotation("argocd.argoproj.io/hook") == nil {
            if try isNamespaced(object, served: served, rendered: rendered), object.namespace == nil {
                object.namespace = config.namespace
            }
            if let app { object = Tracking().marked(object, app: app) }
            desired.append(object)
        }

        // What the cluster holds: each desired object, and with --app every object it tracks.
        var live: [KubeObject] = []
        for object in desired where served[groupKind(object.key)] != nil {
            do {
                live.append(try await client.get(object))
            } catch let error as KubeError where error.isNotFound {}
        }
        if let app { live += try await trackedObjects(of: app, client: client, served: served, except: desired) }

        let differ = Differ(
            DiffOptions(
                fieldManager: fieldManager,
                schemaProvider: try await ClusterSchemaProvider.load(from: client, for: desired),
                defaultNamespace: config.namespace
            )
        )
        var report = try differ.diff(desired: desired, live: live)
        if serverSide {
            // Objects that exist are compared again: a dry-run apply against live, in our fields.
            // New ones show whole (their namespace or CRD may not exist yet, so no dry run).
            let applier = ClusterDryRunApplier(client)
            for (i, resource) in report.resources.enumerated() {
                guard let object = resource.desired, let live = resource.live else { continue }
                let diff = try await differ.serverSideDiff(desired: object, live: live, applier: applier)
                report.resources[i].diff = diff
                report.resources[i].state = diff.isInSync ? .inSync : .outOfSync
            }
        }

        let color = isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        for resource in report.resources {
            switch resource.state {
            case .inSync: continue
            case .outOfSync: print(resource.diff?.unifiedDiff(color: color) ?? "", terminator: "")
            case .missingLive: print(whole(resource.key, old: nil, new: resource.desired, color: color), terminator: "")
            case .pruneCandidate: print(whole(resource.key, old: resource.live, new: nil, color: color), terminator: "")
            }
        }
        let count = { (state: SyncState) in report.resources(in: state).count }
        print(
            "\(count(.inSync)) in sync, \(count(.outOfSync)) to change, \(count(.missingLive)) to create, "
                + "\(count(.pruneCandidate)) to prune"
        )
        return !report.isInSync
    }

    /// The kinds the cluster serves, by group and kind (the first version discovery lists).
    func servedKinds(_ client: KubernetesClient) async throws -> [String: APIResource] {
        var served: [String: APIResource] = [:]
        for resource in try await client.resources() where served[resource.group + "/" + resource.kind] == nil {
            served[resource.group + "/" + resource.kind] = resource
        }
        return served
    }

    func groupKind(_ key: ResourceKey) -> String { key.group + "/" + key.kind }

    /// Whether `object`'s kind lives in namespaces: from discovery, else from a CRD in the directory.
    func isNamespaced(_ object: KubeObject, served: [String: APIResource], rendered: [KubeObject]) throws -> Bool {
        if let resource = served[groupKind(object.key)] { return resource.namespaced }
        let crd = rendered.first {
            $0.kind == "CustomResourceDefinition" && $0["spec"]?["group"]?.stringValue == object.key.group
                && $0["spec"]?["names"]?["kind"]?.stringValue == object.kind
        }
        guard let crd else {
            throw ValidationError(
                "the cluster does not serve \(object.key.group)/\(object.key.kind) (\(object.key)), and the directory defines no CustomResourceDefinition for it"
            )
        }
        return crd["spec"]?["scope"]?.stringValue != "Cluster"
    }

    /// Every live object that `app` tracks and `desired` does not hold, hooks aside: what a sync
    /// with prune would delete.
    func trackedObjects(
        of app: String,
        client: KubernetesClient,
        served: [String: APIResource],
        except desired: [KubeObject]
    ) async throws -> [KubeObject] {
        let skipped: Set<String> = ["Event", "Endpoints", "EndpointSlice", "Lease"]
        let wanted = Set(desired.map(\.key))
        var found: [KubeObject] = []
        for resource in served.values.sorted(by: { $0.group + "/" + $0.kind < $1.group + "/" + $1.kind })
        where resource.verbs.contains("list") && !skipped.contains(resource.kind) {
            let list = try await client.list(resource.groupVersionKind, namespace: nil, options: ListOptions())
            found += list.items.filter {
                Tracking().isTracked($0, by: app) && !wanted.contains($0.key)
                    && $0.annotation("argocd.argoproj.io/hook") == nil  // hooks are never pruned
            }
        }
        return found
    }

    /// A whole object created or deleted, as a unified diff.
    func whole(_ key: ResourceKey, old: KubeObject?, new: KubeObject?, color: Bool) -> String {
        TextDiff.unified(
            old: shown(old),
            new: shown(new),
            oldName: "live/\(key)",
            newName: "desired/\(key)",
            color: color
        )
    }

    /// An object's YAML as the diff shows it: no server-owned metadata, no status, Secrets masked.
    func shown(_ object: KubeObject?) -> String {
        guard let object else { return "" }
        var value: Value = [:]
        value["apiVersion"] = object["apiVersion"]
        value["kind"] = object["kind"]
        for entry in object.fields.entries where !["apiVersion", "kind", "status"].contains(entry.key) {
            value[entry.key] = entry.value
        }
        for field in ["managedFields", "uid", "resourceVersion", "generation", "creationTimestamp"] {
            value["metadata"]?[field] = nil
        }
        return (SecretMask.isSecret(object.key) ? SecretMask.masked(value) : value).yamlString()
    }

}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
