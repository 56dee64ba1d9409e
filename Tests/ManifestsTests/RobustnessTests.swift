import Testing

@testable import Manifests

/// Broken input of every shape must give a value or a `ManifestError`, never a crash or a hang.
@Suite struct RobustnessTests {
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static let alphabet = Array("{}[]:,-? \n\t\"'\\&*!|>#%@`~.0123456789eE+abc<<\u{0}\u{FF}".utf8)

    /// Mutates `seed` bytes at random positions (insert, delete, replace).
    static func mutations(of seed: [UInt8], count: Int) -> [[UInt8]] {
        var random = Random(state: UInt64(seed.count))
        var results: [[UInt8]] = []
        for _ in 0..<count {
            var bytes = seed
            for _ in 0..<(1 + random.next(4)) {
                let position = random.next(bytes.count + 1)
                let byte = alphabet[random.next(alphabet.count)]
                switch random.next(3) {
                case 0: bytes.insert(byte, at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = byte }
                }
            }
            results.append(bytes)
        }
        return results
    }

    @Test func mutatedYAMLNeverCrashes() throws {
        let seed = Array(try LiveFixtures.bytes("deployment.json").prefix(1500))
        let yaml = try Value(json: LiveFixtures.bytes("statefulset-db.json")).yamlBytes()
        var errors = 0
        for input in Self.mutations(of: seed, count: 600) + Self.mutations(of: Array(yaml.prefix(1500)), count: 600) {
            do {
                let docs = try YAML.documents(input, source: "fuzz.yaml")
                // Whatever was read writes and reads back the same.
                for doc in docs { #expect(try Value(yaml: doc.value.yamlString()) == doc.value) }
            } catch let error as ManifestError {
                errors += 1
                #expect(error.location?.source == "fuzz.yaml" || error.code == .limitExceeded, "\(error)")
            }
        }
        #expect(errors > 0)
    }

    @Test func mutatedJSONNeverCrashes() throws {
        let seed = try LiveFixtures.bytes("pod-pending.json")
        var errors = 0
        for input in Self.mutations(of: Array(seed.prefix(2000)), count: 1500) {
            do {
                let value = try Value(json: input, source: "fuzz.json")
                if let text = try? value.jsonBytes() { #expect(try Value(json: text) == value) }
            } catch let error as ManifestError {
                errors += 1
                #expect(error.location != nil, "\(error)")
            }
        }
        #expect(errors > 0)
    }
}
