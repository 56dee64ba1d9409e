import Corpus
import Foundation
import Manifests

/// `kustomize:`: an overlay stack over about 1,000 objects rendered in-process by
/// ``KustomizeRenderer`` against the real `kubectl kustomize` on the same files, in the same run.
enum KustomizeBenchmark {
    static func run(rounds: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-kustomize-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for file in Corpus.kustomizeStack() {
            let path = directory + "/" + file.path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try Data(file.text.utf8).write(to: URL(fileURLWithPath: path))
        }
        let overlay = directory + "/overlays/prod-eu"
        let renderer = KustomizeRenderer()
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var oursBest = Double.infinity
        var kubectlBest = Double.infinity
        var ours: [KubeObject] = []
        var theirs: [Value] = []
        for _ in 0..<max(1, min(rounds, 3)) {
            let start = clock.now
            let objects = try await renderer.render(RenderInput(directory: overlay, root: directory))
            oursBest = min(oursBest, seconds(clock.now - start))
            ours = objects
            let kStart = clock.now
            let output = try GitCloneBenchmark.shell(["kubectl", "kustomize", overlay])
            kubectlBest = min(kubectlBest, seconds(clock.now - kStart))
            // kubectl's deprecation warnings, on standard error here, are YAML comments.
            theirs = try YAML.documents(output, source: "kubectl kustomize").map(\.value).filter { !$0.isNull }
        }
        let count = ours.count
        guard ours.map(\.value) == theirs else {
            let differing = zip(ours, theirs).filter { $0.value != $1 }.count
            print(
                "kustomize: WRONG RESULT: ours \(count) objects, kubectl kustomize \(theirs.count), \(differing) differ"
            )
            exit(1)
        }
        print(
            Measure.line(
                "kustomize",
                ours: 1 / oursBest,
                anchorName: "kubectl-kustomize",
                anchor: 1 / kubectlBest,
                unit: "renders/s"
            )
                + " \(count) objects, ours \(Measure.figure(oursBest * 1000)) ms, kubectl \(Measure.figure(kubectlBest * 1000)) ms; target ratio at least 10"
        )
    }
}
