// gitops-render: render a directory of manifests and print the stream, or every error as
// `file:line:column: message` with a non-zero exit. SOPS-encrypted manifests are decrypted
// with age keys found as `sops` finds them, or from --age-key-file.
import ArgumentParser
import Manifests
import SOPS

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

    @Option(
        help: """
            An age keys file for SOPS-encrypted manifests (repeatable). Without it, keys come from \
            SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and ~/.config/sops/age/keys.txt, as sops finds them.
            """
    )
    var ageKeyFile: [String] = []

    func run() async throws {
        do {
            let renderer = DirectoryRenderer(
                recursive: !noRecursive,
                include: try include.map(GlobPattern.init),
                exclude: try exclude.map(GlobPattern.init)
            )
            let decrypting = DecryptingRenderer(
                wrapping: renderer,
                decryptor: SOPSDecryptor(keyProviders: [ageKeys()])
            )
            let objects = try await decrypting.render(RenderInput(directory: directory))
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
        } catch let error as SOPSError {
            printError(error.description)
            throw ExitCode(1)
        }
    }

    /// The age keys: the files named, or those `sops` would find. A key that cannot be read is an
    /// error only when an encrypted manifest needs a key.
    private func ageKeys() -> any KeyProvider {
        do {
            return ageKeyFile.isEmpty ? try AgeKeyProvider.discover() : try AgeKeyProvider(keyFiles: ageKeyFile)
        } catch {
            return ClosureKeyProvider { _ in throw error }
        }
    }

    private func printError(_ line: String) {
        var stderr = StandardError()
        print(line, to: &stderr)
    }
}
