internal import CYAML

/// One document of a YAML stream and where it starts.
public struct YAMLDocument: Sendable, Hashable {
    /// The document's content; `.null` for an empty document.
    public var value: Value
    /// Where the document's content starts.
    public var location: SourceLocation

    /// A document holding `value` that starts at `location`.
    public init(value: Value, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// Reading YAML streams into ``Value``s, the way Kubernetes reads them.
///
/// Scalars resolve as sigs.k8s.io/yaml (go-yaml v2 rules) resolves them, so the result is what
/// kubectl sends to the API server: `yes`, `on`, `y` are `true`; `0777` is 511; `1e3` is a number;
/// `~` and an empty value are null; timestamps stay strings; keys that resolve to booleans or
/// numbers become their text (`on:` is the key `"true"`). Quoted and block scalars are always
/// strings. Anchors, aliases and merge keys (`<<`) are expanded.
public enum YAML {
    /// Reads every document of a YAML stream.
    ///
    /// - Parameters:
    ///   - bytes: the stream, UTF-8.
    ///   - source: the name used in error locations, such as a file path.
    ///   - limits: limits against hostile input.
    /// - Throws: ``ManifestError`` naming the source, line and column of the first error.
    public static func documents(
        _ bytes: some Collection<UInt8>, source: String = "<yaml>", limits: ReadLimits = ReadLimits()
    ) throws -> [YAMLDocument] {
        if let docs = try bytes.withContiguousStorageIfAvailable({
            try YAMLReader.read($0, source: source, limits: limits)
        }) {
            return docs
        }
        return try Array(bytes).withUnsafeBufferPointer { try YAMLReader.read($0, source: source, limits: limits) }
    }

    /// Reads every document of a YAML stream held in a string.
    ///
    /// - Throws: ``ManifestError`` naming the source, line and column of the first error.
    public static func documents(
        _ text: String, source: String = "<yaml>", limits: ReadLimits = ReadLimits()
    ) throws -> [YAMLDocument] {
        var text = text
        return try text.withUTF8 { try YAMLReader.read($0, source: source, limits: limits) }
    }
}

extension Value {
    /// Reads a YAML stream that holds at most one document; an empty stream is `.null`.
    ///
    /// - Throws: ``ManifestError`` for a syntax error, or when the stream holds several documents.
    public init(yaml text: String, source: String = "<yaml>", limits: ReadLimits = ReadLimits()) throws {
        let docs = try YAML.documents(text, source: source, limits: limits)
        guard docs.count <= 1 else {
            throw ManifestError(
                .yamlSyntax, "expected one YAML document, found \(docs.count)", location: docs[1].location)
        }
        self = docs.first?.value ?? .null
    }
}

/// Owns a libyaml parser reading from a buffer that outlives it.
private final class LibYAMLParser {
    let parser: UnsafeMutablePointer<yaml_parser_t>

    init(input: UnsafeBufferPointer<UInt8>) throws {
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            throw ManifestError(.limitExceeded, "libyaml could not allocate a parser")
        }
        yaml_parser_set_input_string(parser, input.baseAddress ?? UnsafePointer(bitPattern: 1), input.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }
}

/// Builds values from libyaml's event stream, with an explicit stack (no recursion, so deep
/// documents cannot overflow the thread's stack).
struct YAMLReader {
    /// An open container. Its members live on the reader's shared stacks (``items`` or
    /// ``entries``) from `start` on, and move into one exactly-sized array when it closes: one
    /// allocation per container instead of one per growth step.
    private struct Frame {
        var isMapping: Bool
        var start: Int
        /// Key positions (relative to `start`), built once a mapping has many keys.
        var keyIndex: [String: Int]?
        var pendingKey: String?
        var pendingKeyIsMerge = false
        var pendingKeyMark = yaml_mark_t()
        /// Keys that came from a merge (`<<`) and that an explicit key may still override.
        var mergedKeys: Set<String> = []
        var anchor: String?
        var startNodes: Int

        init(isMapping: Bool, start: Int, anchor: String?, startNodes: Int) {
            self.isMapping = isMapping
            self.start = start
            self.anchor = anchor
            self.startNodes = startNodes
        }
    }

    private let source: String
    private let limits: ReadLimits
    private let input: UnsafeBufferPointer<UInt8>
    private var frames: [Frame] = []
    private let items = MoveStack<Value>()
    private let entries = MoveStack<ObjectValue.Entry>()
    private var anchors: [String: (value: Value, nodes: Int)] = [:]
    private var nodes = 0
    private var aliasNodes = 0
    private var documentValue: Value?

    static func read(_ bytes: UnsafeBufferPointer<UInt8>, source: String, limits: ReadLimits) throws -> [YAMLDocument] {
        guard bytes.count <= limits.maxBytes else {
            throw ManifestError(
                .limitExceeded, "\(source): input of \(bytes.count) bytes is larger than the limit of \(limits.maxBytes)")
        }
        try UTF8Check.validate(bytes, source: source)
        var reader = YAMLReader(source: source, limits: limits, input: bytes)
        return try reader.run()
    }

    private init(source: String, limits: ReadLimits, input: UnsafeBufferPointer<UInt8>) {
        self.source = source
        self.limits = limits
        self.input = input
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(source: source, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func syntaxError(_ message: String, _ mark: yaml_mark_t) -> ManifestError {
        ManifestError(.yamlSyntax, message, location: location(mark))
    }

    private mutating func run() throws -> [YAMLDocument] {
        let libyaml = try LibYAMLParser(input: input)
        let parser = libyaml.parser
        var documents: [YAMLDocument] = []
        var event = yaml_event_t()
        var documentMark = yaml_mark_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else { throw parserError(parser.pointee) }
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_SCALAR_EVENT:
                if documentValue == nil && frames.isEmpty { documentMark = event.start_mark }
                try scalar(event)
            case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                if documentValue == nil && frames.isEmpty { documentMark = event.start_mark }
                try startContainer(event)
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                try endContainer(event)
            case YAML_ALIAS_EVENT:
                if documentValue == nil && frames.isEmpty { documentMark = event.start_mark }
                try alias(event)
            case YAML_DOCUMENT_START_EVENT:
                documentValue = nil
                anchors.removeAll(keepingCapacity: true)
                documentMark = event.end_mark
            case YAML_DOCUMENT_END_EVENT:
                documents.append(YAMLDocument(value: documentValue ?? .null, location: location(documentMark)))
                documentValue = nil
            case YAML_STREAM_END_EVENT:
                return documents
            default:
                break
            }
        }
    }

    private func parserError(_ p: yaml_parser_t) -> ManifestError {
        var message = p.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if p.error == YAML_MEMORY_ERROR { message = "libyaml ran out of memory" }
        if let context = p.context {
            message += " (\(String(cString: context)) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        if p.error == YAML_READER_ERROR {
            // Reader errors report a byte offset rather than a mark.
            return ManifestError(
                .invalidUTF8, message,
                location: TextPosition.locate(Int(p.problem_offset), in: input, source: source))
        }
        return ManifestError(.yamlSyntax, message, location: location(p.problem_mark))
    }

    // MARK: Nodes

    /// Whether the open container is a mapping waiting for its next key. (Reads fields in place:
    /// `frames.last` would copy the whole frame.)
    private var expectsKey: Bool {
        let top = frames.count - 1
        return top >= 0 && frames[top].isMapping && frames[top].pendingKey == nil
    }

    private mutating func startContainer(_ event: yaml_event_t) throws {
        let isMapping = event.type == YAML_MAPPING_START_EVENT
        let anchorPointer = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
        let tagPointer = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
        if expectsKey {
            throw syntaxError(
                "a \(isMapping ? "mapping" : "sequence") cannot be a mapping key; Kubernetes keys are strings",
                event.start_mark)
        }
        if let tagPointer {
            let tag = String(cString: tagPointer)
            let expected = isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq"
            if tag.hasPrefix("tag:yaml.org,2002:") && tag != expected {
                throw syntaxError("cannot read a \(isMapping ? "mapping" : "sequence") as \(Self.shortTag(tag))", event.start_mark)
            }
        }
        guard frames.count < limits.maxDepth else {
            throw ManifestError(
                .limitExceeded, "nesting deeper than the limit of \(limits.maxDepth)", location: location(event.start_mark))
        }
        nodes += 1
        frames.append(
            Frame(
                isMapping: isMapping, start: isMapping ? entries.count : items.count,
                anchor: anchorPointer.map { String(cString: $0) }, startNodes: nodes))
    }

    private mutating func endContainer(_ event: yaml_event_t) throws {
        guard let frame = frames.popLast() else { return }
        let value: Value
        if frame.isMapping {
            value = .object(ObjectValue(uniqueEntries: entries.popArray(from: frame.start)))
        } else {
            value = .array(items.popArray(from: frame.start))
        }
        if let anchor = frame.anchor {
            anchors[anchor] = (value, nodes - frame.startNodes + 1)
        }
        try add(value, event.start_mark)
    }

    private mutating func alias(_ event: yaml_event_t) throws {
        let name = String(cString: event.data.alias.anchor)
        guard let target = anchors[name] else {
            throw syntaxError("unknown anchor '\(name)' (an alias must follow its anchor, outside it)", event.start_mark)
        }
        aliasNodes += target.nodes
        nodes += target.nodes
        if aliasNodes > limits.maxAliasExpansion {
            throw ManifestError(
                .limitExceeded,
                "aliases expand to more than \(limits.maxAliasExpansion) nodes (a 'billion laughs' document?)",
                location: location(event.start_mark))
        }
        try add(target.value, event.start_mark, isAlias: true)
    }

    private mutating func scalar(_ event: yaml_event_t) throws {
        let s = event.data.scalar
        let text = UnsafeBufferPointer(start: s.value, count: s.length)
        nodes += 1
        let value: Value
        let isMergeKey: Bool
        if let tagPointer = s.tag {
            value = try resolveTagged(text, tag: String(cString: tagPointer), mark: event.start_mark)
            isMergeKey = false
        } else if s.style == YAML_PLAIN_SCALAR_STYLE {
            value = ScalarResolver.nonString(text) ?? .string(String(decoding: text, as: UTF8.self))
            isMergeKey = s.length == 2 && text[0] == UInt8(ascii: "<") && text[1] == UInt8(ascii: "<")
        } else {
            value = .string(String(decoding: text, as: UTF8.self))
            isMergeKey = false
        }
        if let anchor = s.anchor {
            anchors[String(cString: anchor)] = (value, 1)
        }
        if expectsKey {
            try setKey(value, isMerge: isMergeKey, mark: event.start_mark)
        } else {
            try add(value, event.start_mark)
        }
    }

    private mutating func setKey(_ key: Value, isMerge: Bool, mark: yaml_mark_t) throws {
        let text: String
        switch key {
        case .string(let s): text = s
        case .bool(let b): text = b ? "true" : "false"
        case .int(let i): text = String(i)
        case .double(let d): text = ScalarResolver.keyText(d)
        case .null:
            throw syntaxError("a null mapping key cannot be read (Kubernetes keys are strings)", mark)
        case .array, .object:
            throw syntaxError("a mapping key must be a scalar", mark)
        }
        let top = frames.count - 1
        frames[top].pendingKey = text
        frames[top].pendingKeyIsMerge = isMerge
        frames[top].pendingKeyMark = mark
    }

    /// Adds a finished value to the open container, or makes it the document's root.
    private mutating func add(_ value: Value, _ mark: yaml_mark_t, isAlias: Bool = false) throws {
        let top = frames.count - 1
        guard top >= 0 else {
            documentValue = value
            return
        }
        if !frames[top].isMapping {
            items.push(value)
            return
        }
        guard let key = frames[top].pendingKey else {
            // An alias used as a key.
            guard case .string = value else { throw syntaxError("a mapping key must be a scalar", mark) }
            try setKey(value, isMerge: false, mark: mark)
            return
        }
        frames[top].pendingKey = nil
        if frames[top].pendingKeyIsMerge {
            try merge(value, into: top, mark: mark)
            return
        }
        if let existing = position(of: key, in: top) {
            if frames[top].mergedKeys.remove(key) == nil && limits.rejectDuplicateKeys {
                throw syntaxError("duplicate key '\(key)' in a mapping", frames[top].pendingKeyMark)
            }
            entries[existing].value = value
        } else {
            appendEntry(key, value, to: top)
        }
    }

    /// The position on ``entries`` of `key` in the mapping of frame `index`, or `nil`.
    private func position(of key: String, in index: Int) -> Int? {
        let start = frames[index].start
        if let keyIndex = frames[index].keyIndex { return keyIndex[key].map { start + $0 } }
        return entries.withElements(from: start) { buffer in
            for k in 0..<buffer.count where buffer[k].key == key { return start + k }
            return nil
        }
    }

    /// Appends a member to the mapping of frame `index`, indexing its keys once it grows large.
    private mutating func appendEntry(_ key: String, _ value: Value, to index: Int) {
        entries.push(ObjectValue.Entry(key: key, value: value))
        let start = frames[index].start
        let count = entries.count - start
        if frames[index].keyIndex != nil {
            frames[index].keyIndex?[key] = count - 1
        } else if count >= 24 {
            var built: [String: Int] = [:]
            built.reserveCapacity(count * 2)
            for k in start..<entries.count { built[entries[k].key] = k - start }
            frames[index].keyIndex = built
        }
    }

    /// Merges `<<: value` into the mapping at `index` as go-yaml v2 does: the merged keys are set
    /// where the merge key stands, later explicit keys override them, and in a sequence of
    /// mappings the earlier mapping wins.
    private mutating func merge(_ value: Value, into index: Int, mark: yaml_mark_t) throws {
        var sources: [ObjectValue] = []
        switch value {
        case .object(let o): sources = [o]
        case .array(let a):
            for element in a.reversed() {
                guard case .object(let o) = element else {
                    throw syntaxError("a merge key ('<<') takes a mapping or a sequence of mappings", mark)
                }
                sources.append(o)
            }
        default:
            throw syntaxError("a merge key ('<<') takes a mapping or a sequence of mappings", mark)
        }
        for source in sources {
            for entry in source.entries {
                if let existing = position(of: entry.key, in: index) {
                    entries[existing].value = entry.value
                } else {
                    appendEntry(entry.key, entry.value, to: index)
                }
                frames[index].mergedKeys.insert(entry.key)
            }
        }
    }

    // MARK: Tags

    private static func shortTag(_ tag: String) -> String {
        tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst(18) : tag
    }

    private func resolveTagged(_ text: UnsafeBufferPointer<UInt8>, tag: String, mark: yaml_mark_t) throws -> Value {
        let string = String(decoding: text, as: UTF8.self)
        switch tag {
        case "tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "!":
            return .string(string)
        case "tag:yaml.org,2002:binary":
            guard let decoded = Base64.decode(string) else {
                throw syntaxError("!!binary value is not valid base64", mark)
            }
            return .string(String(decoding: decoded, as: UTF8.self))
        case "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
            let resolved = ScalarResolver.resolvePlain(text)
            switch (tag, resolved) {
            case ("tag:yaml.org,2002:null", .null), ("tag:yaml.org,2002:bool", .bool),
                ("tag:yaml.org,2002:int", .int), ("tag:yaml.org,2002:float", .double):
                return resolved
            case ("tag:yaml.org,2002:float", .int(let i)):
                return .double(Double(i))
            default:
                throw syntaxError("cannot read '\(string)' as \(Self.shortTag(tag))", mark)
            }
        default:
            if tag.hasPrefix("tag:yaml.org,2002:") {
                throw syntaxError("cannot read a scalar as \(Self.shortTag(tag))", mark)
            }
            // Application tags (`!foo`) carry no meaning for Kubernetes: the text is a string.
            return .string(string)
        }
    }
}

/// Minimal standard base64 decoding for `!!binary` scalars (whitespace ignored).
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for b in text.utf8 {
            let v: UInt8
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = b - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = b - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = b - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; continue
            case 0x20, 0x0A, 0x0D, 0x09: continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }
}
