import Foundation
import Testing

@testable import Manifests

/// The `gitops-render` example, run as a user runs it.
@Suite struct RenderToolTests {
    @Test func rendersADirectory() throws {
        let result = try runTool("gitops-render", [fixturePath("render")])
        #expect(result.status == 0, "\(result.stderr)")
        let docs = try YAML.documents(result.stdout)
        #expect(docs.count == 5)
        #expect(docs.first?.value["kind"] == "Deployment")
        let json = try runTool("gitops-render", [fixturePath("render"), "--output", "json", "--include", "*.json"])
        #expect(try Value(json: json.stdout)["items"]?[0]?["kind"] == "Namespace")
    }

    @Test func namesFileLineAndColumnOfABrokenFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
        try dir.write("broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n data: x\n")
        let result = try runTool("gitops-render", [dir.path])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("\(dir.path)/broken.yaml:5:2: "), "\(result.stderr)")
    }
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs an executable of this package from the build directory the tests run from.
func runTool(_ name: String, _ arguments: [String]) throws -> ToolResult {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
    // On Linux the test binary sits in the build directory; on macOS inside a bundle.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path),
        directory.path != "/"
    {
        directory.deleteLastPathComponent()
    }
    return try runProcess(directory.appendingPathComponent(name).path, arguments)
}

/// Runs a program to its end and collects its output (standard error read concurrently, so a
/// chatty program cannot fill a pipe and stall).
func runProcess(_ path: String, _ arguments: [String]) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let collected = CollectedData()
    let reader = Thread { collected.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let stderr = collected.wait()
    return ToolResult(
        status: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self)
    )
}

/// Data handed from a reading thread to the caller.
final class CollectedData: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}
