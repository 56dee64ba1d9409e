/// One run of the Kustomize renderer: loads kustomizations, accumulates their objects, runs the
/// generators and transformers in kustomize's order, then adds hash suffixes, fixes name references
/// and sorts.
struct KustomizeBuild {
    let options: KustomizeOptions
    /// The checkout's real path: nothing outside it is read (remote copies aside).
    let root: String
    /// Directories of remote copies, which may be read although outside ``root``.
    private var remoteRoots: [String] = []
    /// Kustomization directories being built, to refuse cycles.
    private var stack: [String] = []

    init(options: KustomizeOptions, root: String) throws {
        self.options = options
        self.root = try FileSystem.realPath(root)
    }

    mutating func run(directory: String) async throws -> [KubeObject] {
        let start = try FileSystem.realPath(directory)
        guard FileSystem.isInside(start, root: root) else {
            throw ManifestError(.symlinkEscape, "kustomization directory '\(directory)' is outside the root '\(root)'")
        }
        let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let (resources, top) = try await accumulate(real: start, display: display, component: false, base: [])
        var list = resources
        try KustomizeTransforms.addHashes(&list)
        try KustomizeTransforms.fixNameReferences(&list)
        switch top.sortOrder ?? .legacy(first: KustomizeTables.orderFirst, last: KustomizeTables.orderLast) {
        case .fifo: break
        case .legacy(let first, let last): KustomizeTransforms.legacySort(&list, first: first, last: last)
        }
        return list.map { KubeObject(fields: $0.value.objectValue ?? ObjectValue()) }
    }

    // MARK: Loading

