internal import CJsonnet
import Manifests
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A flag set when the rendering task is cancelled, read by the evaluating thread.
final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One libjsonnet VM, configured for one render; freed in `deinit`. Not shared between threads.
final class JsonnetVM {
    private let vm: OpaquePointer
    private let context: ImportContext

    init(renderer: JsonnetRenderer, root: String, libraries: [String], cancelled: Cancellation) throws {
        guard let vm = jsonnet_make() else { throw JsonnetError(.configuration, "libjsonnet could not create a VM") }
        self.vm = vm
        context = ImportContext(
            vm: vm,
            root: root,
            libraries: libraries,
            maxBytes: renderer.limits.maxBytes,
            cancelled: cancelled
        )
        jsonnet_max_stack(vm, UInt32(clamping: renderer.maxStack))
        jsonnet_max_trace(vm, UInt32(clamping: renderer.maxTrace))
        for (name, argument) in renderer.externalVariables.sorted(by: { $0.key < $1.key }) {
            switch argument {
            case .string(let text): jsonnet_ext_var(vm, name, text)
            case .code(let code): jsonnet_ext_code(vm, name, code)
            }
        }
        for (name, argument) in renderer.topLevelArguments.sorted(by: { $0.key < $1.key }) {
            switch argument {
            case .string(let text): jsonnet_tla_var(vm, name, text)
            case .code(let code): jsonnet_tla_code(vm, name, code)
            }
        }
        for library in libraries { jsonnet_jpath_add(vm, library + "/") }
        jsonnet_import_callback(vm, importCallback, Unmanaged.passUnretained(context).toOpaque())
    }

    deinit { jsonnet_destroy(vm) }

    /// Evaluates `file` to JSON text.
    ///
    /// - Throws: ``JsonnetError`` with the location libjsonnet reports, or the import refusal.
    func evaluate(file: String) throws -> [UInt8] {
        var failed: Int32 = 0
        let result = jsonnet_evaluate_file(vm, file, &failed)
        defer { cjsonnet_free(vm, result) }
        if context.cancelled.isCancelled { throw CancellationError() }
        let text = result.map { String(cString: $0) } ?? "libjsonnet returned nothing"
        if failed != 0 {
            throw JsonnetError.fromLibrary(text, refusal: context.refusal)
        }
        return Array(text.utf8)
    }
}

/// What the import callback needs; it lives as long as its VM.
final class ImportContext {
    let vm: OpaquePointer
    let root: String
    let libraries: [String]
    let maxBytes: Int
    let cancelled: Cancellation
    /// Set when an import was refused for leaving the checkout, to give that error its own code.
    var refusal: String?

    init(vm: OpaquePointer, root: String, libraries: [String], maxBytes: Int, cancelled: Cancellation) {
        self.vm = vm
        self.root = root
        self.libraries = libraries
        self.maxBytes = maxBytes
        self.cancelled = cancelled
    }

    enum Outcome {
        case found(path: String, content: [UInt8])
        case failed(String)
    }

    /// Resolves `relative` imported from the directory `base`: next to the importer, then in the
    /// library paths from the last to the first.
    func resolve(base: String, relative: String) -> Outcome {
        if cancelled.isCancelled { return .failed("cancelled") }
        guard !relative.isEmpty else { return .failed("an import path is empty") }
        var candidates: [String]
        if relative.hasPrefix("/") {
            candidates = [relative]
        } else {
            candidates = [(base.hasSuffix("/") || base.isEmpty ? base : base + "/") + relative]
            candidates += libraries.reversed().map { $0 + "/" + relative }
        }
        for candidate in candidates {
            var info = stat()
            guard stat(candidate, &info) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            guard let real = try? realPath(candidate, what: "import") else { continue }
            guard isInside(real, root: root) || libraries.contains(where: { isInside(real, root: $0) }) else {
                let message =
                    "import '\(relative)' resolves to '\(real)', outside the checkout and the library paths; refused"
                refusal = message
                return .failed(message)
            }
            guard Int(info.st_size) <= maxBytes else {
                return .failed(
                    "import '\(relative)': file of \(info.st_size) bytes is larger than the limit of \(maxBytes)"
                )
            }
            let fd = open(real, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failed("cannot open '\(candidate)': \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return .failed("cannot read '\(candidate)': \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                bytes += buffer[0..<n]
                if bytes.count > maxBytes { return .failed("import '\(relative)' is larger than \(maxBytes) bytes") }
            }
            return .found(path: candidate, content: bytes)
        }
        let searched =
            relative.hasPrefix("/") ? "" : " (searched next to the importer and in \(libraries.count) library paths)"
        return .failed("couldn't find import '\(relative)'\(searched)")
    }
}

/// libjsonnet's import callback: `ctx` is the VM's ``ImportContext``.
private let importCallback:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
        UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<Int32>?
    ) -> UnsafeMutablePointer<CChar>? = { ctx, base, rel, foundHere, success in
        guard let ctx, let rel, let success else { return nil }
        let context = Unmanaged<ImportContext>.fromOpaque(ctx).takeUnretainedValue()
        let outcome = context.resolve(base: base.map { String(cString: $0) } ?? "", relative: String(cString: rel))
        func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { cjsonnet_copy(context.vm, $0.baseAddress, $0.count) }
            }
        }
        switch outcome {
        case .found(let path, let content):
            foundHere?.pointee = copy(Array(path.utf8))
            success.pointee = 1
            return copy(content)
        case .failed(let message):
            success.pointee = 0
            return copy(Array(message.utf8))
        }
    }
