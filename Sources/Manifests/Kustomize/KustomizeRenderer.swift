/// Fetches a remote Kustomize resource (a URL in `resources`, such as
/// `https://github.com/org/repo//deploy?ref=v1`) and returns the local path of a copy: a
/// kustomization directory or a manifest file.
///
/// Without a fetcher, ``KustomizeRenderer`` refuses remote resources with an error naming them;
/// a fetcher can use GitSource to clone, or map URLs to vendored copies.
public protocol KustomizeRemoteFetcher: Sendable {
    /// A local directory or file holding what `url` names.
    ///
    /// - Throws: any error, reported with the URL and the kustomization that lists it.
    func fetch(_ url: String) async throws -> String
}

/// A ``KustomizeRemoteFetcher`` made from a function.
///
/// ```swift
/// let fetcher = KustomizeRemoteFetcherClosure { url in
///     vendored[url] ?? "/srv/vendor/unknown"
/// }
/// ```
public struct KustomizeRemoteFetcherClosure: KustomizeRemoteFetcher {
    private let body: @Sendable (String) async throws -> String

    /// A fetcher that calls `body`.
    public init(_ body: @escaping @Sendable (String) async throws -> String) { self.body = body }

    /// Calls the function.
    public func fetch(_ url: String) async throws -> String { try await body(url) }
}

/// Options of the Kustomize renderer.
public struct KustomizeOptions: Sendable {
    /// Which files a kustomization may read.
    public enum LoadRestriction: Sendable, Hashable {
        /// Files (resources, patches, generator sources) must lie inside the directory of the
        /// kustomization that names them; other kustomizations may be anywhere inside the checkout
        /// (kustomize's default, `LoadRestrictionsRootOnly`).
        case rootOnly
        /// Files may lie anywhere inside the checkout (``RenderInput/root``); never outside it.
        case none
    }

    /// Which files a kustomization may read; ``LoadRestriction/rootOnly`` by default.
    public var loadRestriction: LoadRestriction
    /// Fetches remote resources; `nil` (the default) refuses them.
    public var remoteFetcher: (any KustomizeRemoteFetcher)?
    /// Limits applied to every file read.
    public var limits: ReadLimits
    /// The deepest chain of kustomizations including one another (64 by default).
    public var maxDepth: Int

    /// Options with the defaults of `kubectl kustomize`.
    public init(
        loadRestriction: LoadRestriction = .rootOnly,
        remoteFetcher: (any KustomizeRemoteFetcher)? = nil,
        limits: ReadLimits = ReadLimits(),
        maxDepth: Int = 64
    ) {
        self.loadRestriction = loadRestriction
        self.remoteFetcher = remoteFetcher
        self.limits = limits
        self.maxDepth = maxDepth
    }
}

/// Renders a Kustomize overlay in-process, as `kubectl kustomize` (kustomize v5) renders it.
///
/// The directory must hold a `kustomization.yaml`, `kustomization.yml` or `Kustomization`. Supported
/// fields: `resources` (files, directories with kustomizations, remote URLs through
/// ``KustomizeOptions/remoteFetcher``), `components`, `namespace`, `namePrefix`, `nameSuffix`,
/// `labels`, `commonLabels`, `commonAnnotations`, `images`, `replicas`, `patches`,
/// `patchesStrategicMerge`, `patchesJson6902`, `configMapGenerator`, `secretGenerator`,
/// `generatorOptions` and `sortOptions`. Names changed by prefixes, suffixes and generator hashes
/// are updated in the fields that refer to them, as kustomize's name-reference table lists them.
/// Any other field is an error naming the field and the file; see Documentation/Renderers.md.
///
/// ```swift
/// let objects = try await KustomizeRenderer().render(RenderInput(directory: "deploy/overlays/prod"))
/// ```
public struct KustomizeRenderer: ManifestRenderer {
    /// The renderer's options.
    public var options: KustomizeOptions

    /// A renderer with `options`.
    public init(options: KustomizeOptions = KustomizeOptions()) { self.options = options }

    /// Renders the kustomization in ``RenderInput/directory``, in `kubectl kustomize`'s output order.
    ///
    /// - Throws: ``ManifestError`` naming the kustomization file and field (or the resource file,
    ///   line and column) of the first problem: unsupported fields (`unsupported`), malformed
    ///   fields and patches (`invalidObject`, `invalidPointer`), missing files (`fileSystem`), files
    ///   outside the allowed directories (`symlinkEscape`), duplicate objects (`duplicateResource`).
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        var build = try KustomizeBuild(options: options, root: input.root)
        return try await build.run(directory: input.directory)
    }
}
