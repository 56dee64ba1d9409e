import EmbeddedCluster
import GitOps
import Testing

/// The bundled example application (Examples/guestbook) stays valid and keeps the shape the
/// demo and the documentation promise.
@Suite(.timeLimit(.minutes(2))) struct ExampleAppTests {
    @Test(arguments: [guestbookRevision1, guestbookRevision2])
    func everyObjectIsValid(_ directory: String) async throws {
        let objects = try await DirectoryRenderer().render(RenderInput(directory: directory))
        #expect(objects.count >= 7)
        for object in objects {
            #expect(object.validationErrors().isEmpty, "\(object.key): \(object.validationErrors())")
        }
    }

    @Test func revisionOneHasEveryPiece() async throws {
        let objects = try await DirectoryRenderer().render(RenderInput(directory: guestbookRevision1))
        let kinds = Set(objects.compactMap(\.kind))
        #expect(
            kinds.isSuperset(of: [
                "Namespace", "ConfigMap", "Deployment", "Service", "Job", "CustomResourceDefinition", "FeatureFlag",
            ])
        )
        let crd = try #require(objects.first { $0.kind == "CustomResourceDefinition" })
        #expect(crd["spec"]?["group"] == "guestbook.example.com")

        let plan = try SyncPlan(
            desired: objects,
            live: [],
            options: SyncPlanOptions(app: "guestbook", defaultNamespace: "default")
        )
        // The migration Job runs first, as a PreSync hook; then two waves of resources.
        #expect(plan.steps.first?.key.name == "guestbook-migrate")
        #expect(plan.steps.first?.phase == .preSync)
        let waves = Set(plan.steps.filter { $0.phase == .sync }.map(\.wave))
        #expect(waves == [0, 1])
        // The CRD is applied in an earlier group than its FeatureFlag.
        let groups = plan.groups
        let crdGroup = groups.firstIndex { $0.steps.contains { $0.key.kind == "CustomResourceDefinition" } }
        let flagGroup = groups.firstIndex { $0.steps.contains { $0.key.kind == "FeatureFlag" } }
        #expect(crdGroup != nil && flagGroup != nil && crdGroup! < flagGroup!)
    }

    @Test func revisionTwoChangesTheImageAndDropsOneObject() async throws {
        let one = try await DirectoryRenderer().render(RenderInput(directory: guestbookRevision1))
        let two = try await DirectoryRenderer().render(RenderInput(directory: guestbookRevision2))
        #expect(Set(one.map(\.key)).subtracting(two.map(\.key)).map(\.name) == ["guestbook-banner"])
        #expect(Set(two.map(\.key)).isSubset(of: one.map(\.key)))
        let image = { (objects: [KubeObject]) in
            objects.first { $0.kind == "Deployment" }?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]
        }
        #expect(image(one) == "nginx:1.27" && image(two) == "nginx:1.28")
    }

    /// The API server accepts every object of both revisions (the FeatureFlags against their CRD).
    @Test func theClusterAcceptsBothRevisions() async throws {
        try await withCluster { client, _ in
            try await applyAsSync(guestbookRevision1, app: "guestbook", client: client)
            try await applyAsSync(guestbookRevision2, app: "guestbook", client: client)
            let flags = GroupVersionKind(apiVersion: "guestbook.example.com/v1", kind: "FeatureFlag")
            let live = try await client.get(flags, name: "guestbook", namespace: "guestbook")
            #expect(live["spec"]?["flags"]?[1]?["enabled"] == true)
        }
    }
}
