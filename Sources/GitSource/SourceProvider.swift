import Foundation

/// Where the SDK reads desired state from: resolves references to revisions and
/// materializes revisions as plain, read-only directories.
///
/// Implementations are `Sendable` and safe to call from many tasks at once.
/// ``GitSourceProvider`` is the libgit2 implementation; ``ClosureSourceProvider`` adapts
/// plain functions (handy in tests and for sources that are not Git at all).
///
/// ```swift
/// let source = try GitSourceProvider(url: "https://git.example.com/team/apps.git",
///                                    cache: GitCache(directory: cacheURL))
/// let revision = try await source.resolve(.semver(">=1.2.0 <2.0.0"))
/// let checkout = try await source.materialize(revision, subdirectory: "deploy")
/// print(checkout.directory.path)
/// ```
public protocol SourceProvider: Sendable {
    /// Resolves a reference to the revision it names now, fetching whatever is needed.
    ///
    /// - Throws: ``GitSourceError`` when the reference does not exist (the error lists the
    ///   closest candidates), the remote cannot be reached, or authentication fails.
    func resolve(_ reference: SourceReference) async throws -> Revision

    /// Asks the remote which revision a reference names, without fetching objects.
    ///
    /// Polling an unchanged repository costs one round trip. References that need the
    /// repository's objects (an abbreviated commit SHA) are an error here; use
    /// ``resolve(_:)`` for them.
    ///
    /// - Throws: ``GitSourceError`` as ``resolve(_:)`` does.
    func latestRevision(_ reference: SourceReference) async throws -> Revision

    /// Materializes a revision (or one subdirectory of it) as a read-only directory
    /// without `.git`.
    ///
    /// The directory is created atomically and is content-addressed by commit, so a
    /// second request for the same revision returns the existing directory at once.
    ///
    /// - Parameters:
    ///   - revision: a revision returned by ``resolve(_:)`` or ``latestRevision(_:)``.
    ///   - subdirectory: a relative path inside the revision, or `nil` for all of it.
    /// - Throws: ``GitSourceError`` when the commit or the subdirectory does not exist,
    ///   when the content breaks a safety limit, or on an I/O failure.
    func materialize(_ revision: Revision, subdirectory: String?) async throws -> Checkout
}

extension SourceProvider {
    /// Materializes the whole revision; see ``SourceProvider/materialize(_:subdirectory:)``.
    public func materialize(_ revision: Revision) async throws -> Checkout {
        try await materialize(revision, subdirectory: nil)
    }
}

/// A reference to a revision: a branch, a tag, a semantic-version range over tags, a
/// commit SHA, `HEAD`, or a full reference name such as `refs/pull/7/head`.
public struct SourceReference: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of reference.
    public enum Kind: Sendable, Hashable {
        /// A branch name, such as `main` (or `refs/heads/main`).
        case branch(String)
        /// A tag name, lightweight or annotated, such as `v1.2.3`.
        case tag(String)
        /// A semantic-version range over the tags, such as `>=1.2.0 <2.0.0`, `~1.2`,
        /// `^1.2`, `1.x`; pre-releases are considered only when asked for.
        case semver(String, includePrereleases: Bool)
        /// A full or abbreviated (at least 4 hex digits) commit SHA.
        case commit(String)
        /// The remote's default branch (`HEAD`).
        case head
        /// Any full reference name, such as `refs/pull/7/head`.
        case fullName(String)
        /// A name to look up as Git would: full ref, branch, tag, then commit SHA.
        case name(String)
    }

    /// What this reference names.
    public var kind: Kind

    /// Creates a reference of the given kind.
    public init(_ kind: Kind) { self.kind = kind }

    /// A branch.
    public static func branch(_ name: String) -> SourceReference { .init(.branch(name)) }
    /// A tag.
    public static func tag(_ name: String) -> SourceReference { .init(.tag(name)) }
    /// The highest tag whose semantic version satisfies `range`.
    public static func semver(_ range: String, includePrereleases: Bool = false) -> SourceReference {
        .init(.semver(range, includePrereleases: includePrereleases))
    }
    /// A commit, by full or abbreviated SHA.
    public static func commit(_ sha: String) -> SourceReference { .init(.commit(sha)) }
    /// The remote's default branch.
    public static let head = SourceReference(.head)
    /// A full reference name such as `refs/pull/7/head`.
    public static func fullName(_ name: String) -> SourceReference { .init(.fullName(name)) }
    /// A name resolved the way `git rev-parse` would: `HEAD`, a full ref, a branch, a tag,
    /// then a commit SHA.
    public static func named(_ name: String) -> SourceReference { .init(.name(name)) }

    /// A readable form, such as `branch main` or `semver ^1.2`.
    public var description: String {
        switch kind {
        case .branch(let n): return "branch \(n)"
        case .tag(let n): return "tag \(n)"
        case .semver(let r, let pre): return "semver \(r)" + (pre ? " (with pre-releases)" : "")
        case .commit(let s): return "commit \(s)"
        case .head: return "HEAD"
        case .fullName(let n): return n
        case .name(let n): return n
        }
    }
}

