import Foundation
import Manifests
import Testing

// BEGIN README EXAMPLE
/// The replica count of every Deployment under `directory`, skipping test fixtures.
func replicas(in directory: String) async throws -> [ResourceKey: Int64] {
    let renderer = DirectoryRenderer(exclude: [try GlobPattern("**/*-test.yaml")])
    var result: [ResourceKey: Int64] = [:]
    for object in try await renderer.render(RenderInput(directory: directory)) where object.kind == "Deployment" {
        result[object.key] = object["spec"]?["replicas"]?.intValue ?? 1
    }
    return result
}
// END README EXAMPLE

/// Keeps README.md's Swift example compiling and true.
@Suite struct ReadmeExampleTests {
    @Test func readmeShowsThisExactCode() throws {
        let here = #filePath
        let testFile = try String(contentsOfFile: here, encoding: .utf8)
        let root = here.components(separatedBy: "/Tests/")[0]
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let example = testFile.components(separatedBy: "// BEGIN README EXAMPLE\n")[1]
            .components(separatedBy: "// END README EXAMPLE")[0]
        let readmeBlock = readme.components(separatedBy: "```swift\nimport Manifests\n\n")[1]
            .components(separatedBy: "```")[0]
        #expect(readmeBlock == example)
    }

    @Test func exampleWorks() async throws {
        let counts = try await replicas(in: fixturePath("render"))
        #expect(counts == [ResourceKey(group: "apps", kind: "Deployment", namespace: "shop", name: "web"): 2])
    }
}
