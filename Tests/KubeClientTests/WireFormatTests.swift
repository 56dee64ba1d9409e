import Foundation
import Manifests
import Testing

@testable import KubeClient

func fixture(_ name: String) throws -> [UInt8] {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    return Array(try Data(contentsOf: dir.appendingPathComponent(name)))
}

@Suite struct WireFormatTests {
    @Test func statusBecomesKubeError() throws {
        let invalid = KubeError.fromResponse(code: 422, body: try fixture("invalid-422.json"), location: "POST x")
        #expect(invalid.isInvalid && invalid.isAPIError && !invalid.isNotFound)
        #expect(invalid.status?.kind == "Deployment")
        #expect(invalid.status?.causes.contains { $0.field == "spec.selector" } == true)
        let forbidden = KubeError.fromResponse(code: 403, body: try fixture("forbidden-403.json"), location: "GET x")
        #expect(forbidden.isForbidden)
        let unauthorized = KubeError.fromResponse(
            code: 401,
            body: try fixture("unauthorized-401.json"),
            location: "GET x"
        )
        #expect(unauthorized.isUnauthorized && !unauthorized.isForbidden)
        let exists = KubeError.fromResponse(code: 409, body: try fixture("already-exists-409.json"), location: "POST x")
        #expect(exists.isAlreadyExists && !exists.isConflict)
        let plain = KubeError.fromResponse(code: 503, body: Array("upstream down".utf8), location: "GET x")
        #expect(plain.status?.reason == "ServiceUnavailable" && plain.message == "upstream down")
        #expect(!KubeError.transport("refused").isAPIError)
    }

