/// What a renderer is asked to render: a directory of a checkout.
public struct RenderInput: Sendable, Hashable {
    /// The directory holding the manifests (an application's path inside the checkout).
    public var directory: String
    /// The checkout's root: nothing outside it may be read, even through a symbolic link.
    /// Defaults to ``directory``.
    public var root: String
    /// Variables the application declares for its renderer (for plugins that read an environment);
    /// renderers that have no use for them ignore them.
    public var environment: [String: String]

    /// Input for rendering `directory`, confined to `root` (by default the directory itself).
    public init(directory: String, root: String? = nil, environment: [String: String] = [:]) {
        self.directory = directory
        self.root = root ?? directory
        self.environment = environment
    }
}

/// Turns a directory of a Git checkout into the Kubernetes objects it describes.
///
/// Implementations: ``DirectoryRenderer`` (plain YAML and JSON files) in this module; others
/// (Kustomize, Helm, Jsonnet, command plugins) plug in through the same protocol, and
/// ``ClosureRenderer`` wraps a function.
public protocol ManifestRenderer: Sendable {
    /// Renders `input` into objects, in a deterministic order.
    ///
    /// - Throws: an error naming the file, line and column (or the object and field) of each
    ///   problem; ``ManifestErrors`` when there are several.
    func render(_ input: RenderInput) async throws -> [KubeObject]
}

/// A renderer made from a function, for plugging in a renderer without declaring a type.
///
/// ```swift
/// let renderer = ClosureRenderer { input in
///     [KubeObject(apiVersion: "v1", kind: "Namespace", name: "generated")]
/// }
/// ```
public struct ClosureRenderer: ManifestRenderer {
    private let body: @Sendable (RenderInput) async throws -> [KubeObject]

    /// A renderer that calls `body`.
    public init(_ body: @escaping @Sendable (RenderInput) async throws -> [KubeObject]) { self.body = body }

    /// Calls the function.
    public func render(_ input: RenderInput) async throws -> [KubeObject] { try await body(input) }
}

/// Several errors found in one pass, such as every broken file of a directory.
public struct ManifestErrors: Error, Sendable, CustomStringConvertible {
    /// The errors, in the order found (files in sorted order).
    public var errors: [ManifestError]

    /// A collection of `errors`.
    public init(_ errors: [ManifestError]) { self.errors = errors }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A rendered object and where it was read from.
public struct SourcedObject: Sendable, Hashable {
    /// The object.
    public var object: KubeObject
    /// Where its document starts.
    public var location: SourceLocation

    /// An object read at `location`.
    public init(object: KubeObject, location: SourceLocation) {
        self.object = object
        self.location = location
    }
}
