import Manifests

/// One step of a ``FieldPath``.
public enum PathComponent: Sendable, Hashable, CustomStringConvertible {
    /// A member of an object.
    case field(String)
    /// A position in an atomic list.
    case index(Int)
    /// An element of a map list (containers, env, ports...), named by its merge-key fields, such as
    /// `{"name": "app"}` or `{"containerPort": 8080, "protocol": "TCP"}`.
    case key(ObjectValue)
    /// An element of a set list (finalizers...), named by its value.
    case value(Value)

    /// The component as written in a path: `/image`, `/0`, `[name=app]`, `[=foo]`.
    public var description: String {
        switch self {
        case .field(let name): return "/" + PathComponent.escape(name)
        case .index(let i): return "/\(i)"
        case .key(let keys):
            return "[" + keys.entries.map { "\($0.key)=\(PathComponent.text($0.value))" }.joined(separator: ",") + "]"
        case .value(let v): return "[=\(PathComponent.text(v))]"
        }
    }

    /// A scalar as it appears in a selector: strings bare, numbers and booleans as written.
    static func text(_ value: Value) -> String {
        if case .string(let s) = value { return s }
        return value.description
    }

    static func escape(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return name }
        var out = ""
        for c in name {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Where a change is, in the path language of ``PathPattern``: fields as in a JSON pointer, and
/// list elements by their merge keys where the list has them, such as
/// `/spec/template/spec/containers[name=app]/image`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// The steps from the object's root.
    public var components: [PathComponent]

    /// A path of `components`.
    public init(_ components: [PathComponent]) { self.components = components }

    /// The path as text; the root is the empty string, as in a JSON pointer.
    public var description: String { components.map(\.description).joined() }
}

/// A path as ``PathPattern`` matches it: its components by position. ``FieldPath`` is one; the
/// comparison's fast path matches its own position without building a ``FieldPath``.
protocol MatchablePath {
    /// The number of components.
    var componentCount: Int { get }
    /// Whether the component at `position` matches one step of a pattern.
    func component(at position: Int, matches step: PathPattern.Step) -> Bool
    /// Whether the component at `position` is the field `name`.
    func component(at position: Int, isField name: String) -> Bool
}

extension FieldPath: MatchablePath {
    var componentCount: Int { components.count }

    func component(at position: Int, isField name: String) -> Bool {
        if case .field(let field) = components[position] { return KeyBytes.same(field, name) }
        return false
    }

