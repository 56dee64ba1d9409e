/// A file glob such as `*.yaml`, `overlays/**/prod-*.yml` or `{base,apps}/*.json`.
///
/// - `*` matches any characters except `/`; `**` matches any characters including `/` (as a whole
///   segment, `**/` also matches no directory at all); `?` matches one character except `/`.
/// - `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`) match one character of (or not of) a set.
/// - `{a,b}` matches either alternative; `\` escapes the next character.
/// - A pattern without `/` matches a file's name in any directory; a pattern with `/` matches the
///   path relative to the rendered directory.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    private enum Token: Sendable, Hashable {
        case literal(Character)
        case any  // ?
        case star  // *
        case globstar  // **
        case set([ClosedRange<Character>], negated: Bool)
    }

    /// The pattern as written.
    public let pattern: String
    private let alternatives: [[Token]]
    private let matchesName: Bool

    /// Compiles `pattern`.
    ///
    /// - Throws: ``ManifestError`` for an unclosed `[` or `{`, or a trailing `\`.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        matchesName = !pattern.contains("/")
        alternatives = try Self.expandBraces(Array(pattern), pattern: pattern).map {
            try Self.compile($0, pattern: pattern)
        }
    }

    /// The pattern as written.
    public var description: String { pattern }

    /// Whether `relativePath` (with `/` separators) matches.
    public func matches(_ relativePath: String) -> Bool {
        let subject: [Character]
        if matchesName, let slash = relativePath.lastIndex(of: "/") {
            subject = Array(relativePath[relativePath.index(after: slash)...])
        } else {
            subject = Array(relativePath)
        }
        return alternatives.contains { Self.match($0[...], subject[...]) }
    }

    private static func match(_ tokens: ArraySlice<[Token]>.Element.SubSequence, _ s: ArraySlice<Character>) -> Bool {
        guard let token = tokens.first else { return s.isEmpty }
        let rest = tokens.dropFirst()
        switch token {
        case .literal(let c):
            return s.first == c && match(rest, s.dropFirst())
        case .any:
            guard let c = s.first, c != "/" else { return false }
            return match(rest, s.dropFirst())
        case .set(let ranges, let negated):
            guard let c = s.first, c != "/" else { return false }
            guard ranges.contains(where: { $0.contains(c) }) != negated else { return false }
            return match(rest, s.dropFirst())
        case .star:
            var t = s
            while true {
                if match(rest, t) { return true }
                guard let c = t.first, c != "/" else { return false }
                t = t.dropFirst()
            }
        case .globstar:
            // `**/` may also match nothing at all.
            if case .literal("/")? = rest.first, match(rest.dropFirst(), s) { return true }
            var t = s
            while true {
                if match(rest, t) { return true }
                guard !t.isEmpty else { return false }
                t = t.dropFirst()
            }
        }
    }

    private static func compile(_ chars: [Character], pattern: String) throws -> [Token] {
        var tokens: [Token] = []
        var k = 0
        while k < chars.count {
            let c = chars[k]
            switch c {
            case "\\":
                guard k + 1 < chars.count else {
                    throw ManifestError(.invalidPointer, "glob '\(pattern)' ends with a lone '\\'")
                }
                tokens.append(.literal(chars[k + 1]))
                k += 2
                continue
            case "?": tokens.append(.any)
            case "*":
                if k + 1 < chars.count, chars[k + 1] == "*" {
                    tokens.append(.globstar)
                    k += 2
                    continue
                }
                tokens.append(.star)
            case "[":
                var j = k + 1
                var negated = false
                if j < chars.count, chars[j] == "!" || chars[j] == "^" {
                    negated = true
                    j += 1
                }
                var ranges: [ClosedRange<Character>] = []
                var first = true
                while j < chars.count, chars[j] != "]" || first {
                    first = false
                    let low = chars[j]
                    if j + 2 < chars.count, chars[j + 1] == "-", chars[j + 2] != "]" {
                        let high = chars[j + 2]
                        guard low <= high else {
                            throw ManifestError(.invalidPointer, "glob '\(pattern)' has an empty range \(low)-\(high)")
                        }
                        ranges.append(low...high)
                        j += 3
                    } else {
                        ranges.append(low...low)
                        j += 1
                    }
                }
                guard j < chars.count else {
                    throw ManifestError(.invalidPointer, "glob '\(pattern)' has an unclosed '['")
                }
                tokens.append(.set(ranges, negated: negated))
                k = j
            default: tokens.append(.literal(c))
            }
            k += 1
        }
        return tokens
    }

    /// Expands the first `{a,b}` group (recursively), leaving escaped braces alone.
    private static func expandBraces(_ chars: [Character], pattern: String) throws -> [[Character]] {
        var k = 0
        var open: Int?
        var depth = 0
        var commas: [Int] = []
        while k < chars.count {
            switch chars[k] {
            case "\\": k += 1
            case "{":
                if depth == 0 { open = k }
                depth += 1
            case ",":
                if depth == 1 { commas.append(k) }
            case "}":
                depth -= 1
                if depth == 0, let start = open {
                    let prefix = Array(chars[..<start])
                    let suffix = Array(chars[(k + 1)...])
                    var bounds = [start] + commas + [k]
                    var results: [[Character]] = []
                    for n in 0..<(bounds.count - 1) {
                        let option = Array(chars[(bounds[n] + 1)..<bounds[n + 1]])
                        results += try expandBraces(prefix + option + suffix, pattern: pattern)
                    }
                    bounds.removeAll()
                    return results
                }
                if depth < 0 { depth = 0 }
            default: break
            }
            k += 1
        }
        guard depth == 0 else { throw ManifestError(.invalidPointer, "glob '\(pattern)' has an unclosed '{'") }
        return [chars]
    }
}
