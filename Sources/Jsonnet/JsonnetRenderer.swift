internal import CJsonnet
import Dispatch
import Manifests

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A top-level argument or external variable: a string, or Jsonnet code evaluated as a value.
public enum JsonnetArgument: Sendable, Hashable {
    /// A string value (`--tla-str`, `--ext-str`).
    case string(String)
    /// Jsonnet code (`--tla-code`, `--ext-code`), such as `{ replicas: 3 }` or `true`.
    case code(String)
}

/// Renders the Jsonnet files of a directory through libjsonnet.
///
/// Each `*.jsonnet` file directly in the directory (or only ``file``) is evaluated, in sorted
/// order; its result must be a Kubernetes object, an array of them (nested arrays are
/// flattened), or a `List` with `items`. `*.libsonnet` files are libraries: they are read only
/// through `import`.
///
/// ```swift
/// var jsonnet = JsonnetRenderer()
/// jsonnet.topLevelArguments = ["env": .string("prod"), "replicas": .code("3")]
/// jsonnet.externalVariables = ["region": .string("eu-1")]
/// jsonnet.libraryPaths = ["vendor", "lib"]   // relative to the checkout's root
/// let objects = try await jsonnet.render(RenderInput(directory: "checkout/apps/shop", root: "checkout"))
/// ```
///
/// Imports (`import`, `importstr`) resolve as the `jsonnet` command does: next to the importing
/// file first, then in ``libraryPaths`` from the last to the first. Every imported file must lie
/// inside ``RenderInput/root`` or one of the library paths, symbolic links resolved; anything
/// else is refused with an error.
///
/// Evaluation runs on a thread of its own. Jsonnet has no way to be interrupted midway: a
/// cancelled task stops at the next import; ``maxStack`` bounds recursion.
public struct JsonnetRenderer: ManifestRenderer {
    /// The one file to evaluate, relative to the directory; every `*.jsonnet` file when `nil`.
    public var file: String?
    /// Top-level arguments, passed to a file whose result is a function.
    public var topLevelArguments: [String: JsonnetArgument]
    /// External variables, read with `std.extVar(name)`.
    public var externalVariables: [String: JsonnetArgument]
    /// Library directories (`--jpath`), relative to the checkout's root or absolute; the last one
    /// is searched first, as with the `jsonnet` command.
    public var libraryPaths: [String]
    /// The deepest stack of calls (500 by default, as the `jsonnet` command).
    public var maxStack: Int
    /// The most stack frames shown in an error (20 by default).
    public var maxTrace: Int
    /// Limits for imported files and for reading each file's result.
    public var limits: ReadLimits

    /// A renderer with the given arguments.
    public init(
        file: String? = nil,
        topLevelArguments: [String: JsonnetArgument] = [:],
        externalVariables: [String: JsonnetArgument] = [:],
        libraryPaths: [String] = []
    ) {
        self.file = file
        self.topLevelArguments = topLevelArguments
        self.externalVariables = externalVariables
        self.libraryPaths = libraryPaths
        self.maxStack = 500
        self.maxTrace = 20
        self.limits = ReadLimits()
    }

    /// The version of libjsonnet in use, such as `v0.18.0`.
    public static var libraryVersion: String { String(cString: jsonnet_version()) }

