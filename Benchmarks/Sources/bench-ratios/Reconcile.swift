// reconcile: one full reconcile pass over a 10,000-object directory, in CPU seconds of this
// thread, against the YAML parse of the same files in the same run.
import Corpus
import Diff
import Foundation
import Health
import Manifests
import Sync

enum ReconcileBenchmark {
    /// The CPU seconds this thread spent in the best of `rounds` runs of `body`.
    static func bestCPUSeconds<T>(rounds: Int, _ body: () throws -> T) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            var start = timespec()
            var end = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
            let result = try body()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
            withExtendedLifetime(result) {}
            best = min(best, Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9)
        }
        return best
    }

    static func run(rounds: Int) throws {
        let count = 10_000
        let perFile = 10
        let pairs = Corpus.diffPairs(count: count)
        let tracking = Tracking()
        let app = "bench"
        // The directory: 1,000 files of 10 documents each.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-bench-\(getpid())")
            .path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        var bytes = 0
        for start in stride(from: 0, to: count, by: perFile) {
            let documents = pairs[start..<min(count, start + perFile)].map(\.desired)
            let text = YAML.string(documents: Array(documents))
            let path = directory + "/part-\(String(format: "%04d", start / perFile)).yaml"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            files.append(path)
            bytes += text.utf8.count
        }
        // The live cache: what a watch cache holds, each object carrying the application's tracking.
        let live: [KubeObject] = pairs.map { pair in
            let object = KubeObject(fields: pair.live.objectValue ?? ObjectValue())
            let namespace = object.namespace ?? ""
            return tracking.marked(object, app: app, defaultNamespace: namespace)
        }
        let renderer = DirectoryRenderer()
        let differ = Differ(DiffOptions(fieldManager: "gitops", defaultNamespace: "default"))
        let registry = HealthRegistry()

        var parsed = 0
        func parse() throws -> Int {
            var n = 0
            for path in files {
                let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                n += try YAML.documents(data, source: path).count
            }
            parsed = n
            return n
        }
        var comparison: ApplicationComparison?
        func pass() throws -> Int {
            let desired = try renderer.renderSourced(RenderInput(directory: directory)).map(\.object)
            let result = try ApplicationComparison(
                desired: desired,
                live: live,
                app: app,
                tracking: tracking,
                defaultNamespace: "default",
                differ: differ,
                health: registry
            )
            comparison = result
            return result.resources.count
        }
        var parseSeconds = Double.infinity
        var passSeconds = Double.infinity
        for _ in 0..<rounds {
            parseSeconds = min(parseSeconds, try bestCPUSeconds(rounds: 1, parse))
            passSeconds = min(passSeconds, try bestCPUSeconds(rounds: 1, pass))
        }
        let expectedDrift = pairs.filter(\.drifted).count
        guard let comparison, parsed == count, comparison.resources.count == count,
            comparison.outOfSync.count == expectedDrift
        else {
            print(
                "reconcile: WRONG RESULT: parsed \(parsed), compared \(comparison?.resources.count ?? 0), out of sync \(comparison?.outOfSync.count ?? 0) (expected \(expectedDrift))"
            )
            exit(1)
        }
        let ratio = parseSeconds / passSeconds
        print(
            "reconcile: ratio \(Measure.fixed(ratio, 2)) (pass \(Measure.figure(passSeconds * 1000)) ms, yaml-parse \(Measure.figure(parseSeconds * 1000)) ms, per CPU second; \(count) objects in \(files.count) files, \(Measure.figure(Double(bytes) / 1e6)) MB; \(comparison.outOfSync.count) out of sync, health \(comparison.health.status.code); target ratio at least 0.40)"
        )
    }
}
