import Health
import Manifests
import Testing

@Suite struct RegistryTests {
    @Test func precedenceUserThenScriptThenBuiltInThenGeneric() throws {
        let scripts = LuaHealthScripts(scripts: [
            "apps/Deployment": LuaScript(
                path: "deployment.lua",
                source: "return {status = 'Suspended', message = 'from lua'}"
            )
        ])
        let deployment = try Fixtures.live("deployment.json")
        var registry = HealthRegistry(scripts: scripts)
        #expect(
            registry.assess(deployment)
                == HealthAssessment(status: .suspended("from lua"), source: .script("deployment.lua"))
        )
        registry.register(group: "apps", kind: "Deploy*") { object in
            object.name == "web" ? .healthy("from user") : nil
        }
        #expect(registry.assess(deployment) == HealthAssessment(status: .healthy("from user"), source: .registered))
        // A user check that returns nil lets the next layer decide.
        let stuck = try Fixtures.live("deployment-progress-deadline-exceeded.json")
        #expect(registry.assess(stuck)?.source == .script("deployment.lua"))
        registry.scripts = nil
        #expect(registry.assess(stuck)?.source == .builtIn)
        registry.builtInRules = false
        #expect(registry.assess(stuck) == nil)  // no Ready/Reconciling/Stalled, generation observed
        #expect(registry.assess(try stuck.with("/metadata/generation", 2))?.source == .generic)
    }

    @Test func throwingCheckIsUnknown() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "cannot reach the metrics API" } }
        var registry = HealthRegistry()
        registry.register(ClosureHealthCheck { _ in throw Broken() }, group: "", kind: "Service")
        #expect(
            registry.health(of: try Fixtures.live("service-loadbalancer.json"))
                == .unknown("cannot reach the metrics API")
        )
    }

    @Test func scriptErrorIsUnknownWithPathAndLine() throws {
        let scripts = LuaHealthScripts(scripts: [
            "example.com/*": LuaScript(path: "scripts/example.com/_/health.lua", source: "\nerror('boom')")
        ])
        let health = HealthRegistry(scripts: scripts).health(of: try Fixtures.live("widget-w.json"))
        #expect(health == .unknown("scripts/example.com/_/health.lua:2: boom"))
    }

    @Test func deletionIsProgressingUnlessHookFinalizer() throws {
        let deleting = try Fixtures.live("deployment.json").with("/metadata/deletionTimestamp", "2026-11-26T20:00:00Z")
        #expect(
            builtIn.assess(deleting) == HealthAssessment(status: .progressing("Pending deletion"), source: .deletion)
        )
        let hook = try deleting.with("/metadata/finalizers", ["argocd.argoproj.io/hook-finalizer"])
        #expect(builtIn.assess(hook)?.source == .builtIn)
        let configMap = try Fixtures.yaml(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, deletionTimestamp: '2026-11-26T20:00:00Z'}"
        )
        #expect(builtIn.health(of: configMap) == .progressing("Pending deletion"))
    }

    @Test func scriptsSeeDeletingObjectsOnlyWhenAsked() throws {
        var registry = HealthRegistry(scripts: try LuaHealthScripts(directory: Fixtures.scripts))
        let deleting = try Fixtures.live("widget-w.json").with("/metadata/deletionTimestamp", "2026-11-26T20:00:00Z")
        #expect(
            registry.assess(deleting) == HealthAssessment(status: .progressing("Pending deletion"), source: .deletion)
        )
        registry.scriptsSeeDeletingObjects = true
        #expect(registry.health(of: deleting) == .progressing("Widget is being deleted"))
        // Kinds without a script still get the deletion rule first.
        let deployment = try Fixtures.live("deployment.json").with(
            "/metadata/deletionTimestamp",
            "2026-11-26T20:00:00Z"
        )
        #expect(registry.assess(deployment)?.source == .deletion)
    }

    @Test func kindsWithoutHealth() throws {
        #expect(
            builtIn.health(of: try Fixtures.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}"))
                == nil
        )
        #expect(builtIn.health(of: try Fixtures.live("widget-w.json")) == nil)
        #expect(BuiltInHealthCheck.handles(group: "apps", kind: "Deployment"))
        #expect(!BuiltInHealthCheck.handles(group: "", kind: "Deployment"))
    }
}

