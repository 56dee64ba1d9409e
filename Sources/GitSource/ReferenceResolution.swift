import Foundation

/// The references of a repository, each peeled to a commit: from the cache repository
/// after a fetch, or from the remote's advertisement (ls-remote).
struct ReferenceTable: Sendable {
    /// Full name to commit SHA (tags peeled to their commit).
    var commits: [String: String] = [:]
    /// The full name `HEAD` points at, when known.
    var headTarget: String?
    /// The commit at `HEAD`.
    var headCommit: String?

    var branches: [String] { commits.keys.filter { $0.hasPrefix("refs/heads/") }.sorted() }
    var tags: [String] { commits.keys.filter { $0.hasPrefix("refs/tags/") }.sorted() }

    /// Resolves everything except abbreviated SHAs (which need the objects); returns
    /// `nil` for a commit reference that must be looked up in the repository.
    func resolve(_ reference: SourceReference, remote: String) throws -> Revision? {
        switch reference.kind {
        case .head:
            if let headCommit { return Revision(commit: headCommit, reference: headTarget ?? "HEAD") }
            if let target = headTarget, let sha = commits[target] { return Revision(commit: sha, reference: target) }
            throw GitSourceError(
                .unknownReference,
                "the remote has no HEAD (an empty repository?)",
                remote: remote,
                candidates: closest("HEAD")
            )
        case .branch(let name):
            let full = name.hasPrefix("refs/heads/") ? name : "refs/heads/" + name
            if let sha = commits[full] { return Revision(commit: sha, reference: full) }
            throw unknown("branch '\(name)'", name, remote: remote, among: branches)
        case .tag(let name):
            let full = name.hasPrefix("refs/tags/") ? name : "refs/tags/" + name
            if let sha = commits[full] { return Revision(commit: sha, reference: full) }
            throw unknown("tag '\(name)'", name, remote: remote, among: tags)
        case .semver(let text, let pre):
            let range = try SemanticVersionRange(text)
            var best: (SemanticVersion, String)?
            for tag in tags {
                guard let version = SemanticVersion(String(tag.dropFirst("refs/tags/".count))),
                    range.contains(version, includePrereleases: pre)
                else { continue }
                // Highest version; among equal ones (v1.2.3 and 1.2.3) the name sorted first.
                if best == nil || version > best!.0 { best = (version, tag) }
            }
            guard let (_, tag) = best, let sha = commits[tag] else {
                let versions = tags.compactMap { t -> (SemanticVersion, String)? in
                    let short = String(t.dropFirst("refs/tags/".count))
                    return SemanticVersion(short).map { ($0, short) }
                }.sorted { $0.0 > $1.0 }.prefix(5).map(\.1)
                throw GitSourceError(
                    .unknownReference,
                    "no tag matches semantic-version range '\(text)'"
                        + (pre ? "" : " (pre-releases excluded)")
                        + (versions.isEmpty ? "; the remote has no version tags" : ""),
                    remote: remote,
                    candidates: Array(versions)
                )
            }
            return Revision(commit: sha, reference: tag)
        case .fullName(let name):
            if name == "HEAD" { return try resolve(.head, remote: remote) }
            if let sha = commits[name] { return Revision(commit: sha, reference: name) }
            throw unknown("reference '\(name)'", name, remote: remote, among: Array(commits.keys))
        case .commit(let sha):
            let lower = sha.lowercased()
            guard lower.count >= 4, lower.count <= 40, lower.allSatisfy(\.isHexDigit) else {
                throw GitSourceError(
                    .invalidReference,
                    "'\(sha)' is not a commit SHA (4 to 40 hexadecimal digits)",
                    remote: remote
                )
            }
            return nil
        case .name(let name):
            if name == "HEAD" { return try resolve(.head, remote: remote) }
            if name.hasPrefix("refs/"), let sha = commits[name] { return Revision(commit: sha, reference: name) }
            if let sha = commits["refs/heads/" + name] { return Revision(commit: sha, reference: "refs/heads/" + name) }
            if let sha = commits["refs/tags/" + name] { return Revision(commit: sha, reference: "refs/tags/" + name) }
            if name.count >= 4, name.count <= 40, name.allSatisfy(\.isHexDigit) { return nil }
            throw unknown("reference '\(name)'", name, remote: remote, among: Array(commits.keys))
        }
    }

    private func unknown(_ what: String, _ name: String, remote: String, among: [String]) -> GitSourceError {
        GitSourceError(.unknownReference, "unknown \(what)", remote: remote, candidates: closest(name, among: among))
    }

    func closest(_ name: String, among: [String]? = nil) -> [String] {
        let pool = (among ?? Array(commits.keys)).map(Self.shortName)
        let target = Self.shortName(name)
        let scored = Set(pool).map { candidate -> (Int, String) in
            var d = Self.distance(target.lowercased(), candidate.lowercased())
            if candidate.lowercased().contains(target.lowercased())
                || target.lowercased().contains(candidate.lowercased())
            {
                d = min(d, 1)
            }
            return (d, candidate)
        }
        return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(5).map(\.1)
    }

    static func shortName(_ full: String) -> String {
        for prefix in ["refs/heads/", "refs/tags/"] where full.hasPrefix(prefix) {
            return String(full.dropFirst(prefix.count))
        }
        return full
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
