import Manifests
import Testing

@testable import Diff

/// The path of a file under Tests/DiffTests/Fixtures.
func fixturePath(_ relative: String) -> String {
    let here = #filePath
    let dir = here[..<(here.lastIndex(of: "/") ?? here.endIndex)]
    return "\(dir)/Fixtures/\(relative)"
}

/// A fixture object, JSON or YAML by its extension.
func fixture(_ name: String) throws -> KubeObject {
    let bytes = try FileSystem.readFile(fixturePath(name), maxBytes: 4 << 20)
    if name.hasSuffix(".json") { return try KubeObject(Value(json: bytes, source: name)) }
    return try KubeObject(Value(yaml: String(decoding: bytes, as: UTF8.self), source: name))
}

/// An object from YAML text.
func object(_ yaml: String) throws -> KubeObject { try KubeObject(Value(yaml: yaml)) }

/// The changes as `kind path` lines, for compact expectations.
func summary(_ diff: ObjectDiff) -> [String] { diff.changes.map { "\($0.kind.rawValue) \($0.path)" } }

/// Applies the diff's JSON Patch and merge patch to live and checks that each result is then in
/// sync with desired; returns the JSON-patched object.
@discardableResult
func checkPatches(_ differ: Differ, _ diff: ObjectDiff, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Value {
    let patched = try JSONPatch.apply(diff.jsonPatch(), to: diff.live.value)
    let again = try differ.diff(desired: diff.desired, live: KubeObject(patched))
    #expect(again.isInSync, "after the JSON Patch: \(again.changes)", sourceLocation: sourceLocation)
    let merged = MergePatch.apply(try diff.mergePatch(), to: diff.live.value)
    let again2 = try differ.diff(desired: diff.desired, live: KubeObject(merged))
    #expect(again2.isInSync, "after the merge patch: \(again2.changes)", sourceLocation: sourceLocation)
    return patched
}
