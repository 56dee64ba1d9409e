import Testing

@testable import Manifests

@Suite struct JSONTests {
    @Test func readsAllKinds() throws {
        let v = try Value(json: #"{"s":"a\"b\\c\n","i":-12,"d":1.5e3,"t":true,"f":false,"n":null,"a":[1,[],{}]}"#)
        #expect(v["s"] == "a\"b\\c\n")
        #expect(v["i"] == .int(-12))
        #expect(v["d"] == .double(1500))
        #expect(v["t"] == true)
        #expect(v["n"] == .null)
        #expect(v["a"] == [1, [], [:]])
        #expect(v.objectValue?.keys == ["s", "i", "d", "t", "f", "n", "a"])
    }

    @Test func unicodeEscapesAndSurrogatePairs() throws {
        #expect(try Value(json: #""\u00e9\u4e2d\ud83d\ude00""#) == "é中😀")
        #expect(try Value(json: #""\ud83d""#) == "\u{FFFD}")
        #expect(try Value(json: #""\ude00x""#) == "\u{FFFD}x")
        #expect(try Value(json: "\"héllo 😀\"") == "héllo 😀")
    }

    @Test func bigNumbers() throws {
        #expect(try Value(json: "9223372036854775807") == .int(.max))
        #expect(try Value(json: "-9223372036854775808") == .int(.min))
        #expect(try Value(json: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        var strict = ReadLimits()
        strict.rejectBigIntegers = true
        #expect(throws: ManifestError.self) { try Value(json: "99999999999999999999", limits: strict) }
        #expect(throws: ManifestError.self) { try Value(json: "1e400") }
    }

    @Test func errorsNameLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, "expected ':'"),
            ("[1, 2", 1, 6, "end of the input"),
            ("{\"a\": tru}", 1, 7, "expected 'true'"),
            ("01", 1, 1, "leading zero"),
            ("\"abc", 1, 1, "unterminated"),
            ("\"a\tb\"", 1, 3, "control character"),
            ("[1,]", 1, 4, "expected a value"),
            ("{} x", 1, 4, "unexpected text"),
            ("\"\\q\"", 1, 2, "invalid escape"),
        ]
        for (text, line, column, message) in cases {
            do {
                _ = try Value(json: text, source: "t.json")
                Issue.record("no error for \(text)")
            } catch let e as ManifestError {
                #expect(e.code == .jsonSyntax, "\(text)")
                #expect(e.location == SourceLocation(source: "t.json", line: line, column: column), "\(text): \(e)")
                #expect(e.message.contains(message), "\(text): \(e)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func invalidUTF8IsAnError() {
        let bytes: [UInt8] = Array("{\"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect { try Value(json: bytes, source: "x.json") } throws: { error in
            let e = error as? ManifestError
            return e?.code == .invalidUTF8 && e?.location?.column == 8
        }
    }

    @Test func limits() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect { try Value(json: deep) } throws: { ($0 as? ManifestError)?.code == .limitExceeded }
        var small = ReadLimits()
        small.maxBytes = 4
        #expect { try Value(json: "[1,2,3]", limits: small) } throws: { ($0 as? ManifestError)?.code == .limitExceeded }
        #expect { try Value(json: #"{"a":1,"a":2}"#) } throws: {
            ($0 as? ManifestError)?.message.contains("duplicate key") == true
        }
        var lenient = ReadLimits()
        lenient.rejectDuplicateKeys = false
        #expect(try Value(json: #"{"a":1,"b":0,"a":2}"#, limits: lenient) == ["a": 2, "b": 0])
    }

    @Test func largeObjectsFindDuplicates() throws {
        var text = "{"
        for k in 0..<200 { text += "\"k\(k)\":\(k)," }
        text += "\"k150\":0}"
        #expect(throws: ManifestError.self) { try Value(json: text) }
    }

    @Test func writesCompactAndIndented() throws {
        let v: Value = ["a": [1, 2.5, "x\n\"", nil, true], "b": [:], "c": []]
        #expect(try v.jsonString() == #"{"a":[1,2.5,"x\n\"",null,true],"b":{},"c":[]}"#)
        #expect(
            try v.jsonString(JSONWriteOptions(indent: 2)) == """
                {
                  "a": [
                    1,
                    2.5,
                    "x\\n\\"",
                    null,
                    true
                  ],
                  "b": {},
                  "c": []
                }
                """
        )
        #expect(
            try Value.string("<a&b>\u{1}").jsonString(JSONWriteOptions(escapeHTML: true))
                == #""\u003ca\u0026b\u003e\u0001""#
        )
        #expect(throws: ManifestError.self) { try Value.double(.infinity).jsonString() }
        #expect(try Value.double(2).jsonString() == "2")
        #expect(try Value.double(1e-7).jsonString() == "1e-07")
    }

    @Test func liveObjectsRoundTrip() throws {
        for name in LiveFixtures.names {
            let bytes = try LiveFixtures.bytes(name)
            let value = try Value(json: bytes, source: name)
            #expect(value["metadata"]?["name"] != nil, "\(name)")
            #expect(try Value(json: value.jsonBytes()) == value, "\(name)")
            let pretty = try value.jsonBytes(JSONWriteOptions(indent: 4))
            #expect(try Value(json: pretty) == value)
        }
    }
}

enum LiveFixtures {
    static let names = [
        "crd-widgets.json", "daemonset-agent.json", "deployment-mid-rollout.json",
        "deployment-progress-deadline-exceeded.json", "deployment.json", "job.json", "pod-pending.json",
        "pvc-pending.json", "replicaset.json", "service-loadbalancer.json", "statefulset-db.json", "widget-w.json",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        try FileSystem.readFile(fixturePath("live/" + name), maxBytes: 1 << 20)
    }
}

/// The path of a file under Tests/ManifestsTests/Fixtures.
func fixturePath(_ relative: String) -> String {
    let here = #filePath
    let dir = here[..<(here.lastIndex(of: "/") ?? here.endIndex)]
    return "\(dir)/Fixtures/\(relative)"
}