    /// Evaluates the directory's Jsonnet files and returns their objects.
    ///
    /// - Throws: ``JsonnetError`` naming the file, line and column of an evaluation error, an
    ///   import that is missing or leaves the checkout, or a result that is not objects;
    ///   ``ManifestError`` when an object is invalid or two have the same key;
    ///   `CancellationError` when the task is cancelled.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        let root = try realPath(input.root, what: "root")
        let directory = try realPath(input.directory, what: "directory")
        guard isInside(directory, root: root) else {
            throw JsonnetError(.importRefused, "directory '\(input.directory)' is outside the checkout '\(input.root)'")
        }
        var libraries: [String] = []
        for path in libraryPaths {
            let full = path.hasPrefix("/") ? path : root + "/" + path
            libraries.append(try realPath(full, what: "library path"))
        }
        let files: [String]
        if let file {
            let full = try realPath(directory + "/" + file, what: "file")
            guard isInside(full, root: root) else {
                throw JsonnetError(.importRefused, "'\(file)' is outside the checkout '\(input.root)'")
            }
            files = [directory + "/" + file]
        } else {
            files = try listJsonnetFiles(directory).map { directory + "/" + $0 }
            if files.isEmpty { throw JsonnetError(.configuration, "no .jsonnet file in '\(input.directory)'") }
        }
        let cancelled = Cancellation()
        let job = Job(renderer: self, files: files, root: root, libraries: libraries, cancelled: cancelled)
        let result: Result<[KubeObject], any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: Result { try job.run() }) }
            }
        } onCancel: {
            cancelled.cancel()
        }
        return try result.get()
    }

    private struct Job: Sendable {
        let renderer: JsonnetRenderer
        let files: [String]
        let root: String
        let libraries: [String]
        let cancelled: Cancellation

        func run() throws -> [KubeObject] {
            var objects: [KubeObject] = []
            var seen: [ResourceKey: String] = [:]
            var errors: [ManifestError] = []
            for file in files {
                if cancelled.isCancelled { throw CancellationError() }
                let vm = try JsonnetVM(renderer: renderer, root: root, libraries: libraries, cancelled: cancelled)
                let json = try vm.evaluate(file: file)
                let value = try Value(json: json, source: "\(file) (result)", limits: renderer.limits)
                var found: [KubeObject] = []
                try collect(value, file: file, path: "", into: &found)
                for object in found {
                    let problems = object.validationErrors(at: SourceLocation(source: file, line: 1, column: 1))
                    if !problems.isEmpty {
                        errors += problems
                        continue
                    }
                    if let first = seen[object.key] {
                        errors.append(
                            ManifestError(
                                .duplicateResource,
                                "\(object.key) is also made by \(first)",
                                location: SourceLocation(source: file, line: 1, column: 1),
                                object: object.key.description
                            )
                        )
                        continue
                    }
                    seen[object.key] = file
                    objects.append(object)
                }
            }
            if errors.count == 1 { throw errors[0] }
            if !errors.isEmpty { throw ManifestErrors(errors) }
            return objects
        }

        /// Objects, arrays (nested) and `List`s into objects; anything else is an error naming
        /// where in the result it is.
        func collect(_ value: Value, file: String, path: String, into objects: inout [KubeObject]) throws {
            switch value {
            case .array(let items):
                for (index, item) in items.enumerated() {
                    try collect(item, file: file, path: "\(path)/\(index)", into: &objects)
                }
            case .object(let fields):
                if let kind = fields["kind"]?.stringValue, kind.hasSuffix("List"),
                    case .array(let items)? = fields["items"]
                {
                    for (index, item) in items.enumerated() {
                        try collect(item, file: file, path: "\(path)/items/\(index)", into: &objects)
                    }
                } else {
                    objects.append(KubeObject(fields: fields))
                }
            case .null:
                return
            default:
                throw JsonnetError(
                    .invalidOutput,
                    "the result\(path.isEmpty ? "" : " at \(path)") is a \(value.kindName), not a Kubernetes object, "
                        + "an array of them or a List",
                    location: SourceLocation(source: file, line: 1, column: 1)
                )
            }
        }
    }

    private func listJsonnetFiles(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw JsonnetError(.configuration, "cannot list '\(directory)': \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard name.hasSuffix(".jsonnet"), !name.hasPrefix(".") else { continue }
            var info = stat()
            if stat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

func realPath(_ path: String, what: String) throws -> String {
    guard let resolved = realpath(path, nil) else {
        throw JsonnetError(.configuration, "\(what) '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { free(resolved) }
    return String(cString: resolved)
}

func isInside(_ path: String, root: String) -> Bool {
    path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
}

extension RendererFactory {
    /// This factory with ``JsonnetRenderer`` for directories of Jsonnet files.
    ///
    /// ```swift
    /// let renderer = DetectingRenderer(factory: RendererFactory().withJsonnet(JsonnetRenderer(libraryPaths: ["vendor"])))
    /// ```
    public func withJsonnet(_ renderer: JsonnetRenderer = JsonnetRenderer()) -> RendererFactory {
        var factory = self
        factory.jsonnet = { renderer }
        return factory
    }
}