    @Test func watchEventsDecode() throws {
        let lines = try fixture("watch-events.txt").split(separator: 0x0A)
        let events = try lines.map { try WatchEvent(json: $0) }
        #expect(events.map(\.type) == [.added, .modified, .deleted, .bookmark])
        #expect(events[1].object["data"]?["v"]?.stringValue == "2")
        #expect(events[0].object.resourceVersion == "1744")
        let gone = try fixture("watch-gone.txt").split(separator: 0x0A)[0]
        #expect(throws: KubeError.self) { try WatchEvent(json: gone) }
        do { _ = try WatchEvent(json: gone) } catch let e as KubeError { #expect(e.isGone) }
    }

    @Test func discoveryDocumentsMapKinds() throws {
        let aggregated = KubernetesClient.parseAggregated(try Value(json: fixture("apis-aggregated.json")))
        let deploy = aggregated.first { $0.kind == "Deployment" && $0.group == "apps" }
        #expect(deploy?.resource == "deployments" && deploy?.namespaced == true && deploy?.version == "v1")
        #expect(deploy?.subresources.contains("scale") == true)
        let crb = aggregated.first { $0.kind == "ClusterRoleBinding" }
        #expect(crb?.namespaced == false)
        let legacy = KubernetesClient.parseResourceList(
            try Value(json: fixture("api-v1-resourcelist.json")),
            group: "",
            version: "v1"
        )
        let pods = legacy.first { $0.kind == "Pod" }
        #expect(pods?.resource == "pods" && pods?.subresources.contains("status") == true)
        #expect(legacy.first { $0.kind == "Namespace" }?.namespaced == false)
    }

    @Test func percentEncodingOfQueries() {
        #expect(percentEncode("app in (a,b)") == "app%20in%20%28a%2Cb%29")
        #expect(percentEncode("a=b") == "a%3Db")
    }

    @Test func retryDelaysAreCappedAndHonourRetryAfter() {
        let p = RetryPolicy(maxAttempts: 5, initialDelay: 0.5, maxDelay: 2)
        for attempt in 1...8 { #expect(p.delay(attempt: attempt, retryAfter: nil) <= 2) }
        #expect(p.delay(attempt: 1, retryAfter: 3) == 3)
    }
}

@Suite struct KubeconfigTests {
    let first = """
        apiVersion: v1
        kind: Config
        current-context: a
        clusters:
        - name: one
          cluster:
            server: https://one.example:6443
            certificate-authority: ca.pem
            tls-server-name: kubernetes
        users:
        - name: alice
          user:
            token: first-token
        contexts:
        - name: a
          context: {cluster: one, user: alice, namespace: team-a}
        """
    let second = """
        current-context: b
        clusters:
        - name: one
          cluster: {server: https://ignored.example}
        - name: two
          cluster: {server: https://two.example, insecure-skip-tls-verify: true}
        users:
        - name: alice
          user: {token: ignored}
        - name: bob
          user: {username: bob, password: pw}
        - name: plugin
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: get-token
              args: [--cluster, two]
              env: [{name: REGION, value: eu}]
              provideClusterInfo: true
        contexts:
        - name: b
          context: {cluster: two, user: bob}
        - name: p
          context: {cluster: two, user: plugin}
        """

    @Test func mergesLikeKubectl() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try first.write(toFile: dir + "/1", atomically: true, encoding: .utf8)
        try second.write(toFile: dir + "/2", atomically: true, encoding: .utf8)
        try "CA".write(toFile: dir + "/ca.pem", atomically: true, encoding: .utf8)
        let paths = Kubeconfig.defaultPaths(environment: ["KUBECONFIG": "\(dir)/1:\(dir)/missing:\(dir)/2"])
        let config = try Kubeconfig.load(paths: paths)
        #expect(config.currentContext == "a")
        #expect(config.clusters["one"]?.server == "https://one.example:6443")
        #expect(config.clusters["one"]?.certificateAuthority == dir + "/ca.pem")
        let a = try config.resolve()
        #expect(a.server == "https://one.example:6443" && a.namespace == "team-a")
        #expect(a.auth == .token("first-token"))
        #expect(a.tls.certificateAuthority == Array("CA".utf8) && a.tls.serverName == "kubernetes")
        #expect(a.tls.insecureSkipVerify == false)
        let b = try config.resolve(ConfigOverrides(context: "b", namespace: "x"))
        #expect(b.auth == .basic(username: "bob", password: "pw") && b.namespace == "x" && b.tls.insecureSkipVerify)
        let p = try config.resolve(ConfigOverrides(context: "p"))
        guard case .exec(let e) = p.auth else {
            Issue.record("no exec")
            return
        }
        #expect(e.command == "get-token" && e.args == ["--cluster", "two"] && e.provideClusterInfo)
        #expect(throws: KubeError.self) { try config.resolve(ConfigOverrides(context: "nope")) }
    }

    @Test func errorsNameFileAndKey() throws {
        let bad = """
            clusters:
            - name: c
              cluster: {server: https://x, certificate-authority-data: "!!notbase64"}
            """
        do {
            _ = try Kubeconfig(yaml: bad, source: "/tmp/my-config")
            Issue.record("accepted bad base64")
        } catch let e as KubeError {
            #expect(e.location == "/tmp/my-config: clusters[0].cluster.certificate-authority-data")
            #expect(e.isConfigurationError)
        }
        do {
            _ = try Kubeconfig(
                yaml: "users:\n- name: u\n  user:\n    exec: {apiVersion: v9, command: x}\n",
                source: "k"
            )
            Issue.record("accepted exec v9")
        } catch let e as KubeError {
            #expect(e.location == "k: users[0].user.exec.apiVersion")
        }
    }

    @Test func inClusterConfiguration() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "tok\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try "ns1\n".write(toFile: dir + "/namespace", atomically: true, encoding: .utf8)
        let c = try ClientConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: dir
        )
        #expect(c.server == "https://10.0.0.1:443" && c.namespace == "ns1" && c.auth == .tokenFile(dir + "/token"))
        #expect(throws: KubeError.self) { try ClientConfiguration.inCluster(environment: [:], directory: dir) }
    }
}

@Suite struct CredentialTests {
    @Test func tokenFileIsReReadWhenItChanges() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "one\n".write(toFile: path, atomically: true, encoding: .utf8)
        let provider = CredentialProvider(ClientConfiguration(server: "https://x", auth: .tokenFile(path)))
        #expect(try await provider.credentials().authorization == "Bearer one")
        try "two\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: path)
        #expect(try await provider.credentials().authorization == "Bearer two")
    }

    @Test func basicAuthHeader() async throws {
        let provider = CredentialProvider(ClientConfiguration(server: "https://x", auth: .basic(username: "u", password: "p")))
        #expect(try await provider.credentials().authorization == "Basic dTpw")
    }
}
