import EmbeddedCluster
import GitOps
import Testing

/// Diff's server-side seams (`DryRunApplier`, `SchemaProvider`) over a real API server.
@Suite(.timeLimit(.minutes(2))) struct ClusterAdapterTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
          labels: {app: web}
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports:
                - containerPort: 80
              - name: sidecar
                image: busybox:1.36
        """

    @Test func serverSideDiffSeesOnlyOurFields() async throws {
        try await withCluster { client, _ in
            let desired = try object(Self.deployment)
            _ = try await client.apply(desired, options: ApplyOptions(fieldManager: "swift-gitops"))
            // Another manager (an autoscaler) owns replicas and adds a label: not our drift.
            _ = try await client.apply(
                try object(
                    """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: web, namespace: default, labels: {team: payments}}
                    spec: {replicas: 5}
                    """
                ),
                options: ApplyOptions(fieldManager: "autoscaler")
            )
            let live = try await client.get(desired)
            let differ = Differ(DiffOptions(fieldManager: "swift-gitops"))
            let applier = ClusterDryRunApplier(client)

            let same = try await differ.serverSideDiff(desired: desired, live: live, applier: applier)
            #expect(same.isInSync, "\(same.changes)")

            var changed = desired
            try changed.value.set("nginx:1.28", at: JSONPointer("/spec/template/spec/containers/0/image"))
            let diff = try await differ.serverSideDiff(desired: changed, live: live, applier: applier)
            #expect(summary(diff) == ["modified /spec/template/spec/containers[name=web]/image"])
            #expect(diff.unifiedDiff().contains("+        image: nginx:1.28"))

            // A dry run stores nothing.
            let after = try await client.get(desired)
            #expect(after.resourceVersion == live.resourceVersion)
            #expect(after["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] == "nginx:1.27")
        }
    }

    @Test func missingObjectIsPredictedNotCreated() async throws {
        try await withCluster { client, _ in
            let desired = try object(Self.deployment)
            let differ = Differ(DiffOptions(fieldManager: "swift-gitops"))
            let diff = try await differ.serverSideDiff(
                desired: desired,
                live: nil,
                applier: ClusterDryRunApplier(client)
            )
            #expect(summary(diff).contains("added /spec/template/spec/containers[name=web]"))
            await #expect(throws: KubeError.self) { _ = try await client.get(desired) }
        }
    }

    @Test func rejectedObjectIsADiffError() async throws {
        try await withCluster { client, _ in
            let invalid = try object(
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: Not_A_Name, namespace: default}
                spec: {selector: {matchLabels: {app: web}}}
                """
            )
            let differ = Differ(DiffOptions(fieldManager: "swift-gitops"))
            let error = await #expect(throws: DiffError.self) {
                _ = try await differ.serverSideDiff(desired: invalid, live: nil, applier: ClusterDryRunApplier(client))
            }
            #expect(String(describing: error).contains("Not_A_Name"))
        }
    }

    @Test func schemaFromTheClusterKeysCustomResourceLists() async throws {
        try await withCluster { client, _ in
            let objects = try await applyAsSync(guestbookRevision1, app: "guestbook", client: client)
            let flags = GroupVersionKind(apiVersion: "guestbook.example.com/v1", kind: "FeatureFlag")
            // From the cluster's /openapi/v3 alone (no CRD given).
            let fromCluster = try await ClusterSchemaProvider.load(
                from: client,
                for: objects.filter { $0.kind != "CustomResourceDefinition" }
            )
            #expect(fromCluster.groupVersions.contains("guestbook.example.com/v1"))
            #expect(fromCluster.listType(for: flags, at: ["spec", "flags"]) == .map(keys: ["name"]))
            let deployment = GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment")
            #expect(
                fromCluster.listType(for: deployment, at: ["spec", "template", "spec", "containers"])
                    == .map(keys: ["name"])
            )
            #expect(fromCluster.listType(for: flags, at: ["spec", "nope"]) == nil)

            // Reordered flags are not drift with the schema, and are without it (atomic list).
            let live = try await client.get(flags, name: "guestbook", namespace: "guestbook")
            var desired = try #require(objects.first { $0.kind == "FeatureFlag" })
            desired = Tracking().marked(desired, app: "guestbook")
            let reversed = Value.array((desired["spec"]?["flags"]?.arrayValue ?? []).reversed())
            try desired.value.set(reversed, at: JSONPointer("/spec/flags"))
            let withSchema = try Differ(DiffOptions(fieldManager: "swift-gitops", schemaProvider: fromCluster))
                .diff(desired: desired, live: live)
            #expect(withSchema.isInSync, "\(withSchema.changes)")
            let withoutSchema = try Differ(DiffOptions(fieldManager: "swift-gitops")).diff(desired: desired, live: live)
            #expect(!withoutSchema.isInSync)
        }
    }

    @Test func schemaOfACRDNotInstalledYet() async throws {
        try await withCluster { client, _ in
            let objects = try await DirectoryRenderer().render(RenderInput(directory: guestbookRevision1))
            let schema = try await ClusterSchemaProvider.load(from: client, for: objects)
            #expect(!schema.groupVersions.contains("guestbook.example.com/v1"))  // not served yet
            let flags = GroupVersionKind(apiVersion: "guestbook.example.com/v1", kind: "FeatureFlag")
            #expect(schema.listType(for: flags, at: ["spec", "flags"]) == .map(keys: ["name"]))
        }
    }

    @Test func malformedDocumentIsAnError() async throws {
        await #expect(throws: DiffError.self) {
            _ = try await ClusterSchemaProvider.load(groupVersions: ["apps/v1"]) { _ in ["openapi": "3.0.0"] }
        }
    }
}
