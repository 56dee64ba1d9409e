// gitops-health: the Health module at work.
//
//   gitops-health check deployment.yaml pod.json [--scripts resource_customizations]
//   gitops-health test resource_customizations [--scripts resource_customizations]
import ArgumentParser
import Health
import Manifests

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct GitOpsHealth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-health",
        abstract: "Assess Kubernetes objects' health the way Argo CD does, with built-in rules and Lua health scripts.",
        subcommands: [Check.self, Test.self]
    )
}

struct ScriptOptions: ParsableArguments {
    @Option(name: .long, help: "A directory of Lua health scripts in Argo CD's layout (<group>/<Kind>/health.lua).")
    var scripts: String?

    @Option(name: .long, help: "Time limit of one script run, in seconds.")
    var timeLimit: Double = 1

    func registry() throws -> HealthRegistry {
        guard let scripts else { return HealthRegistry() }
        return HealthRegistry(
            scripts: try LuaHealthScripts(directory: scripts, limits: LuaLimits(timeLimit: timeLimit))
        )
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each object's health: key, status, message (and the rule that decided it)."
    )

    @Argument(help: "YAML or JSON files of objects (a `kind: List` is read item by item).")
    var files: [String]

    @OptionGroup var options: ScriptOptions

    func run() throws {
        let registry = try options.registry()
        var objects: [KubeObject] = []
        for file in files {
            let text = try readText(file)
            for document in try YAML.documents(text, source: file) where !document.value.isNull {
                if let items = document.value["items"]?.arrayValue,
                    document.value["kind"]?.stringValue?.hasSuffix("List") == true
                {
                    objects += try items.map(KubeObject.init)
                } else {
                    objects.append(try KubeObject(document.value))
                }
            }
        }
        for object in objects {
            if let assessment = registry.assess(object) {
                let message = assessment.status.message.isEmpty ? "" : "  \(assessment.status.message)"
                print("\(object.key)  \(assessment.status.code)\(message)  [\(assessment.source)]")
            } else {
                print("\(object.key)  -  (no health for this kind)")
            }
        }
        let app = ApplicationHealth(live: objects, registry: registry)
        print("application: \(app.status)")
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every health_test.yaml under a directory; ends with `N passed, M failed`."
    )

    @Argument(help: "The directory to search for health_test.yaml files.")
    var directory: String

    @OptionGroup var options: ScriptOptions

    func run() throws {
        var options = options
        if options.scripts == nil { options.scripts = directory }
        let report = try HealthTestRunner(registry: options.registry()).run(directory: directory)
        for error in report.fileErrors { print("ERROR \(error)") }
        for result in report.results {
            let name = "\(result.testCase.file): \(result.testCase.inputPath)"
            if let failure = result.failure { print("FAIL \(name): \(failure)") } else { print("ok   \(name)") }
        }
        print(report.summary)
        if report.failed > 0 { throw ExitCode.failure }
    }
}

func readText(_ path: String) throws -> String {
    guard let file = fopen(path, "rb") else {
        throw ValidationError("cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n > 0 { bytes += buffer[0..<n] }
        if n < buffer.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}
