import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from running an external program for a renderer (`helm`, a command plugin).
///
/// Its ``description`` names the program, what went wrong and, when the program said why, the
/// start of its standard error.
public struct RenderToolError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members, such as `.notFound`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notFound, failed, timedOut, outputTooLarge, spawnFailed, invalidConfiguration, outsideRoot
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The program is not installed where it was looked for.
        public static let notFound = Code(.notFound)
        /// The program ran and exited with a non-zero status or was killed by a signal.
        public static let failed = Code(.failed)
        /// The program did not finish within the renderer's timeout and was killed.
        public static let timedOut = Code(.timedOut)
        /// The program printed more than the renderer's output limit and was killed.
        public static let outputTooLarge = Code(.outputTooLarge)
        /// The program could not be started (permissions, resources).
        public static let spawnFailed = Code(.spawnFailed)
        /// The renderer's settings are unusable (an empty command, a bad variable name...).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A path the program would read lies outside the checkout, directly or through a symbolic link.
        public static let outsideRoot = Code(.outsideRoot)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// The program, as configured (such as `helm` or `./generate.sh`).
    public let program: String
    /// What went wrong, and what to do about it where that is known.
    public let message: String
    /// The program's exit status, when it exited by itself.
    public var exitStatus: Int32?
    /// The program's standard error, trimmed of surrounding white space and cut to a few
    /// kilobytes; empty when it printed nothing.
    public var standardError: String

    /// An error about `program`.
    public init(_ code: Code, program: String, _ message: String, exitStatus: Int32? = nil, standardError: String = "")
    {
        self.code = code
        self.program = program
        self.message = message
        self.exitStatus = exitStatus
        self.standardError = standardError
    }

    /// `program: message`, then the program's standard error on the following lines.
    public var description: String {
        standardError.isEmpty ? "\(program): \(message)" : "\(program): \(message):\n\(standardError)"
    }
}

/// The result of a program that ran to its end.
package struct SubprocessResult: Sendable {
    /// The exit status (0 to 255), or `nil` when a signal ended the program.
    package var exitStatus: Int32?
    /// The signal that ended the program, if one did.
    package var signal: Int32?
    /// Everything written to standard output.
    package var standardOutput: [UInt8]
    /// The start of standard error (at most ``Subprocess/maxErrorBytes`` bytes).
    package var standardError: [UInt8]

    /// Standard error as text, trimmed, with a note when it was cut.
    package var trimmedError: String { Subprocess.trim(standardError, cut: standardErrorCut) }
    package var standardErrorCut = false
}

