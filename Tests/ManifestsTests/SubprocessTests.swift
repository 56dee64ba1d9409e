import Foundation
import Testing

@testable import Manifests

@Suite struct SubprocessTests {
    func shell(_ script: String, input: [UInt8]? = nil, maxOutput: Int = 1 << 20) -> Subprocess {
        Subprocess(
            executable: "/bin/sh",
            arguments: ["-c", script],
            environment: ["PATH": "/usr/bin:/bin"],
            standardInput: input,
            timeout: .seconds(120),
            maxOutputBytes: maxOutput,
            displayName: "sh"
        )
    }

    @Test func aProgramThatIgnoresItsInputDoesNotHurtTheCaller() async throws {
        // Eight megabytes offered to a program that closes standard input at once: the write
        // fails with EPIPE (no SIGPIPE in this process) and the exit status still comes back.
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        let result = try await shell("exec 0<&-; echo done; exit 7", input: input).run()
        #expect(result.exitStatus == 7)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "done\n")
    }

    @Test func inputIsPassedWhole() async throws {
        let input = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let result = try await shell("cat", input: input, maxOutput: 1 << 20).run()
        #expect(result.exitStatus == 0)
        #expect(result.standardOutput == input)
    }

    @Test func aSignalIsReportedAsSuch() async throws {
        let result = try await shell("kill -TERM $$").run()
        #expect(result.exitStatus == nil)
        #expect(result.signal == SIGTERM)
    }

    @Test func standardErrorIsBoundedAndTrimmed() async throws {
        let result = try await shell("echo '  first line'; yes error-line | head -c 1000000 >&2; exit 1").run()
        #expect(result.exitStatus == 1)
        #expect(result.standardError.count == 64 << 10)
        #expect(result.trimmedError.hasPrefix("error-line\nerror-line"))
        #expect(result.trimmedError.hasSuffix("[…cut]"))
        #expect(result.trimmedError.utf8.count < 5000)
    }

    @Test func workingDirectoryAndEnvironmentAreExactlyThoseGiven() async throws {
        let dir = try TemporaryDirectory()
        var process = shell("pwd; env | sort")
        process.workingDirectory = dir.path
        process.environment = ["ONLY": "this", "PATH": "/usr/bin:/bin"]
        let lines = String(decoding: try await process.run().standardOutput, as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(lines.first == (try FileSystem.realPath(dir.path)))
        #expect(lines.contains("ONLY=this"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }

    @Test func executableLookup() throws {
        #expect(try Subprocess.resolveExecutable("sh", searchPath: "/nonexistent:/bin", hint: "") == "/bin/sh")
        #expect(throws: RenderToolError.self) {
            try Subprocess.resolveExecutable("sh", searchPath: "/nonexistent", hint: "")
        }
        // A directory is not a program.
        #expect(throws: RenderToolError.self) { try Subprocess.resolveExecutable("/tmp", searchPath: "", hint: "") }
        #expect(throws: RenderToolError.self) { try Subprocess.resolveExecutable("", searchPath: "/bin", hint: "") }
    }
}
