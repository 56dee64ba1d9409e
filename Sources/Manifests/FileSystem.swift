#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the renderers need, with errors that name the path.
package enum FileSystem {
    package enum EntryType: Sendable { case file, directory, symlink, other }

    /// Reads a whole regular file.
    ///
    /// - Throws: ``ManifestError`` (`fileSystem`) naming the path and the system's reason, or
    ///   `limitExceeded` when the file is larger than `maxBytes`.
    package static func readFile(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw systemError("cannot open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw systemError("cannot stat", path) }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw ManifestError(
                .limitExceeded,
                "\(path): file of \(size) bytes is larger than the limit of \(maxBytes)"
            )
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw systemError("cannot read", path)
            }
            if n == 0 { break }
            done += n
        }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }

    /// The names in a directory, without `.` and `..`, unsorted.
    package static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw systemError("cannot list", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// What is at `path`, not following a final symbolic link; `nil` when nothing is.
    package static func entryType(_ path: String) -> EntryType? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// The absolute path with every symbolic link resolved.
    package static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else { throw systemError("cannot resolve", path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` is `root` or inside it (both already resolved).
    package static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    private static func systemError(_ what: String, _ path: String) -> ManifestError {
        let reason = String(cString: strerror(errno))
        return ManifestError(.fileSystem, "\(what) '\(path)': \(reason)")
    }
}
