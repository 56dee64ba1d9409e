import EmbeddedCluster
import Foundation
import GitOps
import Synchronization
import Testing

// The examples of the plugin guides in Documentation/ (Normalizers.md, HealthChecks.md,
// SourceProviders.md, ClusterProtocols.md), compiled and run here so the guides cannot rot.
// Keep the two in step: the code between `// guide:` markers is what the guide shows.

// guide: Normalizers.md
/// Istio's injector stamps every Pod template with `sidecar.istio.io/status`: not drift.
struct DropSidecarStatus: Normalizer {
    func applies(to key: ResourceKey) -> Bool { key.group == "apps" }

    func normalize(_ object: inout KubeObject, context: NormalizationContext) throws {
        _ = try? object.value.remove(at: JSONPointer("/spec/template/metadata/annotations/sidecar.istio.io~1status"))
    }
}

/// A policy controller pins images to digests: `nginx:1.27` in Git and
/// `nginx:1.27@sha256:...` live are the same image.
struct DigestPinnedImages: IgnoreRule {
    func ignores(_ change: Change, context: IgnoreContext) -> Bool {
        guard change.kind == .modified, change.path.description.hasSuffix("/image"),
            let live = change.old?.stringValue, let git = change.new?.stringValue
        else { return false }
        return live.hasPrefix(git + "@sha256:")
    }
}
// end guide

// guide: HealthChecks.md
/// cert-manager Certificates: Ready, but expiring within `margin` seconds, is Degraded.
struct CertificateHealth: HealthCheck {
    var margin: TimeInterval = 7 * 86_400
    var now: @Sendable () -> Date = { Date() }

    func health(of object: KubeObject) throws -> HealthStatus? {
        let conditions = object.status?["conditions"]?.arrayValue ?? []
        guard let ready = conditions.first(where: { $0["type"] == "Ready" }) else {
            return .progressing("Waiting for the certificate to be issued")
        }
        guard ready["status"] == "True" else { return .degraded(ready["message"]?.stringValue ?? "Not ready") }
        if let text = object.status?["notAfter"]?.stringValue {
            guard let notAfter = ISO8601DateFormatter().date(from: text) else {
                throw HealthCheckFailure(message: "status.notAfter '\(text)' is not an RFC 3339 time")
            }
            if notAfter.timeIntervalSince(now()) < margin { return .degraded("Expires at \(text)") }
        }
        return .healthy()
    }
}

struct HealthCheckFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
// end guide

// guide: SourceProviders.md
/// A policy in front of any source: only the listed branches and tags may be deployed, and
/// nothing else resolves (a commit SHA, a pull-request ref, a semver range).
struct ProtectedReferences: SourceProvider {
    var source: any SourceProvider
    var branches: Set<String>
    var tags: Set<String> = []

    func resolve(_ reference: SourceReference) async throws -> Revision {
        try check(reference)
        return try await source.resolve(reference)
    }

    func latestRevision(_ reference: SourceReference) async throws -> Revision {
        try check(reference)
        return try await source.latestRevision(reference)
    }

    func materialize(_ revision: Revision, subdirectory: String?) async throws -> Checkout {
        try await source.materialize(revision, subdirectory: subdirectory)
    }

    private func check(_ reference: SourceReference) throws {
        switch reference.kind {
        case .branch(let name) where branches.contains(name): return
        case .tag(let name) where tags.contains(name): return
        default: throw PolicyViolation(message: "\(reference) is not a protected branch or tag")
        }
    }
}

struct PolicyViolation: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
// end guide

// guide: ClusterProtocols.md
/// A writer that records every write it passes on: an audit trail of what a sync changed.
final class AuditingWriter: ClusterWriter {
    let writer: any ClusterWriter
    let log = Mutex<[String]>([])

    init(writer: any ClusterWriter) { self.writer = writer }

    func record(_ verb: String, _ key: ResourceKey) { log.withLock { $0.append("\(verb) \(key)") } }

