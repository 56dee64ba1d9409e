import Testing

@testable import Manifests

@Suite struct YAMLReaderTests {
    /// Each plain scalar and what kubectl v1.37 sends for it (checked with
    /// `kubectl annotate --local -o json -f file.yaml k=v`, see Documentation/YAML.md).
    @Test(
        arguments: [
            ("on", Value.bool(true)), ("On", true), ("yes", true), ("Y", true), ("y", true), ("TRUE", true),
            ("off", false), ("Off", false), ("n", false), ("No", false), ("false", false),
            ("~", nil), ("null", nil), ("Null", nil), ("NULL", nil), ("", nil),
            ("0777", 511), ("0o17", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("+12", 12), ("-0x10", -16),
            ("1e3", 1000), ("1.5", 1.5), ("2.0", 2), ("08", 8), (".5", 0.5), ("-.5", -0.5),
            ("9223372036854775807", .int(.max)), ("9223372036854775808", .double(9_223_372_036_854_775_808)),
            ("-9223372036854775809", .double(-9223372036854775808.0)),
            ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"), ("2002-12-14", "2002-12-14"),
            ("1:20", "1:20"), ("1e400", "1e400"), ("_1", "_1"), ("nope", "nope"), ("0x", "0x"), ("-x", "-x"),
            ("1.2.3", "1.2.3"), ("yes please", "yes please"), ("0o8", "0o8"),
        ] as [(String, Value)]
    )
    func plainScalarsResolveLikeKubectl(text: String, expected: Value) throws {
        let v = try Value(yaml: "k: \(text)\n")
        #expect(v["k"] == expected)
        if case .string = expected { #expect(v["k"]?.stringValue == expected.stringValue) }
    }

    @Test func specialFloats() throws {
        let v = try Value(yaml: "a: .inf\nb: -.Inf\nc: .NaN\nd: +.INF\n")
        #expect(v["a"] == .double(.infinity))
        #expect(v["b"] == .double(-.infinity))
        #expect(v["c"]?.doubleValue?.isNaN == true)
        #expect(v["d"] == .double(.infinity))
    }

    @Test func quotedAndBlockScalarsAreStrings() throws {
        let v = try Value(
            yaml: """
                a: "true"
                b: '0777'
                c: !!str 12
                d: |
                  line one
                  line two
                e: >-
                  folded
                  text
                f: !!int "42"
                g: !!float 3
                h: !custom 7
                """
        )
        #expect(v["a"] == "true")
        #expect(v["b"] == "0777")
        #expect(v["c"] == "12")
        #expect(v["d"] == "line one\nline two\n")
        #expect(v["e"] == "folded text")
        #expect(v["f"] == .int(42))
        #expect(v["g"] == .double(3))
        #expect(v["h"] == "7")
        #expect(throws: ManifestError.self) { try Value(yaml: "a: !!int abc") }
    }

    @Test func nonStringKeysBecomeText() throws {
        let v = try Value(yaml: "1: one\n1.5: x\n3.0: three\ntrue: t\noff: f\n")
        #expect(v.objectValue?.keys == ["1", "1.5", "3", "true", "false"])
        #expect(throws: ManifestError.self) { try Value(yaml: "~: x") }
        #expect(throws: ManifestError.self) { try Value(yaml: "? [a, b]\n: x") }
    }

    @Test func multiDocumentStreams() throws {
        let docs = try YAML.documents(
            """
            # leading comment
            a: 1
            ---
            ---
            b: 2
            ...
            ---
            - x
            """,
            source: "s.yaml"
        )
        #expect(docs.map(\.value) == [["a": 1], nil, ["b": 2], ["x"]])
        #expect(docs[0].location.line == 2)
        #expect(docs[2].location == SourceLocation(source: "s.yaml", line: 5, column: 1))
        #expect(try YAML.documents("").isEmpty)
        #expect(try YAML.documents("# only a comment\n").isEmpty)
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let v = try Value(
            yaml: """
                base: &base
                  image: nginx
                  port: 80
                other: &other {port: 81, tier: web}
                a:
                  <<: *base
                  port: 8080
                b:
                  <<: [*other, *base]
                c:
                  name: c
                  <<: *base
                list: &l [1, 2]
                copy: *l
                """
        )
        #expect(v["a"] == ["image": "nginx", "port": 8080])
        #expect(v["a"]?.objectValue?.keys == ["image", "port"])
        #expect(v["b"] == ["port": 81, "tier": "web", "image": "nginx"])
        #expect(v["c"] == ["name": "c", "image": "nginx", "port": 80])
        #expect(v["copy"] == [1, 2])
        #expect { try Value(yaml: "a: *nope") } throws: {
            ($0 as? ManifestError)?.message.contains("unknown anchor") == true
        }
        #expect(throws: ManifestError.self) { try Value(yaml: "a: &x 1\nb:\n  <<: *x") }
    }

    @Test func billionLaughsFailsFast() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for k in 1...9 {
            let refs = Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ")
            text += "a\(k): &a\(k) [\(refs)]\n"
        }
        let clock = ContinuousClock()
        let start = clock.now
        #expect { try Value(yaml: text, source: "lol.yaml") } throws: { error in
            let e = error as? ManifestError
            return e?.code == .limitExceeded && e?.message.contains("billion laughs") == true
                && e?.location?.source == "lol.yaml"
        }
        #expect(clock.now - start < .seconds(10))  // expanding would take hours
    }

    @Test func depthAndSizeLimits() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect { try Value(yaml: deep) } throws: { ($0 as? ManifestError)?.code == .limitExceeded }
        var small = ReadLimits()
        small.maxBytes = 10
        #expect { try Value(yaml: "a: 1234567890", limits: small) } throws: {
            ($0 as? ManifestError)?.code == .limitExceeded
        }
    }

    @Test func duplicateKeys() throws {
        #expect { try Value(yaml: "a: 1\nb: 2\na: 3\n", source: "d.yaml") } throws: { error in
            let e = error as? ManifestError
            return e?.location == SourceLocation(source: "d.yaml", line: 3, column: 1)
                && e?.message.contains("duplicate key 'a'") == true
        }
        var lenient = ReadLimits()
        lenient.rejectDuplicateKeys = false
        #expect(try Value(yaml: "a: 1\na: 3\n", limits: lenient) == ["a": 3])
    }

    @Test func syntaxErrorsNameLineAndColumn() {
        let cases: [(String, Int, Int)] = [
            ("a: 1\n b: 2\n", 2, 3),
            ("a: [1, 2\nb: 3\n", 2, 2),
            ("a:\n  - x\n  y: z\n", 3, 3),
            ("key: \"unterminated\n", 2, 1),
            ("a: b: c\n", 1, 5),
            ("\tkey: 1\n", 1, 1),
        ]
        for (text, line, column) in cases {
            do {
                _ = try YAML.documents(text, source: "bad.yaml")
                Issue.record("no error for \(text)")
            } catch let e as ManifestError {
                #expect(e.code == .yamlSyntax, "\(text)")
                #expect(e.location?.source == "bad.yaml")
                #expect(e.location?.line == line, "\(text): \(e)")
                #expect(e.location?.column == column, "\(text): \(e)")
                #expect(!e.message.isEmpty)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func invalidUTF8() {
        let bytes: [UInt8] = Array("a: b\nc: ".utf8) + [0xFF] + Array("\n".utf8)
        #expect { try YAML.documents(bytes, source: "u.yaml") } throws: { error in
            let e = error as? ManifestError
            return e?.code == .invalidUTF8 && e?.location == SourceLocation(source: "u.yaml", line: 2, column: 4)
        }
    }

    @Test func liveObjectsReadAsYAMLToo() throws {
        // JSON is YAML: the same bytes through the YAML reader give the same value.
        for name in LiveFixtures.names {
            let bytes = try LiveFixtures.bytes(name)
            #expect(try Value(yaml: String(decoding: bytes, as: UTF8.self)) == Value(json: bytes), "\(name)")
        }
    }
}
