/// Where in a source text something is: a file (or another source name), a line and a column,
/// both counted from 1.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path or source name, such as `deploy/web.yaml` or `<stdin>`.
    public var source: String
    /// The line, from 1.
    public var line: Int
    /// The column, from 1, counted in characters.
    public var column: Int

    /// A location in `source` at `line` and `column`.
    public init(source: String, line: Int, column: Int) {
        self.source = source
        self.line = line
        self.column = column
    }

    /// `source:line:column`.
    public var description: String { "\(source):\(line):\(column)" }
}

/// An error from reading, writing, validating or rendering manifests.
///
/// Its ``description`` is the form compilers use, `file:line:column: message`, when the error has
/// a location, and names the object and field otherwise.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members, such as `.yamlSyntax`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case yamlSyntax, jsonSyntax, invalidUTF8, limitExceeded, unsupported
            case invalidPointer, invalidObject, duplicateResource, fileSystem, symlinkEscape, notRepresentable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The YAML text is not well formed, or uses a construct that cannot be read into a value.
        public static let yamlSyntax = Code(.yamlSyntax)
        /// The JSON text is not well formed.
        public static let jsonSyntax = Code(.jsonSyntax)
        /// The text is not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A limit against hostile input was reached (size, nesting depth, alias expansion).
        public static let limitExceeded = Code(.limitExceeded)
        /// The input uses something this SDK does not support.
        public static let unsupported = Code(.unsupported)
        /// A JSON pointer is malformed or does not fit the value.
        public static let invalidPointer = Code(.invalidPointer)
        /// A Kubernetes object is missing a required field or has one the API server would reject.
        public static let invalidObject = Code(.invalidObject)
        /// Two objects in a render have the same ``ResourceKey``.
        public static let duplicateResource = Code(.duplicateResource)
        /// A file or directory could not be read.
        public static let fileSystem = Code(.fileSystem)
        /// A symbolic link leads outside the directory being rendered.
        public static let symlinkEscape = Code(.symlinkEscape)
        /// A value cannot be written in the requested format (a NaN in JSON, say).
        public static let notRepresentable = Code(.notRepresentable)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// What went wrong and, where it helps, what was expected instead.
    public let message: String
    /// Where in a source text, when the error comes from one.
    public var location: SourceLocation?
    /// The object the error is about (a ``ResourceKey`` text or a file's object index), when known.
    public var object: String?
    /// The field the error is about, as a JSON pointer, when known.
    public var field: String?

    /// An error with `code` and `message`, and optionally where it is.
    public init(
        _ code: Code,
        _ message: String,
        location: SourceLocation? = nil,
        object: String? = nil,
        field: String? = nil
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.object = object
        self.field = field
    }

    /// `file:line:column: message`, with the object and field named when known.
    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        if let object { s += "\(object): " }
        if let field { s += "\(field): " }
        return s + message
    }
}
