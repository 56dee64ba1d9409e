import Manifests
import Testing

@testable import Diff

/// The index of known defaults (by kind, then by the member a default is about) must answer as a
/// plain scan of the table does: every default's kinds, pattern and values, in turn.
@Suite struct KnownDefaultsIndexTests {
    /// The answer of the table read entry by entry.
    func reference(_ table: [KnownDefault], kind: String, path: FieldPath, value: Value) -> Bool {
        table.contains { d in
            (d.kinds?.contains(kind) ?? true) && d.pattern.matchesExactly(path) && (d.values?.contains(value) ?? true)
        }
    }

    /// Patterns of every shape the language has: `**` first, in the middle, twice; `*`, selectors,
    /// positions, numeric names; kinds or none; values or any.
    func customTable() throws -> [KnownDefault] {
        func d(_ kinds: Set<String>?, _ pattern: String, _ values: [Value]?) throws -> KnownDefault {
            KnownDefault(kinds: kinds, pattern: try PathPattern(pattern), values: values)
        }
        return [
            try d(nil, "/spec/mode", ["auto"]),
            try d(["Widget"], "**/size", [1, 2]),
            try d(["Widget", "Gadget"], "/spec/**/limit", nil),
            try d(nil, "/spec/items[name=a]/weight", [5]),
            try d(nil, "/spec/items/*/colour", ["red"]),
            try d(nil, "**/parts/**/depth", [0]),
            try d(["Gadget"], "/spec/list/0", ["first"]),
            try d(nil, "/spec/args[1]/value", ["x"]),
            try d(nil, "/spec/free/*", nil),
            try d(nil, "/spec/flags[=on]", nil),
            try d(nil, "", nil),
        ]
    }

    /// Paths that end in a member, as the comparison asks them.
    func paths() -> [FieldPath] {
        let a: PathComponent = .key(["name": "a"])
        let b: PathComponent = .key(["name": "b"])
        let raw: [[PathComponent]] = [
            [.field("spec"), .field("mode")],
            [.field("mode")],
            [.field("spec"), .field("size")],
            [.field("size")],
            [.field("spec"), .field("x"), .field("y"), .field("size")],
            [.field("spec"), .field("limit")],
            [.field("spec"), .field("a"), .field("limit")],
            [.field("status"), .field("limit")],
            [.field("spec"), .field("items"), a, .field("weight")],
            [.field("spec"), .field("items"), b, .field("weight")],
            [.field("spec"), .field("items"), b, .field("colour")],
            [.field("spec"), .field("items"), .index(3), .field("colour")],
            [.field("spec"), .field("items"), .field("colour")],
            [.field("parts"), .field("depth")],
            [.field("spec"), .field("parts"), a, .field("inner"), .field("depth")],
            [.field("spec"), .field("list"), .field("0")],
            [.field("spec"), .field("args"), .index(1), .field("value")],
            [.field("spec"), .field("args"), .index(2), .field("value")],
            [.field("spec"), .field("free"), .field("anything")],
            [.field("spec"), .field("flags"), .field("on")],
        ]
        return raw.map(FieldPath.init)
    }

    @Test func answersAsTheTableDoes() throws {
        let table = try customTable()
        let index = KnownDefaultsIndex(table)
        let values: [Value] = ["auto", "red", "first", "x", 0, 1, 2, 5, 7, true]
        var defaults = 0
        for kind in ["Widget", "Gadget", "Deployment"] {
            for path in paths() {
                guard case .field(let name)? = path.components.last else { continue }
                for value in values {
                    let expected = reference(table, kind: kind, path: path, value: value)
                    let got = index.forKind(kind).isDefault(name: name, path: path, value: value)
                    #expect(got == expected, "\(kind) \(path) \(value)")
                    if expected { defaults += 1 }
                }
            }
        }
        #expect(defaults > 40)  // the cases are not all "no"
    }

    /// The built-in table over every member of the real objects of a kube-apiserver v1.36.
    @Test func builtinAnswersAsTheTableDoes() throws {
        let index = KnownDefaultsIndex(KnownDefault.builtin)
        var checked = 0
        for name in ["deployment.json", "service-loadbalancer.json"] {
            let object = try fixture(name)
            let kind = object.kind ?? ""
            func walk(_ value: Value, _ path: [PathComponent]) {
                switch value {
                case .object(let o):
                    for e in o.entries {
                        let p = FieldPath(path + [.field(e.key)])
                        let got = index.forKind(kind).isDefault(name: e.key, path: p, value: e.value)
                        #expect(got == reference(KnownDefault.builtin, kind: kind, path: p, value: e.value), "\(p)")
                        checked += 1
                        walk(e.value, path + [.field(e.key)])
                    }
                case .array(let items):
                    for (i, item) in items.enumerated() {
                        let component: PathComponent =
                            item["name"].map { .key(["name": $0]) } ?? .index(i)
                        walk(item, path + [component])
                    }
                default:
                    break
                }
            }
            walk(object.value, [])
        }
        #expect(checked > 100)
    }

    /// Options whose table is changed after they were made use the new table.
    @Test func changingTheTableOfOptionsRebuildsTheIndex() throws {
        var options = DiffOptions(fieldManager: "curl")
        let path = FieldPath([.field("spec"), .field("sessionAffinity")])
        #expect(options.knownDefaultsIndex.forKind("Service").isDefault(name: "sessionAffinity", path: path, value: "None"))
        options.knownDefaults = []
        #expect(!options.knownDefaultsIndex.forKind("Service").isDefault(name: "sessionAffinity", path: path, value: "None"))
        options.knownDefaults = try customTable()
        #expect(options.knownDefaultsIndex.forKind("Widget").isDefault(
            name: "size", path: FieldPath([.field("size")]), value: 2))
    }
}
