internal import CGit2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The libgit2 ``SourceProvider``: one remote repository, mirrored into a shared
/// ``GitCache`` and fetched incrementally.
///
/// Every network operation runs on a thread of its own (libgit2 blocks), is aborted after
/// ``GitSourceOptions/stallTimeout`` without progress, and stops when its task is cancelled.
///
/// ```swift
/// let cache = try GitCache(directory: URL(fileURLWithPath: "/var/cache/gitops"))
/// let source = try GitSourceProvider(
///     url: "git@github.com:team/apps.git",
///     options: GitSourceOptions(credentials: .sshKey(privateKeyFile: "/keys/deploy"),
///                               hostKeys: .knownHostsFile("/keys/known_hosts")),
///     cache: cache)
/// let checkout = try await source.materialize(try await source.resolve(.branch("main")))
/// ```
public struct GitSourceProvider: SourceProvider {
    let remote: RemoteURL
    /// The options in force.
    public let options: GitSourceOptions
    /// The cache this provider mirrors into.
    public let cache: GitCache

    /// The remote URL with any user information masked.
    public var url: String { RemoteURL.mask(remote.url) }

    /// Creates a provider for the repository at `url`: `https://`, `http://`, `git://`,
    /// `ssh://`, scp-style `user@host:path`, `file://` or a local path. User information in
    /// the URL is used as credentials and never stored.
    ///
    /// - Throws: ``GitSourceError`` for an address that cannot be read, a transport this
    ///   libgit2 lacks (SSH or HTTPS), or a CA bundle that cannot be loaded.
    public init(url: String, options: GitSourceOptions = GitSourceOptions(), cache: GitCache) throws {
        try LibGit2.initialize()
        let remote = try RemoteURL(url)
        let features = LibGit2.features
        if remote.transport == .ssh && !features.ssh {
            throw GitSourceError(.unsupportedTransport, "this libgit2 was built without SSH support", remote: url)
        }
        if remote.transport == .https && !features.https {
            throw GitSourceError(.unsupportedTransport, "this libgit2 was built without HTTPS support", remote: url)
        }
        if let bundle = options.caBundle {
            try LibGit2.trustCABundle(bundle, cacheDirectory: cache.directory)
        }
        self.remote = remote
        self.options = options
        self.cache = cache
    }

    // MARK: SourceProvider

