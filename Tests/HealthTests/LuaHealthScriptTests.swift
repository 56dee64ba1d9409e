import Health
import Manifests
import Testing

/// Runs `source` as the health script of example.com/Widget on the live widget.
private func run(_ source: String, limits: LuaLimits = LuaLimits(), object: KubeObject? = nil) throws -> HealthStatus? {
    let scripts = LuaHealthScripts(
        scripts: ["example.com/Widget": LuaScript(path: "test/widget.lua", source: source)],
        limits: limits
    )
    return try scripts.health(of: object ?? Fixtures.live("widget-w.json"))
}

/// The error a script raises.
private func scriptError(_ source: String, limits: LuaLimits = LuaLimits()) -> HealthError? {
    do {
        _ = try run(source, limits: limits)
        return nil
    } catch let error as HealthError {
        return error
    } catch {
        return nil
    }
}

@Suite struct LuaHealthScriptTests {
    @Test func scriptSeesTheObject() throws {
        let health = try run(
            """
            local names = {}
            for i, part in ipairs(obj.spec.parts) do names[i] = part.name .. "x" .. part.count end
            return {status = "Healthy", message = table.concat(names, ",") .. " size " .. obj.spec.size ..
              " " .. math.type(obj.spec.size) .. " status " .. tostring(obj.status)}
            """
        )
        #expect(health == .healthy("ax1,bx2 size 3 integer status nil"))
    }

    @Test func jsonNullIsNil() throws {
        let object = try Fixtures.live("widget-w.json").with("/spec/note", .null).with("/spec/list", [1, .null, 3])
        let health = try run(
            "return {status = 'Healthy', message = tostring(obj.spec.note) .. ' ' .. tostring(obj.spec.list[1]) .. tostring(obj.spec.list[2]) .. tostring(obj.spec.list[3])}",
            object: object
        )
        #expect(health == .healthy("nil 1nil3"))
    }

    @Test func lua51Compatibility() throws {
        let health = try run(
            """
            local a, b = unpack({"x", "y"})
            local t = {1, 2, 3}
            return {status = "Progressing", message = a .. b .. table.getn(t) .. table.maxn(t) .. math.pow(2, 3) .. math.mod(7, 3) .. math.log10(100)}
            """
        )
        #expect(health == .progressing("xy338.012.0"))
    }

    @Test func clockFunctionsAreAllowed() throws {
        let health = try run(
            """
            local t = os.time({year = 2026, month = 11, day = 26, hour = 12})
            return {status = "Healthy", message = os.date("!%Y", 0) .. " " .. type(t) .. " " .. type(os.clock())}
            """
        )
        #expect(health == .healthy("1970 number number"))
    }

    @Test(arguments: [
        ("io.open('/etc/passwd')", "io"),
        ("os.execute('true')", "execute"),
        ("os.exit(1)", "exit"),
        ("os.getenv('HOME')", "getenv"),
        ("os.remove('/tmp/x')", "remove"),
        ("require('os')", "require"),
        ("load('return 1')()", "load"),
        ("loadstring('return 1')()", "loadstring"),
        ("dofile('/etc/passwd')", "dofile"),
        ("loadfile('/etc/passwd')", "loadfile"),
        ("string.dump(function() end)", "dump"),
        ("('x'):dump()", "dump"),
        ("debug.getinfo(1)", "debug"),
        ("package.loadlib('libc.so.6', 'system')", "package"),
        ("collectgarbage('count')", "collectgarbage"),
        ("setmetatable({}, {__gc = function() while true do end end})", "__gc"),
        ("getmetatable(_ENV).__index.x = 1", "environment"),
    ])
    func sandboxRefuses(_ escape: String, name: String) {
        let error = scriptError("\(escape)\nreturn {status = 'Healthy'}")
        #expect(error != nil, "\(escape) was allowed")
        #expect(error?.isScriptError == true)
        #expect(error?.description.contains("test/widget.lua:1:") == true, "\(error?.description ?? "")")
    }

