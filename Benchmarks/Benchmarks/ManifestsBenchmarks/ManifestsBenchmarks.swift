// Distributions of the Manifests hot paths with package-benchmark: `swift package benchmark`.
// The ratio lines of `make bench` come from the bench-ratios executable.
import Benchmark
import Corpus
import Foundation
import Manifests

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(5),
        maxIterations: 20
    )
    let objects = Corpus.objects()
    let yaml = Corpus.yaml(objects)
    let json = Corpus.jsonList(objects)
    let documents = objects

    Benchmark("yaml-parse") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try YAML.documents(yaml)) }
    }
    Benchmark("json-parse") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Value(json: json)) }
    }
    Benchmark("json-parse-foundation") { benchmark in
        let data = Data(json)
        for _ in benchmark.scaledIterations { blackHole(try JSONSerialization.jsonObject(with: data)) }
    }
    Benchmark("yaml-emit") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(YAML.string(documents: documents)) }
    }
    Benchmark("json-emit") { benchmark in
        let list: Value = ["apiVersion": "v1", "kind": "List", "items": .array(documents)]
        for _ in benchmark.scaledIterations { blackHole(try list.jsonBytes()) }
    }
}