    /// Fetches the remote into the cache (incrementally), then resolves `reference` there.
    ///
    /// - Throws: ``GitSourceError``: unknown reference (with candidates), network,
    ///   authentication, host key, timeout, cancellation.
    public func resolve(_ reference: SourceReference) async throws -> Revision {
        var extra: [String] = []
        if case .fullName(let name) = reference.kind, name.hasPrefix("refs/"),
            !name.hasPrefix("refs/heads/"), !name.hasPrefix("refs/tags/"), Self.isSafeRefName(name)
        {
            extra.append("+\(name):\(name)")
        }
        let extraRefspecs = extra
        return try await run { session in
            try fetch(session, extraRefspecs: extraRefspecs)
            return try cache.withLock(lockName, exclusive: false, shouldStop: session.cancellation) {
                let repo = try RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote))
                let table = try localReferences(repo)
                if let revision = try table.resolve(reference, remote: url) { return revision }
                return try lookupCommit(reference, in: repo, table: table)
            }
        }
    }

    /// Lists the remote's references (one round trip, no objects) and resolves `reference`
    /// among them. A full commit SHA is returned as is; an abbreviated one is an error.
    ///
    /// - Throws: ``GitSourceError`` as ``resolve(_:)``.
    public func latestRevision(_ reference: SourceReference) async throws -> Revision {
        if case .commit(let sha) = reference.kind, sha.count == 40, sha.allSatisfy(\.isHexDigit) {
            return Revision(commit: sha.lowercased())
        }
        return try await run { session in
            let table = try listRemote(session)
            guard let revision = try table.resolve(reference, remote: url) else {
                throw GitSourceError(
                    .invalidReference,
                    "an abbreviated commit SHA cannot be resolved without fetching; use resolve()",
                    remote: url
                )
            }
            return revision
        }
    }

    /// Writes the revision's tree (or `subdirectory` of it) to
    /// `<cache>/checkouts/<commit>[-<hash>]`, read-only, unless it is already there.
    ///
    /// - Throws: ``GitSourceError`` for a missing commit or subdirectory, unsafe content
    ///   (escaping symbolic links, unsafe names), exceeded limits, I/O failures.
    public func materialize(_ revision: Revision, subdirectory: String?) async throws -> Checkout {
        let subpath = try Self.normalizeSubdirectory(subdirectory)
        guard revision.commit.count == 40, revision.commit.allSatisfy(\.isHexDigit) else {
            throw GitSourceError(
                .invalidReference,
                "materialize needs a full commit SHA; resolve '\(revision.commit)' first",
                remote: url
            )
        }
        let commit = revision.commit.lowercased()
        // Checkouts written under another symlink policy hold other files: keep them apart.
        let policy: String
        switch options.symlinks {
        case .refuseEscaping: policy = ""
        case .skipEscaping: policy = "-skip-escaping-links"
        case .skipAll: policy = "-no-links"
        }
        let key = commit + (subpath.map { "-" + String(StableHash.hex($0).prefix(16)) } ?? "") + policy
        let target = cache.checkoutURL(key)
        return try await run { session in
            let metadata: CommitMetadata? = try cache.withLock(
                "checkout-" + key,
                exclusive: true,
                shouldStop: session.cancellation
            ) {
                if FileManager.default.fileExists(atPath: target.path) {
                    _ = utimes(target.path, nil)
                    return try? cache.withLock(lockName, exclusive: false) {
                        try commitMetadata(RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote)), commit)
                    }
                }
                let present = try cache.withLock(lockName, exclusive: false, shouldStop: session.cancellation) {
                    let repo = try RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote))
                    return hasCommit(repo, commit)
                }
                if !present { try fetch(session, extraRefspecs: [], force: true) }
                return try cache.withLock(lockName, exclusive: false, shouldStop: session.cancellation) {
                    let repo = try RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote))
                    guard hasCommit(repo, commit) else {
                        throw GitSourceError(
                            .commitNotFound,
                            "commit \(commit) is not on any branch or tag of the remote",
                            remote: url
                        )
                    }
                    let tree = try self.tree(repo, commit: commit, subdirectory: subpath)
                    let temporary = cache.temporaryDirectory.appendingPathComponent("\(key)-\(UUID().uuidString)")
                    guard mkdir(temporary.path, 0o755) == 0 else {
                        throw GitSourceError(
                            .cacheIO,
                            "cannot create \(temporary.path): \(String(cString: strerror(errno)))"
                        )
                    }
                    var writer = CheckoutWriter(
                        repository: repo,
                        limits: options.limits,
                        symlinks: options.symlinks,
                        remote: url,
                        shouldStop: session.cancellation
                    )
                    do {
                        try writer.write(tree: tree, into: temporary.path)
                    } catch {
                        GitCache.removeTree(temporary)
                        throw error
                    }
                    if rename(temporary.path, target.path) != 0 {
                        let code = errno
                        GitCache.removeTree(temporary)
                        if !FileManager.default.fileExists(atPath: target.path) {
                            throw GitSourceError(
                                .cacheIO,
                                "cannot move checkout into \(target.path): \(String(cString: strerror(code)))"
                            )
                        }
                    }
                    return try commitMetadata(repo, commit)
                }
            }
            return Checkout(revision: revision, directory: target, subdirectory: subpath, commit: metadata)
        }
    }

    /// The metadata of a commit (fetching it if the cache lacks it), including the raw
    /// signature and signed payload of a signed commit.
    ///
    /// - Throws: ``GitSourceError`` when the commit cannot be found.
    public func commit(_ revision: Revision) async throws -> CommitMetadata {
        let commit = revision.commit.lowercased()
        return try await run { session in
            let present = try cache.withLock(lockName, exclusive: false, shouldStop: session.cancellation) {
                hasCommit(try RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote)), commit)
            }
            if !present { try fetch(session, extraRefspecs: [], force: true) }
            return try cache.withLock(lockName, exclusive: false, shouldStop: session.cancellation) {
                try commitMetadata(RepositoryHandle.openOrInitBare(at: cache.repositoryPath(remote)), commit)
            }
        }
    }

    // MARK: running libgit2

    private var lockName: String { "repo-" + remote.cacheKey }

    /// Runs blocking libgit2 work on a thread of its own; task cancellation stops it.
    private func run<T: Sendable>(_ body: @escaping @Sendable (RemoteSession) throws -> T) async throws -> T {
        if Task.isCancelled { throw GitSourceError(.cancelled, "cancelled before it started", remote: url) }
        let session = RemoteSession(remote: remote, options: options)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try LibGit2.withOperation { try body(session) } })
                }
                thread.name = "gitsource"
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancel: {
            session.monitor.cancel()
        }
    }

    private static func isSafeRefName(_ name: String) -> Bool {
        !name.contains("..") && !name.contains(":") && !name.contains(" ") && !name.contains("*")
            && !name.hasSuffix("/")
    }

    static func normalizeSubdirectory(_ subdirectory: String?) throws -> String? {
        guard let subdirectory else { return nil }
        var parts: [String] = []
        for part in subdirectory.split(separator: "/") where part != "." {
            guard part != ".." else {
                throw GitSourceError(
                    .invalidReference,
                    "subdirectory '\(subdirectory)' must stay inside the repository"
                )
            }
            parts.append(String(part))
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    // MARK: remote operations

    /// A local repository that is not there is named as such (libgit2 would call the path an
    /// unsupported URL protocol).
    private func checkLocalRemoteExists() throws {
        var isDirectory: ObjCBool = false
        if remote.transport == .local,
            !FileManager.default.fileExists(atPath: remote.url, isDirectory: &isDirectory) || !isDirectory.boolValue
        {
            throw GitSourceError(.invalidURL, "no Git repository at \(remote.url): the directory does not exist", remote: url)
        }
    }

    /// ls-remote: connect, read the advertisement, disconnect.
    private func listRemote(_ session: RemoteSession) throws -> ReferenceTable {
        try checkLocalRemoteExists()
        var pointer: OpaquePointer?
        try LibGit2.check(git_remote_create_detached(&pointer, remote.url), "cannot create remote", remote: url)
        guard let pointer else { throw GitSourceError(.git, "cannot create remote", remote: url) }
        let handle = RemoteHandle(pointer)
        var callbacks = session.callbacks()
        var proxy = git_proxy_options()
        _ = cgit2_proxy_options_init(&proxy)
        try session.perform("cannot list the remote's references") {
            git_remote_connect(handle.pointer, GIT_DIRECTION_FETCH, &callbacks, &proxy, nil)
        }
        return try withExtendedLifetime(session) { try advertisedReferences(handle) }
    }

    private func advertisedReferences(_ handle: RemoteHandle) throws -> ReferenceTable {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try LibGit2.check(git_remote_ls(&heads, &count, handle.pointer), "cannot list references", remote: url)
        var table = ReferenceTable()
        var peeled = Set<String>()
        for index in 0..<count {
            guard let head = heads?[index]?.pointee, let cName = head.name else { continue }
            var name = String(cString: cName)
            let sha = head.oid.hex
            if name == "HEAD" {
                table.headCommit = sha
                if let target = head.symref_target { table.headTarget = String(cString: target) }
                continue
            }
            if name.hasSuffix("^{}") {
                name.removeLast(3)
                peeled.insert(name)
                table.commits[name] = sha
            } else if !peeled.contains(name) {
                table.commits[name] = sha
            }
        }
        if table.headTarget == nil, let sha = table.headCommit {
            // Without the symref capability, guess HEAD's branch as git does.
            let matching = table.branches.filter { table.commits[$0] == sha }
            table.headTarget =
                matching.first { $0 == "refs/heads/main" } ?? matching.first { $0 == "refs/heads/master" }
                ?? matching.first
        }
        return table
    }

    /// Fetches branches and tags (forced, pruned) into the cache repository, under the
    /// repository's exclusive lock. Skipped when another fetch started after this request.
    private func fetch(_ session: RemoteSession, extraRefspecs: [String], force: Bool = false) throws {
        try checkLocalRemoteExists()
        let requested = Date()
        let path = cache.repositoryPath(remote)
        let marker = path + "/gitsource-fetched"
        try cache.withLock(lockName, exclusive: true, shouldStop: session.cancellation) {
            Self.removeStaleLockFiles(path)
            let repo = try RepositoryHandle.openOrInitBare(at: path)
            try checkOwnership(path)
            if extraRefspecs.isEmpty, !force,
                let text = try? String(contentsOfFile: marker, encoding: .utf8),
                let stamp = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                stamp >= requested.timeIntervalSince1970
            {
                return
            }
            let started = Date()
            var pointer: OpaquePointer?
            try LibGit2.check(
                git_remote_create_anonymous(&pointer, repo.pointer, remote.url),
                "cannot create remote",
                remote: url
            )
            guard let pointer else { throw GitSourceError(.git, "cannot create remote", remote: url) }
            let handle = RemoteHandle(pointer)
            var callbacks = session.callbacks()
            var proxy = git_proxy_options()
            _ = cgit2_proxy_options_init(&proxy)
            try session.perform("cannot connect to the remote") {
                git_remote_connect(handle.pointer, GIT_DIRECTION_FETCH, &callbacks, &proxy, nil)
            }
            let table = try advertisedReferences(handle)
            var options = git_fetch_options()
            _ = cgit2_fetch_options_init(&options)
            options.callbacks = callbacks
            options.prune = GIT_FETCH_NO_PRUNE
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.update_fetchhead = 0
            let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"] + extraRefspecs
            try withStringArray(refspecs) { array in
                try session.perform("fetch failed") { git_remote_download(handle.pointer, &array, &options) }
            }
            try session.perform("cannot update references") {
                git_remote_update_tips(handle.pointer, &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, nil)
            }
            git_remote_disconnect(handle.pointer)
            try prune(repo, keeping: table)
            try updateHead(repo, table)
            try? "\(started.timeIntervalSince1970)\n".write(toFile: marker, atomically: true, encoding: .utf8)
        }
    }

    /// Removes `*.lock` files that a process killed in the middle of a fetch left behind
    /// (they would make every later reference update fail). Called under the repository's
    /// exclusive lock, so no live fetch owns them.
    static func removeStaleLockFiles(_ path: String) {
        for file in ["packed-refs.lock", "config.lock", "HEAD.lock", "shallow.lock"] {
            _ = unlink(path + "/" + file)
        }
        guard let walker = FileManager.default.enumerator(atPath: path + "/refs") else { return }
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".lock") { _ = unlink(path + "/refs/" + relative) }
        }
    }

    /// Records which URL a cache repository mirrors, and refuses a hash collision.
    private func checkOwnership(_ path: String) throws {
        let file = path + "/gitsource-url"
        if let existing = try? String(contentsOfFile: file, encoding: .utf8) {
            if existing != remote.normalized {
                throw GitSourceError(.cacheIO, "cache repository \(path) belongs to another remote", remote: url)
            }
        } else {
            try? remote.normalized.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    /// Removes branches and tags the remote no longer has (deleted tags, deleted branches).
    private func prune(_ repo: RepositoryHandle, keeping table: ReferenceTable) throws {
        var names = git_strarray()
        try LibGit2.check(git_reference_list(&names, repo.pointer), "cannot list cached references", remote: url)
        defer { git_strarray_dispose(&names) }
        for index in 0..<names.count {
            guard let cName = names.strings[index] else { continue }
            let name = String(cString: cName)
            guard name.hasPrefix("refs/heads/") || name.hasPrefix("refs/tags/") else { continue }
            if table.commits[name] == nil {
                _ = git_reference_remove(repo.pointer, name)
            }
        }
    }

    private func updateHead(_ repo: RepositoryHandle, _ table: ReferenceTable) throws {
        if let target = table.headTarget, table.commits[target] != nil {
            var ref: OpaquePointer?
            if git_reference_symbolic_create(&ref, repo.pointer, "HEAD", target, 1, nil) == 0, let ref {
                _ = ReferenceHandle(ref)
            }
        } else if let sha = table.headCommit, var oid = git_oid(hex: sha) {
            _ = git_repository_set_head_detached(repo.pointer, &oid)
        }
    }

    // MARK: local lookups

    private func localReferences(_ repo: RepositoryHandle) throws -> ReferenceTable {
        var table = ReferenceTable()
        var names = git_strarray()
        try LibGit2.check(git_reference_list(&names, repo.pointer), "cannot list cached references", remote: url)
        defer { git_strarray_dispose(&names) }
        for index in 0..<names.count {
            guard let cName = names.strings[index] else { continue }
            let name = String(cString: cName)
            if let sha = peelToCommit(repo, name) { table.commits[name] = sha }
        }
        var head: OpaquePointer?
        if git_reference_lookup(&head, repo.pointer, "HEAD") == 0, let head {
            let handle = ReferenceHandle(head)
            if git_reference_type(handle.pointer) == GIT_REFERENCE_SYMBOLIC,
                let target = git_reference_symbolic_target(handle.pointer)
            {
                table.headTarget = String(cString: target)
                table.headCommit = table.commits[String(cString: target)]
            } else {
                table.headCommit = peelToCommit(repo, "HEAD")
            }
        }
        return table
    }

    private func peelToCommit(_ repo: RepositoryHandle, _ name: String) -> String? {
        var ref: OpaquePointer?
        guard git_reference_lookup(&ref, repo.pointer, name) == 0, let ref else { return nil }
        let handle = ReferenceHandle(ref)
        var object: OpaquePointer?
        guard git_reference_peel(&object, handle.pointer, GIT_OBJECT_COMMIT) == 0, let object else { return nil }
        let owned = ObjectHandle(object)
        guard let id = git_object_id(owned.pointer) else { return nil }
        return id.pointee.hex
    }

    private func lookupCommit(
        _ reference: SourceReference,
        in repo: RepositoryHandle,
        table: ReferenceTable
    ) throws -> Revision {
        let text: String
        switch reference.kind {
        case .commit(let s), .name(let s): text = s.lowercased()
        default: throw GitSourceError(.invalidReference, "cannot resolve \(reference)", remote: url)
        }
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, text, text.utf8.count) == 0 else {
            throw GitSourceError(.invalidReference, "'\(text)' is not a commit SHA", remote: url)
        }
        var object: OpaquePointer?
        let rc = git_object_lookup_prefix(&object, repo.pointer, &oid, text.utf8.count, GIT_OBJECT_COMMIT)
        if rc == GIT_EAMBIGUOUS.rawValue {
            throw GitSourceError(
                .invalidReference,
                "abbreviated SHA '\(text)' is ambiguous; give more digits",
                remote: url
            )
        }
        guard rc == 0, let object else {
            throw GitSourceError(
                .commitNotFound,
                "no commit '\(text)' on any branch or tag of the remote",
                remote: url,
                candidates: table.closest(text)
            )
        }
        let owned = ObjectHandle(object)
        guard let id = git_object_id(owned.pointer) else {
            throw GitSourceError(.git, "commit without id", remote: url)
        }
        return Revision(commit: id.pointee.hex)
    }

    private func hasCommit(_ repo: RepositoryHandle, _ sha: String) -> Bool {
        guard var oid = git_oid(hex: sha) else { return false }
        var object: OpaquePointer?
        guard git_object_lookup(&object, repo.pointer, &oid, GIT_OBJECT_COMMIT) == 0, let object else { return false }
        _ = ObjectHandle(object)
        return true
    }

    private func tree(_ repo: RepositoryHandle, commit: String, subdirectory: String?) throws -> ObjectHandle {
        guard var oid = git_oid(hex: commit) else {
            throw GitSourceError(.invalidReference, "bad SHA \(commit)", remote: url)
        }
        var object: OpaquePointer?
        try LibGit2.check(git_commit_lookup(&object, repo.pointer, &oid), "cannot read commit \(commit)", remote: url)
        guard let object else { throw GitSourceError(.commitNotFound, "cannot read commit \(commit)", remote: url) }
        let commitHandle = ObjectHandle(object)
        var treePointer: OpaquePointer?
        try LibGit2.check(
            git_commit_tree(&treePointer, commitHandle.pointer),
            "cannot read the tree of \(commit)",
            remote: url
        )
        guard let treePointer else { throw GitSourceError(.git, "cannot read the tree of \(commit)", remote: url) }
        let root = ObjectHandle(treePointer)
        guard let subdirectory else { return root }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, root.pointer, subdirectory) == 0, let entry else {
            throw GitSourceError(.pathNotFound, "no directory '\(subdirectory)' in commit \(commit)", remote: url)
        }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE, let id = git_tree_entry_id(entry) else {
            throw GitSourceError(.pathNotFound, "'\(subdirectory)' is not a directory in commit \(commit)", remote: url)
        }
        var sub: OpaquePointer?
        try LibGit2.check(git_tree_lookup(&sub, repo.pointer, id), "cannot read '\(subdirectory)'", remote: url)
        guard let sub else { throw GitSourceError(.git, "cannot read '\(subdirectory)'", remote: url) }
        return ObjectHandle(sub)
    }

    private func commitMetadata(_ repo: RepositoryHandle, _ sha: String) throws -> CommitMetadata {
        guard var oid = git_oid(hex: sha) else {
            throw GitSourceError(.invalidReference, "bad SHA \(sha)", remote: url)
        }
        var object: OpaquePointer?
        guard git_commit_lookup(&object, repo.pointer, &oid) == 0, let object else {
            throw GitSourceError(.commitNotFound, "commit \(sha) is not in the cache", remote: url)
        }
        let commit = ObjectHandle(object)
        func signature(_ s: UnsafePointer<git_signature>?) -> CommitMetadata.Signature {
            guard let s = s?.pointee else {
                return .init(name: "", email: "", date: Date(timeIntervalSince1970: 0), timeZoneOffsetMinutes: 0)
            }
            return .init(
                name: s.name.map { String(cString: $0) } ?? "",
                email: s.email.map { String(cString: $0) } ?? "",
                date: Date(timeIntervalSince1970: TimeInterval(s.when.time)),
                timeZoneOffsetMinutes: Int(s.when.offset)
            )
        }
        var parents: [String] = []
        for index in 0..<git_commit_parentcount(commit.pointer) {
            if let id = git_commit_parent_id(commit.pointer, index) { parents.append(id.pointee.hex) }
        }
        var metadata = CommitMetadata(
            sha: sha,
            author: signature(git_commit_author(commit.pointer)),
            committer: signature(git_commit_committer(commit.pointer)),
            message: git_commit_message(commit.pointer).map { String(cString: $0) } ?? "",
            parents: parents
        )
        var signatureBuffer = git_buf()
        var payloadBuffer = git_buf()
        if git_commit_extract_signature(&signatureBuffer, &payloadBuffer, repo.pointer, &oid, nil) == 0 {
            metadata.signature = signatureBuffer.consume()
            metadata.signedPayload = payloadBuffer.consume()
        } else {
            git_buf_dispose(&signatureBuffer)
            git_buf_dispose(&payloadBuffer)
        }
        return metadata
    }
}

extension RemoteSession {
    /// For lock waits and checkout writing: stop when the task is cancelled.
    @Sendable func cancellation() -> GitSourceError? {
        monitor.abortReason == .cancelled ? GitSourceError(.cancelled, "cancelled", remote: remote.url) : nil
    }
}

/// Calls `body` with a `git_strarray` of `strings`.
func withStringArray<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) rethrows -> T {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafeMutablePointer<CChar>?] = copies
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
        return try body(&array)
    }
}
