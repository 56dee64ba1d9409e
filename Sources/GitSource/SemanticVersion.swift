/// A semantic version (semver 2.0) as found in tag names, with an optional `v` prefix.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version.
    public var major: Int
    /// The minor version.
    public var minor: Int
    /// The patch version.
    public var patch: Int
    /// Pre-release identifiers (`rc`, `1` for `-rc.1`); empty for a release.
    public var prerelease: [String]
    /// Build metadata (ignored when comparing).
    public var build: [String]

    /// Creates a version.
    public init(major: Int, minor: Int, patch: Int, prerelease: [String] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses `1.2.3`, `v1.2.3-rc.1+build.5`; also `1.2` and `1` (missing parts are 0).
    /// Returns `nil` for anything else.
    public init?(_ text: String) {
        var s = Substring(text)
        if s.first == "v" || s.first == "V" { s = s.dropFirst() }
        var build: [String] = []
        if let plus = s.firstIndex(of: "+") {
            build = s[s.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            s = s[..<plus]
            if build.contains(where: \.isEmpty) { return nil }
        }
        var pre: [String] = []
        if let dash = s.firstIndex(of: "-") {
            pre = s[s.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            s = s[..<dash]
            if pre.contains(where: { $0.isEmpty || !$0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }) {
                return nil
            }
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isASCIIDigit), let n = Int(part) else { return nil }
            numbers.append(n)
        }
        while numbers.count < 3 { numbers.append(0) }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: pre, build: build)
    }

    /// Whether this is a pre-release.
    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// `1.2.3-rc.1+build`.
    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Semver 2.0 precedence (build metadata ignored).
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(lhs.prerelease, rhs.prerelease) where a != b {
            switch (Int(a), Int(b)) {
            case let (x?, y?): return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a < b
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    /// Equality by precedence: build metadata is ignored.
    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch
            && lhs.prerelease == rhs.prerelease
    }

    /// Hashes what equality compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    var release: SemanticVersion { SemanticVersion(major: major, minor: minor, patch: patch) }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A range of semantic versions, as npm and Masterminds/semver write them:
/// comparators joined by spaces (all must hold) and alternatives joined by `||`.
///
/// Supported: `=1.2.3`, `>1.2`, `>=1.2.0 <2.0.0`, `~1.2` (`>=1.2.0 <1.3.0`), `~1`,
/// `^1.2.3` (`>=1.2.3 <2.0.0`), `^0.2` (`>=0.2.0 <0.3.0`), `1.x`, `1.2.*`, `*`, and
/// hyphen ranges `1.2 - 1.4`. Pre-releases match only when asked for, or when a
/// comparator of the range names a pre-release itself.
public struct SemanticVersionRange: Sendable, Hashable, CustomStringConvertible {
    struct Comparator: Sendable, Hashable {
        enum Op: Sendable, Hashable { case lt, le, gt, ge, eq }
        var op: Op
        var version: SemanticVersion

        func matches(_ v: SemanticVersion) -> Bool {
            switch op {
            case .lt: return v < version
            case .le: return v <= version
            case .gt: return v > version
            case .ge: return v >= version
            case .eq: return v == version
            }
        }
    }

    let alternatives: [[Comparator]]
    /// The text the range was parsed from.
    public let description: String

    /// Parses a range.
    ///
    /// - Throws: ``GitSourceError`` naming the part that could not be read.
    public init(_ text: String) throws {
        description = text
        var alternatives: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            var tokens = alternative.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            // Join operators written apart from their version (`>= 1.2`).
            var joined: [String] = []
            var i = 0
            while i < tokens.count {
                let t = tokens[i]
                if ["<", "<=", ">", ">=", "=", "~", "^", "~>"].contains(t), i + 1 < tokens.count {
                    joined.append(t + tokens[i + 1])
                    i += 2
                } else {
                    joined.append(t)
                    i += 1
                }
            }
            tokens = joined
            var comparators: [Comparator] = []
            if tokens.count == 3, tokens[1] == "-" {
                let low = try Self.partial(tokens[0], in: text)
                let high = try Self.partial(tokens[2], in: text)
                comparators.append(Comparator(op: .ge, version: low.floor))
                if let upper = high.exclusiveUpper {
                    comparators.append(Comparator(op: .lt, version: upper))
                } else {
                    comparators.append(Comparator(op: .le, version: high.floor))
                }
            } else {
                for token in tokens {
                    comparators += try Self.comparators(token, in: text)
                }
            }
            alternatives.append(comparators)
        }
        guard !alternatives.isEmpty else {
            throw GitSourceError(.invalidReference, "empty semantic-version range")
        }
        self.alternatives = alternatives
    }

    /// Whether `version` is in the range.
    public func contains(_ version: SemanticVersion, includePrereleases: Bool = false) -> Bool {
        alternatives.contains { comparators in
            guard comparators.allSatisfy({ $0.matches(version) }) else { return false }
            if !version.isPrerelease || includePrereleases { return true }
            // npm's rule: a pre-release matches only next to a comparator on the same
            // major.minor.patch that names a pre-release.
            return comparators.contains { $0.version.isPrerelease && $0.version.release == version.release }
        }
    }

    /// A partly written version: `1`, `1.2`, `1.x`, `1.2.3-rc.1`.
    struct Partial {
        var major: Int?
        var minor: Int?
        var patch: Int?
        var prerelease: [String]

        var floor: SemanticVersion {
            SemanticVersion(major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0, prerelease: prerelease)
        }
        /// The first version above everything this partial version covers, when it is partial.
        var exclusiveUpper: SemanticVersion? {
            guard let major else { return nil }
            guard let minor else { return SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"]) }
            guard patch != nil else {
                return SemanticVersion(major: major, minor: minor + 1, patch: 0, prerelease: ["0"])
            }
            return nil
        }
    }

    static func partial(_ token: String, in range: String) throws -> Partial {
        var s = Substring(token)
        if s.first == "v" || s.first == "V" { s = s.dropFirst() }
        if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
        var pre: [String] = []
        if let dash = s.firstIndex(of: "-") {
            pre = s[s.index(after: dash)...].split(separator: ".").map(String.init)
            s = s[..<dash]
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else {
            throw GitSourceError(
                .invalidReference,
                "cannot read version '\(token)' in semantic-version range '\(range)'"
            )
        }
        var numbers: [Int?] = []
        var wild = false
        for part in parts {
            if ["x", "X", "*"].contains(part) {
                wild = true
                numbers.append(nil)
            } else if !wild, let n = Int(part), n >= 0 {
                numbers.append(n)
            } else {
                throw GitSourceError(
                    .invalidReference,
                    "cannot read version '\(token)' in semantic-version range '\(range)'"
                )
            }
        }
        while numbers.count < 3 { numbers.append(nil) }
        return Partial(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: wild ? [] : pre)
    }

    static func comparators(_ token: String, in range: String) throws -> [Comparator] {
        let ops = [">=", "<=", "~>", ">", "<", "=", "~", "^"]
        var op = ""
        var rest = Substring(token)
        for candidate in ops where rest.hasPrefix(candidate) {
            op = candidate
            rest = rest.dropFirst(candidate.count)
            break
        }
        let p = try partial(String(rest), in: range)
        let floor = p.floor
        switch op {
        case "", "=":
            guard p.major != nil else { return [] }  // `*`
            if let upper = p.exclusiveUpper {
                return [Comparator(op: .ge, version: floor), Comparator(op: .lt, version: upper)]
            }
            return [Comparator(op: .eq, version: floor)]
        case ">=":
            return [Comparator(op: .ge, version: floor)]
        case "<":
            return [Comparator(op: .lt, version: p.major == nil ? floor : (p.patch == nil ? floor.withPre0 : floor))]
        case ">":
            if let upper = p.exclusiveUpper { return [Comparator(op: .ge, version: upper)] }
            return [Comparator(op: .gt, version: floor)]
        case "<=":
            if let upper = p.exclusiveUpper { return [Comparator(op: .lt, version: upper)] }
            return [Comparator(op: .le, version: floor)]
        case "~", "~>":
            guard let major = p.major else { return [] }
            let upper =
                p.minor == nil
                ? SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"])
                : SemanticVersion(major: major, minor: (p.minor ?? 0) + 1, patch: 0, prerelease: ["0"])
            return [Comparator(op: .ge, version: floor), Comparator(op: .lt, version: upper)]
        case "^":
            guard let major = p.major else { return [] }
            let upper: SemanticVersion
            if major > 0 || p.minor == nil {
                upper = SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"])
            } else if (p.minor ?? 0) > 0 || p.patch == nil {
                upper = SemanticVersion(major: 0, minor: (p.minor ?? 0) + 1, patch: 0, prerelease: ["0"])
            } else {
                upper = SemanticVersion(major: 0, minor: 0, patch: (p.patch ?? 0) + 1, prerelease: ["0"])
            }
            return [Comparator(op: .ge, version: floor), Comparator(op: .lt, version: upper)]
        default:
            throw GitSourceError(
                .invalidReference,
                "unknown operator in '\(token)' of semantic-version range '\(range)'"
            )
        }
    }
}

extension SemanticVersion {
    fileprivate var withPre0: SemanticVersion {
        isPrerelease ? self : SemanticVersion(major: major, minor: minor, patch: patch, prerelease: ["0"])
    }
}