    /// Reads the kustomization file of a directory.
    private func loadKustomization(real: String, display: String) throws -> Kustomization {
        let present = Kustomization.fileNames.filter { FileSystem.entryType(real + "/" + $0) != nil }
        guard let name = present.first else {
            throw ManifestError(
                .fileSystem,
                "\(display): no kustomization file (expected one of \(Kustomization.fileNames.joined(separator: ", ")))"
            )
        }
        guard present.count == 1 else {
            throw ManifestError(
                .invalidObject,
                "\(display): found several kustomization files (\(present.joined(separator: ", "))); keep one"
            )
        }
        let file = display + "/" + name
        let bytes = try FileSystem.readFile(
            try confined(real + "/" + name, display: file),
            maxBytes: options.limits.maxBytes
        )
        let documents = try YAML.documents(bytes, source: file, limits: options.limits)
        guard documents.count <= 1 else {
            throw ManifestError(
                .invalidObject,
                "\(file): a kustomization file must hold one YAML document, not \(documents.count)"
            )
        }
        return try Kustomization(documents.first?.value ?? .null, file: file) { path in
            let (bytes, _) = try readFile(path, kustomizationDirectory: real, display: display)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The real path of `path`, refused when it leaves the checkout.
    private func confined(_ path: String, display: String) throws -> String {
        let real: String
        do { real = try FileSystem.realPath(path) } catch {
            throw ManifestError(.fileSystem, "\(display): no such file or directory")
        }
        guard
            FileSystem.isInside(real, root: root)
                || remoteRoots.contains(where: { FileSystem.isInside(real, root: $0) })
        else {
            throw ManifestError(.symlinkEscape, "\(display): leads outside the checkout '\(root)'; refused")
        }
        return real
    }

    /// Reads a file named by a kustomization in `kustomizationDirectory`, under the load restriction.
    func readFile(_ path: String, kustomizationDirectory: String, display: String) throws -> ([UInt8], String) {
        let shown = display + "/" + path
        let full = path.hasPrefix("/") ? path : kustomizationDirectory + "/" + path
        let real = try confined(full, display: shown)
        if options.loadRestriction == .rootOnly, !FileSystem.isInside(real, root: kustomizationDirectory) {
            throw ManifestError(
                .symlinkEscape,
                "\(shown): file is not in or below the kustomization's directory '\(display)' (load restriction rootOnly); refused"
            )
        }
        guard FileSystem.entryType(real) == .file else {
            throw ManifestError(.fileSystem, "\(shown): not a regular file")
        }
        return (try FileSystem.readFile(real, maxBytes: options.limits.maxBytes), shown)
    }

    private static func isRemote(_ entry: String) -> Bool {
        entry.contains("://") || entry.hasPrefix("git@") || entry.hasPrefix("github.com/")
            || entry.hasPrefix("gitlab.com/") || entry.hasPrefix("bitbucket.org/") || entry.hasPrefix("git::")
    }

    // MARK: Accumulation

    /// Builds one kustomization (or component, on top of `base`) and returns its objects.
    private mutating func accumulate(
        real: String,
        display: String,
        component: Bool,
        base: [KustomizeResource]
    ) async throws -> ([KustomizeResource], Kustomization) {
        guard stack.count < options.maxDepth else {
            throw ManifestError(.limitExceeded, "\(display): kustomizations nest deeper than \(options.maxDepth)")
        }
        if let cycle = stack.firstIndex(of: real) {
            throw ManifestError(
                .invalidObject,
                "\(display): kustomization cycle through \(stack[cycle...].joined(separator: " -> "))"
            )
        }
        stack.append(real)
        defer { stack.removeLast() }
        let k = try loadKustomization(real: real, display: display)
        if component && !k.isComponent {
            throw ManifestError(.invalidObject, "\(k.file): listed in 'components' but its kind is not Component")
        }
        if !component && k.isComponent {
            throw ManifestError(
                .invalidObject,
                "\(k.file): a Component can only be listed in 'components', not built or listed in 'resources'"
            )
        }
        var list = component ? base : []
        for entry in k.resources {
            try await addResource(entry, from: k, real: real, display: display, into: &list)
        }
        try KustomizeGenerators.run(k, build: self, directory: real, display: display, into: &list)
        for entry in k.components {
            if Self.isRemote(entry) {
                throw ManifestError(
                    .unsupported,
                    "\(k.file): remote component '\(entry)' is not supported",
                    field: "/components"
                )
            }
            let path = entry.hasPrefix("/") ? entry : real + "/" + entry
            let shown = display + "/" + entry
            let dir = try confined(path, display: shown)
            guard FileSystem.entryType(dir) == .directory else {
                throw ManifestError(.fileSystem, "\(k.file): component '\(entry)' is not a directory")
            }
            list = try await accumulate(real: dir, display: shown, component: true, base: list).0
        }
        try KustomizeTransforms.run(k, build: self, directory: real, display: display, on: &list)
        return (list, k)
    }

    /// Adds the objects of one `resources` entry: a file, a kustomization directory or a remote URL.
    private mutating func addResource(
        _ entry: String,
        from k: Kustomization,
        real: String,
        display: String,
        into list: inout [KustomizeResource]
    ) async throws {
        var path = entry.hasPrefix("/") ? entry : real + "/" + entry
        var shown = display + "/" + entry
        if Self.isRemote(entry) {
            guard let fetcher = options.remoteFetcher else {
                throw ManifestError(
                    .unsupported,
                    "\(k.file): remote resource '\(entry)' needs a remote fetcher (KustomizeOptions.remoteFetcher); none is configured",
                    field: "/resources"
                )
            }
            do { path = try await fetcher.fetch(entry) } catch {
                throw ManifestError(
                    .fileSystem,
                    "\(k.file): fetching remote resource '\(entry)' failed: \(error)",
                    field: "/resources"
                )
            }
            let fetched = try FileSystem.realPath(path)
            remoteRoots.append(
                FileSystem.entryType(fetched) == .directory
                    ? fetched : String(fetched[..<(fetched.lastIndex(of: "/") ?? fetched.endIndex)])
            )
            shown = entry
        }
        let target = try confined(path, display: shown)
        switch FileSystem.entryType(target) {
        case .directory:
            let (objects, _) = try await accumulate(real: target, display: shown, component: false, base: [])
            try Self.append(objects, to: &list)
        case .file:
            if options.loadRestriction == .rootOnly, !Self.isRemote(entry), !FileSystem.isInside(target, root: real) {
                throw ManifestError(
                    .symlinkEscape,
                    "\(shown): resource file is not in or below '\(display)' (load restriction rootOnly); refused"
                )
            }
            let bytes = try FileSystem.readFile(target, maxBytes: options.limits.maxBytes)
            try Self.append(try Self.objects(in: bytes, source: shown, limits: options.limits), to: &list)
        default:
            throw ManifestError(
                .fileSystem,
                "\(k.file): resource '\(entry)' is neither a file nor a directory",
                field: "/resources"
            )
        }
    }

    /// The objects of a manifest file: documents, with `List` kinds flattened.
    static func objects(in bytes: [UInt8], source: String, limits: ReadLimits) throws -> [KustomizeResource] {
        var out: [KustomizeResource] = []
        func add(_ value: Value, _ location: SourceLocation) throws {
            switch value {
            case .null: return
            case .object(let o):
                if let kind = o["kind"]?.stringValue, kind.hasSuffix("List"), case .array(let items)? = o["items"] {
                    for item in items { try add(item, location) }
                    return
                }
                guard let kind = o["kind"]?.stringValue, !kind.isEmpty else {
                    throw ManifestError(.invalidObject, "an object needs a 'kind'", location: location)
                }
                if kind == "Kustomization" || kind == "Component" {
                    throw ManifestError(
                        .invalidObject,
                        "a \(kind) cannot be listed as a resource file; list its directory",
                        location: location
                    )
                }
                guard let name = o["metadata"]?["name"]?.stringValue, !name.isEmpty else {
                    throw ManifestError(.invalidObject, "\(kind) has no metadata.name", location: location)
                }
                out.append(KustomizeResource(value: value, source: location.description))
            default:
                throw ManifestError(
                    .invalidObject,
                    "a manifest document must be a mapping, not a \(value.kindName)",
                    location: location
                )
            }
        }
        for document in try YAML.documents(bytes, source: source, limits: limits) {
            try add(document.value, document.location)
        }
        return out
    }

    /// Appends objects, refusing one whose id is already there (kustomize's `Append`).
    static func append(_ objects: [KustomizeResource], to list: inout [KustomizeResource]) throws {
        var seen: [KustomizeID.Key: Int] = [:]
        for (i, r) in list.enumerated() { seen[r.currentID.key] = i }
        for resource in objects {
            let id = resource.currentID
            if let other = seen[id.key] {
                throw ManifestError(
                    .duplicateResource,
                    "may not add resource with an already registered id: \(id) (from \(resource.source); already from \(list[other].source))"
                )
            }
            seen[id.key] = list.count
            list.append(resource)
        }
    }
}
