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
        _ bytes: some Collection<UInt8>,
        source: String = "<yaml>",
        limits: ReadLimits = ReadLimits()
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
        _ text: String,
        source: String = "<yaml>",
        limits: ReadLimits = ReadLimits()
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
                .yamlSyntax,
                "expected one YAML document, found \(docs.count)",
                location: docs[1].location
            )
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
    /// allocation per container instead of one per growth step. The frame is kept small and free
    /// of references because it is pushed and popped for every container; rarely needed state
    /// (key indexes, merged keys, anchors) lives in side tables keyed by depth.
    private struct Frame {
        var isMapping: Bool
        /// Whether the parent mapping's key this container is the value of is a merge key (`<<`).
        var keyIsMerge: Bool
        var start: Int
        var startNodes: Int
        /// Where the parent mapping's key this container is the value of starts.
        var keyMark: yaml_mark_t
    }

    private let source: String
    private let limits: ReadLimits
    private let input: UnsafeBufferPointer<UInt8>
    private let frames = MoveStack<Frame>(capacity: 64)
    /// Whether the innermost open container is a mapping (kept apart from `frames` for speed).
    private var topIsMapping = false
    /// Whether the innermost mapping has read a key that waits for its value. The key itself is
    /// already on ``entries``, with a `.null` placeholder for the value, so that nothing
    /// reference-counted is saved and restored around nested containers.
    private var keyPending = false
    /// Whether the pending key is a merge key (`<<`).
    private var pendingIsMerge = false
    /// Where the pending key starts, for a duplicate key's error.
    private var pendingMark = yaml_mark_t()
    private let items = MoveStack<Value>()
    private let entries = MoveStack<ObjectValue.Entry>()
    /// Side tables by frame depth: key positions of large mappings (relative to the frame's
    /// start), keys set by a merge that explicit keys may override, and anchors of containers.
    private var keyIndexes: [Int: [String: Int]] = [:]
    private var mergedKeys: [Int: Set<String>] = [:]
    private var containerAnchors: [Int: String] = [:]
    private var anchors: [String: (value: Value, nodes: Int)] = [:]
    private var nodes = 0
    private var aliasNodes = 0
    private var documentValue: Value?
    /// Mapping keys and short scalars met before: a key or a short value repeated across the
    /// objects of a stream (`name`, `TCP`, `IfNotPresent`) is made once; a long key shares one
    /// string's storage instead of allocating its own.
    private let strings: StringCache

    /// Direct-mapped caches of strings by a hash of their bytes: strings of up to 15 bytes (which a
    /// `String` holds inline: the cache saves making and checking the string), and mapping keys of
    /// 16 to 128 bytes (the cache saves an allocation; long values rarely repeat).
    private final class StringCache {
        private struct ShortSlot {
            var head: UInt64
            var tail: UInt64
            var count: Int
            var key: String
        }

        private let short: UnsafeMutablePointer<ShortSlot>
        private let long: UnsafeMutablePointer<String>
        /// The number of bits of a short slot's index, and the two tables' sizes.
        private let shortBits: Int
        private let shortCount: Int
        private let longCount: Int

        /// Tables sized for an input of `inputSize` bytes: from 16 short slots for a small file to
        /// 2,048 short and 512 long ones for a stream of megabytes (measured on the 10 MB corpus:
        /// a table of 512 short slots misses often enough to cost more than its size saves), so
        /// that a small file does not pay for setting up a large table.
        init(inputSize: Int) {
            var bits = 4
            while bits < 11 && (256 << bits) < inputSize { bits += 1 }
            shortBits = bits
            shortCount = 1 << bits
            longCount = max(16, min(512, shortCount / 4))
            short = .allocate(capacity: shortCount)
            short.initialize(repeating: ShortSlot(head: 0, tail: 0, count: -1, key: ""), count: shortCount)
            long = .allocate(capacity: longCount)
            long.initialize(repeating: "", count: longCount)
        }

        deinit {
            short.deinitialize(count: shortCount)
            short.deallocate()
            long.deinitialize(count: longCount)
            long.deallocate()
        }

        /// The string of `text` (a key, or a value of up to 15 bytes): the cached string when it
        /// has the same bytes, else a new one that takes the slot.
        @inline(__always)
        func string(_ text: UnsafeBufferPointer<UInt8>) -> String {
            let n = text.count
            guard let base = text.baseAddress, n > 0 else { return "" }
            if n <= 15 { return shortKey(UnsafeRawPointer(base), n, text) }
            guard n <= 128 else { return YAMLReader.string(text) }
            return longKey(UnsafeRawPointer(base), n, text)
        }

        /// Strings of 1 to 15 bytes, told apart by two words that together hold every byte.
        @inline(__always)
        private func shortKey(_ raw: UnsafeRawPointer, _ n: Int, _ text: UnsafeBufferPointer<UInt8>) -> String {
            let head: UInt64
            let tail: UInt64
            if n >= 8 {
                head = raw.loadUnaligned(as: UInt64.self)
                tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else if n >= 4 {
                head = UInt64(raw.loadUnaligned(as: UInt32.self))
                tail = UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            } else {
                var w: UInt64 = 0
                for k in 0..<n { w |= UInt64(raw.load(fromByteOffset: k, as: UInt8.self)) << (8 &* k) }
                head = w
                tail = 0
            }
            let h = (head &* 0x9E37_79B9_7F4A_7C15) ^ ((tail ^ UInt64(truncatingIfNeeded: n)) &* 0xC2B2_AE3D_27D4_EB4F)
            let slot = short + Int(truncatingIfNeeded: h >> UInt64(64 - shortBits))  // the top bits
            if slot.pointee.head == head && slot.pointee.tail == tail && slot.pointee.count == n {
                return slot.pointee.key
            }
            let key = YAMLReader.string(text)
            slot.pointee = ShortSlot(head: head, tail: tail, count: n, key: key)
            return key
        }

        /// Keys of 16 to 128 bytes, compared in full with the cached one.
        @inline(__always)
        private func longKey(_ raw: UnsafeRawPointer, _ n: Int, _ text: UnsafeBufferPointer<UInt8>) -> String {
            let h = LongBytes.hash(raw, n)
            let slot = long + Int(truncatingIfNeeded: (h ^ (h >> 31)) & UInt64(longCount - 1))
            if LongBytes.same(slot.pointee, raw, n) { return slot.pointee }
            let key = YAMLReader.string(text)
            slot.pointee = key
            return key
        }
    }

    static func read(_ bytes: UnsafeBufferPointer<UInt8>, source: String, limits: ReadLimits) throws -> [YAMLDocument] {
        guard bytes.count <= limits.maxBytes else {
            throw ManifestError(
                .limitExceeded,
                "\(source): input of \(bytes.count) bytes is larger than the limit of \(limits.maxBytes)"
            )
        }
        // libyaml checks UTF-8 itself; its reader errors become `invalidUTF8` with the offset.
        var reader = YAMLReader(source: source, limits: limits, input: bytes)
        return try reader.run()
    }

    private init(source: String, limits: ReadLimits, input: UnsafeBufferPointer<UInt8>) {
        self.source = source
        self.limits = limits
        self.input = input
        self.strings = StringCache(inputSize: input.count)
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
            defer { cyaml_event_release(&event) }
            switch event.type {
            case YAML_SCALAR_EVENT:
                if frames.count == 0 { documentMark = event.start_mark }
                try scalar(event)
            case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                if frames.count == 0 { documentMark = event.start_mark }
                try startContainer(event)
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                try endContainer(event)
            case YAML_ALIAS_EVENT:
                if frames.count == 0 { documentMark = event.start_mark }
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
            message +=
                " (\(String(cString: context)) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        if p.error == YAML_READER_ERROR {
            // Reader errors report a byte offset rather than a mark.
            return ManifestError(
                .invalidUTF8,
                message,
                location: TextPosition.locate(Int(p.problem_offset), in: input, source: source)
            )
        }
        return ManifestError(.yamlSyntax, message, location: location(p.problem_mark))
    }

    // MARK: Nodes

    /// Whether the innermost container is a mapping waiting for its next key.
    @inline(__always)
    private var expectsKey: Bool { topIsMapping && !keyPending }

    @inline(__always)
    private mutating func startContainer(_ event: borrowing yaml_event_t) throws {
        let isMapping = event.type == YAML_MAPPING_START_EVENT
        let anchorPointer = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
        let tagPointer = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
        if expectsKey {
            throw syntaxError(
                "a \(isMapping ? "mapping" : "sequence") cannot be a mapping key; Kubernetes keys are strings",
                event.start_mark
            )
        }
        if let tagPointer {
            let tag = String(cString: tagPointer)
            let expected = isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq"
            if tag.hasPrefix("tag:yaml.org,2002:") && tag != expected {
                throw syntaxError(
                    "cannot read a \(isMapping ? "mapping" : "sequence") as \(Self.shortTag(tag))",
                    event.start_mark
                )
            }
        }
        guard frames.count < limits.maxDepth else {
            throw ManifestError(
                .limitExceeded,
                "nesting deeper than the limit of \(limits.maxDepth)",
                location: location(event.start_mark)
            )
        }
        nodes += 1
        if let anchorPointer { containerAnchors[frames.count] = String(cString: anchorPointer) }
        frames.push(
            Frame(
                isMapping: isMapping,
                keyIsMerge: pendingIsMerge,
                start: isMapping ? entries.count : items.count,
                startNodes: nodes,
                keyMark: pendingMark
            )
        )
        keyPending = false
        topIsMapping = isMapping
    }

    @inline(__always)
    private mutating func endContainer(_ event: borrowing yaml_event_t) throws {
        guard frames.count > 0 else { return }
        let frame = frames.popLast()
        let depth = frames.count
        let value: Value
        if frame.isMapping {
            value = .object(ObjectValue(uniqueEntries: entries.popArray(from: frame.start)))
            if !keyIndexes.isEmpty { keyIndexes[depth] = nil }
            if !mergedKeys.isEmpty { mergedKeys[depth] = nil }
        } else {
            value = .array(items.popArray(from: frame.start))
        }
        if !containerAnchors.isEmpty, let anchor = containerAnchors.removeValue(forKey: depth) {
            anchors[anchor] = (value, nodes - frame.startNodes + 1)
        }
        // A container is never a key, so a parent mapping was waiting for it as a key's value.
        topIsMapping = depth > 0 && frames[depth - 1].isMapping
        keyPending = topIsMapping
        pendingIsMerge = frame.keyIsMerge
        pendingMark = frame.keyMark
        try add(value, event.start_mark)
    }

    @inline(__always)
    private mutating func alias(_ event: borrowing yaml_event_t) throws {
        let name = String(cString: event.data.alias.anchor)
        guard let target = anchors[name] else {
            throw syntaxError(
                "unknown anchor '\(name)' (an alias must follow its anchor, outside it)",
                event.start_mark
            )
        }
        aliasNodes += target.nodes
        nodes += target.nodes
        if aliasNodes > limits.maxAliasExpansion {
            throw ManifestError(
                .limitExceeded,
                "aliases expand to more than \(limits.maxAliasExpansion) nodes (a 'billion laughs' document?)",
                location: location(event.start_mark)
            )
        }
        if expectsKey {
            guard case .string = target.value else {
                throw syntaxError("a mapping key must be a scalar", event.start_mark)
            }
            try setKey(target.value, isMerge: false, mark: event.start_mark)
        } else {
            try add(target.value, event.start_mark)
        }
    }

    @inline(__always)
    private mutating func scalar(_ event: borrowing yaml_event_t) throws {
        let s = event.data.scalar
        let text = UnsafeBufferPointer(start: s.value, count: s.length)
        nodes += 1
        let value: Value
        let isMergeKey: Bool
        if let tagPointer = s.tag {
            value = try resolveTagged(text, tag: String(cString: tagPointer), mark: event.start_mark)
            isMergeKey = false
        } else if s.style == YAML_PLAIN_SCALAR_STYLE {
            if ScalarResolver.mayNotBeString(text), let resolved = ScalarResolver.nonString(text) {
                value = resolved
            } else {
                value = .string(expectsKey || s.length <= 15 ? strings.string(text) : Self.string(text))
            }
            isMergeKey = s.length == 2 && text[0] == UInt8(ascii: "<") && text[1] == UInt8(ascii: "<")
        } else {
            value = .string(expectsKey || s.length <= 15 ? strings.string(text) : Self.string(text))
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

    @inline(__always)
    private mutating func setKey(_ key: consuming Value, isMerge: Bool, mark: yaml_mark_t) throws {
        let text: String
        switch consume key {
        case .string(let s): text = s
        case .bool(let b): text = b ? "true" : "false"
        case .int(let i): text = String(i)
        case .double(let d): text = ScalarResolver.keyText(d)
        case .null:
            throw syntaxError("a null mapping key cannot be read (Kubernetes keys are strings)", mark)
        case .array, .object:
            throw syntaxError("a mapping key must be a scalar", mark)
        }
        entries.push(ObjectValue.Entry(key: text, value: .null))
        keyPending = true
        pendingIsMerge = isMerge
        pendingMark = mark
    }

    /// A string from a scalar's bytes (libyaml has checked they are UTF-8): a well-known one
    /// shared by every tree, or a new one.
    @inline(__always)
    fileprivate static func string(_ text: UnsafeBufferPointer<UInt8>) -> String {
        if text.count > 15, let base = text.baseAddress,
            let known = WellKnownStrings.string(UnsafeRawPointer(base), count: text.count)
        {
            return known
        }
        return String(unsafeUninitializedCapacity: text.count) { buffer in
            guard let base = text.baseAddress else { return 0 }
            buffer.baseAddress?.initialize(from: base, count: text.count)
            return text.count
        }
    }

    /// Adds a finished value to the innermost container, or makes it the document's root.
    @inline(__always)
    private mutating func add(_ value: consuming Value, _ mark: yaml_mark_t) throws {
        guard frames.count > 0 else {
            documentValue = value
            return
        }
        guard topIsMapping else {
            items.push(value)
            return
        }
        guard keyPending else { return }
        keyPending = false
        let depth = frames.count - 1
        // The key waits on top of `entries` with a placeholder value.
        let top = entries.count - 1
        if pendingIsMerge {
            entries.removeLast()
            try merge(value, into: depth, mark: mark)
        } else if let existing = position(ofKeyAt: top, in: depth) {
            let key = entries[top].key
            if mergedKeys[depth]?.remove(key) == nil && limits.rejectDuplicateKeys {
                throw syntaxError("duplicate key '\(key)' in a mapping", pendingMark)
            }
            entries.removeLast()
            entries[existing].value = value
        } else {
            entries[top].value = value
            indexIfLarge(depth)
        }
    }

    /// The position on ``entries`` of `key` in the mapping at `depth`, or `nil`.
    @inline(__always)
    private func position(of key: String, in depth: Int) -> Int? {
        let start = frames[depth].start
        if !keyIndexes.isEmpty, let keyIndex = keyIndexes[depth] { return keyIndex[key].map { start + $0 } }
        return entries.withElements(from: start) { buffer in
            for k in 0..<buffer.count where buffer[k].key == key { return start + k }
            return nil
        }
    }

    /// The position on ``entries`` of an earlier member of the mapping at `depth` with the same key
    /// as the one at `top` (the mapping's last), or `nil`.
    @inline(__always)
    private func position(ofKeyAt top: Int, in depth: Int) -> Int? {
        let start = frames[depth].start
        return entries.withElements(from: start) { buffer in
            let last = top - start
            let key = buffer[last].key
            if !keyIndexes.isEmpty, let keyIndex = keyIndexes[depth] { return keyIndex[key].map { start + $0 } }
            for k in 0..<last where buffer[k].key == key { return start + k }
            return nil
        }
    }

    /// Appends a member to the mapping at `depth`, indexing its keys once it grows large.
    @inline(__always)
    private mutating func appendEntry(_ key: String, _ value: Value, to depth: Int) {
        entries.push(ObjectValue.Entry(key: key, value: value))
        indexIfLarge(depth)
    }

    /// Indexes the keys of the mapping at `depth` once it grows large; its last member is new.
    @inline(__always)
    private mutating func indexIfLarge(_ depth: Int) {
        let start = frames[depth].start
        let count = entries.count - start
        if count < 24 { return }
        if keyIndexes[depth] != nil {
            keyIndexes[depth]?[entries[entries.count - 1].key] = count - 1
        } else {
            var built: [String: Int] = [:]
            built.reserveCapacity(count * 2)
            for k in start..<entries.count { built[entries[k].key] = k - start }
            keyIndexes[depth] = built
        }
    }

    /// Merges `<<: value` into the mapping at `depth` as go-yaml v2 does: the merged keys are set
    /// where the merge key stands, later explicit keys override them, and in a sequence of
    /// mappings the earlier mapping wins.
    private mutating func merge(_ value: Value, into depth: Int, mark: yaml_mark_t) throws {
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
                if let existing = position(of: entry.key, in: depth) {
                    entries[existing].value = entry.value
                } else {
                    appendEntry(entry.key, entry.value, to: depth)
                }
                mergedKeys[depth, default: []].insert(entry.key)
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
