import Foundation
import Testing

@testable import GitSource

@Suite struct SemanticVersionTests {
    func pick(_ range: String, _ tags: [String], pre: Bool = false) throws -> String? {
        let r = try SemanticVersionRange(range)
        return tags.compactMap { t in SemanticVersion(t).map { ($0, t) } }
            .filter { r.contains($0.0, includePrereleases: pre) }
            .max { $0.0 < $1.0 }?.1
    }

    let tags = [
        "v0.9.0", "v1.0.0", "v1.2.0", "v1.2.5", "v1.3.0-rc.1", "v1.3.0", "v1.10.2", "v2.0.0-beta.1", "v2.0.0", "v2.1.0",
    ]

    @Test func ranges() throws {
        #expect(try pick(">=1.2.0 <2.0.0", tags) == "v1.10.2")
        #expect(try pick("~1.2", tags) == "v1.2.5")
        #expect(try pick("~1.2.1", tags) == "v1.2.5")
        #expect(try pick("^1.2", tags) == "v1.10.2")
        #expect(try pick("1.x", tags) == "v1.10.2")
        #expect(try pick("1.2.*", tags) == "v1.2.5")
        #expect(try pick("*", tags) == "v2.1.0")
        #expect(try pick("^0.9", tags) == "v0.9.0")
        #expect(try pick("1.0 - 1.2", tags) == "v1.2.5")
        #expect(try pick("<1.0.0 || >=2.1.0", tags) == "v2.1.0")
        #expect(try pick("=1.3.0", tags) == "v1.3.0")
        #expect(try pick(">= 1.0, < 1.2", tags) == "v1.0.0")
        #expect(try pick(">3", tags) == nil)
    }

    @Test func prereleasesOnlyWhenAsked() throws {
        let only = ["v1.0.0", "v2.0.0-rc.1", "v2.0.0-rc.2"]
        #expect(try pick(">=1.0.0", only) == "v1.0.0")
        #expect(try pick(">=1.0.0", only, pre: true) == "v2.0.0-rc.2")
        #expect(try pick(">=2.0.0-rc.1", only) == "v2.0.0-rc.2")
    }

    @Test func precedence() throws {
        let order = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0",
        ].compactMap(SemanticVersion.init)
        #expect(order.count == 8)
        #expect(order == order.sorted())
        #expect(SemanticVersion("v1.2") == SemanticVersion(major: 1, minor: 2, patch: 0))
        #expect(SemanticVersion("latest") == nil)
        #expect(SemanticVersion("1.2.3.4") == nil)
    }

    @Test func badRangeIsAClearError() {
        #expect(throws: GitSourceError.self) { try SemanticVersionRange(">=one") }
    }
}

@Suite struct RemoteURLTests {
    @Test func credentialsAreMasked() throws {
        let url = try RemoteURL("https://alice:s3cret@git.example.com/team/apps.git/")
        #expect(url.password == "s3cret")
        #expect(!url.url.contains("s3cret"))
        #expect(url.normalized == "https://git.example.com/team/apps")
        #expect(RemoteURL.mask("fetch https://alice:s3cret@host/x failed") == "fetch https://***@host/x failed")
        let error = GitSourceError(.network, "boom", remote: "https://alice:s3cret@host/x")
        #expect(!error.description.contains("s3cret"))
    }

    @Test func secretsStayOutOfDescriptionsAndDumps() {
        let options = GitSourceOptions(credentials: .basic(username: "bob", password: "hunter2-secret"))
        var dumped = ""
        dump(options, to: &dumped)
        #expect(!dumped.contains("hunter2-secret"))
        #expect(!String(describing: options).contains("hunter2-secret"))
        #expect(
            !"\(GitCredentials.sshKey(privateKey: "-----BEGIN KEY-----abc", passphrase: "pw-123"))".contains("pw-123")
        )
    }

    @Test func scpStyleAndNormalization() throws {
        let scp = try RemoteURL("git@GitHub.com:team/apps.git")
        #expect(scp.transport == .ssh)
        #expect(scp.host == "github.com")
        #expect(scp.username == "git")
        let a = try RemoteURL("https://GIT.example.com/team/apps.git")
        let b = try RemoteURL("https://git.example.com/team/apps")
        #expect(a.cacheKey == b.cacheKey)
        #expect(throws: GitSourceError.self) { try RemoteURL("ftp://host/x") }
    }

    @Test func knownHostsHashedAndPorts() throws {
        let key: [UInt8] = Array("AAAAkey".utf8)
        let b64 = Data(key).base64EncodedString()
        // |1|salt|HMAC-SHA1(salt, "[127.0.0.1]:2222")
        let salt: [UInt8] = Array(0..<20)
        let mac = HMACSHA1.mac(key: salt, message: Array("[127.0.0.1]:2222".utf8))
        let hashed = "|1|\(Data(salt).base64EncodedString())|\(Data(mac).base64EncodedString()) ssh-ed25519 \(b64)"
        let hosts = KnownHosts(text: hashed + "\nexample.com,other.com ssh-ed25519 \(b64)\n")
        #expect(hosts.verify(host: "127.0.0.1", port: 2222, key: key) == .trusted)
        #expect(hosts.verify(host: "127.0.0.1", port: 22, key: key) == .unknown)
        #expect(hosts.verify(host: "other.com", port: 22, key: key) == .trusted)
        #expect(hosts.verify(host: "other.com", port: 22, key: [1, 2]) == .mismatch)
        // SHA-1 of "abc"
        #expect(
            HMACSHA1.sha1(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
                == "a9993e364706816aba3e25717850c26c9cd0d89d"
        )
    }
}
