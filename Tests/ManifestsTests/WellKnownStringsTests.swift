import Testing

@testable import Manifests

/// The readers' shared Kubernetes vocabulary: found for its exact bytes only, and shared by every
/// tree the readers build.
@Suite struct WellKnownStringsTests {
    /// Where a string's bytes are (one storage shared by two strings gives the same address).
    private func address(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { $0.baseAddress.map(UnsafeRawPointer.init) } ?? nil
    }

    private func lookUp(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { WellKnownStrings.string(UnsafeRawPointer($0.baseAddress!), count: $0.count) }
    }

    @Test func membersAreDistinctLongAndFoundByTheirBytesOnly() {
        let members = WellKnownStrings.members
        #expect(Set(members).count == members.count)
        #expect(members.count > 400)
        #expect(members.allSatisfy { $0.utf8.count > 15 && $0.utf8.count <= WellKnownStrings.longest })
        for member in members {
            // A copy of the bytes, not the member itself, as a reader would pass them.
            let found = lookUp(String(decoding: Array(member.utf8), as: UTF8.self))
            #expect(found == member)
            #expect(found.map(address) == address(member), "\(member)")
            // The same length with one byte changed (first, middle, last), and one byte more or less.
            var bytes = Array(member.utf8)
            for position in [0, bytes.count / 2, bytes.count - 1] {
                let saved = bytes[position]
                bytes[position] = saved == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
                #expect(lookUp(String(decoding: bytes, as: UTF8.self)) == nil, "\(member) at \(position)")
                bytes[position] = saved
            }
            for other in [member + "s", String(member.dropLast())] {
                #expect(lookUp(other) == (members.contains(other) ? other : nil))
            }
        }
        #expect(lookUp("creationStamp") == nil)  // 13 bytes: never looked up
        #expect(lookUp(String(repeating: "a", count: 300)) == nil)
    }

    @Test func readersShareTheMembersAndLeaveOtherStringsAlone() throws {
        let json = """
            {"metadata": {"creationTimestamp": "2026-11-27T06:00:00Z", "labels": {"app.kubernetes.io/name": "web"}},
             "spec": {"terminationMessagePath": "/dev/termination-log", "schedulerName": "default-scheduler",
                      "terminationMessage\\u0050olicy": "FallbackToLogsOnError", "notAWellKnownFieldName": "not-a-well-known-value"}}
            """
        let yaml = """
            metadata:
              creationTimestamp: "2026-11-27T06:00:00Z"
              labels: {app.kubernetes.io/name: web}
            spec:
              terminationMessagePath: /dev/termination-log
              schedulerName: 'default-scheduler'
              terminationMessagePolicy: FallbackToLogsOnError
              notAWellKnownFieldName: not-a-well-known-value
            """
        let fromJSON = try Value(json: json)
        let fromYAML = try Value(yaml: yaml)
        #expect(fromJSON == fromYAML)
        for tree in [fromJSON, fromYAML] {
            let spec = try #require(tree["spec"]?.objectValue)
            let metadata = try #require(tree["metadata"]?.objectValue)
            // (The JSON text writes `terminationMessagePolicy` with an escape: read into a string
            // of its own, equal to the member.)
            let member = try #require(spec.entries.first { $0.key == "terminationMessagePath" })
            #expect(address(member.key) == address(try #require(lookUp("terminationMessagePath"))))
            #expect(spec["terminationMessagePolicy"] == "FallbackToLogsOnError")
            #expect(address(try #require(spec["terminationMessagePath"]?.stringValue)) == address(try #require(lookUp("/dev/termination-log"))))
            #expect(address(try #require(spec["schedulerName"]?.stringValue)) == address(try #require(lookUp("default-scheduler"))))
            #expect(address(try #require(metadata.entries.first?.key)) == address(try #require(lookUp("creationTimestamp"))))
            // Strings outside the vocabulary are the reader's own.
            let other = try #require(spec.entries.first { $0.key == "notAWellKnownFieldName" })
            #expect(other.value == "not-a-well-known-value")
            #expect(lookUp(other.key) == nil)
        }
    }
}
