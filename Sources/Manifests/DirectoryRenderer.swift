/// Renders a directory of plain manifests: `.yaml`, `.yml` and `.json` files.
///
/// - Files are found recursively (unless ``recursive`` is off) and read in sorted path order, so
///   the result is the same on every machine.
/// - Hidden files and directories (names starting with `.`) are skipped; so are files with other
///   extensions.
/// - ``include`` and ``exclude`` globs (``GlobPattern``) filter files by their path relative to the
///   directory: a file is read when it matches some include pattern (or there are none) and no
///   exclude pattern.
/// - Empty documents are skipped; `kind: List` (and any `...List` with `items`) is flattened.
/// - Every object is validated (``KubeObject/validationErrors(at:)``), and two objects with the
///   same ``ResourceKey`` are an error naming both places.
/// - A symbolic link whose target lies outside ``RenderInput/root`` is refused with an error;
///   links inside it are followed, each real directory read once.
///
/// Every problem found is reported, not only the first: the error is a ``ManifestErrors`` when
/// there are several.
public struct DirectoryRenderer: ManifestRenderer {
    /// Whether subdirectories are read (the default).
    public var recursive: Bool
    /// Only files matching one of these are read; all files when empty.
    public var include: [GlobPattern]
    /// Files matching one of these are not read.
    public var exclude: [GlobPattern]
    /// Limits applied to every file.
    public var limits: ReadLimits
    /// The most files one render reads (10,000 by default).
    public var maxFiles: Int

    /// A renderer with the given filters.
    public init(
        recursive: Bool = true,
        include: [GlobPattern] = [],
        exclude: [GlobPattern] = [],
        limits: ReadLimits = ReadLimits(),
        maxFiles: Int = 10_000
    ) {
        self.recursive = recursive
        self.include = include
        self.exclude = exclude
        self.limits = limits
        self.maxFiles = maxFiles
    }

    /// Renders the directory; see the type's documentation for the rules.
    ///
    /// - Throws: ``ManifestError`` or ``ManifestErrors``, each naming file, line and column.
    public func render(_ input: RenderInput) async throws -> [KubeObject] {
        try renderSourced(input).map(\.object)
    }

    /// Renders the directory and keeps where each object came from.
    ///
    /// - Throws: ``ManifestError`` or ``ManifestErrors``, each naming file, line and column.
    public func renderSourced(_ input: RenderInput) throws -> [SourcedObject] {
        let files = try manifestFiles(input)
        var objects: [SourcedObject] = []
        var errors: [ManifestError] = []
        for file in files {
            do {
                let bytes = try FileSystem.readFile(file.path, maxBytes: limits.maxBytes)
                try Self.objects(
                    in: bytes,
                    source: file.display,
                    isJSON: file.isJSON,
                    limits: limits,
                    into: &objects,
                    errors: &errors
                )
            } catch let error as ManifestError {
                errors.append(error)
            }
        }
        try Self.checkUnique(objects, adding: errors)
        return objects
    }

    /// Throws `errors`, plus one error for every object defined twice (naming both places), when
    /// there are any: a single error as itself, several as ``ManifestErrors``.
    static func checkUnique(_ objects: [SourcedObject], adding errors: [ManifestError]) throws {
        var errors = errors
        var seen: [ResourceKey: SourceLocation] = [:]
        for item in objects {
            let key = item.object.key
            if let first = seen[key] {
                errors.append(
                    ManifestError(
                        .duplicateResource,
                        "\(key) is also defined at \(first)",
                        location: item.location,
                        object: key.description
                    )
                )
            } else {
                seen[key] = item.location
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw ManifestErrors(errors) }
    }

    /// Reads the objects of one file's bytes: documents, flattened lists, validation.
    static func objects(
        in bytes: [UInt8],
        source: String,
        isJSON: Bool,
        limits: ReadLimits,
        into objects: inout [SourcedObject],
        errors: inout [ManifestError]
    ) throws {
        let documents: [YAMLDocument]
        if isJSON {
            documents = [
                YAMLDocument(
                    value: try Value(json: bytes, source: source, limits: limits),
                    location: SourceLocation(source: source, line: 1, column: 1)
                )
            ]
        } else {
            documents = try YAML.documents(bytes, source: source, limits: limits)
        }
        for document in documents {
            append(document.value, location: document.location, into: &objects, errors: &errors)
        }
    }

    private static func append(
        _ value: Value,
        location: SourceLocation,
        into objects: inout [SourcedObject],
        errors: inout [ManifestError]
    ) {
        switch value {
        case .null:
            return
        case .object(let fields):
            if let kind = fields["kind"]?.stringValue, kind.hasSuffix("List"), case .array(let items)? = fields["items"]
            {
                for item in items { append(item, location: location, into: &objects, errors: &errors) }
                return
            }
            let object = KubeObject(fields: fields)
            let problems = object.validationErrors(at: location)
            if problems.isEmpty {
                objects.append(SourcedObject(object: object, location: location))
            } else {
                errors += problems
            }
        default:
            errors.append(
                ManifestError(
                    .invalidObject,
                    "a manifest document must be a mapping, not a \(value.kindName)",
                    location: location
                )
            )
        }
    }

    private struct ManifestFile {
        var path: String
        var display: String
        var isJSON: Bool
    }

    /// The files to read, sorted by relative path.
    private func manifestFiles(_ input: RenderInput) throws -> [ManifestFile] {
        let root = try FileSystem.realPath(input.root)
        let start = try FileSystem.realPath(input.directory)
        guard FileSystem.isInside(start, root: root) else {
            throw ManifestError(.symlinkEscape, "directory '\(input.directory)' is outside the root '\(input.root)'")
        }
        var files: [ManifestFile] = []
        var visited: Set<String> = [start]
        var errors: [ManifestError] = []
        let base = input.directory.hasSuffix("/") ? String(input.directory.dropLast()) : input.directory

        func walk(_ real: String, relative: String) throws {
            for name in try FileSystem.list(real).sorted() where !name.hasPrefix(".") {
                let path = real + "/" + name
                let rel = relative.isEmpty ? name : relative + "/" + name
                var type = FileSystem.entryType(path)
                var target = path
                if type == .symlink {
                    guard let resolved = try? FileSystem.realPath(path) else {
                        errors.append(ManifestError(.fileSystem, "\(base)/\(rel): symbolic link to nothing"))
                        continue
                    }
                    guard FileSystem.isInside(resolved, root: root) else {
                        errors.append(
                            ManifestError(
                                .symlinkEscape,
                                "\(base)/\(rel): symbolic link leads outside '\(input.root)'; refused"
                            )
                        )
                        continue
                    }
                    target = resolved
                    type = FileSystem.entryType(resolved)
                }
                switch type {
                case .directory:
                    guard recursive, visited.insert(target).inserted else { continue }
                    try walk(target, relative: rel)
                case .file:
                    let lower = name.lowercased()
                    let isJSON = lower.hasSuffix(".json")
                    guard isJSON || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") else { continue }
                    guard include.isEmpty || include.contains(where: { $0.matches(rel) }),
                        !exclude.contains(where: { $0.matches(rel) })
                    else { continue }
                    files.append(ManifestFile(path: target, display: "\(base)/\(rel)", isJSON: isJSON))
                    if files.count > maxFiles {
                        throw ManifestError(.limitExceeded, "\(base): more than \(maxFiles) manifest files")
                    }
                default:
                    continue
                }
            }
        }
        try walk(start, relative: "")
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw ManifestErrors(errors) }
        return files.sorted { $0.display.utf8.lexicographicallyPrecedes($1.display.utf8) }
    }
}
