import Testing

@testable import Manifests

/// Corners of the YAML reader's tree building that its fast paths (key caches, pending keys,
/// key indexes of large mappings) must keep right.
@Suite struct YAMLReaderEdgeTests {
    private func error(_ text: String, limits: ReadLimits = ReadLimits()) -> ManifestError? {
        do {
            _ = try YAML.documents(text, source: "e.yaml", limits: limits)
            return nil
        } catch {
            return error as? ManifestError
        }
    }

    @Test func nestedContainersRestoreTheParentsKey() throws {
        let v = try Value(yaml: "a: {b: [1, {c: d}, []], e: {}}\nf:\n  - g: h\n    i: [j]\n  - k\nl: m\n")
        #expect(v == ["a": ["b": [1, ["c": "d"], []], "e": [:]], "f": [["g": "h", "i": ["j"]], "k"], "l": "m"])
        #expect(v.objectValue?.keys == ["a", "f", "l"])
        #expect(v["a"]?.objectValue?.keys == ["b", "e"])
        #expect(try Value(yaml: "a: []\nb: {}\nc:\n") == ["a": [], "b": [:], "c": nil])
    }

    @Test func explicitKeysOverrideMergedOnesOnceThenCountAsDuplicates() throws {
        let v = try Value(yaml: "a:\n  <<: {x: 1, z: 2}\n  x: 3\n")
        #expect(v["a"] == ["x": 3, "z": 2])
        #expect(v["a"]?.objectValue?.keys == ["x", "z"])
        let e = error("a:\n  <<: {x: 1}\n  x: 2\n  x: 3\n")
        #expect(e?.message == "duplicate key 'x' in a mapping")
        #expect(e?.location == SourceLocation(source: "e.yaml", line: 4, column: 3))
    }

    @Test func mergeKeysInLargeMappings() throws {
        var text = "base: &b {k3: merged, extra: e}\nbig:\n"
        for k in 0..<30 { text += "  k\(k): \(k)\n" }
        text += "  <<: *b\n  k40: last\n"
        let big = try Value(yaml: text)["big"]?.objectValue
        #expect(big?.count == 32)
        #expect(big?["k3"] == "merged")
        #expect(big?["k29"] == 29)
        #expect(big?["extra"] == "e")
        #expect(big?.keys.last == "k40")
        #expect(big?.keys.first == "k0")
    }

    @Test func duplicatesAreFoundInLargeMappingsAndForEveryKeyLength() {
        var text = ""
        for k in 0..<40 { text += "key\(k): \(k)\n" }
        let large = error(text + "key7: again\n")
        #expect(large?.message == "duplicate key 'key7' in a mapping")
        #expect(large?.location == SourceLocation(source: "e.yaml", line: 41, column: 1))
        for key in ["a", "name", "fifteen-bytes-k", "sixteen-bytes-ke", String(repeating: "k", count: 200), "ключ"] {
            let e = error("x: 0\n\(key): 1\ny: 2\n\(key): 3\n")
            #expect(e?.message == "duplicate key '\(key)' in a mapping", "\(key)")
            #expect(e?.location?.line == 4, "\(key)")
        }
        var lenient = ReadLimits()
        lenient.rejectDuplicateKeys = false
        #expect(try! YAML.documents(text + "key7: again\n", limits: lenient)[0].value["key7"] == "again")
    }

    @Test func manyDistinctKeysOfEveryLengthComeOutIntact() throws {
        // More distinct keys than any key cache holds, repeated across documents, so that cached
        // keys are evicted and met again.
        var text = ""
        let keys = (0..<700).map { k in String(repeating: "k", count: 1 + k % 40) + "\(k)" }
        for _ in 0..<3 {
            text += "---\n"
            for (k, key) in keys.enumerated() { text += "\(key): v\(k)\n" }
        }
        let docs = try YAML.documents(text)
        #expect(docs.count == 3)
        for doc in docs {
            #expect(doc.value.objectValue?.keys == keys)
            #expect(doc.value[keys[699]] == "v699")
        }
    }

    @Test func shortScalarsKeepTheirBytes() throws {
        let v = try Value(yaml: "ключ: значение\né: \"ü\"\nTCP: TCP\nport: 'TCP'\nx: tcp\nw: TCPX\nz: TC\n")
        #expect(v.objectValue?.keys == ["ключ", "é", "TCP", "port", "x", "w", "z"])
        #expect(v["ключ"] == "значение")
        #expect(v["é"] == "ü")
        #expect(v["TCP"] == "TCP")
        #expect(v["port"] == "TCP")
        #expect(v["x"] == "tcp")
        #expect(v["w"] == "TCPX")
        #expect(v["z"] == "TC")
    }

