import Testing

@testable import Manifests

@Suite struct YAMLWriterTests {
    @Test func kubectlStyle() {
        let v: Value = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "web", "labels": ["app": "web"]],
            "spec": [
                "containers": [["name": "app", "args": ["--port", "8080"], "ports": [["containerPort": 80]]]],
                "volumes": [], "nodeSelector": [:],
            ],
            "data": ["script": "echo one\necho two\n"],
            "matrix": [[1, 2], [3]],
        ]
        #expect(
            v.yamlString() == """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  labels:
                    app: web
                spec:
                  containers:
                  - name: app
                    args:
                    - --port
                    - "8080"
                    ports:
                    - containerPort: 80
                  volumes: []
                  nodeSelector: {}
                data:
                  script: |
                    echo one
                    echo two
                matrix:
                - - 1
                  - 2
                - - 3

                """
        )
    }

    /// Strings that must be quoted, or written as blocks, to read back the same.
    static let trickyStrings: [String] = [
        "", " ", "true", "on", "Yes", "y", "n", "null", "~", "123", "0777", "1e3", ".5", "-1", "+1", "1_000",
        "0x1F", ".inf", "-.inf", ".nan", "1e400", "2001-12-14", "12:30", "<<", "-", "--", "---", "- x", "-x",
        "a: b", "a:b", "a #b", "a#b", "#c", "key:", "@at", "`tick", "!bang", "&amp", "*star", "|pipe", ">gt",
        "%pct", "'single'", "\"double\"", "[a]", "{a}", ",c", "?q", "? q", ":c", "trailing ", " leading",
        "tab\there", "\ttab", "line\nbreak", "trailing newline\n", "two\n\n", "\nleading newline",
        "  indented\nblock", "cr\r\nlf", "nul\u{0}x", "bell\u{7}", "del\u{7F}", "nel\u{85}x", "ls\u{2028}x",
        "bom\u{FEFF}", "émoji 😀", "中文", "back\\slash", "quote'in", "\n", "\n\n", "last line  \n", "x\n  y\n",
        "a\u{A0}b", "#", "=", "null ", "True", "FALSE", "0", "-0", "0.0", "1.", "0o17", "0b1", "08",
    ]

    @Test func stringsRoundTrip() throws {
        for s in Self.trickyStrings {
            let v: Value = [s.isEmpty ? "empty" : "k": .string(s), "list": [.string(s)]]
            let text = v.yamlString()
            let back = try Value(yaml: text)
            #expect(back == v, "\(s.debugDescription) was written as:\n\(text)")
            if s.isEmpty || s.contains("\n") || s.utf8.count > 200 { continue }
            let keyed: Value = .object(ObjectValue([(s, .int(1))]))
            #expect(try Value(yaml: keyed.yamlString()) == keyed, "key \(s.debugDescription): \(keyed.yamlString())")
        }
    }

    @Test func scalarsRoundTrip() throws {
        let v: Value = [
            "i": .int(.min), "j": .int(.max), "d": 0.1, "e": 1e-7, "big": 1e300, "neg": -2.5, "inf": .double(.infinity),
            "ninf": .double(-.infinity), "t": true, "f": false, "n": nil, "nested": [[[:]], [[]]],
        ]
        let back = try Value(yaml: v.yamlString())
        #expect(back["i"] == .int(.min))
        #expect(back["big"] == 1e300)
        #expect(back["inf"] == .double(.infinity))
        #expect(back == v)
        let nan = try Value(yaml: Value.double(.nan).yamlString())
        #expect(nan.doubleValue?.isNaN == true)
    }

    @Test func liveObjectsRoundTrip() throws {
        for name in LiveFixtures.names {
            let value = try Value(json: LiveFixtures.bytes(name))
            let text = value.yamlString()
            #expect(try Value(yaml: text) == value, "\(name)")
            #expect(try Value(yaml: text).objectValue?.keys == value.objectValue?.keys)
        }
    }

    @Test func streams() throws {
        let text = YAML.string(documents: [["a": 1], ["b": 2]])
        #expect(text == "a: 1\n---\nb: 2\n")
        #expect(try YAML.documents(text).map(\.value) == [["a": 1], ["b": 2]])
    }
}