@Suite struct GenericHealthTests {
    @Test func observedGenerationBehind() throws {
        let widget = try Fixtures.live("widget-w.json")
        let behind = try widget.with("/metadata/generation", 3).with("/status", ["observedGeneration": 2])
        #expect(
            builtIn.health(of: behind) == .progressing("Widget generation is 3, but latest observed generation is 2")
        )
    }

    @Test func conditions() throws {
        let widget = try Fixtures.live("widget-w.json")
        func with(_ conditions: Value) throws -> HealthStatus? {
            builtIn.health(of: try widget.with("/status", ["observedGeneration": 1, "conditions": conditions]))
        }
        #expect(
            try with([["type": "Ready", "status": "True", "reason": "Succeeded", "message": "all parts made"]])
                == .healthy("all parts made")
        )
        #expect(
            try with([["type": "Ready", "status": "False", "reason": "BuildFailed", "message": "part b is missing"]])
                == .degraded("BuildFailed: part b is missing")
        )
        #expect(
            try with([["type": "Ready", "status": "Unknown", "reason": "Progressing"]]) == .progressing("Progressing")
        )
        #expect(
            try with([
                ["type": "Ready", "status": "False"],
                ["type": "Reconciling", "status": "True", "reason": "NewGeneration", "message": "reconciling 2"],
            ]) == .progressing("NewGeneration: reconciling 2")
        )
        #expect(
            try with([
                ["type": "Reconciling", "status": "True"],
                ["type": "Stalled", "status": "True", "reason": "InvalidSpec", "message": "size must be positive"],
            ]) == .degraded("InvalidSpec: size must be positive")
        )
        #expect(try with([["type": "Stalled", "status": "False"], ["type": "Other", "status": "True"]]) == nil)
    }
}

@Suite struct ApplicationHealthTests {
    @Test func worstResourceDecidesAndIsNamed() throws {
        let objects = [
            try Fixtures.live("crd-widgets.json"),
            try Fixtures.live("deployment.json"),
            try Fixtures.live("deployment-progress-deadline-exceeded.json"),
            try Fixtures.live("widget-w.json"),
            try Fixtures.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: fixtures}"),
        ]
        let app = ApplicationHealth(live: objects, registry: builtIn)
        #expect(
            app.status == .degraded("Deployment fixtures/stuck: Deployment \"stuck\" exceeded its progress deadline")
        )
        #expect(app.decidedBy == ResourceKey(group: "apps", kind: "Deployment", namespace: "fixtures", name: "stuck"))
        #expect(app.resources.count == 3)  // the widget and the ConfigMap have no health
    }

    @Test func missingAndHooks() throws {
        let hook = try Fixtures.live("job.json").with("/metadata/annotations", ["argocd.argoproj.io/hook": "PreSync"])
        let helmHook = try Fixtures.live("pod-pending.json").with(
            "/metadata/annotations",
            ["helm.sh/hook": "pre-install"]
        )
        let crd = try Fixtures.live("crd-widgets.json")
        let missing = ResourceKey(group: "", kind: "Service", namespace: "fixtures", name: "web")
        let app = ApplicationHealth(live: [hook, helmHook, crd], missing: [missing], registry: builtIn)
        #expect(app.status.code == .missing)
        #expect(app.decidedBy == missing)
        #expect(ApplicationHealth(live: [hook, crd], registry: builtIn).status == .healthy())
        #expect(ApplicationHealth(live: [], registry: builtIn).status == .healthy())
    }

    @Test func firstOfEquallyBadResourcesDecides() {
        let a = ResourceKey(group: "", kind: "Pod", namespace: "n", name: "a")
        let b = ResourceKey(group: "", kind: "Pod", namespace: "n", name: "b")
        let app = ApplicationHealth(resources: [
            .init(a, .progressing()), .init(b, .progressing("x")), .init(b, .suspended()),
        ])
        #expect(app.decidedBy == a)
        #expect(app.status == .progressing("Pod n/a"))
    }
}

@Suite struct HealthTestRunnerTests {
    @Test func scriptsPassTheirOwnTests() throws {
        let registry = HealthRegistry(scripts: try LuaHealthScripts(directory: Fixtures.scripts))
        let report = try HealthTestRunner(registry: registry).run(directory: Fixtures.scripts)
        #expect(report.summary == "12 passed, 0 failed", "\(report.results.compactMap(\.failure))")
        #expect(try HealthTestRunner.testFiles(under: Fixtures.scripts).count == 3)
    }

    @Test func builtInRulesThroughTheRunner() throws {
        let report = try HealthTestRunner(registry: HealthRegistry()).run(directory: Fixtures.directory + "/builtin")
        #expect(report.summary == "4 passed, 0 failed", "\(report.results.compactMap(\.failure))")
    }

    @Test func failuresAreReported() throws {
        let report = try HealthTestRunner(registry: HealthRegistry()).run(directory: Fixtures.directory + "/failing")
        #expect(report.summary == "1 passed, 3 failed")
        #expect(report.results[0].failure == "expected Healthy \"\", got Progressing \"\"")
        #expect(report.results[1].failure == "expected Progressing \"wrong message\", got Progressing \"\"")
        #expect(report.results[3].failure?.contains("cannot read the input") == true)
    }

    @Test func keysAreMatchedWithoutCase() throws {
        let cases = try HealthTestRunner.cases(inFile: Fixtures.scripts + "/example.com/Widget/health_test.yaml")
        #expect(cases[2].inputPath == "testdata/ready.yaml")
        #expect(cases[2].expectedStatus == "Healthy")
        #expect(cases[2].expectedMessage == "all 2 parts ready (first: a)")
    }
}
