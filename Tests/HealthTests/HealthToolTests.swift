import Foundation
import Testing

/// The `gitops-health` example, run as a user runs it.
@Suite struct HealthToolTests {
    @Test func testCommandEndsWithTheSummaryLine() throws {
        let passing = try runHealthTool(["test", Fixtures.scripts])
        #expect(passing.status == 0, "\(passing.output)")
        #expect(passing.output.split(separator: "\n").last == "12 passed, 0 failed")

        let failing = try runHealthTool(["test", Fixtures.directory + "/failing"])
        #expect(failing.status != 0)
        #expect(failing.output.split(separator: "\n").last == "1 passed, 3 failed")
        #expect(failing.output.contains("FAIL "))
    }

    @Test func checkPrintsStatusAndMessage() throws {
        let result = try runHealthTool([
            "check", Fixtures.directory + "/live/deployment-progress-deadline-exceeded.json",
            Fixtures.directory + "/live/widget-w.json",
            Fixtures.scripts + "/example.com/Widget/testdata/partly-ready.yaml", "--scripts", Fixtures.scripts,
        ])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "apps/Deployment/fixtures/stuck  Degraded  Deployment \"stuck\" exceeded its progress deadline  [built-in]"
        )
        #expect(
            lines.contains {
                $0.hasPrefix("example.com/Widget/fixtures/w  Progressing  Waiting for the widget controller  [script ")
            }
        )
        #expect(lines.contains { $0.contains("Progressing  1 of 2 parts ready") })
    }

    @Test func unreadableFileFails() throws {
        let result = try runHealthTool(["check", Fixtures.directory + "/nope.yaml"])
        #expect(result.status != 0)
        #expect(result.output.contains("nope.yaml"))
    }
}

/// Runs `gitops-health` from the build directory the tests run from; stdout and stderr together.
private func runHealthTool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gitops-health").path),
        directory.path != "/"
    {
        directory.deleteLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent("gitops-health")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
