internal import CGit2
import Foundation
import Synchronization

/// Process-wide libgit2 state: initialized once, on first use, and shut down at process exit
/// when no operation is running (shutting down under a running fetch would crash it).
enum LibGit2 {
    /// libgit2 operations running now (see ``withOperation(_:)``).
    private static let active = Atomic<Int>(0)

    /// Counts a running operation, so that exit does not shut libgit2 down under it.
    static func withOperation<T>(_ body: () throws -> T) rethrows -> T {
        active.add(1, ordering: .sequentiallyConsistent)
        defer { active.subtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }

    private static let ready: Result<Void, GitSourceError> = {
        let rc = git_libgit2_init()
        guard rc >= 0 else {
            return .failure(GitSourceError(.git, "libgit2 failed to initialize (code \(rc))"))
        }
        _ = cgit2_opts_set_user_agent("swift-gitops")
        _ = cgit2_opts_enable_strict_hash_verification(1)
        // The cache repositories are ours; other users' processes may share the cache.
        _ = cgit2_opts_set_owner_validation(0)
        // Our own socket stream: connect and stall timeouts, cancellation (see Transport.swift).
        GitStream.register()
        atexit {
            if LibGit2.active.load(ordering: .sequentiallyConsistent) == 0 { _ = git_libgit2_shutdown() }
        }
        return .success(())
    }()

    /// Makes sure libgit2 is initialized; cheap after the first call.
    static func initialize() throws {
        try ready.get()
    }

    /// Whether this libgit2 was built with SSH (libssh2) and HTTPS support.
    static var features: (ssh: Bool, https: Bool, threads: Bool) {
        let f = UInt32(bitPattern: git_libgit2_features())
        return (
            f & GIT_FEATURE_SSH.rawValue != 0, f & GIT_FEATURE_HTTPS.rawValue != 0,
            f & GIT_FEATURE_THREADS.rawValue != 0
        )
    }

    /// The last libgit2 error on this thread, or a generic text.
    static func lastErrorMessage(_ rc: Int32) -> (message: String, errorClass: Int32) {
        if let e = git_error_last(), let text = e.pointee.message {
            return (String(cString: text), e.pointee.klass)
        }
        return ("libgit2 error \(rc)", 0)
    }

    /// Throws a ``GitSourceError`` when `rc` is negative.
    @discardableResult
    static func check(_ rc: Int32, _ what: @autoclosure () -> String, remote: String? = nil) throws -> Int32 {
        if rc >= 0 { return rc }
        let (message, _) = lastErrorMessage(rc)
        throw GitSourceError(.git, "\(what()): \(RemoteURL.mask(message))", remote: remote)
    }

    // MARK: trust store

    private static let trust = Mutex<(bundles: [String], combined: String?)>(([], nil))

    /// Adds a CA bundle to the process-wide trust store libgit2 uses for HTTPS.
    static func trustCABundle(_ path: String, cacheDirectory: URL) throws {
        try initialize()
        try trust.withLock { state in
            if state.bundles.contains(path) { return }
            guard let extra = FileManager.default.contents(atPath: path) else {
                throw GitSourceError(.certificate, "cannot read CA bundle at \(path)")
            }
            var combined = Data()
            for system in [
                "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
            ] {
                if let data = FileManager.default.contents(atPath: system) {
                    combined.append(data)
                    combined.append(0x0A)
                    break
                }
            }
            for previous in state.bundles {
                if let data = FileManager.default.contents(atPath: previous) {
                    combined.append(data)
                    combined.append(0x0A)
                }
            }
            combined.append(extra)
            let file = cacheDirectory.appendingPathComponent(
                "ca-\(StableHash.hex(String(decoding: combined, as: UTF8.self))).pem"
            )
            do {
                try combined.write(to: file, options: .atomic)
            } catch {
                throw GitSourceError(.cacheIO, "cannot write the combined CA bundle to \(file.path): \(error)")
            }
            let rc = cgit2_opts_set_ssl_cert_file(file.path)
            guard rc >= 0 else {
                let (message, _) = lastErrorMessage(rc)
                throw GitSourceError(.certificate, "cannot load CA bundle \(path): \(message)")
            }
            state.bundles.append(path)
            state.combined = file.path
        }
    }
}

/// Owns a `git_repository`.
final class RepositoryHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_repository_free(pointer) }

    static func openOrInitBare(at path: String) throws -> RepositoryHandle {
        var repo: OpaquePointer?
        if git_repository_open_bare(&repo, path) == 0, let repo {
            return RepositoryHandle(repo)
        }
        try LibGit2.check(git_repository_init(&repo, path, 1), "cannot create cache repository at \(path)")
        guard let repo else { throw GitSourceError(.git, "cannot create cache repository at \(path)") }
        return RepositoryHandle(repo)
    }
}

/// Owns a `git_remote`.
final class RemoteHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit {
        git_remote_disconnect(pointer)
        git_remote_free(pointer)
    }
}

/// Owns any `git_object` (commit, tree, blob, tag).
final class ObjectHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_object_free(pointer) }
}

/// Owns a `git_reference`.
final class ReferenceHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_reference_free(pointer) }
}

extension git_oid {
    var hex: String {
        var copy = self
        var buffer = [CChar](repeating: 0, count: 40)
        _ = git_oid_fmt(&buffer, &copy)
        return String(decoding: buffer.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init?(hex: String) {
        guard hex.utf8.count == 40, hex.allSatisfy(\.isHexDigit) else { return nil }
        var oid = git_oid()
        guard git_oid_fromstr(&oid, hex) == 0 else { return nil }
        self = oid
    }
}

extension git_buf {
    /// Reads and frees the buffer.
    mutating func consume() -> String {
        defer { git_buf_dispose(&self) }
        guard let ptr = self.ptr else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: self.size), as: UTF8.self)
    }
}
