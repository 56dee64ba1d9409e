import Foundation
import Testing

@testable import KubeClient

/// Printing or dumping a configuration never shows a credential.
@Suite struct RedactionTests {
    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://k.example:6443"}}]
        contexts:
        - {name: token, context: {cluster: c, user: token}}
        - {name: basic, context: {cluster: c, user: basic}}
        - {name: exec, context: {cluster: c, user: exec}}
        current-context: token
        users:
        - name: token
          user:
            token: s3cr3t-token-value
            client-certificate-data: Q0VSVElGSUNBVEU=
            client-key-data: UFJJVkFURS1LRVktQllURVM=
        - name: basic
          user: {username: admin, password: hunter2-password}
        - name: exec
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: get-token
              args: [--cluster, c]
              env: [{name: API_KEY, value: env-secret-value}]
        """

    static let secrets = ["s3cr3t-token-value", "hunter2-password", "env-secret-value", "PRIVATE-KEY-BYTES"]

    func texts(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    @Test(arguments: ["token", "basic", "exec"])
    func configurationShowsNoSecret(_ context: String) throws {
        let file = try Kubeconfig(yaml: Self.kubeconfig)
        let config = try file.resolve(ConfigOverrides(context: context))
        for text in texts(config) + texts(file) + texts(config.tls) + texts(config.auth) {
            for secret in Self.secrets { #expect(!text.contains(secret), "\(secret) in \(text)") }
            // The key's bytes, as the array of numbers a default description would print.
            #expect(!text.contains("80, 82, 73, 86, 65, 84, 69"), "key bytes in \(text)")
        }
    }

    @Test func descriptionsSayWhatKindOfCredential() throws {
        let file = try Kubeconfig(yaml: Self.kubeconfig)
        #expect("\(try file.resolve(ConfigOverrides(context: "token")).auth)" == "token(***)")
        #expect("\(try file.resolve(ConfigOverrides(context: "basic")).auth)" == "basic(admin, ***)")
        #expect("\(try file.resolve(ConfigOverrides(context: "exec")).auth)" == "exec(get-token)")
        let tls = try file.resolve(ConfigOverrides(context: "token")).tls
        #expect("\(tls)".contains("clientKey: ***"))
        #expect(
            file.users["token"].map { "\($0)" }?.hasPrefix("User(token(***), client-certificate, client-key(***)")
                == true
        )
    }
}
