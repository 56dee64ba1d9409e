internal import CLua
import Manifests

/// Limits on one run of a Lua health script.
public struct LuaLimits: Sendable, Hashable {
    /// Wall-clock time one script may run, in seconds; 1 by default, like Argo CD. Zero or less
    /// means no limit.
    public var timeLimit: Double = 1
    /// Bytes the Lua state that runs scripts may hold, the object under assessment included;
    /// 32 MiB by default. Zero means no limit.
    public var memoryLimit: Int = 32 << 20
    /// How many Lua instructions run between two looks at the clock.
    public var instructionsPerCheck: Int = 1000

    /// Limits with the defaults, or the ones given.
    public init(timeLimit: Double = 1, memoryLimit: Int = 32 << 20, instructionsPerCheck: Int = 1000) {
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
        self.instructionsPerCheck = instructionsPerCheck
    }
}

/// The Lua run before any script: a sandbox made of the standard libraries without the ones that
/// reach outside (io, os beyond the clock, package and require, debug, loading code, bytecode),
/// plus the Lua 5.1 names scripts written for Argo CD's interpreter use.
private let sandboxPrelude = """
    local G = _G
    local os_time, os_date, os_clock, os_difftime = os.time, os.date, os.clock, os.difftime
    G.os = { time = os_time, date = os_date, clock = os_clock, difftime = os_difftime }
    G.io = nil
    G.package = nil
    G.require = nil
    G.debug = nil
    G.dofile = nil
    G.loadfile = nil
    G.load = nil
    G.loadstring = nil
    G.collectgarbage = nil
    string.dump = nil
    G.print = function() end
    G.unpack = table.unpack
    table.getn = function(t) return #t end
    table.maxn = function(t)
      local n = 0
      for k in pairs(t) do if type(k) == "number" and k > n then n = k end end
      return n
    end
    math.pow = function(x, y) return x ^ y end
    math.mod = math.fmod
    math.log10 = function(x) return math.log(x, 10) end
    string.gfind = string.gmatch
    """

/// One Lua state that runs health scripts, with its compiled scripts cached.
///
/// Used by one thread at a time: ``LuaHealthScripts`` keeps a pool and hands each engine to one
/// caller at once.
final class LuaEngine: @unchecked Sendable {
    private let state: OpaquePointer
    private let limits: UnsafeMutablePointer<gitops_lua_limits>
    private let settings: LuaLimits
    /// Registry references of compiled chunks, by script path.
    private var compiled: [String: Int32] = [:]
    /// Registry reference of the metatable `{__index = sandbox globals}` of every script's environment.
    private var environmentMeta: Int32 = 0

    init(limits settings: LuaLimits) throws {
        self.settings = settings
        limits = .allocate(capacity: 1)
        limits.initialize(to: gitops_lua_limits())
        guard let state = gitops_lua_newstate(limits) else {
            limits.deallocate()
            throw HealthError.script("cannot create a Lua state")
        }
        self.state = state
        luaL_openlibs(state)
        if gitops_luaL_dostring(state, sandboxPrelude) != gitops_lua_ok() {
            let message = gitops_lua_tostring(state, -1).map { String(cString: $0) } ?? "?"
            throw HealthError.script("cannot set up the Lua sandbox: \(message)")
        }
        lua_createtable(state, 0, 1)
        gitops_lua_pushglobaltable(state)
        lua_setfield(state, -2, "__index")
        environmentMeta = luaL_ref(state, gitops_lua_registryindex())
        if settings.timeLimit > 0 { gitops_lua_sethook(state, Int32(clamping: max(1, settings.instructionsPerCheck))) }
        limits.pointee.limit = settings.memoryLimit > 0 ? max(limits.pointee.used, 0) + settings.memoryLimit : 0
    }

    deinit {
        lua_close(state)
        limits.deinitialize(count: 1)
        limits.deallocate()
    }

    /// Bytes the state holds now.
    var memoryInUse: Int { limits.pointee.used }

