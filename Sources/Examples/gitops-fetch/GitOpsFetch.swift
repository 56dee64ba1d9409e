// gitops-fetch: resolve a reference of a Git repository and materialize it as a read-only
// directory, printing the revision, the commit and the directory.
import ArgumentParser
import Foundation
import GitSource

@main
struct GitOpsFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops-fetch",
        abstract: "Fetch a Git revision into a cache and print its read-only checkout directory."
    )

    @Argument(help: "The repository: https://, ssh://, user@host:path, git://, file:// or a path.")
    var url: String

    @Option(help: "What to check out: a branch, tag, commit SHA, HEAD or full ref name.")
    var ref = "HEAD"

    @Option(help: "A semantic-version range over the tags instead of --ref, such as '^1.2'.")
    var semver: String?

    @Option(help: "Only this subdirectory of the revision.")
    var subdirectory: String?

    @Option(help: "The cache directory.")
    var cache = FileManager.default.temporaryDirectory.appendingPathComponent("gitops-cache").path

    @Option(help: "SSH private key file (with --known-hosts).")
    var sshKey: String?

    @Option(help: "known_hosts file for SSH host-key verification.")
    var knownHosts: String?

    @Flag(help: "Only ask the remote which commit the reference names (no fetch).")
    var latest = false

    func run() async throws {
        var options = GitSourceOptions()
        if let sshKey { options.credentials = .sshKey(privateKeyFile: sshKey) }
        if let knownHosts { options.hostKeys = .knownHostsFile(knownHosts) }
        if let token = ProcessInfo.processInfo.environment["GIT_TOKEN"] { options.credentials = .token(token) }
        do {
            let source = try GitSourceProvider(
                url: url,
                options: options,
                cache: GitCache(directory: URL(fileURLWithPath: cache))
            )
            let reference: SourceReference = semver.map { .semver($0) } ?? .named(ref)
            if latest {
                print(try await source.latestRevision(reference))
                return
            }
            let revision = try await source.resolve(reference)
            let checkout = try await source.materialize(revision, subdirectory: subdirectory)
            print("revision: \(revision)")
            if let commit = checkout.commit {
                print("commit: \(commit.author.name) <\(commit.author.email)> \(commit.date)")
                print("message: \(commit.message.split(separator: "\n").first ?? "")")
            }
            print("directory: \(checkout.directory.path)")
        } catch let error as GitSourceError {
            FileHandle.standardError.write(Data("gitops-fetch: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
