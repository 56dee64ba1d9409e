import Foundation
import GitTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A test certificate authority and a server certificate for 127.0.0.1, made with openssl.
struct TestCertificates {
    let caCertificate: String
    let serverCertificate: String
    let serverKey: String

    init(directory: String) throws {
        try requireExecutable("/usr/bin/openssl", package: "openssl")
        caCertificate = directory + "/ca.pem"
        serverCertificate = directory + "/server.pem"
        serverKey = directory + "/server.key"
        let caKey = directory + "/ca.key"
        let csr = directory + "/server.csr"
        let ext = directory + "/server.ext"
        try sh([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caCertificate,
            "-days", "2", "-subj", "/CN=swift-gitops test CA",
        ])
        try sh([
            "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", serverKey, "-out", csr, "-subj",
            "/CN=127.0.0.1",
        ])
        try "subjectAltName=DNS:127.0.0.1,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        try sh([
            "openssl", "x509", "-req", "-in", csr, "-CA", caCertificate, "-CAkey", caKey, "-CAcreateserial",
            "-out", serverCertificate, "-days", "2", "-extfile", ext,
        ])
    }
}

/// `git http-backend` behind nginx and fcgiwrap: `/public/<repo>.git` for anyone,
/// `/private/<repo>.git` behind basic auth; plain HTTP on `port`, HTTPS on `tlsPort`.
final class GitHTTPServer: @unchecked Sendable {
    let port: Int
    let tlsPort: Int
    let certificates: TestCertificates
    let nginx: ServerProcess
    let fcgiwrap: ServerProcess
    static let user = "deployer"
    static let password = "pa55-w0rd-secret"

    init(root: String, work: String) throws {
        try requireExecutable("/usr/sbin/nginx", package: "nginx")
        try requireExecutable("/usr/sbin/fcgiwrap", package: "fcgiwrap")
        try requireExecutable("/usr/lib/git-core/git-http-backend", package: "git")
        certificates = try TestCertificates(directory: work)
        let socket = work + "/fcgi.sock"
        fcgiwrap = try ServerProcess(
            name: "fcgiwrap",
            executable: "/usr/sbin/fcgiwrap",
            arguments: ["-s", "unix:" + socket],
            logPath: work + "/fcgiwrap.log"
        )
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: socket) && Date() < deadline { usleep(20_000) }
        let hash = try sh(["openssl", "passwd", "-apr1", Self.password]).trimmingCharacters(in: .whitespacesAndNewlines)
        try "\(Self.user):\(hash)\n".write(toFile: work + "/htpasswd", atomically: true, encoding: .utf8)
        port = try freePort()
        tlsPort = try freePort()
        let backend = """
                    fastcgi_pass unix:\(socket);
                    fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
                    fastcgi_param GIT_PROJECT_ROOT \(root);
                    fastcgi_param GIT_HTTP_EXPORT_ALL "";
                    fastcgi_param PATH_INFO $1;
                    fastcgi_param QUERY_STRING $query_string;
                    fastcgi_param REQUEST_METHOD $request_method;
                    fastcgi_param CONTENT_TYPE $content_type;
                    fastcgi_param CONTENT_LENGTH $content_length;
                    fastcgi_param REMOTE_USER $remote_user;
                    fastcgi_param REMOTE_ADDR $remote_addr;
                    fastcgi_param SERVER_PROTOCOL $server_protocol;
                    fastcgi_param GIT_CONFIG_NOSYSTEM 1;
                    fastcgi_param HOME \(work);
            """
        let config = """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes 1;
            daemon off;
            pid \(work)/nginx.pid;
            error_log \(work)/nginx-error.log warn;
            events { worker_connections 128; }
            http {
                access_log off;
                client_body_temp_path \(work)/body;
                fastcgi_temp_path \(work)/fastcgi;
                proxy_temp_path \(work)/proxy;
                uwsgi_temp_path \(work)/uwsgi;
                scgi_temp_path \(work)/scgi;
                client_max_body_size 0;
                server {
                    listen 127.0.0.1:\(port);
                    listen 127.0.0.1:\(tlsPort) ssl;
                    ssl_certificate \(certificates.serverCertificate);
                    ssl_certificate_key \(certificates.serverKey);
                    location ~ ^/public(/.*)$ {
            \(backend)
                    }
                    location ~ ^/private(/.*)$ {
                        auth_basic "git";
                        auth_basic_user_file \(work)/htpasswd;
            \(backend)
                    }
                }
            }
            """
        try config.write(toFile: work + "/nginx.conf", atomically: true, encoding: .utf8)
        nginx = try ServerProcess(
            name: "nginx",
            executable: "/usr/sbin/nginx",
            arguments: ["-p", work, "-e", work + "/nginx-error.log", "-c", work + "/nginx.conf"],
            logPath: work + "/nginx.log"
        )
        try waitForPort(port, process: nginx.process, name: "nginx")
        try waitForPort(tlsPort, process: nginx.process, name: "nginx (TLS)")
    }

    func url(_ path: String, tls: Bool = false, credentials: String? = nil) -> String {
        (tls ? "https://" : "http://") + (credentials.map { $0 + "@" } ?? "")
            + "127.0.0.1:\(tls ? tlsPort : port)/\(path)"
    }

    func stop() {
        nginx.stop()
        fcgiwrap.stop()
    }
}