    /// Runs `script` with `object` as the global `obj`.
    ///
    /// - Returns: the status and message the script returned, or `nil` when it returned an empty table.
    /// - Throws: ``HealthError`` (a script error) naming the script, the line and the message when
    ///   the script does not compile, raises an error, exceeds a limit or returns something else
    ///   than a table.
    func run(_ script: LuaScript, object: Value) throws -> HealthStatus? {
        let L = state
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let savedLimit = limits.pointee.limit
        // Building the environment and the object allocates outside a protected call, where an
        // allocation failure would abort: the memory limit applies to what the script does.
        limits.pointee.limit = 0
        defer { limits.pointee.limit = savedLimit }

        try pushChunk(script)
        lua_createtable(L, 0, 2)
        push(object, depth: 0)
        lua_setfield(L, -2, "obj")
        lua_pushvalue(L, -1)
        lua_setfield(L, -2, "_G")
        lua_rawgeti(L, gitops_lua_registryindex(), lua_Integer(environmentMeta))
        lua_setmetatable(L, -2)
        guard lua_setupvalue(L, -2, 1) != nil else {
            throw HealthError.script("\(script.path): the compiled script has no environment", path: script.path)
        }

        limits.pointee.timedOut = 0
        limits.pointee.memoryExceeded = 0
        limits.pointee.limit = savedLimit
        limits.pointee.deadline = settings.timeLimit > 0 ? gitops_lua_now() + settings.timeLimit : 0
        limits.pointee.timeLimit = settings.timeLimit
        let status = gitops_lua_pcall(L, 0, 1, 0)
        limits.pointee.deadline = 0
        limits.pointee.limit = 0

        if status != gitops_lua_ok() {
            var message = luaString(at: -1) ?? "error object is not a string"
            if status == gitops_lua_errmem() || limits.pointee.memoryExceeded != 0 {
                message = "\(script.path): script exceeded its memory limit of \(settings.memoryLimit) bytes"
                lua_settop(L, base)
                _ = gitops_lua_gc_collect(L)
            } else if limits.pointee.timedOut != 0 {
                message += " of \(settings.timeLimit) s"
            }
            throw HealthError.script(message, path: script.path)
        }
        return try readResult(script)
    }

    private func readResult(_ script: LuaScript) throws -> HealthStatus? {
        let L = state
        guard gitops_lua_istable(L, -1) != 0 else {
            let typeName = String(cString: lua_typename(L, lua_type(L, -1)))
            throw HealthError.script("\(script.path): expect table output from Lua script, not \(typeName)", path: script.path)
        }
        lua_pushnil(L)
        if lua_next(L, -2) == 0 { return nil }
        gitops_lua_pop(L, 2)
        let code = rawString(field: "status")
        let message = rawString(field: "message") ?? ""
        guard let code, let parsed = HealthStatusCode(rawValue: code) else {
            return .unknown("Lua returned an invalid health status")
        }
        return HealthStatus(parsed, message)
    }

    /// The string (or number, as text) at `field` of the table on top of the stack, read raw.
    private func rawString(field: String) -> String? {
        let L = state
        lua_pushstring(L, field)
        _ = lua_rawget(L, -2)
        defer { gitops_lua_pop(L, 1) }
        switch lua_type(L, -1) {
        case LUA_TSTRING: return luaString(at: -1)
        case LUA_TNUMBER:
            lua_pushvalue(L, -1)
            defer { gitops_lua_pop(L, 1) }
            return luaString(at: -1)
        default: return nil
        }
    }

    private func luaString(at index: Int32) -> String? {
        guard lua_type(state, index) == LUA_TSTRING || lua_type(state, index) == LUA_TNUMBER else { return nil }
        var length = 0
        guard let bytes = lua_tolstring(state, index, &length) else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Pushes the compiled chunk of `script`, compiling it the first time.
    private func pushChunk(_ script: LuaScript) throws {
        let L = state
        if let ref = compiled[script.path] {
            lua_rawgeti(L, gitops_lua_registryindex(), lua_Integer(ref))
            return
        }
        var source = script.source
        let status = source.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                gitops_luaL_loadbufferx(L, chars.baseAddress, chars.count, "@" + script.path, "t")
            }
        }
        guard status == gitops_lua_ok() else {
            let message = luaString(at: -1) ?? "cannot compile"
            gitops_lua_pop(L, 1)
            throw HealthError.script(message, path: script.path)
        }
        lua_pushvalue(L, -1)
        compiled[script.path] = luaL_ref(L, gitops_lua_registryindex())
    }

    /// Pushes `value` as Lua data: objects as tables with string keys, arrays as tables indexed
    /// from 1, `null` as `nil`, integers as Lua integers.
    private func push(_ value: Value, depth: Int) {
        let L = state
        switch value {
        case .null:
            lua_pushnil(L)
        case .bool(let b):
            lua_pushboolean(L, b ? 1 : 0)
        case .int(let i):
            lua_pushinteger(L, lua_Integer(i))
        case .double(let d):
            lua_pushnumber(L, d)
        case .string(let s):
            pushString(s)
        case .array(let elements):
            guard lua_checkstack(L, 3) != 0 else { lua_pushnil(L); return }
            lua_createtable(L, Int32(clamping: elements.count), 0)
            for (i, element) in elements.enumerated() {
                push(element, depth: depth + 1)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        case .object(let object):
            guard lua_checkstack(L, 3) != 0 else { lua_pushnil(L); return }
            lua_createtable(L, 0, Int32(clamping: object.count))
            for entry in object.entries {
                if case .null = entry.value { continue }
                pushString(entry.key)
                push(entry.value, depth: depth + 1)
                lua_rawset(L, -3)
            }
        }
    }

    private func pushString(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = lua_pushlstring(state, chars.baseAddress, chars.count)
            }
        }
    }
}