    func component(at position: Int, matches step: PathPattern.Step) -> Bool {
        PathPattern.matchOne(step, components[position])
    }
}

/// A pattern of the ignore-rule path language, matched against ``FieldPath``s.
///
/// The language extends JSON pointers (RFC 6901, with `~0` for `~` and `~1` for `/`):
///
/// - `/spec/replicas`: a field; a plain JSON pointer is a pattern.
/// - `/spec/template/spec/containers[name=app]/image`: a map-list element chosen by its merge
///   keys; several keys are separated by commas, `ports[containerPort=8080,protocol=TCP]`.
/// - `/metadata/finalizers[=example.com/cleanup]`: a set-list element chosen by its value.
/// - `/spec/args/0` or `/spec/args[0]`: a position in an atomic list.
/// - `*` matches any one step (a field or an element): `/spec/template/spec/containers/*/image`,
///   `containers[*]`.
/// - `**` matches any number of steps, none included: `**/imagePullPolicy`.
///
/// A pattern ignores the whole subtree under what it matches.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        /// A field name (or, when numeric, also a list position).
        case name(String)
        /// A list position written `[n]`.
        case index(Int)
        /// Merge-key selectors, `[k=v,...]`.
        case keys([SelectorTerm])
        /// A set element, `[=v]`.
        case setValue(String)
        /// `*`
        case any
        /// `**`
        case anyDepth
    }

    struct SelectorTerm: Sendable, Hashable {
        var key: String
        var value: String
    }

    let steps: [Step]
    /// The pattern as written.
    public let text: String

    /// Parses a pattern.
    ///
    /// - Throws: ``DiffError`` (`.invalidPath`) when the text does not start with `/`, has an
    ///   unclosed `[`, an empty selector, or a bad `~` escape.
    public init(_ text: String) throws {
        self.text = text
        guard !text.isEmpty else {
            steps = []
            return
        }
        let bytes = Array(text.utf8)
        guard bytes[0] == UInt8(ascii: "/") || bytes.starts(with: Array("**".utf8)) else {
            throw DiffError(.invalidPath, "a path pattern must start with '/' (or '**')", path: text)
        }
        var steps: [Step] = []
        var i = bytes[0] == UInt8(ascii: "/") ? 1 : 0
        func fail(_ message: String) -> DiffError { DiffError(.invalidPath, message, path: text) }
        while i <= bytes.count {
            // One segment: a name up to '/', '[' or the end, then selectors.
            var name: [UInt8] = []
            var sawName = false
            while i < bytes.count, bytes[i] != UInt8(ascii: "/"), bytes[i] != UInt8(ascii: "[") {
                sawName = true
                if bytes[i] == UInt8(ascii: "~") {
                    guard i + 1 < bytes.count else { throw fail("'~' at the end; write ~0 for '~' and ~1 for '/'") }
                    switch bytes[i + 1] {
                    case UInt8(ascii: "0"): name.append(UInt8(ascii: "~"))
                    case UInt8(ascii: "1"): name.append(UInt8(ascii: "/"))
                    default: throw fail("'~' must be followed by 0 or 1")
                    }
                    i += 2
                } else {
                    name.append(bytes[i])
                    i += 1
                }
            }
            let nameText = String(decoding: name, as: UTF8.self)
            if nameText == "**" {
                steps.append(.anyDepth)
            } else if nameText == "*" {
                steps.append(.any)
            } else if sawName || i >= bytes.count || bytes[i] == UInt8(ascii: "/") {
                steps.append(.name(nameText))
            }
            while i < bytes.count, bytes[i] == UInt8(ascii: "[") {
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "]")) else { throw fail("'[' without ']'") }
                let inner = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
                i = close + 1
                if inner == "*" {
                    steps.append(.any)
                } else if inner.hasPrefix("=") {
                    steps.append(.setValue(String(inner.dropFirst())))
                } else if let n = Int(inner), n >= 0 {
                    steps.append(.index(n))
                } else {
                    var terms: [SelectorTerm] = []
                    for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                        guard let eq = part.firstIndex(of: "="), eq != part.startIndex else {
                            throw fail("selector '[\(inner)]' must be [key=value,...], [n], [=value] or [*]")
                        }
                        terms.append(SelectorTerm(key: String(part[..<eq]), value: String(part[part.index(after: eq)...])))
                    }
                    steps.append(.keys(terms))
                }
            }
            if i >= bytes.count { break }
            guard bytes[i] == UInt8(ascii: "/") else { throw fail("unexpected character after ']'") }
            i += 1
        }
        self.steps = steps
    }

    /// The pattern as written.
    public var description: String { text }

    /// Whether the pattern matches `path` or one of its ancestors (a pattern ignores a subtree).
    public func matches(_ path: FieldPath) -> Bool {
        PathPattern.match(steps[...], path, from: 0, prefix: true)
    }

    /// Whether the pattern matches exactly `path` (not an ancestor).
    func matchesExactly(_ path: some MatchablePath) -> Bool {
        PathPattern.match(steps[...], path, from: 0, prefix: false)
    }

    /// Whether `steps` match the components of `path` from position `from` on.
    private static func match(_ steps: ArraySlice<Step>, _ path: some MatchablePath, from: Int, prefix: Bool) -> Bool {
        guard let step = steps.first else { return prefix || from == path.componentCount }
        if case .anyDepth = step {
            for start in from...path.componentCount where match(steps.dropFirst(), path, from: start, prefix: prefix) {
                return true
            }
            return false
        }
        guard from < path.componentCount, path.component(at: from, matches: step) else { return false }
        return match(steps.dropFirst(), path, from: from + 1, prefix: prefix)
    }

    /// Whether one step of a pattern matches one component of a path.
    static func matchOne(_ step: Step, _ component: PathComponent) -> Bool {
        switch (step, component) {
        case (.any, _): return true
        case (.anyDepth, _): return true
        case (.name(let n), .field(let f)): return KeyBytes.same(n, f)
        case (.name(let n), .index(let i)): return Int(n) == i
        case (.index(let n), .index(let i)): return n == i
        case (.keys(let terms), .key(let keys)):
            return terms.allSatisfy { term in keys[term.key].map { PathComponent.text($0) == term.value } ?? false }
        case (.setValue(let v), .value(let value)): return PathComponent.text(value) == v
        default: return false
        }
    }
}
