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
    local touch = __gitops_touch
    G.__gitops_touch = nil
    local raw_next, raw_get, raw_len = next, rawget, rawlen
    G.next = function(t, k) touch(t) return raw_next(t, k) end
    G.rawget = function(t, k) touch(t) return raw_get(t, k) end
    G.rawlen = function(t) touch(t) return raw_len(t) end
    local raw_setmetatable = setmetatable
    G.setmetatable = function(t, mt)
      if type(mt) == "table" and raw_get(mt, "__gc") ~= nil then
        error("__gc metamethods are not allowed in health scripts", 2)
      end
      return raw_setmetatable(t, mt)
    end
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
    /// Registry reference of the metatable of lazy tables.
    private var lazyMeta: Int32 = 0
    /// Registry reference of the metatable `{__mode = "k"}` of each run's side table.
    private var weakKeys: Int32 = 0
    /// The containers of the current run's object that lazy tables stand for, by id.
    private var lazyValues: [Value] = []

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
        _ = gitops_lua_gc_generational(state)
        gitops_lua_register_lazy(state)
        if gitops_luaL_dostring(state, sandboxPrelude) != gitops_lua_ok() {
            let message = gitops_lua_tostring(state, -1).map { String(cString: $0) } ?? "?"
            throw HealthError.script("cannot set up the Lua sandbox: \(message)")
        }
        lua_createtable(state, 0, 2)
        gitops_lua_pushglobaltable(state)
        lua_setfield(state, -2, "__index")
        // Scripts cannot reach the shared globals through their environment's metatable.
        lua_pushboolean(state, 0)
        lua_setfield(state, -2, "__metatable")
        environmentMeta = luaL_ref(state, gitops_lua_registryindex())
        gitops_lua_push_lazy_metatable(state)
        lazyMeta = luaL_ref(state, gitops_lua_registryindex())
        lua_createtable(state, 0, 1)
        lua_pushstring(state, "k")
        lua_setfield(state, -2, "__mode")
        weakKeys = luaL_ref(state, gitops_lua_registryindex())
        lua_createtable(state, 0, 0)
        limits.pointee.sideRef = lua_Integer(luaL_ref(state, gitops_lua_registryindex()))
        limits.pointee.materialize = { L, context, index, id in
            guard let context else { return }
            Unmanaged<LuaEngine>.fromOpaque(context).takeUnretainedValue().materialize(tableAt: index, id: Int(id))
        }
        if settings.timeLimit > 0 { gitops_lua_sethook(state, Int32(clamping: max(1, settings.instructionsPerCheck))) }
        limits.pointee.limit = settings.memoryLimit > 0 ? max(limits.pointee.used, 0) + settings.memoryLimit : 0
        limits.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // Finalizers cannot come from scripts (no __gc), but bound lua_close all the same.
        limits.pointee.deadline = gitops_lua_now() + max(settings.timeLimit, 0.1)
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
        // Afterwards the chunk lets go of this run's environment (and the object in it), so a
        // large object does not stay in memory until the same script runs again.
        defer { releaseEnvironment(of: script) }
        // A fresh side table: lazy tables of earlier runs (kept by a script in a library table,
        // say) are no longer found in it and stay empty.
        lazyValues.removeAll(keepingCapacity: true)
        lua_createtable(L, 0, 0)
        lua_rawgeti(L, gitops_lua_registryindex(), lua_Integer(weakKeys))
        lua_setmetatable(L, -2)
        lua_rawseti(L, gitops_lua_registryindex(), limits.pointee.sideRef)
        lua_createtable(L, 0, 2)
        pushLazy(object)
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

        defer { lazyValues.removeAll(keepingCapacity: true) }
        if status != gitops_lua_ok() {
            var message = luaString(at: -1) ?? "error object is not a string"
            if status == gitops_lua_errmem()
                || (limits.pointee.memoryExceeded != 0 && message.hasSuffix("not enough memory"))
            {
                message = "\(script.path): script exceeded its memory limit of \(settings.memoryLimit) bytes"
                lua_settop(L, base)
                releaseEnvironment(of: script)
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
            throw HealthError.script(
                "\(script.path): expect table output from Lua script, not \(typeName)",
                path: script.path
            )
        }
        // The script may return a lazy part of `obj`; the memory limit is lifted here.
        gitops_lua_materialize(L, -1)
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

    private func releaseEnvironment(of script: LuaScript) {
        guard let ref = compiled[script.path] else { return }
        let L = state
        lua_rawgeti(L, gitops_lua_registryindex(), lua_Integer(ref))
        lua_pushnil(L)
        _ = lua_setupvalue(L, -2, 1)
        gitops_lua_pop(L, 1)
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
    /// from 1, `null` as `nil`, integers as Lua integers. A non-empty object or array is pushed as
    /// an empty lazy table that fills itself with its members on first use (`__index`,
    /// `__newindex`, `__len`, `__pairs`, and the sandbox's `next`, `rawget`, `rawlen`), so a script
    /// pays only for the parts of the object it reads.
    private func pushLazy(_ value: Value) {
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
            lua_createtable(L, Int32(clamping: elements.count), 0)
            if !elements.isEmpty { makeLazy(value) }
        case .object(let object):
            lua_createtable(L, 0, Int32(clamping: object.count))
            if !object.isEmpty { makeLazy(value) }
        }
    }

    /// Makes the table on top of the stack stand for `value` until it is first used.
    private func makeLazy(_ value: Value) {
        let L = state
        lua_rawgeti(L, gitops_lua_registryindex(), lua_Integer(lazyMeta))
        lua_setmetatable(L, -2)
        lua_rawgeti(L, gitops_lua_registryindex(), limits.pointee.sideRef)
        lua_pushvalue(L, -2)
        lua_pushinteger(L, lua_Integer(lazyValues.count))
        lua_rawset(L, -3)
        gitops_lua_pop(L, 1)
        lazyValues.append(value)
    }

    /// Fills the table at `index` with the members of the container `id` stands for. Called from
    /// C with the memory limit lifted, so nothing here raises a Lua error.
    fileprivate func materialize(tableAt index: Int32, id: Int) {
        guard lazyValues.indices.contains(id) else { return }
        let L = state
        switch lazyValues[id] {
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                guard lua_checkstack(L, 4) != 0 else { return }
                pushLazy(element)
                lua_rawseti(L, index, lua_Integer(i + 1))
            }
        case .object(let object):
            for entry in object.entries {
                if case .null = entry.value { continue }
                guard lua_checkstack(L, 4) != 0 else { return }
                pushString(entry.key)
                pushLazy(entry.value)
                lua_rawset(L, index)
            }
        default:
            break
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
