import EmbeddedCluster
import Foundation
import GitTestSupport
import Manifests
import Testing

@testable import KubeClient

/// Runs a program to completion (bounded), throwing with its output when it fails.
@discardableResult
func run(_ args: [String], in dir: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard p.terminationStatus == 0 else { throw TestFailure("\(args.joined(separator: " ")) failed: \(text)") }
    return text
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A CA, a server certificate for 127.0.0.1 and `kube.test`, a client certificate, an unrelated CA;
/// nginx terminating TLS in front of an embedded cluster on two ports: one asking for a bearer
/// token, one requiring a client certificate.
final class TLSFixture {
    let dir: String
    let cluster: EmbeddedCluster
    let tokenPort: Int
    let mtlsPort: Int
    let nginx: Process

    static func start() async throws -> TLSFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        for ca in ["ca", "other-ca"] {
            try run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(ca)",
                    "-keyout", "\(ca).key", "-out", "\(ca).crt",
                ],
                in: dir
            )
        }
        try "subjectAltName=IP:127.0.0.1,DNS:kube.test\n".write(
            toFile: dir + "/server.ext",
            atomically: true,
            encoding: .utf8
        )
        try run(
            [
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=server", "-keyout", "server.key",
                "-out", "server.csr",
            ],
            in: dir
        )
        try run(
            [
                "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "server.ext", "-out", "server.crt",
            ],
            in: dir
        )
        try run(
            [
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=tester/O=system:masters", "-keyout",
                "client.key", "-out", "client.csr",
            ],
            in: dir
        )
        try run(
            [
                "openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", "client.crt",
            ],
            in: dir
        )

        let cluster = try await EmbeddedCluster.start(.init(threads: 1))
        let tokenPort = try freePort()
        let mtlsPort = try freePort()
        let proxy = """
                location / {
                    proxy_pass \(cluster.url);
                    proxy_http_version 1.1;
                    proxy_buffering off;
                    proxy_read_timeout 600s;
                }
            """
        let conf = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/logs/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                ssl_certificate \(dir)/server.crt;
                ssl_certificate_key \(dir)/server.key;
                server {
                    listen 127.0.0.1:\(tokenPort) ssl http2;
                    if ($http_authorization != "Bearer s3cret") { return 401; }
            \(proxy)
                }
                server {
                    listen 127.0.0.1:\(mtlsPort) ssl http2;
                    ssl_client_certificate \(dir)/ca.crt;
                    ssl_verify_client on;
            \(proxy)
                }
            }
            """
        try conf.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-p", dir, "-c", dir + "/nginx.conf"]
        nginx.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: dir + "/logs/stderr.log", contents: nil)
        nginx.standardError = FileHandle(forWritingAtPath: dir + "/logs/stderr.log")
        try nginx.run()
        let fixture = TLSFixture(dir: dir, cluster: cluster, tokenPort: tokenPort, mtlsPort: mtlsPort, nginx: nginx)
        // Wait (bounded) until nginx listens.
        for _ in 0..<100 {
            if connects(mtlsPort) { return fixture }
            if !nginx.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        await fixture.stop()
        throw TestFailure(
            "nginx did not start: \((try? String(contentsOfFile: dir + "/logs/stderr.log", encoding: .utf8)) ?? "")"
        )
    }

    static func connects(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    init(dir: String, cluster: EmbeddedCluster, tokenPort: Int, mtlsPort: Int, nginx: Process) {
        self.dir = dir
        self.cluster = cluster
        self.tokenPort = tokenPort
        self.mtlsPort = mtlsPort
        self.nginx = nginx
    }

    func file(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: dir + "/" + name) ?? Data()) }

    func stop() async {
        if nginx.isRunning {
            // nginx without a master process ignores SIGTERM while it has connections.
            kill(nginx.processIdentifier, SIGKILL)
            nginx.waitUntilExit()
        }
        try? await cluster.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func client(
        port: Int,
        host: String = "127.0.0.1",
        configure: (inout ClientConfiguration) -> Void
    ) -> KubernetesClient {
        var c = ClientConfiguration(server: "https://\(host):\(port)")
        c.retry = RetryPolicy(maxAttempts: 1)
        configure(&c)
        return KubernetesClient(configuration: c)
    }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct TLSTests {
    @Test func verificationTokenServerNameAndMutualTLS() async throws {
        let f = try await TLSFixture.start()
        do {
            try await checks(f)
        } catch {
            await f.stop()
            throw error
        }
        await f.stop()
    }

    func checks(_ f: TLSFixture) async throws {
        // Right CA and token: through nginx to the cluster, over HTTP/2.
        let ok = f.client(port: f.tokenPort) {
            $0.tls.certificateAuthority = f.file("ca.crt")
            $0.auth = .token("s3cret")
        }
        #expect(try await ok.getJSON("/version")["gitVersion"] != nil)
        _ = try await ok.create(cm("over-tls"), options: WriteOptions())
        #expect(try await ok.get(configMap, name: "over-tls", namespace: "default").name == "over-tls")

        // The transport negotiates HTTP/2 when the server offers it over TLS.
        let raw = try await CurlTransport.shared.send(
            HTTPRequest(
                method: "GET", url: "https://127.0.0.1:\(f.tokenPort)/version",
                headers: [("Authorization", "Bearer s3cret")], tls: TLSOptions(certificateAuthority: f.file("ca.crt"))))
        #expect(raw.head.status == 200 && raw.head.httpVersion == "2")

        // Wrong token: the proxy's 401 is an API error, not a transport one.
        let badToken = f.client(port: f.tokenPort) {
            $0.tls.certificateAuthority = f.file("ca.crt")
            $0.auth = .token("nope")
        }
        do {
            _ = try await badToken.getJSON("/version")
            Issue.record("wrong token accepted")
        } catch let e as KubeError { #expect(e.isUnauthorized) }

        // Wrong CA: verification fails with a clear transport error.
        let wrongCA = f.client(port: f.tokenPort) {
            $0.tls.certificateAuthority = f.file("other-ca.crt")
            $0.auth = .token("s3cret")
        }
        do {
            _ = try await wrongCA.getJSON("/version")
            Issue.record("untrusted certificate accepted")
        } catch let e as KubeError {
            #expect(e.isTransportError)
            #expect(e.message.contains("certificate"))
        }

        // insecure-skip-tls-verify, only when asked.
        let insecure = f.client(port: f.tokenPort) {
            $0.tls.insecureSkipVerify = true
            $0.auth = .token("s3cret")
        }
        #expect(try await insecure.getJSON("/version")["gitVersion"] != nil)

        // tls-server-name: connect to "localhost" (not in the certificate), verify as kube.test.
        let named = f.client(port: f.tokenPort, host: "localhost") {
            $0.tls.certificateAuthority = f.file("ca.crt")
            $0.tls.serverName = "kube.test"
            $0.auth = .token("s3cret")
        }
        #expect(try await named.getJSON("/version")["gitVersion"] != nil)
        let unnamed = f.client(port: f.tokenPort, host: "localhost") {
            $0.tls.certificateAuthority = f.file("ca.crt")
            $0.auth = .token("s3cret")
        }
        await #expect(throws: KubeError.self) { try await unnamed.getJSON("/version") }

        // Mutual TLS: refused without a client certificate, served with one.
        let noCert = f.client(port: f.mtlsPort) { $0.tls.certificateAuthority = f.file("ca.crt") }
        do {
            _ = try await noCert.getJSON("/version")
            Issue.record("served without a client certificate")
        } catch let e as KubeError { #expect(e.httpStatus == 400 || e.isTransportError) }

        // A kubeconfig with inline data, as kubectl writes it.
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:\(f.mtlsPort)
                certificate-authority-data: \(Data(f.file("ca.crt")).base64EncodedString())
            users:
            - name: u
              user:
                client-certificate: \(f.dir)/client.crt
                client-key-data: \(Data(f.file("client.key")).base64EncodedString())
            contexts:
            - name: c
              context: {cluster: c, user: u}
            """
        let mtls = KubernetesClient(configuration: try Kubeconfig(yaml: kubeconfig).resolve())
        let list = try await mtls.list(configMap, namespace: "default", options: ListOptions())
        #expect(list.items.contains { $0.name == "over-tls" })
        // A watch streams through TLS and nginx too.
        let events = mtls.watch(
            configMap,
            namespace: "default",
            options: WatchOptions(resourceVersion: list.resourceVersion)
        )
        _ = try await ok.create(cm("streamed"), options: WriteOptions())
        for try await e in events where e.type == .added {
            #expect(e.object.name == "streamed")
            break
        }
    }
}
