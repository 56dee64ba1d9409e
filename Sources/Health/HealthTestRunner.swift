import Manifests

/// One case of a `health_test.yaml` file: an input object and the health it must get.
public struct HealthTestCase: Sendable, Hashable {
    /// The `health_test.yaml` file the case is in.
    public var file: String
    /// `inputPath` as written, relative to the file's directory.
    public var inputPath: String
    /// The expected status as written (`Healthy`...); empty when the case expects no health.
    public var expectedStatus: String
    /// The expected message; empty when none is given.
    public var expectedMessage: String

    /// The input's path: ``inputPath`` resolved against the directory of ``file``.
    public var resolvedInputPath: String {
        if inputPath.hasPrefix("/") { return inputPath }
        guard let slash = file.lastIndex(of: "/") else { return inputPath }
        return "\(file[..<slash])/\(inputPath)"
    }

    /// A case from `file` with its input and expectation.
    public init(file: String, inputPath: String, expectedStatus: String, expectedMessage: String) {
        self.file = file
        self.inputPath = inputPath
        self.expectedStatus = expectedStatus
        self.expectedMessage = expectedMessage
    }
}

/// The outcome of one ``HealthTestCase``.
public struct HealthTestResult: Sendable, Hashable {
    /// The case.
    public var testCase: HealthTestCase
    /// The health the input got; `nil` when it got none or could not be read.
    public var actual: HealthStatus?
    /// Why the case failed; `nil` when it passed.
    public var failure: String?

    /// Whether the status and message matched exactly.
    public var passed: Bool { failure == nil }
}

/// Every result of a run and the summary line.
public struct HealthTestReport: Sendable, Hashable {
    /// The results, file by file in path order, cases in written order.
    public var results: [HealthTestResult]
    /// Files that could not be read as test files, with the reason; each counts as one failure.
    public var fileErrors: [String]

    /// Cases that passed.
    public var passed: Int { results.count(where: \.passed) }
    /// Cases that failed, plus files that could not be read.
    public var failed: Int { results.count(where: { !$0.passed }) + fileErrors.count }
    /// `N passed, M failed`.
    public var summary: String { "\(passed) passed, \(failed) failed" }
}

/// Runs the `health_test.yaml` files Argo CD users keep beside their `health.lua` scripts.
///
/// A file holds `tests:`, each with `inputPath` (relative to the file) and
/// `healthStatus: {status, message}`; key names are matched without regard to case. Each input
/// is assessed the way a live object would be, by its group and kind through the registry, and
/// must get exactly the status and message expected.
///
/// ```swift
/// let scripts = try LuaHealthScripts(directory: "resource_customizations")
/// let report = try HealthTestRunner(registry: HealthRegistry(scripts: scripts)).run(directory: "resource_customizations")
/// print(report.summary)   // 12 passed, 0 failed
/// ```
public struct HealthTestRunner: Sendable {
    /// The file name the runner looks for.
    public static let fileName = "health_test.yaml"
    /// The registry inputs are assessed with.
    public var registry: HealthRegistry

    /// A runner assessing with `registry`, with Lua scripts also deciding for objects that are
    /// being deleted (``HealthRegistry/scriptsSeeDeletingObjects``), as in Argo CD's own harness.
    public init(registry: HealthRegistry) {
        self.registry = registry
        self.registry.scriptsSeeDeletingObjects = true
    }

    /// Every `health_test.yaml` under `directory` (symbolic links to directories are not
    /// followed), in path order.
    ///
    /// - Throws: ``HealthError`` when `directory` cannot be listed.
    public static func testFiles(under directory: String) throws -> [String] {
        var files: [String] = []
        func walk(_ dir: String) throws {
            for name in try FileSystem.list(dir).sorted() {
                let path = dir.hasSuffix("/") ? dir + name : "\(dir)/\(name)"
                switch FileSystem.entryType(path) {
                case .directory: try walk(path)
                case .file, .symlink: if name == fileName { files.append(path) }
                default: break
                }
            }
        }
        do { try walk(directory) } catch let error as HealthError { throw error } catch {
            throw HealthError.fileSystem("\(error)", path: directory)
        }
        return files
    }

