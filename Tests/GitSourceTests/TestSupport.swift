import Foundation
import GitTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener that accepts connections and then does `behaviour` with each:
/// stays silent (a stalled server), or forwards to a real server for `bytes` bytes of its
/// answer and then goes silent or closes (a server dying in the middle of a fetch).
final class MisbehavingServer: @unchecked Sendable {
    enum Behaviour {
        case silent
        case forward(port: Int, bytes: Int, thenClose: Bool)
    }

    let port: Int
    private let listener: Int32
    private let stopped = NSLock()
    private var isStopped = false
    private var sockets: [Int32] = []

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw HarnessError("cannot listen") }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let listenerFD = self.listener
        Thread { [self] in
            while true {
                let client = accept(listenerFD, nil, nil)
                if client < 0 { return }
                self.track(client)
                switch behaviour {
                case .silent:
                    continue
                case .forward(let port, let bytes, let thenClose):
                    Thread { self.forward(client, to: port, bytes: bytes, thenClose: thenClose) }.start()
                }
            }
        }.start()
    }

    private func track(_ fd: Int32) {
        stopped.lock()
        sockets.append(fd)
        stopped.unlock()
    }

    private func forward(_ client: Int32, to port: Int, bytes limit: Int, thenClose: Bool) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        track(upstream)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard ok else {
            shutdown(client, Int32(SHUT_RDWR))
            return
        }
        // client -> upstream
        Thread {
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { return }
                if send(upstream, buffer, n, Int32(MSG_NOSIGNAL)) <= 0 { return }
            }
        }.start()
        // upstream -> client, up to the limit
        var forwarded = 0
        var buffer = [UInt8](repeating: 0, count: 16384)
        while forwarded < limit {
            let n = recv(upstream, &buffer, min(buffer.count, limit - forwarded), 0)
            if n <= 0 { break }
            if send(client, buffer, n, Int32(MSG_NOSIGNAL)) <= 0 { break }
            forwarded += n
        }
        if thenClose {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }
    }

    func stop() {
        stopped.lock()
        defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in sockets {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    deinit { stop() }
}