    func create(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        record("create", object.key)
        return try await writer.create(object, options: options)
    }
    func update(_ object: KubeObject, options: WriteOptions) async throws -> KubeObject {
        record("update", object.key)
        return try await writer.update(object, options: options)
    }
    func patch(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        patch: Patch,
        options: WriteOptions
    )
        async throws -> KubeObject
    {
        record("patch", ResourceKey(group: kind.group, kind: kind.kind, namespace: namespace ?? "", name: name))
        return try await writer.patch(kind, name: name, namespace: namespace, patch: patch, options: options)
    }
    func apply(_ object: KubeObject, options: ApplyOptions) async throws -> KubeObject {
        record(options.dryRun ? "apply (dry run)" : "apply", object.key)
        return try await writer.apply(object, options: options)
    }
    func delete(
        _ kind: GroupVersionKind,
        name: String,
        namespace: String?,
        options: DeleteOptions
    )
        async throws -> KubeObject?
    {
        record("delete", ResourceKey(group: kind.group, kind: kind.kind, namespace: namespace ?? "", name: name))
        return try await writer.delete(kind, name: name, namespace: namespace, options: options)
    }
}
// end guide

@Suite(.timeLimit(.minutes(2))) struct PluginGuideTests {
    @Test func normalizerAndIgnoreRule() throws {
        let desired = try object(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              template:
                spec:
                  containers: [{name: web, image: "nginx:1.27"}]
            """
        )
        var live = desired
        try live.value.set(
            ["sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"]}"],
            at: JSONPointer("/spec/template/metadata/annotations")
        )
        try live.value.set("nginx:1.27@sha256:0123abcd", at: JSONPointer("/spec/template/spec/containers/0/image"))
        // The annotation is another manager's, so offline mode ignores it anyway; the image is drift.
        #expect(
            summary(try Differ().diff(desired: desired, live: live)) == [
                "modified /spec/template/spec/containers[name=web]/image"
            ]
        )

        // guide: Normalizers.md usage
        let differ = Differ(DiffOptions(normalizers: [DropSidecarStatus()], ignoreRules: [DigestPinnedImages()]))
        let diff = try differ.diff(desired: desired, live: live)
        // end guide
        #expect(diff.isInSync, "\(diff.changes)")
        #expect(
            diff.live["spec"]?["template"]?["metadata"]?["annotations"]?["sidecar.istio.io/status"] == nil,
            "the normalizer ran on live"
        )

        var moved = live
        try moved.value.set("nginx:1.28@sha256:0123abcd", at: JSONPointer("/spec/template/spec/containers/0/image"))
        #expect(!(try differ.diff(desired: desired, live: moved).isInSync))
    }

    @Test func healthCheck() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func certificate(_ status: String) throws -> KubeObject {
            try object("{apiVersion: cert-manager.io/v1, kind: Certificate, metadata: {name: web}, status: \(status)}")
        }
        // guide: HealthChecks.md usage
        var registry = HealthRegistry()
        registry.register(CertificateHealth(now: { now }), group: "cert-manager.io", kind: "Certificate")
        // end guide
        let soon = ISO8601DateFormatter().string(from: now.addingTimeInterval(3600))
        let later = ISO8601DateFormatter().string(from: now.addingTimeInterval(90 * 86_400))
        let ready = "{conditions: [{type: Ready, status: 'True'}], notAfter: '%@'}"
        #expect(registry.health(of: try certificate(String(format: ready, later)))?.code == .healthy)
        #expect(registry.health(of: try certificate(String(format: ready, soon)))?.code == .degraded)
        #expect(registry.health(of: try certificate("{}"))?.code == .progressing)
        let failed = registry.assess(try certificate(String(format: ready, "next tuesday")))
        #expect(failed?.status.code == .unknown && failed?.status.message.contains("next tuesday") == true)
        // Other kinds still get the built-in rules.
        #expect(
            registry.assess(try object("{apiVersion: v1, kind: Pod, metadata: {name: p}, status: {phase: Succeeded}}"))?
                .source == .builtIn
        )
    }

    @Test func sourceProviderPolicy() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: repositoryRoot + "/scripts/demo.sh")
        make.arguments = ["--repo", dir + "/guestbook"]
        make.standardOutput = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        #expect(make.terminationStatus == 0)

        let url = "file://\(dir)/guestbook"
        let cacheURL = URL(fileURLWithPath: dir + "/cache")
        // guide: SourceProviders.md usage
        let git = try GitSourceProvider(url: url, cache: GitCache(directory: cacheURL))
        let source = ProtectedReferences(source: git, branches: ["main"])
        let revision = try await source.resolve(.branch("main"))
        let checkout = try await source.materialize(revision)
        // end guide
        let objects = try await DirectoryRenderer().render(RenderInput(directory: checkout.directory.path))
        #expect(objects.contains { $0.kind == "FeatureFlag" })
        #expect(!objects.contains { $0.name == "guestbook-banner" }, "main is revision 2")
        await #expect(throws: PolicyViolation.self) { _ = try await source.resolve(.commit(revision.commit)) }
        await #expect(throws: PolicyViolation.self) { _ = try await source.latestRevision(.branch("feature")) }
    }

    @Test func clusterWriterWrapper() async throws {
        try await withCluster { client, _ in
            let configMap = try object(
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: default}, data: {mode: fast}}"
            )
            // guide: ClusterProtocols.md usage
            let audited = AuditingWriter(writer: client)
            _ = try await audited.apply(configMap, options: ApplyOptions(fieldManager: "swift-gitops"))
            let differ = Differ(DiffOptions(fieldManager: "swift-gitops"))
            var changed = configMap
            changed.fields["data"] = ["mode": "safe"]
            let diff = try await differ.serverSideDiff(
                desired: changed,
                live: try await client.get(configMap),
                applier: ClusterDryRunApplier(audited)
            )
            print(diff.unifiedDiff())
            print(audited.log.withLock { $0 })  // the apply, then the dry run
            // end guide
            #expect(summary(diff) == ["modified /data/mode"])
            #expect(
                audited.log.withLock { $0 } == [
                    "apply /ConfigMap/default/settings", "apply (dry run) /ConfigMap/default/settings",
                ]
            )
            #expect(try await client.get(configMap)["data"]?["mode"] == "fast")
        }
    }
}

/// The twenty-line pull-request check of Documentation/GettingStarted.md (with the client and
/// directory passed in instead of `.load()` and "deploy").
func pullRequestCheck(client: KubernetesClient, directory: String) async throws -> (drift: Bool, output: String) {
    // guide: GettingStarted.md
    let desired = try await DirectoryRenderer().render(RenderInput(directory: directory))
    let schema = try await ClusterSchemaProvider.load(from: client, for: desired)
    let differ = Differ(DiffOptions(fieldManager: "swift-gitops", schemaProvider: schema))
    var drift = false
    var report = ""
    for object in desired {
        let live: KubeObject?
        do { live = try await client.get(object) } catch let error as KubeError where error.isNotFound { live = nil }
        let diff = try await differ.serverSideDiff(desired: object, live: live, applier: ClusterDryRunApplier(client))
        if !diff.isInSync {
            drift = true
            report += diff.unifiedDiff()
        }
    }
    // end guide
    return (drift, report)
}

@Suite(.timeLimit(.minutes(2))) struct GettingStartedTests {
    @Test func pullRequestCheckOnTheExample() async throws {
        try await withCluster { client, _ in
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // The example without its CRD and custom resource, whose kind a dry run needs served.
            for file in ["00-namespace.yaml", "02-configmap.yaml", "05-deployment.yaml", "06-service.yaml"] {
                try FileManager.default.copyItem(atPath: guestbookRevision2 + "/" + file, toPath: dir + "/" + file)
            }
            // A dry run into a namespace that does not exist yet is refused, as by a real server.
            await #expect(throws: DiffError.self) { _ = try await pullRequestCheck(client: client, directory: dir) }
            for object in try await DirectoryRenderer().render(RenderInput(directory: guestbookRevision1))
            where ["Namespace", "ConfigMap", "Deployment", "Service"].contains(object.kind) {
                _ = try await client.apply(object, options: ApplyOptions(fieldManager: "swift-gitops", force: true))
            }
            let check = try await pullRequestCheck(client: client, directory: dir)
            #expect(check.drift)
            #expect(check.output.contains("+        image: nginx:1.28"), "\(check.output)")
            #expect(!check.output.contains("guestbook-banner"))
            try FileManager.default.removeItem(atPath: dir + "/05-deployment.yaml")
            try FileManager.default.removeItem(atPath: dir + "/02-configmap.yaml")
            let clean = try await pullRequestCheck(client: client, directory: dir)
            #expect(!clean.drift, "\(clean.output)")
        }
    }
}

/// Every `// guide: <file>` block of this file appears, as written here, in a code block of
/// Documentation/<file>, so the guides show code that compiles and runs.
@Suite struct GuidesShowThisCodeTests {
    @Test func everyGuideBlockIsInItsGuide() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        var blocks: [(file: String, code: String)] = []
        var current: (file: String, lines: [Substring])?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("// guide: ") {
                current = (String(trimmed.dropFirst(10).split(separator: " ")[0]), [])
            } else if trimmed == "// end guide", let block = current {
                let indent = block.lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
                blocks.append(
                    (
                        block.file,
                        block.lines.map { String($0.dropFirst(min(indent, $0.count))) }.joined(separator: "\n")
                    )
                )
                current = nil
            } else {
                current?.lines.append(line)
            }
        }
        #expect(blocks.count >= 10)
        for block in blocks {
            let path = block.file == "README.md" ? "/README.md" : "/Documentation/" + block.file
            let guide = try String(contentsOfFile: repositoryRoot + path, encoding: .utf8)
            #expect(guide.contains(block.code), "Documentation/\(block.file) does not show:\n\(block.code)")
        }
    }
}

// guide: README.md
/// Syncs the default branch of the Git repository at `url` into `client`'s cluster, once:
/// PreSync hooks, then each wave until it is healthy, then prune.
func sync(_ url: String, app: String, namespace: String, client: KubernetesClient) async throws -> SyncOperationResult {
    let cache = try GitCache(directory: URL(fileURLWithPath: NSTemporaryDirectory() + "gitops-cache"))
    let git = try GitSourceProvider(url: url, cache: cache)
    let revision = try await git.resolve(.head)
    let checkout = try await git.materialize(revision)
    let desired = try await DirectoryRenderer().render(RenderInput(directory: checkout.directory.path))

    var health = HealthRegistry()  // the built-in rules, plus one for our own kind
    health.register(group: "guestbook.example.com", kind: "FeatureFlag") { _ in .healthy("no controller needed") }
    let options = SyncOptions(app: app, defaultNamespace: namespace, prune: true, createNamespace: true)
    let log = ClosureSyncObserver { event in
        if case .resourceApplied(let result) = event { print(result.action.rawValue, result.key) }
    }
    let executor = SyncExecutor(client: client, health: health, options: options, observer: log)
    return await executor.run(desired: desired, revision: revision.commit)
}
// end guide

@Suite(.timeLimit(.minutes(3))) struct ReadmeSyncExampleTests {
    @Test func syncSyncsTheExampleRepository() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: repositoryRoot + "/scripts/demo.sh")
        make.arguments = ["--repo", dir + "/guestbook"]
        make.standardOutput = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        try await withCluster(.init(simulateWorkloads: true, threads: 2)) { client, _ in
            let result = try await sync(
                "file://\(dir)/guestbook",
                app: "guestbook",
                namespace: "guestbook",
                client: client
            )
            #expect(result.succeeded, "\(result.message)")
            #expect(result.revision == "5279b4fc9fe39f288209ee5dc6478c0fc7504106")
            #expect(
                result.resource(
                    ResourceKey(group: "apps", kind: "Deployment", namespace: "guestbook", name: "guestbook-web")
                )?.health?.code == .healthy
            )
            #expect(
                result.resource(
                    ResourceKey(
                        group: "guestbook.example.com",
                        kind: "FeatureFlag",
                        namespace: "guestbook",
                        name: "guestbook"
                    )
                )?.health?.message == "no controller needed"
            )
        }
    }
}