/// OpenSSH's `sshd` on a loopback port: root logs in with a test key listed in a custom
/// AuthorizedKeysFile; the host key is ECDSA.
final class SSHServer: @unchecked Sendable {
    let port: Int
    let server: ServerProcess
    let clientKey: String
    let clientPublicKey: String
    let knownHosts: String
    let wrongKnownHosts: String
    let pidFile: String

    init(work: String) throws {
        try requireExecutable("/usr/sbin/sshd", package: "openssh-server")
        try requireExecutable("/usr/bin/ssh-keygen", package: "openssh-client")
        guard getuid() == 0 else { throw HarnessError("the SSH test needs root (sshd changes user)") }
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        pidFile = work + "/sshd.pid"
        let hostKey = work + "/host_ecdsa"
        let otherHostKey = work + "/other_host_ecdsa"
        clientKey = work + "/client_key"
        clientPublicKey = clientKey + ".pub"
        try sh(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", hostKey])
        try sh(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", otherHostKey])
        try sh(["ssh-keygen", "-q", "-t", "ecdsa", "-m", "PEM", "-N", "", "-C", "gitsource-test", "-f", clientKey])
        try FileManager.default.copyItem(atPath: clientPublicKey, toPath: work + "/authorized_keys")
        let port = try freePort()
        self.port = port
        func entry(_ publicKeyFile: String) throws -> String {
            let fields = try String(contentsOfFile: publicKeyFile, encoding: .utf8).split(separator: " ")
            return "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
        }
        knownHosts = work + "/known_hosts"
        wrongKnownHosts = work + "/wrong_known_hosts"
        try entry(hostKey + ".pub").write(toFile: knownHosts, atomically: true, encoding: .utf8)
        try entry(otherHostKey + ".pub").write(toFile: wrongKnownHosts, atomically: true, encoding: .utf8)
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(work)/sshd.pid
            AuthorizedKeysFile \(work)/authorized_keys
            StrictModes no
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            LogLevel ERROR
            """
        try config.write(toFile: work + "/sshd_config", atomically: true, encoding: .utf8)
        server = try ServerProcess(
            name: "sshd",
            executable: "/usr/sbin/sshd",
            arguments: ["-D", "-e", "-f", work + "/sshd_config"],
            logPath: work + "/sshd.log",
            shielded: true
        )
        try waitForPort(port, process: server.process, name: "sshd")
    }

    func url(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
        server.stop()
    }

    deinit { stop() }
}
