import Manifests
import Synchronization

/// One Lua health script: its source and the path (or name) its errors are reported under.
public struct LuaScript: Sendable, Hashable {
    /// Where the script comes from: a file path, or a name such as `example.com/Widget`.
    public var path: String
    /// The Lua source.
    public var source: String

    /// A script with its `path` (used in error messages) and `source`.
    public init(path: String, source: String) {
        self.path = path
        self.source = source
    }
}

/// Lua health scripts in Argo CD's `health.lua` format, found by group and kind, compiled once
/// and run in a sandbox.
///
/// A script sees the object as the global `obj` (JSON `null` as `nil`, arrays indexed from 1)
/// and returns a table `{status = "Healthy", message = "..."}`. It runs with the standard
/// libraries minus everything that reaches outside: no `io`, no `os` beyond `os.time`, `os.date`,
/// `os.clock` and `os.difftime`, no `require`, `load`, `loadstring`, `dofile`, `loadfile`,
/// `string.dump`, `debug` or `collectgarbage`, no `__gc` metamethods, and only text chunks. Scripts written for Argo
/// CD's Lua 5.1 interpreter find `unpack`, `table.getn`, `table.maxn`, `math.pow`, `math.mod`,
/// `math.log10` and `string.gfind`. Each run has a time limit and a memory limit
/// (``LuaLimits``); an error, a limit hit or a result that is not a table throws a
/// ``HealthError`` naming the script, the line and the message, which the ``HealthRegistry``
/// reports as Unknown. A script that returns an empty table has no opinion (`nil`).
///
/// Scripts never share globals: each run gets a fresh environment whose misses fall through to
/// the sandbox's libraries. Compiled chunks are cached per Lua state; states are pooled, so
/// one `LuaHealthScripts` may be used from many threads at once.
///
/// ```swift
/// let scripts = try LuaHealthScripts(directory: "resource_customizations")
/// var registry = HealthRegistry(scripts: scripts)
/// let health = registry.health(of: widget)
/// ```
public final class LuaHealthScripts: Sendable {
    /// The scripts by key: `group/Kind`, or the bare kind for the core group.
    public let scripts: [String: LuaScript]
    /// The limits every run has.
    public let limits: LuaLimits
    /// Wildcard keys (`*` where the directory name had `_`), most specific first.
    private let wildcards: [(pattern: WildcardPattern, script: LuaScript)]
    private let pool = Mutex<[LuaEngine]>([])
    private let maxPooled: Int

    /// Scripts given as `group/Kind` (or `Kind` for the core group) keys; `*` in a key matches
    /// any text.
    ///
    /// ```swift
    /// let scripts = LuaHealthScripts(scripts: ["example.com/Widget": LuaScript(path: "widget.lua", source: lua)])
    /// ```
    public init(scripts: [String: LuaScript], limits: LuaLimits = LuaLimits(), maxPooledStates: Int = 8) {
        self.scripts = scripts
        self.limits = limits
        self.maxPooled = maxPooledStates
        wildcards = scripts.filter { $0.key.contains("*") }
            .map { (WildcardPattern($0.key), $0.value) }
            .sorted { ($0.pattern.literalCount, $0.pattern.text) > ($1.pattern.literalCount, $1.pattern.text) }
    }

    /// Reads the scripts of a directory in Argo CD's layout: `<group>/<Kind>/health.lua`, the core
    /// group as `<Kind>/health.lua`, and `_` in a directory name as a wildcard
    /// (`_.crossplane.io/_/health.lua`).
    ///
    /// - Throws: ``HealthError`` when the directory or a script cannot be read.
    public convenience init(directory: String, limits: LuaLimits = LuaLimits(), maxPooledStates: Int = 8) throws {
        var found: [String: LuaScript] = [:]
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        func read(_ path: String) throws -> LuaScript {
            do {
                let bytes = try FileSystem.readFile(path, maxBytes: 1 << 20)
                return LuaScript(path: path, source: String(decoding: bytes, as: UTF8.self))
            } catch {
                throw HealthError.fileSystem("\(error)", path: path)
            }
        }
        func key(_ name: String) -> String { name.replacing("_", with: "*") }
        let top: [String]
        do { top = try FileSystem.list(root).sorted() } catch {
            throw HealthError.fileSystem("\(error)", path: root)
        }
        for first in top where FileSystem.isDirectory("\(root)/\(first)") {
            let coreScript = "\(root)/\(first)/health.lua"
            if FileSystem.entryType(coreScript) == .file { found[key(first)] = try read(coreScript) }
            let second = (try? FileSystem.list("\(root)/\(first)").sorted()) ?? []
            for kind in second where FileSystem.isDirectory("\(root)/\(first)/\(kind)") {
                let path = "\(root)/\(first)/\(kind)/health.lua"
                if FileSystem.entryType(path) == .file { found["\(key(first))/\(key(kind))"] = try read(path) }
            }
        }
        self.init(scripts: found, limits: limits, maxPooledStates: maxPooledStates)
    }

    /// The script for `group` and `kind`: an exact key first, then the most specific wildcard.
    public func script(group: String, kind: String) -> LuaScript? {
        let key = group.isEmpty ? kind : "\(group)/\(kind)"
        if let script = scripts[key] { return script }
        for (pattern, script) in wildcards where pattern.matches(key) { return script }
        return nil
    }

    /// Runs the script for the object's group and kind.
    ///
    /// - Returns: `nil` when no script matches the object or the script returned an empty table.
    /// - Throws: ``HealthError`` for a script error, a limit hit or a result that is not a table.
    public func health(of object: KubeObject) throws -> HealthStatus? {
        guard let kind = object.kind, let script = script(group: String(object.groupName), kind: kind) else {
            return nil
        }
        return try run(script, on: object)
    }

    /// Runs `script` on `object`, whatever their kinds.
    ///
    /// - Throws: ``HealthError`` for a script error, a limit hit or a result that is not a table.
    public func run(_ script: LuaScript, on object: KubeObject) throws -> HealthStatus? {
        let engine = try pool.withLock { $0.popLast() } ?? LuaEngine(limits: limits)
        defer {
            pool.withLock { engines in
                if engines.count < maxPooled { engines.append(engine) }
            }
        }
        return try engine.run(script, object: object.value)
    }
}

/// A pattern where `*` matches any text (including `/`) and every other character itself.
struct WildcardPattern: Sendable {
    let text: String
    private let parts: [Substring]

    init(_ text: String) {
        self.text = text
        parts = text.split(separator: "*", omittingEmptySubsequences: false)
    }

    /// How many characters are not wildcards: more is more specific.
    var literalCount: Int { parts.reduce(0) { $0 + $1.count } }

    func matches(_ candidate: String) -> Bool {
        guard parts.count > 1 else { return candidate == text }
        var rest = Substring(candidate)
        guard let first = parts.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        guard let last = parts.last else { return false }
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.count >= last.count && rest.hasSuffix(last)
    }
}

extension FileSystem {
    static func isDirectory(_ path: String) -> Bool {
        switch entryType(path) {
        case .directory: return true
        case .symlink: return (try? list(path)) != nil
        default: return false
        }
    }
}
