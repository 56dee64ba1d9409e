internal import CGit2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A cache directory shared by many providers, tasks and processes: one bare repository
/// per remote (keyed by a hash of its normalized URL), and content-addressed checkouts.
///
/// Layout: `repositories/<key>.git`, `checkouts/<commit>[-<subdirectory hash>]`,
/// `locks/<key>.lock` (`flock`), `tmp/` for checkouts being written.
public struct GitCache: Sendable, Hashable {
    /// The cache's root directory.
    public let directory: URL

    /// Opens (creating when needed) a cache at `directory`.
    ///
    /// - Throws: ``GitSourceError`` when the directories cannot be created.
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        for sub in ["repositories", "checkouts", "locks", "tmp"] {
            do {
                try FileManager.default.createDirectory(
                    at: self.directory.appendingPathComponent(sub),
                    withIntermediateDirectories: true
                )
            } catch {
                throw GitSourceError(.cacheIO, "cannot create cache directory \(self.directory.path)/\(sub): \(error)")
            }
        }
    }

    func repositoryPath(_ remote: RemoteURL) -> String {
        directory.appendingPathComponent("repositories/\(remote.cacheKey).git").path
    }

    func checkoutURL(_ key: String) -> URL {
        URL(fileURLWithPath: directory.path + "/checkouts/" + key, isDirectory: true)
    }

    var temporaryDirectory: URL { directory.appendingPathComponent("tmp") }

    /// Runs `body` holding the cache lock named `name` (an `flock` on a file, so other
    /// processes and other tasks of this one wait their turn). Waiting stops when
    /// `shouldStop` says so.
    func withLock<T>(
        _ name: String,
        exclusive: Bool,
        shouldStop: () -> GitSourceError? = { nil },
        _ body: () throws -> T
    ) throws -> T {
        let path = directory.appendingPathComponent("locks/\(name).lock").path
        let fd = cgit2_open_lock(path)
        guard fd >= 0 else {
            throw GitSourceError(.cacheIO, "cannot open lock file \(path): \(String(cString: strerror(cgit2_errno())))")
        }
        defer { _ = Glibc.close(fd) }
        var delay: UInt32 = 2_000
        while true {
            let rc = cgit2_flock_try(fd, exclusive ? 1 : 0)
            if rc == 0 { break }
            guard rc == -EWOULDBLOCK else {
                throw GitSourceError(.cacheIO, "cannot lock \(path): \(String(cString: strerror(-rc)))")
            }
            if let error = shouldStop() { throw error }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        return try body()
    }

    /// Removes checkouts by a retention policy; returns how many were removed.
    ///
    /// Checkouts are ordered by last use (each ``SourceProvider/materialize(_:subdirectory:)``
    /// marks its checkout used). Do not collect checkouts still being read: keep `maxAge`
    /// above the longest time a caller holds on to a checkout.
    ///
    /// - Throws: ``GitSourceError`` when the checkouts directory cannot be read.
    @discardableResult
    public func collectGarbage(_ retention: CheckoutRetention) throws -> Int {
        let root = directory.appendingPathComponent("checkouts")
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw GitSourceError(.cacheIO, "cannot list \(root.path): \(error)")
        }
        var entries: [(name: String, used: Date)] = []
        for name in names {
            var st = stat()
            guard lstat(root.appendingPathComponent(name).path, &st) == 0 else { continue }
            entries.append((name, Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))))
        }
        entries.sort { $0.used > $1.used }
        let now = Date()
        var removed = 0
        for (index, entry) in entries.enumerated() {
            let tooMany = index >= retention.keepMostRecent
            let tooOld = retention.maxAge.map { now.timeIntervalSince(entry.used) > $0.timeInterval } ?? false
            guard tooMany || tooOld, index >= retention.minimumKept else { continue }
            let doomed = temporaryDirectory.appendingPathComponent("gc-\(entry.name)-\(UUID().uuidString)")
            guard rename(root.appendingPathComponent(entry.name).path, doomed.path) == 0 else { continue }
            Self.removeTree(doomed)
            removed += 1
        }
        return removed
    }

    /// Removes a read-only tree (making its directories writable first).
    static func removeTree(_ url: URL) {
        if let walker = FileManager.default.enumerator(atPath: url.path) {
            _ = chmod(url.path, 0o755)
            while let relative = walker.nextObject() as? String {
                let path = url.appendingPathComponent(relative).path
                var st = stat()
                if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { _ = chmod(path, 0o755) }
            }
        }
        try? FileManager.default.removeItem(at: url)
    }
}

/// Which checkouts ``GitCache/collectGarbage(_:)`` keeps.
public struct CheckoutRetention: Sendable, Hashable {
    /// Keep at most this many checkouts, the most recently used.
    public var keepMostRecent: Int
    /// Remove checkouts unused for longer than this (`nil`: no age limit).
    public var maxAge: Duration?
    /// Always keep at least this many of the most recently used, whatever their age.
    public var minimumKept: Int

    /// Creates a policy; by default keeps the 20 most recently used checkouts, and at
    /// most one day old ones beyond the newest one.
    public init(keepMostRecent: Int = 20, maxAge: Duration? = .seconds(86_400), minimumKept: Int = 1) {
        self.keepMostRecent = keepMostRecent
        self.maxAge = maxAge
        self.minimumKept = minimumKept
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (s, a) = components
        return TimeInterval(s) + TimeInterval(a) / 1e18
    }
}
