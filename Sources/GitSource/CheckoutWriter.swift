internal import CGit2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a tree of the cache repository as plain read-only files: no `.git`, no
/// submodules, symbolic links only when they stay inside (see ``SymlinkPolicy``), within
/// ``CheckoutLimits``.
struct CheckoutWriter {
    let repository: RepositoryHandle
    let limits: CheckoutLimits
    let symlinks: SymlinkPolicy
    let shouldStop: () -> GitSourceError?
    let remote: String

    private var files = 0
    private var bytes: Int64 = 0
    private var links: [String] = []  // relative paths of written symbolic links

    init(
        repository: RepositoryHandle,
        limits: CheckoutLimits,
        symlinks: SymlinkPolicy,
        remote: String,
        shouldStop: @escaping () -> GitSourceError?
    ) {
        self.repository = repository
        self.limits = limits
        self.symlinks = symlinks
        self.remote = remote
        self.shouldStop = shouldStop
    }

    /// Writes `tree` into `root`, which must exist and be empty.
    mutating func write(tree: ObjectHandle, into root: String) throws {
        try writeTree(tree.pointer, directory: root, relative: [])
        try verifyLinks(root: root)
        try makeReadOnly(root)
    }

    private mutating func writeTree(_ tree: OpaquePointer, directory: String, relative: [String]) throws {
        if let error = shouldStop() { throw error }
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index), let cName = git_tree_entry_name(entry) else {
                continue
            }
            let name = String(cString: cName)
            let path = relative + [name]
            let shown = path.joined(separator: "/")
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.lowercased() != ".git" else {
                throw GitSourceError(.unsafeContent, "the tree holds an unsafe entry name '\(shown)'", remote: remote)
            }
            let target = directory + "/" + name
            guard let id = git_tree_entry_id(entry) else { continue }
            let mode = git_tree_entry_filemode(entry)
            switch mode {
            case GIT_FILEMODE_TREE:
                var sub: OpaquePointer?
                try LibGit2.check(git_tree_lookup(&sub, repository.pointer, id), "cannot read tree '\(shown)'")
                guard let sub else { continue }
                let handle = ObjectHandle(sub)
                guard mkdir(target, 0o755) == 0 else { throw ioError("cannot create directory", shown) }
                try writeTree(handle.pointer, directory: target, relative: path)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                try countFile(shown)
                let blob = try lookupBlob(id, shown)
                let size = Int64(git_blob_rawsize(blob.pointer))
                guard size <= limits.maxFileBytes else {
                    throw GitSourceError(
                        .limitExceeded,
                        "file '\(shown)' is \(size) bytes, above the limit of \(limits.maxFileBytes)",
                        remote: remote
                    )
                }
                bytes += size
                guard bytes <= limits.maxTotalBytes else {
                    throw GitSourceError(
                        .limitExceeded,
                        "the checkout exceeds the size limit of \(limits.maxTotalBytes) bytes (at '\(shown)')",
                        remote: remote
                    )
                }
                let fd = cgit2_create_file(target, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0o555 : 0o444)
                guard fd >= 0 else { throw ioError("cannot create file", shown) }
                defer { _ = Glibc.close(fd) }
                if size > 0, let content = git_blob_rawcontent(blob.pointer) {
                    var offset = 0
                    while offset < Int(size) {
                        let n = Glibc.write(fd, content + offset, Int(size) - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw ioError("cannot write file", shown)
                        }
                        offset += n
                    }
                }
            case GIT_FILEMODE_LINK:
                let blob = try lookupBlob(id, shown)
                let size = Int(git_blob_rawsize(blob.pointer))
                guard let content = git_blob_rawcontent(blob.pointer), size > 0, size < 4096 else {
                    throw GitSourceError(
                        .unsafeContent,
                        "symbolic link '\(shown)' has an invalid target",
                        remote: remote
                    )
                }
                let destination = String(decoding: UnsafeRawBufferPointer(start: content, count: size), as: UTF8.self)
                if symlinks == .skipAll { continue }
                if Self.escapes(destination, from: Array(relative)) {
                    if symlinks == .skipEscaping { continue }
                    throw GitSourceError(
                        .unsafeContent,
                        "symbolic link '\(shown)' points outside the checkout (to '\(destination)'); refused",
                        remote: remote
                    )
                }
                try countFile(shown)
                guard symlink(destination, target) == 0 else { throw ioError("cannot create symbolic link", shown) }
                links.append(shown)
            case GIT_FILEMODE_COMMIT:
                continue  // a submodule: not part of this repository's content
            default:
                throw GitSourceError(.unsafeContent, "entry '\(shown)' has an unknown file mode", remote: remote)
            }
        }
    }

    private mutating func countFile(_ shown: String) throws {
        files += 1
        guard files <= limits.maxFiles else {
            throw GitSourceError(
                .limitExceeded,
                "the checkout has more than \(limits.maxFiles) files (at '\(shown)')",
                remote: remote
            )
        }
    }

    private func lookupBlob(_ id: UnsafePointer<git_oid>, _ shown: String) throws -> ObjectHandle {
        var blob: OpaquePointer?
        try LibGit2.check(git_blob_lookup(&blob, repository.pointer, id), "cannot read file '\(shown)'", remote: remote)
        guard let blob else { throw GitSourceError(.git, "cannot read file '\(shown)'", remote: remote) }
        return ObjectHandle(blob)
    }

    private func ioError(_ what: String, _ shown: String) -> GitSourceError {
        GitSourceError(
            .cacheIO,
            "\(what) '\(shown)' in the checkout: \(String(cString: strerror(errno)))",
            remote: remote
        )
    }

    /// Whether a link target, read from the link's directory, leaves the checkout.
    static func escapes(_ destination: String, from directory: [String]) -> Bool {
        if destination.hasPrefix("/") { return true }
        var stack = directory
        for part in destination.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty { return true }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
        return false
    }

    /// Links may chain through other links; resolve each one physically as well.
    private mutating func verifyLinks(root: String) throws {
        guard !links.isEmpty else { return }
        guard let realRoot = realpath(root, nil) else { throw ioError("cannot resolve", ".") }
        let rootPath = String(cString: realRoot)
        Glibc.free(realRoot)
        for link in links {
            let path = root + "/" + link
            guard let resolved = realpath(path, nil) else { continue }  // dangling, lexically inside
            let target = String(cString: resolved)
            Glibc.free(resolved)
            if target == rootPath || target.hasPrefix(rootPath + "/") { continue }
            if symlinks == .skipEscaping {
                _ = unlink(path)
                continue
            }
            throw GitSourceError(
                .unsafeContent,
                "symbolic link '\(link)' resolves outside the checkout through other links; refused",
                remote: remote
            )
        }
    }

    private func makeReadOnly(_ root: String) throws {
        // Deepest directories first, so each chmod happens after its content is written.
        var directories: [String] = [root]
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String {
                let path = root + "/" + relative
                var st = stat()
                if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { directories.append(path) }
            }
        }
        for directory in directories.reversed() { _ = chmod(directory, 0o555) }
    }
}
