// swift-tools-version:6.1
// The benchmark suite: its own package, so users of the SDK never build it.
import PackageDescription

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-gitops", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // libyaml itself, for the anchor of the YAML benchmarks (bare event scanning).
        .systemLibrary(name: "CLibYAMLAnchor", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Deterministic, realistic Kubernetes corpora.
        .target(name: "Corpus", dependencies: [.product(name: "Manifests", package: "swift-gitops")]),
        // The ratio lines of `make bench`: ours against an anchor measured in the same run.
        .executableTarget(
            name: "bench-ratios",
            dependencies: [
                "Corpus", "CLibYAMLAnchor", .product(name: "Manifests", package: "swift-gitops"),
                .product(name: "GitSource", package: "swift-gitops"),
                .product(name: "Diff", package: "swift-gitops"),
                .product(name: "Health", package: "swift-gitops"),
                .product(name: "Sync", package: "swift-gitops"),
            ]),
        // Requests per second of the embedded cluster over loopback (`cluster-ratios`).
        .executableTarget(
            name: "cluster-ratios",
            dependencies: [
                .product(name: "EmbeddedCluster", package: "swift-gitops"),
                .product(name: "KubeClient", package: "swift-gitops"),
                .product(name: "Manifests", package: "swift-gitops"),
                .product(name: "Sync", package: "swift-gitops"),
            ]),
        // Full distributions with package-benchmark (`swift package benchmark`).
        .executableTarget(
            name: "ManifestsBenchmarks",
            dependencies: [
                "Corpus", "CLibYAMLAnchor",
                .product(name: "Manifests", package: "swift-gitops"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/ManifestsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
    ]
)
