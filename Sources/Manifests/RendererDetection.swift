/// Which kind of renderer a directory needs.
public enum RendererKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A Kustomize overlay: the directory holds `kustomization.yaml`, `kustomization.yml` or
    /// `Kustomization`.
    case kustomize
    /// A Helm chart: the directory holds `Chart.yaml`.
    case helm
    /// Jsonnet: the directory holds at least one `*.jsonnet` file.
    case jsonnet
    /// Plain YAML and JSON manifests (``DirectoryRenderer``).
    case directory

    /// The kind's name: `kustomize`, `helm`, `jsonnet` or `directory`.
    public var description: String { rawValue }

    /// The kind a directory needs, looking only at the names of the files directly in it, in this
    /// order: a kustomization file, then `Chart.yaml`, then a `*.jsonnet` file, else plain
    /// manifests (the order Argo CD uses).
    ///
    /// - Throws: ``ManifestError`` (`fileSystem`) when the directory cannot be listed.
    public static func detect(directory: String) throws -> RendererKind {
        var names: Set<String> = []
        for name in try FileSystem.list(directory) {
            let type = FileSystem.entryType(directory + "/" + name)
            let isFile =
                type == .file
                || (type == .symlink
                    && (try? FileSystem.realPath(directory + "/" + name)).map {
                        FileSystem.entryType($0) == .file
                    } == true)
            if isFile { names.insert(name) }
        }
        if !names.isDisjoint(with: ["kustomization.yaml", "kustomization.yml", "Kustomization"]) { return .kustomize }
        if names.contains("Chart.yaml") { return .helm }
        if names.contains(where: { $0.hasSuffix(".jsonnet") && !$0.hasPrefix(".") }) { return .jsonnet }
        return .directory
    }
}

/// How to build the renderer for each ``RendererKind``: one function a kind, each replaceable.
///
/// ```swift
/// var factory = RendererFactory()
/// factory.helm = { HelmRenderer(releaseName: "shop", namespace: "prod") }
/// factory.jsonnet = { JsonnetRenderer(topLevelArguments: ["env": .string("prod")]) }  // import Jsonnet
/// let renderer = DetectingRenderer(factory: factory)
/// ```
///
/// Jsonnet lives in its own library (`Jsonnet`, which links libjsonnet), so the default
/// ``jsonnet`` function throws an error saying so until one is set.
public struct RendererFactory: Sendable {
    /// Builds the renderer for Kustomize overlays (``KustomizeRenderer`` by default).
    public var kustomize: @Sendable () throws -> any ManifestRenderer
    /// Builds the renderer for Helm charts (``HelmRenderer`` by default).
    public var helm: @Sendable () throws -> any ManifestRenderer
    /// Builds the renderer for Jsonnet; by default an error that names the `Jsonnet` library.
    public var jsonnet: @Sendable () throws -> any ManifestRenderer
    /// Builds the renderer for plain manifests (``DirectoryRenderer`` by default).
    public var directory: @Sendable () throws -> any ManifestRenderer

    /// The default functions.
    public init() {
        kustomize = { KustomizeRenderer() }
        helm = { HelmRenderer() }
        jsonnet = {
            throw ManifestError(
                .unsupported,
                "no Jsonnet renderer is configured: add the Jsonnet library (JsonnetRenderer) and set "
                    + "RendererFactory.jsonnet (or use RendererFactory.withJsonnet())"
            )
        }
        directory = { DirectoryRenderer() }
    }

    /// The renderer for `kind`.
    ///
    /// - Throws: whatever the kind's function throws.
    public func renderer(for kind: RendererKind) throws -> any ManifestRenderer {
        switch kind {
        case .kustomize: try kustomize()
        case .helm: try helm()
        case .jsonnet: try jsonnet()
        case .directory: try directory()
        }
    }
}

/// A renderer that picks the renderer for each directory: by ``RendererKind/detect(directory:)``
/// unless ``kind`` says which, built by ``factory``.
///
/// ```swift
/// let auto = DetectingRenderer()                 // detects
/// let forced = DetectingRenderer(kind: .directory) // plain YAML even where a Chart.yaml is
/// ```
public struct DetectingRenderer: ManifestRenderer {
    /// The kind to use instead of detecting one; detection when `nil`.
    public var kind: RendererKind?
    /// Builds the renderer for the kind.
    public var factory: RendererFactory

    /// A renderer using `kind` (or detection) and `factory`.
    public init(kind: RendererKind? = nil, factory: RendererFactory = RendererFactory()) {
        self.kind = kind
        self.factory = factory
    }

    /// The kind that rendering `input` would use.
    ///
    /// - Throws: ``ManifestError`` when the directory cannot be listed.
    public func kind(for input: RenderInput) throws -> RendererKind {
        if let kind { return kind }
        return try RendererKind.detect(directory: input.directory)
    }

    /// Renders `input` with the renderer of its kind.
    ///
    /// - Throws: what detection, the factory or the chosen renderer throws.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        try await factory.renderer(for: kind(for: input)).render(input)
    }
}
