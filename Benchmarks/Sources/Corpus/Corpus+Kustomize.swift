import Manifests

extension Corpus {
    /// An overlay stack over about `objects` objects, as files to write under one directory:
    /// `base/` (the objects in ten files, common labels, a ConfigMap generator), `overlays/prod/`
    /// (namespace, name prefix, images, a strategic merge patch of every Deployment, a JSON 6902
    /// patch, replicas, annotations) and `overlays/prod-eu/` on top of it (suffix, labels with
    /// selectors, a generator merge). Render `overlays/prod-eu`.
    public static func kustomizeStack(objects count: Int = 1_000, seed: UInt64 = 7) -> [(path: String, text: String)] {
        var random = Random(state: seed)
        var objects: [Value] = []
        var n = 0
        while objects.count < count {
            switch n % 4 {
            case 0, 1: objects.append(deployment(n, &random))
            case 2: objects.append(service(n, &random))
            default: objects.append(configMap(n, &random))
            }
            n += 1
        }
        var files: [(String, String)] = []
        let perFile = (objects.count + 9) / 10
        var names: [String] = []
        for f in 0..<10 {
            let slice = Array(objects.dropFirst(f * perFile).prefix(perFile))
            guard !slice.isEmpty else { continue }
            files.append(("base/objects-\(f).yaml", YAML.string(documents: slice)))
            names.append("objects-\(f).yaml")
        }
        let firstDeployment =
            objects.first { $0["kind"]?.stringValue == "Deployment" }?["metadata"]?["name"]?.stringValue ?? ""
        files.append(
            (
                "base/kustomization.yaml",
                """
                resources:
                \(names.map { "- " + $0 }.joined(separator: "\n"))
                commonLabels:
                  app.kubernetes.io/managed-by: kustomize
                configMapGenerator:
                - name: shared-settings
                  literals:
                  - LOG_LEVEL=info
                  - REGION=none

                """
            )
        )
        files.append(
            (
                "overlays/prod/kustomization.yaml",
                """
                resources:
                - ../../base
                namespace: prod
                namePrefix: prod-
                commonAnnotations:
                  owner: platform
                images:
                - name: nginx
                  newName: registry.example.com/nginx
                  newTag: "1.27"
                replicas:
                - name: \(firstDeployment)
                  count: 5
                patches:
                - target:
                    kind: Deployment
                  patch: |-
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata:
                      name: any
                    spec:
                      revisionHistoryLimit: 3
                      template:
                        metadata:
                          annotations:
                            rollout: "2"
                - target:
                    kind: Service
                  patch: |-
                    - op: add
                      path: /spec/sessionAffinity
                      value: None
                    - op: replace
                      path: /spec/ports/0/targetPort
                      value: 8080

                """
            )
        )
        files.append(
            (
                "overlays/prod-eu/kustomization.yaml",
                """
                resources:
                - ../prod
                nameSuffix: -eu
                labels:
                - pairs:
                    region: eu
                  includeSelectors: true
                configMapGenerator:
                - name: shared-settings
                  behavior: merge
                  literals:
                  - REGION=eu-west-1

                """
            )
        )
        return files
    }
}
