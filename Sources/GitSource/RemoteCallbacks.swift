internal import CGit2
import Foundation
import Synchronization

/// What libgit2's remote callbacks need: credentials, host-key policy, the monitor; and
/// what they found out, to turn libgit2's error into an actionable one.
final class RemoteSession: Sendable {
    let remote: RemoteURL
    let options: GitSourceOptions
    let monitor: TransferMonitor

    private struct Findings {
        var credentialAttempts = 0
        var failure: GitSourceError?
    }
    private let findings = Mutex(Findings())

    init(remote: RemoteURL, options: GitSourceOptions) {
        self.remote = remote
        self.options = options
        self.monitor = TransferMonitor(stallTimeout: options.stallTimeout)
    }

    var failure: GitSourceError? { findings.withLock { $0.failure } }

    private func record(_ error: GitSourceError) {
        findings.withLock { if $0.failure == nil { $0.failure = error } }
    }

    /// Fills libgit2's callbacks with this session as payload; the session must outlive them.
    func callbacks() -> git_remote_callbacks {
        var cbs = git_remote_callbacks()
        _ = cgit2_remote_callbacks_init(&cbs)
        cbs.payload = Unmanaged.passUnretained(self).toOpaque()
        cbs.credentials = { out, url, usernameFromURL, allowed, payload in
            guard let payload, let out else { return -1 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.credential(out, usernameFromURL.map { String(cString: $0) }, allowed)
        }
        cbs.certificate_check = { cert, valid, host, payload in
            guard let payload, let cert else { return -1 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.checkCertificate(cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
        cbs.transfer_progress = { _, payload in
            guard let payload else { return 0 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            session.monitor.touch()
            return session.monitor.abortReason == nil ? 0 : -1
        }
        cbs.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            session.monitor.touch()
            return session.monitor.abortReason == nil ? 0 : -1
        }
        return cbs
    }

    private func credential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        _ usernameFromURL: String?,
        _ allowed: UInt32
    ) -> Int32 {
        let attempt = findings.withLock { f -> Int in
            f.credentialAttempts += 1
            return f.credentialAttempts
        }
        let masked = RemoteURL.mask(remote.url)
        // libgit2 asks again after a refusal; the SSH user-name step asks first.
        if attempt > 3 {
            record(
                GitSourceError(
                    .authentication,
                    "the server refused the credentials (\(options.credentials))",
                    remote: masked
                )
            )
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), "authentication failed")
            return GIT_EAUTH.rawValue
        }
        func has(_ t: git_credential_t) -> Bool { allowed & t.rawValue != 0 }
        var rc: Int32 = GIT_PASSTHROUGH.rawValue
        switch options.credentials.storage {
        case .basic(let user, let password) where has(GIT_CREDENTIAL_USERPASS_PLAINTEXT):
            if attempt > 1 {
                record(
                    GitSourceError(
                        .authentication,
                        "the server refused the credentials (\(options.credentials))",
                        remote: masked
                    )
                )
                return GIT_EAUTH.rawValue
            }
            rc = git_credential_userpass_plaintext_new(out, user, password)
        case .none where has(GIT_CREDENTIAL_USERPASS_PLAINTEXT) && remote.password != nil:
            if attempt > 1 {
                record(GitSourceError(.authentication, "the server refused the credentials in the URL", remote: masked))
                return GIT_EAUTH.rawValue
            }
            rc = git_credential_userpass_plaintext_new(out, remote.username ?? "", remote.password ?? "")
        case .sshKeyFile(let user, _, _, _) where has(GIT_CREDENTIAL_USERNAME):
            rc = git_credential_username_new(out, usernameFromURL ?? remote.username ?? user)
        case .sshKeyMemory(let user, _, _, _) where has(GIT_CREDENTIAL_USERNAME):
            rc = git_credential_username_new(out, usernameFromURL ?? remote.username ?? user)
        case .sshAgent(let user) where has(GIT_CREDENTIAL_USERNAME):
            rc = git_credential_username_new(out, usernameFromURL ?? remote.username ?? user)
        case .sshKeyFile(let user, let key, let publicKey, let passphrase) where has(GIT_CREDENTIAL_SSH_KEY):
            if attempt > 2 { return refused(masked) }
            rc = git_credential_ssh_key_new(out, usernameFromURL ?? user, publicKey, key, passphrase)
        case .sshKeyMemory(let user, let key, let publicKey, let passphrase)
        where has(GIT_CREDENTIAL_SSH_MEMORY) || has(GIT_CREDENTIAL_SSH_KEY):
            if attempt > 2 { return refused(masked) }
            rc = git_credential_ssh_key_memory_new(out, usernameFromURL ?? user, publicKey, key, passphrase)
        case .sshAgent(let user) where has(GIT_CREDENTIAL_SSH_KEY):
            if attempt > 2 { return refused(masked) }
            rc = git_credential_ssh_key_from_agent(out, usernameFromURL ?? user)
        default:
            record(
                GitSourceError(
                    .authentication,
                    "the server asked for credentials that are not configured (have: \(options.credentials))",
                    remote: masked
                )
            )
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), "authentication required")
            return GIT_EAUTH.rawValue
        }
        if rc < 0 {
            let (message, _) = LibGit2.lastErrorMessage(rc)
            record(GitSourceError(.authentication, "cannot use the configured credentials: \(message)", remote: masked))
        }
        return rc
    }

    private func refused(_ masked: String) -> Int32 {
        record(
            GitSourceError(
                .authentication,
                "the server refused the credentials (\(options.credentials))",
                remote: masked
            )
        )
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), "authentication failed")
        return GIT_EAUTH.rawValue
    }

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Bool, host: String) -> Int32 {
        let masked = RemoteURL.mask(remote.url)
        if cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 {
            let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self)
            let policy = options.hostKeys
            if case .acceptAny = policy.storage { return 0 }
            guard hostkey.pointee.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0,
                let raw = hostkey.pointee.hostkey, hostkey.pointee.hostkey_len > 0
            else {
                record(
                    GitSourceError(.hostKey, "the SSH server's host key could not be read; refusing it", remote: masked)
                )
                return -1
            }
            let key = Array(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self),
                    count: hostkey.pointee.hostkey_len
                )
            )
            let text: String
            let source: String
            switch policy.storage {
            case .knownHostsFile(let path):
                source = path
                text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            case .knownHosts(let lines):
                source = "the known_hosts given"
                text = lines
            case .acceptAny:
                return 0
            }
            let port = remote.port ?? 22
            let verdict = KnownHosts(text: text).verify(host: remote.host ?? host, port: port, key: key)
            let fingerprint = Data(HMACSHA1.sha1(key)).base64EncodedString()
            switch verdict {
            case .trusted:
                return 0
            case .mismatch:
                record(
                    GitSourceError(
                        .hostKey,
                        "the SSH host key of \(host):\(port) does not match \(source) (SHA1 fingerprint \(fingerprint)); refusing the connection",
                        remote: masked
                    )
                )
            case .unknown:
                record(
                    GitSourceError(
                        .hostKey,
                        "the SSH host \(host):\(port) is not in \(source); add its key (ssh-keyscan -p \(port) \(host)) to trust it",
                        remote: masked
                    )
                )
            case .revoked:
                record(
                    GitSourceError(
                        .hostKey,
                        "the SSH host key of \(host):\(port) is revoked in \(source)",
                        remote: masked
                    )
                )
            }
            git_error_set_str(Int32(GIT_ERROR_SSH.rawValue), "host key verification failed")
            return GIT_ECERTIFICATE.rawValue
        }
        if !valid {
            record(
                GitSourceError(
                    .certificate,
                    "the TLS certificate of \(host) is not trusted; give the issuing CA as caBundle",
                    remote: masked
                )
            )
        }
        return GIT_PASSTHROUGH.rawValue
    }

    /// Runs a libgit2 network call on this thread under the monitor, and turns a failure
    /// into an actionable error.
    func perform(_ what: String, _ body: () -> Int32) throws {
        let rc = monitor.run(body)
        guard rc < 0 else { return }
        throw error(for: rc, what)
    }

    func error(for rc: Int32, _ what: String) -> GitSourceError {
        let masked = RemoteURL.mask(remote.url)
        switch monitor.abortReason {
        case .stalled?:
            return GitSourceError(
                .timeout,
                "\(what) stopped: no progress for \(monitor.stallMilliseconds) ms (stall timeout)",
                remote: masked
            )
        case .cancelled?:
            return GitSourceError(.cancelled, "\(what) cancelled", remote: masked)
        case nil:
            break
        }
        if let failure { return failure }
        var (message, klass) = LibGit2.lastErrorMessage(rc)
        for secret in options.credentials.secrets + [remote.password].compactMap({ $0 }) where !secret.isEmpty {
            message = message.replacingOccurrences(of: secret, with: "***")
        }
        message = RemoteURL.mask(message)
        if rc == GIT_EAUTH.rawValue || message.contains("401") || message.lowercased().contains("authentication") {
            return GitSourceError(.authentication, "\(what): authentication failed: \(message)", remote: masked)
        }
        if rc == GIT_ECERTIFICATE.rawValue || klass == Int32(GIT_ERROR_SSL.rawValue) {
            return GitSourceError(.certificate, "\(what): TLS failed: \(message)", remote: masked)
        }
        if klass == Int32(GIT_ERROR_NET.rawValue) || klass == Int32(GIT_ERROR_SSH.rawValue)
            || klass == Int32(GIT_ERROR_HTTP.rawValue) || klass == Int32(GIT_ERROR_OS.rawValue)
        {
            return GitSourceError(.network, "\(what): \(message)", remote: masked)
        }
        return GitSourceError(.git, "\(what): \(message)", remote: masked)
    }
}
