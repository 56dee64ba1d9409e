// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-gitops",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GitOps", targets: ["GitOps"]),
        .library(name: "Manifests", targets: ["Manifests"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "GitSource", targets: ["GitSource"]),
        .library(name: "Diff", targets: ["Diff"]),
        .library(name: "Health", targets: ["Health"]),
        .library(name: "Sync", targets: ["Sync"]),
        .library(name: "SOPS", targets: ["SOPS"]),
        .library(name: "Jsonnet", targets: ["Jsonnet"]),
        .executable(name: "gitops-render", targets: ["gitops-render"]),
        .executable(name: "gitops-fetch", targets: ["gitops-fetch"]),
        .executable(name: "gitops-health", targets: ["gitops-health"]),
        .executable(name: "gitops-diff", targets: ["gitops-diff"]),
        .executable(name: "gitops-sync", targets: ["gitops-sync"]),
        .executable(name: "gitops-agent", targets: ["gitops-agent"]),
        .executable(name: "compose-your-own", targets: ["compose-your-own"]),
        .library(name: "EmbeddedCluster", targets: ["EmbeddedCluster"]),
        .executable(name: "embedded-cluster", targets: ["embedded-cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries, linked from the system (Debian's -dev packages).
        .systemLibrary(
            name: "CYAML", pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
        .systemLibrary(
            name: "CGit2", pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),
        .systemLibrary(
            name: "CLua", pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"]), .brew(["lua"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        // Debian's libjsonnet-dev ships no pkg-config file: the module map links `jsonnet`.
        .systemLibrary(name: "CJsonnet", providers: [.apt(["libjsonnet-dev"]), .brew(["jsonnet"])]),

        // The SDK's modules (see DESIGN.md).
        .target(name: "Manifests", dependencies: ["CYAML"]),
        .target(name: "KubeClient", dependencies: ["Manifests", "CCurl"]),
        .target(name: "GitSource", dependencies: ["CGit2"]),
        .target(name: "Diff", dependencies: ["Manifests"]),
        .target(name: "Health", dependencies: ["Manifests", "CLua"]),
        .target(
            name: "Sync",
            dependencies: [
                "Manifests", "KubeClient", "GitSource", "Diff", "Health",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Jsonnet in a library of its own, so that users who do not need it do not need libjsonnet.
        .target(name: "Jsonnet", dependencies: ["Manifests", "CJsonnet"]),
        .target(name: "SOPS", dependencies: ["Manifests", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "GitOps",
            dependencies: ["Manifests", "KubeClient", "GitSource", "Diff", "Health", "Sync", "SOPS"]),

        // Tiny example executables: the code is the documentation.
        .executableTarget(
            name: "gitops-render",
            dependencies: ["Manifests", "SOPS", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Examples/gitops-render"),
        .executableTarget(
            name: "gitops-fetch",
            dependencies: ["GitSource", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Examples/gitops-fetch"),
        .executableTarget(
            name: "gitops-health",
            dependencies: ["Health", "Manifests", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Examples/gitops-health"),
        .executableTarget(
            name: "gitops-diff",
            dependencies: ["GitOps", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Examples/gitops-diff"),
        .executableTarget(
            name: "gitops-sync",
            dependencies: [
                "GitOps", "EmbeddedCluster", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Examples/gitops-sync"),
        .executableTarget(
            name: "gitops-agent",
            dependencies: [
                "Sync", "KubeClient", "GitSource", "Manifests",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Examples/gitops-agent"),
        .executableTarget(
            name: "compose-your-own",
            dependencies: [
                "Sync", "KubeClient", "GitSource", "Manifests", "Diff", "Health", "EmbeddedCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Examples/compose-your-own"),

        .target(
            name: "EmbeddedCluster",
            dependencies: [
                "Manifests",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "embedded-cluster",
            dependencies: ["EmbeddedCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Examples/embedded-cluster"),
        .testTarget(
            name: "EmbeddedClusterTests", dependencies: ["EmbeddedCluster", "Manifests"], resources: [.copy("Fixtures")]),

        .testTarget(
            name: "ManifestsTests", dependencies: ["Manifests", "GitOps"], exclude: ["Fixtures"]),
        .testTarget(name: "DiffTests", dependencies: ["Diff"], exclude: ["Fixtures"]),
        .testTarget(
            name: "KubeClientTests", dependencies: ["KubeClient", "EmbeddedCluster", "Manifests", "GitTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "EmbeddedCluster", "Manifests", "KubeClient", "GitSource", "Health", "Diff", "GitTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "GitOpsTests", dependencies: ["GitOps", "EmbeddedCluster"]),
        .testTarget(name: "SOPSTests", dependencies: ["SOPS"]),
        .testTarget(name: "JsonnetTests", dependencies: ["Jsonnet", "Manifests"]),
        // Test harness (git daemon, fixture repositories, server processes, free ports) for the
        // test targets that start real servers; not a product.
        .target(name: "GitTestSupport", path: "Tests/GitTestSupport"),
        .testTarget(name: "GitSourceTests", dependencies: ["GitSource", "GitTestSupport"]),
        .testTarget(name: "HealthTests", dependencies: ["Health", "Manifests"], exclude: ["Fixtures"]),
    ]
)
