// Prints one line per comparison, each measured in this run:
//   yaml-parse: ratio 0.87 (ours 50.1 MB/s, libyaml-events 57.6 MB/s)
// A ratio is our throughput over the anchor's (higher is better).
import CLibYAMLAnchor
import Corpus
import Foundation
import Manifests

let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 5
let objects = Corpus.objects()
let yaml = Corpus.yaml(objects)
let json = Corpus.jsonList(objects)
let mb = 1_000_000.0
print("corpus: \(objects.count) objects, YAML \(Measure.figure(Double(yaml.count) / mb)) MB, JSON \(Measure.figure(Double(json.count) / mb)) MB")

/// Bare libyaml event scanning of the same bytes: the floor any libyaml-based reader stands on.
func scanEvents(_ bytes: [UInt8]) -> Int {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return 0 }
    defer { yaml_parser_delete(&parser) }
    var count = 0
    bytes.withUnsafeBufferPointer { buffer in
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) == 1 {
            let done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            count += 1
            if done { break }
        }
    }
    return count
}

// YAML to Value against bare libyaml events.
let yamlTimes = try Measure.pair(rounds: rounds, ours: { try YAML.documents(yaml) }, anchor: { scanEvents(yaml) })
let yamlParseRate = Double(yaml.count) / mb / yamlTimes.ours
print(Measure.line("yaml-parse", ours: yamlParseRate, anchorName: "libyaml-events",
                   anchor: Double(yaml.count) / mb / yamlTimes.anchor, unit: "MB/s"))

// JSON to Value against Foundation's JSONSerialization.
let data = Data(json)
let jsonTimes = try Measure.pair(
    rounds: rounds, ours: { try Value(json: json) }, anchor: { try JSONSerialization.jsonObject(with: data) })
print(Measure.line("json-parse", ours: Double(json.count) / mb / jsonTimes.ours, anchorName: "foundation-jsonserialization",
                   anchor: Double(json.count) / mb / jsonTimes.anchor, unit: "MB/s"))

// YAML writing against YAML reading (ours), per byte of YAML.
let documents = try YAML.documents(yaml).map(\.value)
var written = 0
let emitSeconds = Measure.best(rounds: rounds) { () -> String in
    let text = YAML.string(documents: documents)
    written = text.utf8.count
    return text
}
print(Measure.line("yaml-emit", ours: Double(written) / mb / emitSeconds, anchorName: "yaml-parse",
                   anchor: yamlParseRate, unit: "MB/s"))

// JSON writing against JSON reading (ours), for the record.
let list = try Value(json: json)
var jsonWritten = 0
let jsonEmitSeconds = try Measure.best(rounds: rounds) { () -> [UInt8] in
    let bytes = try list.jsonBytes()
    jsonWritten = bytes.count
    return bytes
}
print(Measure.line("json-emit", ours: Double(jsonWritten) / mb / jsonEmitSeconds, anchorName: "json-parse",
                   anchor: Double(json.count) / mb / jsonTimes.ours, unit: "MB/s"))

// Memory held by the tree of the YAML corpus, against the file's size.
func heapInUse() -> Int { Int(mallinfo2().uordblks) }
let before = heapInUse()
let tree = try YAML.documents(yaml)
let treeBytes = heapInUse() - before
print("tree-memory: \(Measure.fixed(Double(treeBytes) / Double(yaml.count), 2)) times the file (tree \(Measure.figure(Double(treeBytes) / mb)) MB, file \(Measure.figure(Double(yaml.count) / mb)) MB; target at most 4)")
withExtendedLifetime(tree) {}
