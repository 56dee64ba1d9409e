import Foundation
import GitSource
import GitTestSupport
import Testing

/// HTTP (basic auth, token), HTTPS with a test CA, and SSH (key file, key in memory,
/// known_hosts) against real servers.
@Suite struct TransportTests {
    let root: TemporaryDirectory
    let cache: GitCache

    init() throws {
        root = try TemporaryDirectory("gitsource-transport")
        cache = try GitCache(directory: root.url.appendingPathComponent("cache"))
    }

    func options(_ credentials: GitCredentials = .none, ca: String? = nil) -> GitSourceOptions {
        GitSourceOptions(credentials: credentials, caBundle: ca, stallTimeout: .seconds(10))
    }

    @Test func httpWithBasicAuth() async throws {
        let repos = root.path + "/repos"
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try FixtureRepository(root: repos, name: "apps", files: ["deploy/a.yaml": "a: 1\n"])
        let head = try repo.head()
        let work = root.path + "/http"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let server = try GitHTTPServer(root: repos, work: work)
        defer { server.stop() }

        let anonymous = try GitSourceProvider(url: server.url("public/apps.git"), options: options(), cache: cache)
        #expect(try await anonymous.latestRevision(.head).commit == head)
        let revision = try await anonymous.resolve(.branch("main"))
        #expect(revision.commit == head)
        let checkout = try await anonymous.materialize(revision, subdirectory: "deploy")
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/a.yaml"))
        // New commits arrive by an incremental fetch.
        let next = try repo.commit(["deploy/b.yaml": "b: 2\n"], message: "more")
        try repo.push()
        #expect(try await anonymous.resolve(.branch("main")).commit == next)

        let privateURL = server.url("private/apps.git")
        let noCredentials = try GitSourceProvider(url: privateURL, options: options(), cache: cache)
        let missing = await #expect(throws: GitSourceError.self) { try await noCredentials.latestRevision(.head) }
        #expect(missing?.isAuthenticationFailure == true, "\(String(describing: missing))")

        let wrong = try GitSourceProvider(
            url: privateURL,
            options: options(.basic(username: GitHTTPServer.user, password: "wrong-Secret-123")),
            cache: cache
        )
        let refused = await #expect(throws: GitSourceError.self) { try await wrong.resolve(.head) }
        #expect(refused?.isAuthenticationFailure == true, "\(String(describing: refused))")
        #expect(refused?.description.contains("wrong-Secret-123") == false)

        let basic = try GitSourceProvider(
            url: privateURL,
            options: options(.basic(username: GitHTTPServer.user, password: GitHTTPServer.password)),
            cache: cache
        )
        #expect(try await basic.resolve(.head).commit == next)
        let token = try GitSourceProvider(
            url: privateURL,
            options: options(.token(GitHTTPServer.password, username: GitHTTPServer.user)),
            cache: cache
        )
        #expect(try await token.latestRevision(.head).commit == next)

        // This server's CA is trusted by no one (each server makes its own): HTTPS is refused.
        let untrusted = try GitSourceProvider(
            url: server.url("public/apps.git", tls: true),
            options: options(),
            cache: cache
        )
        let tlsError = await #expect(throws: GitSourceError.self) { try await untrusted.latestRevision(.head) }
        #expect(tlsError?.isUntrustedServer == true, "\(String(describing: tlsError))")

        // Credentials in the URL are used, and never shown or stored.
        let inURL = server.url("private/apps.git", credentials: "\(GitHTTPServer.user):\(GitHTTPServer.password)")
        let fromURL = try GitSourceProvider(url: inURL, options: options(), cache: cache)
        #expect(!fromURL.url.contains(GitHTTPServer.password))
        #expect(try await fromURL.resolve(.head).commit == next)
        let badURL = server.url("private/apps.git", credentials: "\(GitHTTPServer.user):not-the-Password-42")
        let bad = try GitSourceProvider(url: badURL, options: options(), cache: cache)
        let badError = await #expect(throws: GitSourceError.self) { try await bad.resolve(.head) }
        #expect(badError?.description.contains("not-the-Password-42") == false)
        // Nothing in the cache holds the password.
        let walker = FileManager.default.enumerator(atPath: cache.directory.path)
        while let file = walker?.nextObject() as? String {
            guard let data = FileManager.default.contents(atPath: cache.directory.path + "/" + file) else { continue }
            #expect(
                !String(decoding: data, as: UTF8.self).contains(GitHTTPServer.password),
                "\(file) holds the password"
            )
        }
    }

    @Test func httpsWithTestCA() async throws {
        let repos = root.path + "/repos"
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try FixtureRepository(root: repos, name: "tls")
        let head = try repo.head()
        let work = root.path + "/https"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let server = try GitHTTPServer(root: repos, work: work)
        defer { server.stop() }
        let url = server.url("public/tls.git", tls: true)
        // Trusting this server's test CA (the refusal of an untrusted CA is in httpWithBasicAuth,
        // whose server has a CA of its own that nothing trusts).
        let trusted = try GitSourceProvider(
            url: url,
            options: options(ca: server.certificates.caCertificate),
            cache: cache
        )
        #expect(try await trusted.latestRevision(.head).commit == head)
        let revision = try await trusted.resolve(.head)
        let checkout = try await trusted.materialize(revision)
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/README.md"))
        let privateURL = server.url("private/tls.git", tls: true)
        let auth = try GitSourceProvider(
            url: privateURL,
            options: options(
                .basic(username: GitHTTPServer.user, password: GitHTTPServer.password),
                ca: server.certificates.caCertificate
            ),
            cache: cache
        )
        #expect(try await auth.resolve(.head).commit == head)
    }

    @Test func sshWithKeysAndKnownHosts() async throws {
        let work = root.path + "/ssh"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let repo = try FixtureRepository(root: root.path, name: "secure", files: ["k8s/cm.yaml": "kind: ConfigMap\n"])
        let head = try repo.head()
        let server = try SSHServer(work: work)
        defer { server.stop() }
        let url = server.url(repo.bare)

        let keyFile = GitSourceOptions(
            credentials: .sshKey(
                username: "root",
                privateKeyFile: server.clientKey,
                publicKeyFile: server.clientPublicKey
            ),
            hostKeys: .knownHostsFile(server.knownHosts),
            stallTimeout: .seconds(10)
        )
        let source = try GitSourceProvider(url: url, options: keyFile, cache: cache)
        #expect(try await source.latestRevision(.head).commit == head, "sshd log: \(server.server.log)")
        let revision = try await source.resolve(.branch("main"))
        #expect(revision.commit == head)
        let checkout = try await source.materialize(revision, subdirectory: "k8s")
        #expect(FileManager.default.fileExists(atPath: checkout.directory.path + "/cm.yaml"))

        // scp-style address, key in memory, known_hosts given as text.
        let scp = "root@127.0.0.1:\(repo.bare)"
        _ = scp  // scp-style has no port; the ssh:// form carries it. Same key in memory:
        let inMemory = GitSourceOptions(
            credentials: .sshKey(
                username: "root",
                privateKey: try String(contentsOfFile: server.clientKey, encoding: .utf8)
            ),
            hostKeys: .knownHosts(try String(contentsOfFile: server.knownHosts, encoding: .utf8)),
            stallTimeout: .seconds(10)
        )
        let memory = try GitSourceProvider(url: url, options: inMemory, cache: cache)
        #expect(try await memory.latestRevision(.head).commit == head)

        // A wrong host key is refused; so is a host missing from known_hosts.
        let wrong = try GitSourceProvider(
            url: url,
            options: GitSourceOptions(
                credentials: keyFile.credentials,
                hostKeys: .knownHostsFile(server.wrongKnownHosts),
                stallTimeout: .seconds(10)
            ),
            cache: cache
        )
        let mismatch = await #expect(throws: GitSourceError.self) { try await wrong.latestRevision(.head) }
        #expect(mismatch?.isUntrustedServer == true, "\(String(describing: mismatch))")
        #expect(mismatch?.description.contains("does not match") == true)
        let unknown = try GitSourceProvider(
            url: url,
            options: GitSourceOptions(
                credentials: keyFile.credentials,
                hostKeys: .knownHosts(""),
                stallTimeout: .seconds(10)
            ),
            cache: cache
        )
        let missing = await #expect(throws: GitSourceError.self) { try await unknown.resolve(.head) }
        #expect(missing?.isUntrustedServer == true)

        // An encrypted key with its passphrase; then the same key through ssh-agent.
        let encrypted = work + "/encrypted_key"
        try sh(["ssh-keygen", "-q", "-t", "ecdsa", "-m", "PEM", "-N", "correct horse", "-f", encrypted])
        let authorized = try String(contentsOfFile: work + "/authorized_keys", encoding: .utf8)
        try (authorized + (try String(contentsOfFile: encrypted + ".pub", encoding: .utf8)))
            .write(toFile: work + "/authorized_keys", atomically: true, encoding: .utf8)
        let withPassphrase = try GitSourceProvider(
            url: url,
            options: GitSourceOptions(
                credentials: .sshKey(username: "root", privateKeyFile: encrypted, passphrase: "correct horse"),
                hostKeys: .knownHostsFile(server.knownHosts),
                stallTimeout: .seconds(10)
            ),
            cache: cache
        )
        #expect(try await withPassphrase.latestRevision(.head).commit == head)

        try requireExecutable("/usr/bin/ssh-agent", package: "openssh-client")
        let agentSocket = work + "/agent.sock"
        let agent = try ServerProcess(
            name: "ssh-agent",
            executable: "/usr/bin/ssh-agent",
            arguments: ["-D", "-a", agentSocket],
            logPath: work + "/agent.log"
        )
        defer { agent.stop() }
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: agentSocket) && Date() < deadline { usleep(20_000) }
        try sh(["ssh-add", "-q", server.clientKey], environment: ["SSH_AUTH_SOCK": agentSocket])
        setenv("SSH_AUTH_SOCK", agentSocket, 1)  // libssh2 reads it; only this test uses an agent
        let viaAgent = try GitSourceProvider(
            url: url,
            options: GitSourceOptions(
                credentials: .sshAgent(username: "root"),
                hostKeys: .knownHostsFile(server.knownHosts),
                stallTimeout: .seconds(10)
            ),
            cache: cache
        )
        #expect(try await viaAgent.latestRevision(.head).commit == head)

        // A key the server does not know.
        let otherKey = work + "/other_key"
        try sh(["ssh-keygen", "-q", "-t", "ecdsa", "-m", "PEM", "-N", "", "-f", otherKey])
        let stranger = try GitSourceProvider(
            url: url,
            options: GitSourceOptions(
                credentials: .sshKey(username: "root", privateKeyFile: otherKey),
                hostKeys: .knownHostsFile(server.knownHosts),
                stallTimeout: .seconds(10)
            ),
            cache: cache
        )
        let denied = await #expect(throws: GitSourceError.self) { try await stranger.latestRevision(.head) }
        #expect(denied?.isAuthenticationFailure == true, "\(String(describing: denied))")
    }
}
