import Diff
import GitSource
import Health
import KubeClient
import Manifests

/// Where an application's desired state comes from: a revision of a source, a path in it, and the
/// renderer that turns that path into objects.
///
/// ```swift
/// let source = try ApplicationSource(
///     provider: GitSourceProvider(url: "https://git.example.com/team/apps.git", cache: cache),
///     repositoryURL: "https://git.example.com/team/apps.git",
///     reference: .branch("main"),
///     path: "shop/production")
/// ```
public struct ApplicationSource: Sendable {
    /// What resolves references and materializes revisions (``GitSourceProvider`` for Git).
    public var provider: any SourceProvider
    /// The repository's address, as shown in status, events and logs (credentials masked).
    public var repositoryURL: String
    /// The branch, tag, semantic-version range or commit to follow.
    public var reference: SourceReference
    /// The directory inside the revision that holds the application's manifests; `""` for the root.
    public var path: String
    /// Turns the directory into objects (``DirectoryRenderer`` by default).
    public var renderer: any ManifestRenderer
    /// Variables handed to the renderer (``RenderInput/environment``).
    public var environment: [String: String]

    /// A source; see the type's example.
    ///
    /// - Throws: ``SyncError`` (`invalidApplication`) when `path` is absolute or climbs out of the
    ///   revision with `..`.
    public init(
        provider: any SourceProvider,
        repositoryURL: String,
        reference: SourceReference = .head,
        path: String = "",
        renderer: any ManifestRenderer = DirectoryRenderer(),
        environment: [String: String] = [:]
    ) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if path.hasPrefix("/") || parts.contains("..") {
            throw SyncError(
                .invalidApplication,
                object: nil,
                message: "source path '\(path)' must be relative to the repository root and stay inside it"
            )
        }
        self.provider = provider
        self.repositoryURL = repositoryURL
        self.reference = reference
        self.path = parts.filter { $0 != "." }.joined(separator: "/")
        self.renderer = renderer
        self.environment = environment
    }

    /// A Git source read through libgit2 into `cache`.
    ///
    /// - Throws: ``GitSourceError`` for a URL libgit2 cannot use; ``SyncError`` for a bad `path`.
    public static func git(
        url: String,
        reference: SourceReference = .head,
        path: String = "",
        cache: GitCache,
        options: GitSourceOptions = GitSourceOptions(),
        renderer: any ManifestRenderer = DirectoryRenderer()
    ) throws -> ApplicationSource {
        let provider = try GitSourceProvider(url: url, options: options, cache: cache)
        return try ApplicationSource(
            provider: provider,
            repositoryURL: provider.url,
            reference: reference,
            path: path,
            renderer: renderer
        )
    }
}

/// Where an application's objects go: a cluster and the namespace of objects that name none.
public struct ApplicationDestination: Sendable {
    /// The cluster (``KubernetesClient``, or any implementation of the four protocols).
    public var client: any ClusterClient
    /// The namespace of namespaced objects that name none.
    public var namespace: String

    /// A destination in `client`'s cluster, objects without a namespace going to `namespace`.
    public init(client: any ClusterClient, namespace: String = "default") {
        self.client = client
        self.namespace = namespace
    }
}

/// When an application is synced, and what a sync may do.
public struct SyncPolicy: Sendable, Hashable {
    /// Who starts a sync.
    public enum Mode: String, Sendable, Hashable {
        /// Only a caller (``Reconciler/sync(revision:)``); the reconciler compares and reports.
        case manual
        /// The reconciler syncs each new revision by itself.
        case automated
    }

    /// Who starts a sync.
    public var mode: Mode
    /// Whether objects no longer in Git are deleted.
    public var prune: Bool
    /// Whether drift in the cluster (an object edited or deleted by hand) is undone without a new
    /// revision; automated mode only.
    public var selfHeal: Bool
    /// Whether a render with no objects may prune everything the application owns.
    public var allowEmpty: Bool

    /// A policy; manual, without pruning or self-heal, as Argo CD's default.
    public init(mode: Mode = .manual, prune: Bool = false, selfHeal: Bool = false, allowEmpty: Bool = false) {
        self.mode = mode
        self.prune = prune
        self.selfHeal = selfHeal
        self.allowEmpty = allowEmpty
    }

    /// Manual syncs only.
    public static let manual = SyncPolicy()

    /// Automated syncs of each new revision, with the given pruning and self-heal.
    public static func automated(prune: Bool = false, selfHeal: Bool = false, allowEmpty: Bool = false) -> SyncPolicy {
        SyncPolicy(mode: .automated, prune: prune, selfHeal: selfHeal, allowEmpty: allowEmpty)
    }
}