/// Runs a program without a shell: an explicit argument vector and environment, an optional
/// working directory and standard input, a timeout, a bound on standard output, and
/// cancellation. The program runs in a process group of its own; on timeout, overflow or
/// cancellation the whole group is killed.
package struct Subprocess: Sendable {
    /// The program's path (absolute, or relative to the caller's working directory).
    package var executable: String
    /// The arguments after the program's name.
    package var arguments: [String]
    /// The complete environment of the program.
    package var environment: [String: String]
    /// Where the program runs; the caller's working directory when `nil`.
    package var workingDirectory: String?
    /// Bytes fed to standard input; `/dev/null` when `nil`.
    package var standardInput: [UInt8]?
    /// How long the program may run.
    package var timeout: Duration
    /// The most bytes of standard output kept; past it the program is killed.
    package var maxOutputBytes: Int
    /// The most bytes of standard error kept (the rest is read and dropped).
    package var maxErrorBytes: Int = 64 << 10
    /// The name used in errors.
    package var displayName: String

    package init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        standardInput: [UInt8]? = nil,
        timeout: Duration,
        maxOutputBytes: Int,
        displayName: String
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.timeout = timeout
        self.maxOutputBytes = maxOutputBytes
        self.displayName = displayName
    }

    /// Finds `name` the way a shell does: a name with a `/` is used as it is; otherwise each
    /// directory of `searchPath` (colon-separated) is tried in order.
    ///
    /// - Throws: ``RenderToolError`` (`notFound`) naming the path or the directories searched.
    package static func resolveExecutable(_ name: String, searchPath: String, hint: String) throws -> String {
        func isExecutable(_ path: String) -> Bool {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
            return access(path, X_OK) == 0
        }
        guard !name.isEmpty else {
            throw RenderToolError(.invalidConfiguration, program: name, "the program's name is empty")
        }
        if name.contains("/") {
            guard isExecutable(name) else {
                throw RenderToolError(.notFound, program: name, "no executable file at '\(name)'; \(hint)")
            }
            return name
        }
        let directories = searchPath.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        for directory in directories where isExecutable(directory + "/" + name) {
            return directory + "/" + name
        }
        throw RenderToolError(
            .notFound,
            program: name,
            "not found in the search path '\(searchPath)' (searched \(directories.count) directories); \(hint)"
        )
    }

    /// The calling process's environment variable `name`.
    package static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Trims white space and cuts long text to about 4 KiB, keeping its start.
    package static func trim(_ bytes: [UInt8], cut: Bool = false) -> String {
        let limit = 4096
        var text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        let more = bytes.count > limit || cut
        while let last = text.unicodeScalars.last, last.properties.isWhitespace { text.unicodeScalars.removeLast() }
        while let first = text.unicodeScalars.first, first.properties.isWhitespace {
            text.unicodeScalars.removeFirst()
        }
        if more { text += " […cut]" }
        return text
    }

    /// Runs the program to its end.
    ///
    /// - Throws: ``RenderToolError`` (`spawnFailed`, `timedOut`, `outputTooLarge`) or
    ///   `CancellationError` when the task is cancelled (the program is killed first). A non-zero
    ///   exit is not an error here: the caller reads ``SubprocessResult/exitStatus``.
    package func run() async throws -> SubprocessResult {
        let cancelled = CancelFlag()
        let result: Result<SubprocessResult, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: Result { try self.runBlocking(cancelled: cancelled) })
                }
            }
        } onCancel: {
            cancelled.flag.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    final class CancelFlag: Sendable {
        let flag = Atomic<Bool>(false)
    }

    private func systemError(_ what: String) -> RenderToolError {
        RenderToolError(.spawnFailed, program: displayName, "\(what): \(String(cString: strerror(errno)))")
    }

    private func runBlocking(cancelled: CancelFlag) throws -> SubprocessResult {
        // Pipes for output, a socket pair for input (a write to a closed socket fails with EPIPE
        // instead of raising SIGPIPE in this process).
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        var input: [Int32] = [-1, -1]
        var toClose: [Int32] = []
        defer { for fd in toClose where fd >= 0 { close(fd) } }
        guard makePipe(&out) else { throw systemError("cannot create a pipe") }
        toClose += out
        guard makePipe(&err) else { throw systemError("cannot create a pipe") }
        toClose += err
        if standardInput != nil {
            #if canImport(Darwin)
            let kind = SOCK_STREAM
            #else
            let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            #endif
            guard socketpair(AF_UNIX, kind, 0, &input) == 0 else { throw systemError("cannot create a socket pair") }
            toClose += input
            #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(input[0], SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            shutdown(input[0], Int32(SHUT_RD))
        }

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        if standardInput != nil {
            posix_spawn_file_actions_adddup2(&actions, input[1], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        if let workingDirectory {
            #if canImport(Darwin)
            typealias AddChdir =
                @convention(c) (
                    UnsafeMutablePointer<posix_spawn_file_actions_t?>?, UnsafePointer<CChar>?
                ) -> Int32
            #else
            typealias AddChdir =
                @convention(c) (
                    UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?
                ) -> Int32
            #endif
            guard let addChdir: AddChdir = libcFunction("posix_spawn_file_actions_addchdir_np") else {
                throw RenderToolError(
                    .spawnFailed,
                    program: displayName,
                    "this C library cannot set the working directory of a spawned program"
                )
            }
            guard addChdir(&actions, workingDirectory) == 0 else {
                throw systemError("posix_spawn_file_actions_addchdir_np")
            }
        }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        )

        let argv = [executable] + arguments
        let envp = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        var spawned: Int32 = 0
        // ETXTBSY: a program just written (a plugin script) can still be open for writing in a
        // child another thread is forking at this moment; that child closes it when it execs.
        // Retried briefly, as Go's os/exec does.
        for attempt in 0..<20 {
            spawned = withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    posix_spawn(&pid, executable, &actions, &attributes, cArgv, cEnvp)
                }
            }
            guard spawned == ETXTBSY, attempt < 19 else { break }
            usleep(useconds_t(5_000 * (attempt + 1)))
        }
        guard spawned == 0 else {
            errno = spawned
            throw systemError("cannot start '\(executable)'")
        }
        // The child's ends are the child's alone now.
        close(out[1])
        close(err[1])
        toClose.removeAll { $0 == out[1] || $0 == err[1] }
        if standardInput != nil {
            close(input[1])
            toClose.removeAll { $0 == input[1] }
        }

        let child = Child(pid: pid)
        defer {
            if !child.reaped {
                child.killGroup()
                child.reap(blocking: true)
            }
        }

        for fd in [out[0], err[0]] + (standardInput != nil ? [input[0]] : []) {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var errorCut = false
        var outOpen = true
        var errOpen = true
        var inputOffset = 0
        var inputOpen = standardInput != nil
        let pending = standardInput ?? []
        if inputOpen && pending.isEmpty {
            shutdown(input[0], Int32(SHUT_WR))
            inputOpen = false
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var exitedAt: ContinuousClock.Instant?

        while outOpen || errOpen || !child.reaped {
            if cancelled.flag.load(ordering: .relaxed) {
                child.killGroup()
                child.reap(blocking: true)
                throw CancellationError()
            }
            if clock.now >= deadline {
                child.killGroup()
                child.reap(blocking: true)
                throw RenderToolError(
                    .timedOut,
                    program: displayName,
                    "did not finish within \(timeout) and was killed",
                    standardError: Subprocess.trim(errors, cut: errorCut)
                )
            }
            if !child.reaped && child.reap(blocking: false) {
                // The program is done: whatever it left running in its group goes too, so that
                // nothing holds the pipes open.
                kill(-pid, SIGKILL)
                exitedAt = clock.now
            }
            if let exitedAt, clock.now - exitedAt > .seconds(5) { break }  // a descendant escaped the group
            var fds: [pollfd] = []
            if outOpen { fds.append(pollfd(fd: out[0], events: Int16(POLLIN), revents: 0)) }
            if errOpen { fds.append(pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)) }
            if inputOpen { fds.append(pollfd(fd: input[0], events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready < 0 && errno != EINTR { throw systemError("poll") }
            if ready <= 0 { continue }
            for entry in fds where entry.revents != 0 {
                if entry.fd == input[0] && inputOpen {
                    let n = pending.withUnsafeBytes { raw in
                        #if canImport(Darwin)
                        write(entry.fd, raw.baseAddress! + inputOffset, raw.count - inputOffset)
                        #else
                        send(entry.fd, raw.baseAddress! + inputOffset, raw.count - inputOffset, Int32(MSG_NOSIGNAL))
                        #endif
                    }
                    if n > 0 { inputOffset += n }
                    if (n < 0 && errno != EAGAIN && errno != EINTR) || inputOffset >= pending.count {
                        shutdown(entry.fd, Int32(SHUT_WR))
                        inputOpen = false
                    }
                    continue
                }
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    if entry.fd == out[0] { outOpen = false } else { errOpen = false }
                    continue
                }
                if n == 0 {
                    if entry.fd == out[0] { outOpen = false } else { errOpen = false }
                    continue
                }
                if entry.fd == out[0] {
                    if output.count + n > maxOutputBytes {
                        child.killGroup()
                        child.reap(blocking: true)
                        throw RenderToolError(
                            .outputTooLarge,
                            program: displayName,
                            "printed more than the limit of \(maxOutputBytes) bytes and was killed",
                            standardError: Subprocess.trim(errors, cut: errorCut)
                        )
                    }
                    output.append(contentsOf: buffer[0..<n])
                } else {
                    let room = maxErrorBytes - errors.count
                    if room > 0 { errors.append(contentsOf: buffer[0..<min(n, room)]) }
                    if n > room { errorCut = true }
                }
            }
        }
        let status = child.status
        let low = status & 0x7f
        var result = SubprocessResult(
            exitStatus: low == 0 ? (status >> 8) & 0xff : nil,
            signal: low == 0 ? nil : low,
            standardOutput: output,
            standardError: errors
        )
        result.standardErrorCut = errorCut
        return result
    }
}

/// A started program and its exit status once reaped.
private final class Child {
    let pid: pid_t
    private(set) var reaped = false
    private(set) var status: Int32 = 0

    init(pid: pid_t) { self.pid = pid }

    /// Kills the program's process group (and the program, should it have left the group).
    func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Collects the exit status; whether the program has ended.
    @discardableResult
    func reap(blocking: Bool) -> Bool {
        if reaped { return true }
        var value: Int32 = 0
        while true {
            let r = waitpid(pid, &value, blocking ? 0 : WNOHANG)
            if r == pid {
                status = value
                reaped = true
                return true
            }
            if r == 0 { return false }
            if errno == EINTR { continue }
            reaped = true  // ECHILD: someone else reaped it; nothing to wait for
            return true
        }
    }
}

/// A pipe whose ends are closed on exec.
private func makePipe(_ fds: inout [Int32]) -> Bool {
    #if canImport(Darwin)
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
    #else
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    if let pipe2: Pipe2 = libcFunction("pipe2") {
        return fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress, O_CLOEXEC) } == 0
    }
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
    #endif
}

/// A C library function looked up at run time: for the few that Swift's `Glibc` module does not
/// declare (they need `_GNU_SOURCE`).
private func libcFunction<F>(_ name: String) -> F? {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
    return unsafeBitCast(symbol, to: F.self)
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return body(pointers)
}

/// The calling process's environment.
package enum ProcessEnvironment {
    /// Every `NAME=value` of the calling process, as a dictionary.
    package static func all() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        guard var entry = _NSGetEnviron().pointee else { return result }
        #else
        let base: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = base else { return result }
        #endif
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