    @Test func unboundedRecursionIsStopped() {
        // The Lua stack grows until the memory limit (or Lua's own stack limit) stops it.
        let error = scriptError("local function f() return 1 + f() end\nreturn f()")
        #expect(
            error?.description.contains("memory limit") == true
                || error?.description.contains("stack overflow") == true,
            "\(error?.description ?? "")"
        )
    }

    @Test func bytecodeIsRefused() {
        let error = scriptError("\u{1B}Lua\u{54}\u{00}garbage")
        #expect(
            error?.description.contains("binary") == true || error?.description.contains("attempt to load") == true,
            "\(error?.description ?? "")"
        )
    }

    @Test func infiniteLoopHitsTheTimeLimit() {
        let error = scriptError("while true do end", limits: LuaLimits(timeLimit: 0.05))
        #expect(
            error?.description.contains("test/widget.lua:1: script exceeded its time limit of 0.05 s") == true,
            "\(error?.description ?? "")"
        )
    }

    @Test func loopInACoroutineHitsTheTimeLimit() {
        let error = scriptError(
            "coroutine.wrap(function() local n = 0 while true do n = n + 1 end end)()",
            limits: LuaLimits(timeLimit: 0.05)
        )
        #expect(error?.description.contains("time limit") == true, "\(error?.description ?? "")")
    }

    @Test(arguments: [
        "local t = {} for i = 1, 1e9 do t[i] = i end",
        "local s = string.rep('x', 1 << 30)",
        "local s = 'x' while true do s = s .. s end",
    ])
    func memoryBombsHitTheMemoryLimit(_ bomb: String) throws {
        let limits = LuaLimits(timeLimit: 5, memoryLimit: 8 << 20)
        let error = scriptError(bomb, limits: limits)
        #expect(
            error?.description.contains("script exceeded its memory limit of 8388608 bytes") == true,
            "\(error?.description ?? "")"
        )
        // The same scripts object keeps working after a refused allocation.
        let scripts = LuaHealthScripts(
            scripts: ["example.com/Widget": LuaScript(path: "w.lua", source: bomb)],
            limits: limits,
            maxPooledStates: 1
        )
        let widget = try Fixtures.live("widget-w.json")
        #expect(throws: HealthError.self) { try scripts.health(of: widget) }
        let fine = LuaScript(path: "ok.lua", source: "return {status = 'Healthy', message = obj.metadata.name}")
        #expect(try scripts.run(fine, on: widget) == .healthy("w"))
    }

    @Test func runtimeErrorNamesScriptAndLine() {
        let error = scriptError("local x = 1\nlocal y = obj.status.conditions\nreturn {}")
        #expect(
            error?.description.hasPrefix("test/widget.lua:2: attempt to index a nil value") == true,
            "\(error?.description ?? "")"
        )
        let raised = scriptError("\n\nerror('custom failure')")
        #expect(raised?.description == "test/widget.lua:3: custom failure")
    }

    @Test func syntaxErrorNamesScriptAndLine() {
        let error = scriptError("hs = {}\nif then\nreturn hs")
        #expect(error?.description.hasPrefix("test/widget.lua:2:") == true, "\(error?.description ?? "")")
    }

    @Test func resultsThatAreNotHealth() throws {
        #expect(try run("return {}") == nil)
        #expect(try run("return {status = 'Great'}") == .unknown("Lua returned an invalid health status"))
        #expect(try run("return {message = 'no status'}") == .unknown("Lua returned an invalid health status"))
        #expect(
            scriptError("return 'Healthy'")?.description
                == "test/widget.lua: expect table output from Lua script, not string"
        )
        #expect(
            scriptError("local x = 1")?.description == "test/widget.lua: expect table output from Lua script, not nil"
        )
        // A metatable on the result is not consulted.
        #expect(try run("return setmetatable({}, {__index = function() error('no') end})") == nil)
    }

    @Test func globalsDoNotLeakBetweenRuns() throws {
        let scripts = LuaHealthScripts(
            scripts: [
                "example.com/Widget": LuaScript(
                    path: "w.lua",
                    source: """
                        local seen = tostring(counter)
                        counter = (counter or 0) + 1
                        hs = {status = "Healthy", message = seen}
                        return hs
                        """
                )
            ],
            maxPooledStates: 1
        )
        let widget = try Fixtures.live("widget-w.json")
        #expect(try scripts.health(of: widget) == .healthy("nil"))
        #expect(try scripts.health(of: widget) == .healthy("nil"))
    }

    @Test func concurrentRunsUseSeparateStates() async throws {
        let scripts = try LuaHealthScripts(directory: Fixtures.scripts)
        let widget = try Fixtures.object(at: Fixtures.scripts + "/example.com/Widget/testdata/ready.yaml")
        try await withThrowingTaskGroup(of: HealthStatus?.self) { group in
            for _ in 0..<8 { group.addTask { try scripts.health(of: widget) } }
            for try await health in group { #expect(health == .healthy("all 2 parts ready (first: a)")) }
        }
    }

    @Test func directoryLayoutAndWildcards() throws {
        let scripts = try LuaHealthScripts(directory: Fixtures.scripts)
        #expect(
            Set(scripts.scripts.keys) == ["example.com/Widget", "cert-manager.io/Certificate", "*.crossplane.io/*"]
        )
        #expect(
            scripts.script(group: "example.com", kind: "Widget")?.path.hasSuffix("example.com/Widget/health.lua")
                == true
        )
        #expect(
            scripts.script(group: "s3.aws.crossplane.io", kind: "Bucket")?.path.hasSuffix(
                "_.crossplane.io/_/health.lua"
            ) == true
        )
        #expect(scripts.script(group: "crossplane.io", kind: "Bucket") == nil)
        #expect(scripts.script(group: "example.com", kind: "Gadget") == nil)
        #expect(throws: HealthError.self) { try LuaHealthScripts(directory: Fixtures.directory + "/nope") }
    }
}

