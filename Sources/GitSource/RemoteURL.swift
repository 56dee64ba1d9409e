import Foundation

/// A remote address, normalized: scheme, host, port and path; user information split off.
struct RemoteURL: Sendable, Hashable {
    enum Transport: Sendable { case local, git, http, https, ssh }

    /// The URL handed to libgit2: no password ever; the SSH user name is kept.
    let url: String
    /// The normalized form that keys the cache (no user information at all).
    let normalized: String
    let transport: Transport
    /// User information found in the URL (`user`, `password`).
    let username: String?
    let password: String?
    /// Host and port, for SSH host-key checks.
    let host: String?
    let port: Int?

    init(_ raw: String) throws {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw GitSourceError(.invalidURL, "the repository URL is empty") }
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("file://") {
            var path = text.hasPrefix("file://") ? String(text.dropFirst("file://".count)) : text
            if !path.hasPrefix("/") {
                path = FileManager.default.currentDirectoryPath + "/" + path
            }
            path = URL(fileURLWithPath: path).standardizedFileURL.path
            url = path
            normalized = "file://" + Self.trimPath(path)
            transport = .local
            username = nil
            password = nil
            host = nil
            port = nil
            return
        }
        if let scheme = text.range(of: "://") {
            let schemeName = text[..<scheme.lowerBound].lowercased()
            let rest = text[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<slash]
            let path = String(rest[slash...])
            var user: String?
            var pass: String?
            if let at = authority.lastIndex(of: "@") {
                let info = authority[..<at]
                authority = authority[authority.index(after: at)...]
                if let colon = info.firstIndex(of: ":") {
                    user = String(info[..<colon]).removingPercentEncoding
                    pass = String(info[info.index(after: colon)...]).removingPercentEncoding
                } else {
                    user = String(info).removingPercentEncoding
                }
            }
            let hostPort = authority.lowercased()
            let (h, p) = Self.splitHostPort(hostPort)
            switch schemeName {
            case "git": transport = .git
            case "http": transport = .http
            case "https": transport = .https
            case "ssh", "git+ssh", "ssh+git": transport = .ssh
            default:
                throw GitSourceError(
                    .unsupportedTransport,
                    "unsupported transport '\(schemeName)://'; use https://, http://, ssh://, git://, file:// or user@host:path",
                    remote: text
                )
            }
            guard !h.isEmpty else { throw GitSourceError(.invalidURL, "the repository URL has no host", remote: text) }
            let canonicalScheme = transport == .ssh ? "ssh" : schemeName
            username = user
            password = pass
            host = h
            port = p
            let userPart = (transport == .ssh ? user.map { Self.percentEncodeUser($0) + "@" } : nil) ?? ""
            url = canonicalScheme + "://" + userPart + hostPort + path
            normalized = canonicalScheme + "://" + hostPort + Self.trimPath(path)
            return
        }
        // scp-style: [user@]host:path
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/") {
            var hostPart = text[..<colon]
            let path = String(text[text.index(after: colon)...])
            var user: String?
            if let at = hostPart.lastIndex(of: "@") {
                user = String(hostPart[..<at])
                hostPart = hostPart[hostPart.index(after: at)...]
            }
            let h = hostPart.lowercased()
            guard !h.isEmpty, !path.isEmpty else {
                throw GitSourceError(
                    .invalidURL,
                    "cannot read scp-style address; expected user@host:path",
                    remote: text
                )
            }
            transport = .ssh
            username = user
            password = nil
            host = h
            port = nil
            let absolute = path.hasPrefix("/") ? path : "/" + path
            // libgit2 reads scp-style paths as relative to the login directory; keep the
            // original form for it, and key the cache by the ssh:// form.
            url = (user.map { $0 + "@" } ?? "") + h + ":" + path
            normalized = "ssh://" + h + Self.trimPath(path.hasPrefix("/") ? absolute : "/~/" + path)
            return
        }
        throw GitSourceError(
            .invalidURL,
            "cannot read repository address; expected https://, http://, ssh://, git://, file://, a path or user@host:path",
            remote: text
        )
    }

    private static func splitHostPort(_ s: String) -> (String, Int?) {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let h = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            return (h, after.hasPrefix(":") ? Int(after.dropFirst()) : nil)
        }
        if let colon = s.lastIndex(of: ":") {
            return (String(s[..<colon]), Int(s[s.index(after: colon)...]))
        }
        return (s, nil)
    }

    private static func trimPath(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p.hasSuffix(".git") { p.removeLast(4) }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    private static func percentEncodeUser(_ user: String) -> String {
        user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
    }

    /// A readable, filesystem-safe name with a hash of the normalized URL.
    var cacheKey: String {
        let slug = normalized.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "." })
            .suffix(3).joined(separator: "-")
        return String(slug.prefix(48)) + "-" + StableHash.hex(normalized)
    }

    /// Masks user information in every URL found in `text`
    /// (`https://user:secret@host` becomes `https://***@host`).
    static func mask(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let end =
                rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\n" })
                ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@") {
                out += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return out + rest
    }
}

/// FNV-1a (64-bit) twice with different offsets: a stable 128-bit key, not a security hash.
enum StableHash {
    static func hex(_ text: String) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b ^= b >> 29
        }
        return hex64(a) + hex64(b)
    }

    private static func hex64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