    /// Reads the cases of one test file.
    ///
    /// - Throws: ``HealthError`` when the file cannot be read or is not a mapping with a `tests` list.
    public static func cases(inFile path: String) throws -> [HealthTestCase] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path, maxBytes: 16 << 20) } catch {
            throw HealthError.fileSystem("\(error)", path: path)
        }
        let root: Value
        do { root = try YAML.documents(bytes, source: path).first?.value ?? .null } catch {
            throw HealthError.invalidInput("\(error)", path: path)
        }
        guard let tests = member(root, "tests")?.arrayValue else {
            throw HealthError.invalidInput("\(path): expected a mapping with a 'tests' list", path: path)
        }
        var cases: [HealthTestCase] = []
        for (i, test) in tests.enumerated() {
            guard let inputPath = member(test, "inputPath")?.stringValue else {
                throw HealthError.invalidInput("\(path): tests[\(i)] has no inputPath", path: path)
            }
            let health = member(test, "healthStatus")
            cases.append(
                HealthTestCase(
                    file: path,
                    inputPath: inputPath,
                    expectedStatus: health.flatMap { member($0, "status") }.map(text) ?? "",
                    expectedMessage: health.flatMap { member($0, "message") }.map(text) ?? ""
                )
            )
        }
        return cases
    }

    /// Runs one case.
    public func run(_ testCase: HealthTestCase) -> HealthTestResult {
        let path = testCase.resolvedInputPath
        let object: KubeObject
        do {
            let bytes = try FileSystem.readFile(path, maxBytes: 64 << 20)
            // Inputs are read as Argo CD reads them: a repeated key keeps its last value.
            var limits = ReadLimits()
            limits.rejectDuplicateKeys = false
            let document = try YAML.documents(bytes, source: path, limits: limits).first(where: { !$0.value.isNull })
            object = try KubeObject(document?.value ?? .null)
        } catch {
            return HealthTestResult(
                testCase: testCase,
                actual: nil,
                failure: "\(path): cannot read the input: \(error)"
            )
        }
        let actual = registry.health(of: object)
        let status = actual?.code.rawValue ?? ""
        let message = actual?.message ?? ""
        guard status == testCase.expectedStatus, message == testCase.expectedMessage else {
            let got = actual.map { "\($0.code.rawValue) \(quoted($0.message))" } ?? "no health"
            let want =
                "\(testCase.expectedStatus.isEmpty ? "no health" : testCase.expectedStatus) \(quoted(testCase.expectedMessage))"
            return HealthTestResult(testCase: testCase, actual: actual, failure: "expected \(want), got \(got)")
        }
        return HealthTestResult(testCase: testCase, actual: actual, failure: nil)
    }

    /// Runs every case of one file.
    ///
    /// - Throws: ``HealthError`` when the file cannot be read as a test file.
    public func run(file path: String) throws -> [HealthTestResult] {
        try Self.cases(inFile: path).map(run)
    }

    /// Runs every `health_test.yaml` under `directory`.
    ///
    /// - Throws: ``HealthError`` when `directory` cannot be listed; a test file that cannot be read
    ///   is reported in ``HealthTestReport/fileErrors`` instead.
    public func run(directory: String) throws -> HealthTestReport {
        var report = HealthTestReport(results: [], fileErrors: [])
        for file in try Self.testFiles(under: directory) {
            do { report.results += try run(file: file) } catch { report.fileErrors.append("\(error)") }
        }
        return report
    }

    /// The member of an object whose key equals `key` without regard to case.
    private static func member(_ value: Value, _ key: String) -> Value? {
        guard let object = value.objectValue else { return nil }
        if let exact = object[key] { return exact }
        let lowered = key.lowercased()
        for entry in object.entries where entry.key.lowercased() == lowered { return entry.value }
        return nil
    }

    private static func text(_ value: Value) -> String {
        switch value {
        case .string(let s): return s
        case .null: return ""
        default: return value.description
        }
    }
}