@Suite struct LuaObjectConversionTests {
    let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, generation: 2, labels: {app: web, tier: front}}
        spec:
          replicas: 3
          template: {spec: {containers: [{name: a, image: img-a}, {name: b, image: img-b}]}}
        status:
          observedGeneration: 2
          conditions: [{type: Available, status: "True"}, {type: Progressing, status: "True"}]
        """

    func run(_ source: String) throws -> HealthStatus? {
        let scripts = LuaHealthScripts(scripts: ["apps/Deployment": LuaScript(path: "d.lua", source: source)])
        return try scripts.health(of: Fixtures.yaml(deployment))
    }

    @Test func everyWayOfReadingTablesSeesTheMembers() throws {
        let health = try run(
            """
            local keys = {}
            for k in pairs(obj.metadata.labels) do keys[#keys + 1] = k end
            table.sort(keys)
            local types = {}
            for i, c in ipairs(obj.status.conditions) do types[i] = c.type end
            local containers = obj.spec.template.spec.containers
            local first = next(obj.status)
            return {status = "Healthy", message = table.concat(keys, ",") .. " " .. table.concat(types, ",") ..
              " " .. #containers .. " " .. table.getn(containers) .. " " .. rawget(containers[2], "image") ..
              " " .. rawlen(obj.status.conditions) .. " " .. select("#", unpack(containers)) ..
              " " .. tostring(first ~= nil) .. " " .. tostring(obj.spec == obj.spec)}
            """
        )
        #expect(health == .healthy("app,tier Available,Progressing 2 2 img-b 2 2 true true"))
    }

    @Test func writesBeforeReadsAreKept() throws {
        let health = try run(
            """
            obj.spec.replicas = 7
            obj.status.extra = "x"
            return {status = "Healthy", message = obj.spec.replicas .. obj.status.extra .. obj.status.observedGeneration}
            """
        )
        #expect(health == .healthy("7x2"))
    }

    @Test func returningAPartOfTheObject() throws {
        let health = try run("return obj.status.conditions[1]")
        #expect(health == .unknown("Lua returned an invalid health status"))
        #expect(
            try run("return {status = 'Healthy', message = getmetatable(obj) == false and 'hidden' or 'visible'}")
                == .healthy("hidden")
        )
    }

    @Test func partsKeptFromAnEarlierRunStayEmpty() throws {
        let scripts = LuaHealthScripts(
            scripts: [
                "apps/Deployment": LuaScript(
                    path: "d.lua",
                    source: """
                        local kept = string.kept
                        string.kept = obj.spec
                        local seen = kept and tostring(kept.replicas) or "none"
                        return {status = "Healthy", message = seen}
                        """
                )
            ],
            maxPooledStates: 1
        )
        let object = try Fixtures.yaml(deployment)
        #expect(try scripts.health(of: object) == .healthy("none"))
        #expect(try scripts.health(of: object) == .healthy("nil"))
    }
}

@Suite struct LuaLimitsOnTheObjectTests {
    /// A large object counts against the memory limit when the script reads it, and the run
    /// fails cleanly instead of crashing.
    @Test func readingAHugeObjectHitsTheMemoryLimit() throws {
        let items: [Value] = (0..<200_000).map { .string("item-\($0)-with-some-padding-text") }
        let object = try Fixtures.live("widget-w.json").with("/spec/items", .array(items))
        let scripts = LuaHealthScripts(
            scripts: [
                "example.com/Widget": LuaScript(
                    path: "big.lua",
                    source: "return {status = 'Healthy', message = tostring(#obj.spec.items)}"
                )
            ],
            limits: LuaLimits(memoryLimit: 1 << 20),
            maxPooledStates: 1
        )
        #expect(throws: HealthError.self) { try scripts.health(of: object) }
        // Not reading the large part costs nothing.
        let small = LuaScript(path: "small.lua", source: "return {status = 'Healthy', message = obj.metadata.name}")
        #expect(try scripts.run(small, on: object) == .healthy("w"))
        let roomy = LuaHealthScripts(
            scripts: [
                "example.com/Widget": LuaScript(
                    path: "big.lua",
                    source: "return {status = 'Healthy', message = tostring(#obj.spec.items)}"
                )
            ])
        #expect(try roomy.health(of: object) == .healthy("200000"))
    }
}