/// A set of Kubernetes objects kept equal to a revision of a source: the unit a ``Reconciler``
/// reconciles, as an Argo CD Application or a Flux Kustomization.
///
/// ```swift
/// let app = try Application(
///     name: "shop",
///     source: .git(url: "https://git.example.com/team/apps.git", reference: .branch("main"),
///                  path: "shop", cache: GitCache(directory: cacheURL)),
///     destination: ApplicationDestination(client: client, namespace: "shop"),
///     syncPolicy: .automated(prune: true, selfHeal: true))
/// let reconciler = Reconciler(application: app)
/// ```
public struct Application: Sendable {
    /// The application's name, written into the tracking annotation of every object it applies.
    public let name: String
    /// Where the desired state comes from.
    public var source: ApplicationSource
    /// Where the objects go.
    public var destination: ApplicationDestination
    /// When to sync, and whether to prune and self-heal.
    public var syncPolicy: SyncPolicy
    /// Differences the comparison leaves out (fields other controllers own, say).
    public var ignoreRules: [any IgnoreRule]
    /// Normalizers run on both sides before the comparison.
    public var normalizers: [any Normalizer]
    /// How a failed automated sync is retried.
    public var retry: SyncRetryPolicy
    /// How objects are marked as this application's (Argo CD's tracking-id annotation by default).
    public var tracking: Tracking
    /// The health rules (built-in ones, plus any Lua scripts or checks registered).
    public var health: HealthRegistry
    /// How syncs write, wait and delete: field manager, server-side apply, replace, prune last,
    /// create namespace, apply out-of-sync only, health timeout... Its planning part (application
    /// name, tracking, default namespace, prune, allow-empty) is taken from this application; see
    /// ``effectiveSyncOptions``.
    public var syncOptions: SyncOptions

    /// An application; see the type's example.
    ///
    /// - Throws: ``SyncError`` (`invalidApplication`) when `name` is not a lowercase DNS subdomain
    ///   of at most 63 characters (letters, digits, `-` and `.`, starting and ending with a letter
    ///   or digit): it goes into annotations and object names.
    public init(
        name: String,
        source: ApplicationSource,
        destination: ApplicationDestination,
        syncPolicy: SyncPolicy = .manual,
        ignoreRules: [any IgnoreRule] = [],
        normalizers: [any Normalizer] = [],
        retry: SyncRetryPolicy = SyncRetryPolicy(),
        tracking: Tracking = Tracking(),
        health: HealthRegistry = HealthRegistry(),
        syncOptions: SyncOptions? = nil
    ) throws {
        try Self.validate(name: name)
        let syncOptions = syncOptions ?? SyncOptions(app: name)
        if syncOptions.fieldManager.isEmpty {
            throw SyncError(
                .invalidApplication,
                object: nil,
                message: "application '\(name)': the field manager is empty"
            )
        }
        self.name = name
        self.source = source
        self.destination = destination
        self.syncPolicy = syncPolicy
        self.ignoreRules = ignoreRules
        self.normalizers = normalizers
        self.retry = retry
        self.tracking = tracking
        self.health = health
        self.syncOptions = syncOptions
    }

    /// The field manager of every write and of the comparison (``SyncOptions/fieldManager``).
    public var fieldManager: String { syncOptions.fieldManager }

    static func validate(name: String) throws {
        func fail(_ why: String) -> SyncError {
            SyncError(.invalidApplication, object: nil, message: "application name '\(name)' \(why)")
        }
        guard !name.isEmpty else { throw fail("is empty") }
        guard name.utf8.count <= 63 else { throw fail("is longer than 63 characters") }
        let bytes = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        for c in bytes where !(alnum(c) || c == 0x2D || c == 0x2E) {
            throw fail("may hold only lowercase letters, digits, '-' and '.'")
        }
        guard alnum(bytes[0]), alnum(bytes[bytes.count - 1]) else {
            throw fail("must start and end with a lowercase letter or a digit")
        }
    }

    /// ``syncOptions`` with the planning part set from this application: its name, tracking,
    /// destination namespace, and the policy's prune and allow-empty (prune last and take-over
    /// stay as ``syncOptions`` says).
    public var effectiveSyncOptions: SyncOptions {
        var options = syncOptions
        options.app = name
        options.tracking = tracking
        options.defaultNamespace = destination.namespace
        options.prune = syncPolicy.prune
        options.allowEmpty = syncPolicy.allowEmpty
        return options
    }

    /// The differ this application compares with.
    public var differ: Differ {
        Differ(
            DiffOptions(
                fieldManager: fieldManager,
                normalizers: normalizers,
                ignoreRules: ignoreRules,
                defaultNamespace: destination.namespace
            )
        )
    }
}