/// A resolved revision: a commit, and the reference it was reached through.
public struct Revision: Sendable, Hashable, CustomStringConvertible {
    /// The full commit SHA (40 hex digits).
    public var commit: String
    /// The full reference name the commit was found through (`refs/heads/main`,
    /// `refs/tags/v1.2.3`), or `nil` when it was asked for by SHA.
    public var reference: String?

    /// Creates a revision.
    public init(commit: String, reference: String? = nil) {
        self.commit = commit
        self.reference = reference
    }

    /// `reference@sha`, or the SHA alone.
    public var description: String {
        if let reference { return "\(reference)@\(commit)" }
        return commit
    }
}

/// Metadata of a commit, including what a signature verifier needs.
public struct CommitMetadata: Sendable, Hashable {
    /// A person and a moment, as Git records them.
    public struct Signature: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The e-mail address.
        public var email: String
        /// The moment.
        public var date: Date
        /// The time-zone offset in minutes, as recorded.
        public var timeZoneOffsetMinutes: Int

        /// Creates a signature.
        public init(name: String, email: String, date: Date, timeZoneOffsetMinutes: Int) {
            self.name = name
            self.email = email
            self.date = date
            self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
        }
    }

    /// The full commit SHA.
    public var sha: String
    /// Who wrote the change.
    public var author: Signature
    /// Who committed it.
    public var committer: Signature
    /// The full commit message.
    public var message: String
    /// The parents' SHAs.
    public var parents: [String]
    /// The raw signature (`gpgsig` header: an armored OpenPGP or SSH signature), if signed.
    public var signature: String?
    /// The exact bytes the signature signs (the commit object without `gpgsig`), if signed.
    public var signedPayload: String?

    /// The commit date (the committer's).
    public var date: Date { committer.date }

    /// Creates commit metadata.
    public init(
        sha: String,
        author: Signature,
        committer: Signature,
        message: String,
        parents: [String] = [],
        signature: String? = nil,
        signedPayload: String? = nil
    ) {
        self.sha = sha
        self.author = author
        self.committer = committer
        self.message = message
        self.parents = parents
        self.signature = signature
        self.signedPayload = signedPayload
    }
}

/// A materialized revision: a read-only directory holding its files.
public struct Checkout: Sendable, Hashable {
    /// The revision materialized.
    public var revision: Revision
    /// The directory holding the files (the subdirectory's content when one was asked for).
    public var directory: URL
    /// The subdirectory materialized, or `nil` for the whole tree.
    public var subdirectory: String?
    /// The commit's metadata, when the provider knows it.
    public var commit: CommitMetadata?

    /// Creates a checkout description.
    public init(revision: Revision, directory: URL, subdirectory: String? = nil, commit: CommitMetadata? = nil) {
        self.revision = revision
        self.directory = directory
        self.subdirectory = subdirectory
        self.commit = commit
    }
}

/// A ``SourceProvider`` made of closures.
///
/// ```swift
/// let fixed = ClosureSourceProvider(
///     resolve: { _ in Revision(commit: sha) },
///     materialize: { revision, _ in Checkout(revision: revision, directory: fixturesURL) })
/// ```
public struct ClosureSourceProvider: SourceProvider {
    /// Resolves a reference.
    public var resolveReference: @Sendable (SourceReference) async throws -> Revision
    /// Asks for the latest revision without fetching.
    public var latestReference: @Sendable (SourceReference) async throws -> Revision
    /// Materializes a revision.
    public var materializeRevision: @Sendable (Revision, String?) async throws -> Checkout

    /// Creates a provider from closures; `latest` defaults to `resolve`.
    public init(
        resolve: @escaping @Sendable (SourceReference) async throws -> Revision,
        latest: (@Sendable (SourceReference) async throws -> Revision)? = nil,
        materialize: @escaping @Sendable (Revision, String?) async throws -> Checkout
    ) {
        self.resolveReference = resolve
        self.latestReference = latest ?? resolve
        self.materializeRevision = materialize
    }

    /// Calls the `resolve` closure.
    public func resolve(_ reference: SourceReference) async throws -> Revision {
        try await resolveReference(reference)
    }

    /// Calls the `latest` closure.
    public func latestRevision(_ reference: SourceReference) async throws -> Revision {
        try await latestReference(reference)
    }

    /// Calls the `materialize` closure.
    public func materialize(_ revision: Revision, subdirectory: String?) async throws -> Checkout {
        try await materializeRevision(revision, subdirectory)
    }
}
