internal import CGit2
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Why a transfer was stopped from outside libgit2.
enum AbortReason: Sendable { case stalled, cancelled }

/// Watches one network operation: when it last made progress, whether it must stop, and
/// the sockets to shut down so that a read blocked inside libgit2 or libssh2 returns.
final class TransferMonitor: Sendable {
    private struct State {
        var lastProgress: UInt64
        var abort: AbortReason?
        var sockets: Set<Int32> = []
    }

    let stallNanoseconds: UInt64
    private let state: Mutex<State>

    init(stallTimeout: Duration) {
        let (seconds, attoseconds) = stallTimeout.components
        let nanos = max(0, seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        stallNanoseconds = UInt64(max(nanos, 1_000_000))
        state = Mutex(State(lastProgress: Self.now()))
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    var stallMilliseconds: Int32 { Int32(clamping: stallNanoseconds / 1_000_000) }

    /// Records progress.
    func touch() {
        state.withLock { $0.lastProgress = Self.now() }
    }

    /// The reason to stop, if any; turns a stall into an abort and shuts the sockets.
    func checkAbort() -> AbortReason? {
        state.withLock { s in
            if s.abort == nil, Self.now() &- s.lastProgress > stallNanoseconds {
                s.abort = .stalled
                for fd in s.sockets { _ = shutdown(fd, Int32(SHUT_RDWR)) }
            }
            return s.abort
        }
    }

    var abortReason: AbortReason? { state.withLock { $0.abort } }

    /// Stops the operation (task cancellation).
    func cancel() {
        state.withLock { s in
            if s.abort == nil { s.abort = .cancelled }
            for fd in s.sockets { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func register(socket fd: Int32) {
        state.withLock { s in
            s.sockets.insert(fd)
            if s.abort != nil { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func unregister(socket fd: Int32) {
        _ = state.withLock { $0.sockets.remove(fd) }
    }

    // MARK: the current operation of this thread

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: TransferMonitor? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<TransferMonitor>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` with this monitor as the thread's current one, watched by the watchdog.
    func run<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        Watchdog.shared.add(self)
        defer {
            Watchdog.shared.remove(self)
            pthread_setspecific(Self.key, previous)
        }
        touch()
        return try body()
    }
}

/// One thread that checks the running transfers every 100 ms and stops stalled ones.
/// It exits when there is nothing to watch and starts again on demand.
final class Watchdog: Sendable {
    static let shared = Watchdog()

    private struct State {
        var monitors: [ObjectIdentifier: TransferMonitor] = [:]
        var running = false
    }
    private let state = Mutex(State())

    func add(_ monitor: TransferMonitor) {
        let start = state.withLock { s -> Bool in
            s.monitors[ObjectIdentifier(monitor)] = monitor
            if s.running { return false }
            s.running = true
            return true
        }
        if start {
            let thread = Thread { [self] in self.loop() }
            thread.name = "gitsource-watchdog"
            thread.start()
        }
    }

    func remove(_ monitor: TransferMonitor) {
        _ = state.withLock { $0.monitors.removeValue(forKey: ObjectIdentifier(monitor)) }
    }

    private func loop() {
        var idleRounds = 0
        while true {
            usleep(100_000)
            let monitors: [TransferMonitor]? = state.withLock { s in
                if s.monitors.isEmpty {
                    idleRounds += 1
                    if idleRounds > 20 {
                        s.running = false
                        return nil
                    }
                } else {
                    idleRounds = 0
                }
                return Array(s.monitors.values)
            }
            guard let monitors else { return }
            for m in monitors { _ = m.checkAbort() }
        }
    }
}

/// The socket stream libgit2 uses for git://, http:// and (under TLS) https://, and whose
/// socket SSH uses: connect with a timeout, reads and writes that stop when the current
/// ``TransferMonitor`` says so.
enum GitStream {
    static func register() {
        var registration = git_stream_registration()
        registration.version = 1
        registration.`init` = { out, host, port in
            guard let out, let host, let port else { return -1 }
            let stream = UnsafeMutablePointer<cgit2_socket_stream>.allocate(capacity: 1)
            stream.initialize(to: cgit2_socket_stream())
            stream.pointee.parent.version = cgit2_stream_version()
            stream.pointee.parent.encrypted = 0
            stream.pointee.parent.proxy_support = 0
            stream.pointee.parent.connect = GitStream.connect
            stream.pointee.parent.read = GitStream.read
            stream.pointee.parent.write = GitStream.write
            stream.pointee.parent.close = GitStream.close
            stream.pointee.parent.free = GitStream.free
            stream.pointee.host = strdup(host)
            stream.pointee.port = strdup(port)
            stream.pointee.s = -1
            if let monitor = TransferMonitor.current {
                stream.pointee.context = UnsafeMutableRawPointer(Unmanaged.passRetained(monitor).toOpaque())
            }
            out.pointee = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_stream.self)
            return 0
        }
        _ = git_stream_register(GIT_STREAM_STANDARD, &registration)
    }

    private static func socketStream(
        _ s: UnsafeMutablePointer<git_stream>?
    ) -> UnsafeMutablePointer<cgit2_socket_stream>? {
        guard let s else { return nil }
        return UnsafeMutableRawPointer(s).assumingMemoryBound(to: cgit2_socket_stream.self)
    }

    private static func monitor(_ s: UnsafeMutablePointer<cgit2_socket_stream>) -> TransferMonitor? {
        guard let ctx = s.pointee.context else { return nil }
        return Unmanaged<TransferMonitor>.fromOpaque(ctx).takeUnretainedValue()
    }

    private static func fail(_ message: String) -> Int32 {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
        return -1
    }

    private static func abortMessage(_ reason: AbortReason, _ m: TransferMonitor) -> String {
        switch reason {
        case .stalled: return "no progress for \(m.stallMilliseconds) ms; transfer aborted"
        case .cancelled: return "transfer cancelled"
        }
    }

    static let connect: @convention(c) (UnsafeMutablePointer<git_stream>?) -> Int32 = { raw in
        guard let s = socketStream(raw), let host = s.pointee.host, let port = s.pointee.port else { return -1 }
        let m = monitor(s)
        let timeout = m?.stallMilliseconds ?? 30_000
        let ctx = s.pointee.context
        let fd = cgit2_tcp_connect(
            host,
            port,
            timeout,
            { ctx in
                guard let ctx else { return 0 }
                return Unmanaged<TransferMonitor>.fromOpaque(ctx).takeUnretainedValue().checkAbort() == nil ? 0 : 1
            },
            ctx
        )
        if fd < 0 {
            let target = "\(String(cString: host)):\(String(cString: port))"
            if let m, let reason = m.abortReason {
                return fail("cannot connect to \(target): " + abortMessage(reason, m))
            }
            if fd == -ETIMEDOUT { return fail("cannot connect to \(target): timed out after \(timeout) ms") }
            return fail("cannot connect to \(target): \(String(cString: strerror(-fd)))")
        }
        s.pointee.s = fd
        m?.register(socket: fd)
        m?.touch()
        return 0
    }

    static let read: @convention(c) (UnsafeMutablePointer<git_stream>?, UnsafeMutableRawPointer?, Int) -> Int = {
        raw,
        buffer,
        length in
        guard let s = socketStream(raw), s.pointee.s >= 0 else { return -1 }
        let m = monitor(s)
        let fd = s.pointee.s
        while true {
            if let m, let reason = m.checkAbort() { return Int(fail(abortMessage(reason, m))) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 100)
            if ready < 0 {
                if errno == EINTR { continue }
                return Int(fail("socket poll failed: \(String(cString: strerror(errno)))"))
            }
            if ready == 0 { continue }
            let n = recv(fd, buffer, length, 0)
            if n > 0 {
                m?.touch()
                return n
            }
            if n == 0 {
                if let m, let reason = m.abortReason { return Int(fail(abortMessage(reason, m))) }
                return 0
            }
            if errno == EINTR || errno == EAGAIN { continue }
            if let m, let reason = m.abortReason { return Int(fail(abortMessage(reason, m))) }
            return Int(fail("socket read failed: \(String(cString: strerror(errno)))"))
        }
    }

    static let write: @convention(c) (UnsafeMutablePointer<git_stream>?, UnsafePointer<CChar>?, Int, Int32) -> Int = {
        raw,
        data,
        length,
        _ in
        guard let s = socketStream(raw), s.pointee.s >= 0, let data else { return -1 }
        let m = monitor(s)
        let fd = s.pointee.s
        var written = 0
        while written < length {
            if let m, let reason = m.checkAbort() { return Int(fail(abortMessage(reason, m))) }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, 100)
            if ready < 0 {
                if errno == EINTR { continue }
                return Int(fail("socket poll failed: \(String(cString: strerror(errno)))"))
            }
            if ready == 0 { continue }
            let n = send(fd, data + written, length - written, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return Int(fail("socket write failed: \(String(cString: strerror(errno)))"))
            }
            written += n
            m?.touch()
        }
        return written
    }

    static let close: @convention(c) (UnsafeMutablePointer<git_stream>?) -> Int32 = { raw in
        guard let s = socketStream(raw) else { return 0 }
        if s.pointee.s >= 0 {
            monitor(s)?.unregister(socket: s.pointee.s)
            _ = Glibc.close(s.pointee.s)
            s.pointee.s = -1
        }
        return 0
    }

    static let free: @convention(c) (UnsafeMutablePointer<git_stream>?) -> Void = { raw in
        guard let s = socketStream(raw) else { return }
        if s.pointee.s >= 0 {
            monitor(s)?.unregister(socket: s.pointee.s)
            _ = Glibc.close(s.pointee.s)
        }
        Glibc.free(s.pointee.host)
        Glibc.free(s.pointee.port)
        if let ctx = s.pointee.context {
            Unmanaged<TransferMonitor>.fromOpaque(ctx).release()
        }
        s.deinitialize(count: 1)
        s.deallocate()
    }
}
