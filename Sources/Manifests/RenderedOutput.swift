/// Turning the YAML a program printed into objects, and keeping programs inside the checkout.
enum RenderedOutput {
    /// Reads a YAML stream printed by a program: documents split at `---` lines, each named by
    /// the `# Source: path` comment that Helm puts after the separator (or by `source`), `List`s
    /// flattened, every object validated, duplicates reported with both places.
    ///
    /// - Throws: ``ManifestError`` or ``ManifestErrors``.
    static func objects(_ bytes: [UInt8], source: String, limits: ReadLimits) throws -> [KubeObject] {
        var objects: [SourcedObject] = []
        var errors: [ManifestError] = []
        for chunk in chunks(bytes, source: source) {
            do {
                try DirectoryRenderer.objects(
                    in: chunk.bytes,
                    source: chunk.source,
                    isJSON: false,
                    limits: limits,
                    into: &objects,
                    errors: &errors
                )
            } catch let error as ManifestError {
                errors.append(error)
            }
        }
        try DirectoryRenderer.checkUnique(objects, adding: errors)
        return objects.map(\.object)
    }

    struct Chunk {
        var source: String
        var bytes: [UInt8]
    }

    /// Splits a stream at `---` lines, keeping each part's lines (blank lines stand in for what
    /// went before, so that line numbers in errors are those of the whole output). A part that
    /// starts with Helm's `# Source: path` comment is named after that template, and its lines
    /// count from the template's first line.
    static func chunks(_ bytes: [UInt8], source: String) -> [Chunk] {
        var result: [Chunk] = []
        var current: [UInt8] = []
        var currentSource = source
        var lineNumber = 0
        var start = 0
        var chunkStartLine = 0
        func flush() {
            if current.contains(where: { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") }) {
                result.append(Chunk(source: currentSource, bytes: current))
            }
        }
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[start..<end]
            lineNumber += 1
            if line.starts(with: "---".utf8) && (line.count == 3 || line[line.startIndex + 3] == UInt8(ascii: " ")) {
                flush()
                chunkStartLine = lineNumber
                current = [UInt8](repeating: UInt8(ascii: "\n"), count: chunkStartLine)
                currentSource = source
            } else {
                let prefix = "# Source: ".utf8
                if current.count == chunkStartLine && line.starts(with: prefix) {
                    // Helm's template name: lines count from the template's output.
                    currentSource = String(decoding: line.dropFirst(prefix.count), as: UTF8.self) + " (rendered)"
                    current = []
                    chunkStartLine = 0
                } else {
                    current.append(contentsOf: line)
                    current.append(UInt8(ascii: "\n"))
                }
            }
            start = end + 1
        }
        flush()
        return result
    }
}

/// Keeping what a program reads inside the checkout.
enum Confinement {
    /// Resolves `path` and checks that it lies inside `root`, and that no symbolic link below it
    /// leads outside `root` (a program run there would follow it).
    ///
    /// - Returns: the resolved path.
    /// - Throws: ``RenderToolError`` (`outsideRoot`) naming the path or the link, or
    ///   ``ManifestError`` when a path cannot be read.
    static func check(_ path: String, root: String, program: String, maxEntries: Int = 100_000) throws -> String {
        let realRoot = try FileSystem.realPath(root)
        let real = try FileSystem.realPath(path)
        guard FileSystem.isInside(real, root: realRoot) else {
            throw RenderToolError(
                .outsideRoot,
                program: program,
                "'\(path)' is outside the checkout '\(root)'; refused"
            )
        }
        var count = 0
        var pending = [real]
        var visited: Set<String> = [real]
        while let directory = pending.popLast() {
            for name in try FileSystem.list(directory) {
                count += 1
                if count > maxEntries {
                    throw RenderToolError(
                        .invalidConfiguration,
                        program: program,
                        "'\(path)' holds more than \(maxEntries) files and directories"
                    )
                }
                let entry = directory + "/" + name
                switch FileSystem.entryType(entry) {
                case .directory: if visited.insert(entry).inserted { pending.append(entry) }
                case .symlink:
                    // A dangling link leads nowhere a program could read; one whose target cannot
                    // be resolved for another reason is treated the same way.
                    guard let target = try? FileSystem.realPath(entry) else { continue }
                    if !FileSystem.isInside(target, root: realRoot) {
                        throw RenderToolError(
                            .outsideRoot,
                            program: program,
                            "symbolic link '\(entry)' leads outside the checkout '\(root)'; refused"
                        )
                    }
                    // A link to a directory elsewhere in the checkout: what lies there is read too.
                    if FileSystem.entryType(target) == .directory, !FileSystem.isInside(target, root: real),
                        visited.insert(target).inserted
                    {
                        pending.append(target)
                    }
                default: continue
                }
            }
        }
        return real
    }
}
