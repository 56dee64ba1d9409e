// gitops-render: render a directory of manifests and print the stream, or every error as
// `file:line:column: message` with a non-zero exit.
import ArgumentParser
import Manifests

@main
struct GitOpsRender: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-render",
        abstract: "Render a directory of Kubernetes manifests (.yaml, .yml, .json)."
    )

    enum Format: String, ExpressibleByArgument { case yaml, json }

    @Argument(help: "The directory to render.")
    var directory: String

    @Option(help: "Output format: yaml or json (a List).")
    var output: Format = .yaml

    @Option(help: "Only read files matching this glob (repeatable).")
    var include: [String] = []

    @Option(help: "Skip files matching this glob (repeatable).")
    var exclude: [String] = []

    @Flag(help: "Read only the directory itself, not its subdirectories.")
    var noRecursive = false

    func run() async throws {
        do {
            let renderer = DirectoryRenderer(
                recursive: !noRecursive,
                include: try include.map(GlobPattern.init),
                exclude: try exclude.map(GlobPattern.init)
            )
            let objects = try await renderer.render(RenderInput(directory: directory))
            switch output {
            case .yaml:
                print(YAML.string(documents: objects.map(\.value)), terminator: "")
            case .json:
                let list: Value = ["apiVersion": "v1", "kind": "List", "items": .array(objects.map(\.value))]
                print(try list.jsonString(JSONWriteOptions(indent: 2)))
            }
        } catch let error as ManifestErrors {
            for e in error.errors { printError(e.description) }
            throw ExitCode(1)
        } catch let error as ManifestError {
            printError(error.description)
            throw ExitCode(1)
        }
    }

    private func printError(_ line: String) {
        var stderr = StandardError()
        print(line, to: &stderr)
    }
}