    @Test func keywordsNeedTheirWholeSpelling() throws {
        let v = try Value(
            yaml: "a: nul\nb: nulls\nc: tru\nd: truE\ne: fals\nf: oN\ng: yES\nh: Nul\ni: nil\nj: NO\nk: ~x\n"
        )
        #expect(v["a"] == "nul")
        #expect(v["b"] == "nulls")
        #expect(v["c"] == "tru")
        #expect(v["d"] == "truE")
        #expect(v["e"] == "fals")
        #expect(v["f"] == "oN")
        #expect(v["g"] == "yES")
        #expect(v["h"] == "Nul")
        #expect(v["i"] == "nil")
        #expect(v["j"] == false)
        #expect(v["k"] == "~x")
    }

    @Test func theFirstByteTestNeverSkipsANonString() {
        // Every word that resolves to something other than a string, and every first byte.
        let words = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
            "OFF", "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~", ".inf", "-.Inf",
            ".nan", "12", "+1", "-1", "0x1F", ".5", ""]
        for word in words {
            var bytes = Array(word.utf8)
            bytes.withUnsafeBufferPointer { text in
                #expect(ScalarResolver.nonString(text) != nil, "\(word)")
                #expect(ScalarResolver.mayNotBeString(text), "\(word)")
            }
            bytes.removeAll()
        }
        for first in UInt8(0x21)...UInt8(0x7E) {
            for rest in ["", "es", "ull", "rue", "alse", "ff", "1", ".5"] {
                let bytes = [first] + Array(rest.utf8)
                bytes.withUnsafeBufferPointer { text in
                    if !ScalarResolver.mayNotBeString(text) {
                        #expect(ScalarResolver.nonString(text) == nil, "\(bytes)")
                    }
                }
            }
        }
    }

    @Test func aliasesAsKeysAndValues() throws {
        let v = try Value(yaml: "a: &k name\n*k : v\nb: &m {x: 1}\nc: *m\n")
        #expect(v == ["a": "name", "name": "v", "b": ["x": 1], "c": ["x": 1]])
        let e = error("a: &m {x: 1}\n*m : v\n")
        #expect(e?.message == "a mapping key must be a scalar")
        #expect(e?.location == SourceLocation(source: "e.yaml", line: 2, column: 1))
    }

    @Test func anchorsOnNestedContainersBelongToTheirOwnLevel() throws {
        let v = try Value(yaml: "a: &outer\n  b: &inner [1, 2]\n  c: *inner\nd: *outer\ne: *inner\n")
        #expect(v["d"] == ["b": [1, 2], "c": [1, 2]])
        #expect(v["e"] == [1, 2])
    }

    @Test func structuralErrorsKeepTheirMessages() {
        let cases: [(String, String)] = [
            ("a: 1\n b: 2\n", "e.yaml:2:3: mapping values are not allowed in this context"),
            (
                "a: [1, 2\nb: 3\n",
                "e.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)"
            ),
            (
                "a:\n  - x\n  y: z\n",
                "e.yaml:3:3: did not find expected '-' indicator (while parsing a block collection at line 2, column 3)"
            ),
            (
                "a:\n  b: 1\n  - c\n",
                "e.yaml:3:3: did not find expected key (while parsing a block mapping at line 2, column 3)"
            ),
            ("{a: 1}: b\n", "e.yaml:1:1: a mapping cannot be a mapping key; Kubernetes keys are strings"),
            ("? [a]\n: b\n", "e.yaml:1:3: a sequence cannot be a mapping key; Kubernetes keys are strings"),
            ("a: !!seq {b: 1}\n", "e.yaml:1:4: cannot read a mapping as !!seq"),
            ("a: !!bool maybe\n", "e.yaml:1:4: cannot read 'maybe' as !!bool"),
            ("null: 1\n", "e.yaml:1:1: a null mapping key cannot be read (Kubernetes keys are strings)"),
            ("a: *b\n", "e.yaml:1:4: unknown anchor 'b' (an alias must follow its anchor, outside it)"),
            ("a:\n  <<: 1\n", "e.yaml:2:7: a merge key ('<<') takes a mapping or a sequence of mappings"),
        ]
        for (text, expected) in cases {
            let e = error(text)
            #expect(e.map { "\($0.location.map { "\($0)" } ?? ""): \($0.message)" } == expected, "\(text)")
        }
    }

    @Test func tagsOnCollectionsAndScalars() throws {
        let v = try Value(yaml: "a: !!map {b: 1}\nc: !!seq [1]\nd: !x {e: f}\ng: !!str 1\n")
        #expect(v == ["a": ["b": 1], "c": [1], "d": ["e": "f"], "g": "1"])
    }
}
