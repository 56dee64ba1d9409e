import Manifests

/// An error from evaluating Jsonnet: a syntax or runtime error with the place libjsonnet names,
/// an import that is missing or leaves the checkout, or a result that is not Kubernetes objects.
///
/// Its ``description`` is `file:line:column: message` when the place is known, followed by
/// libjsonnet's full text (with its stack trace) for evaluation errors.
public struct JsonnetError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members, such as `.evaluation`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case evaluation, importRefused, invalidOutput, configuration
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A syntax (static) or runtime error, including `error` expressions and missing imports.
        public static let evaluation = Code(.evaluation)
        /// A path (an import, the directory, a file) lies outside the checkout and the library paths.
        public static let importRefused = Code(.importRefused)
        /// The result is not an object, an array of objects or a `List`.
        public static let invalidOutput = Code(.invalidOutput)
        /// The renderer's settings or the directory are unusable (no `.jsonnet` file, a missing
        /// library path...).
        public static let configuration = Code(.configuration)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// The first line of the error, without the location.
    public let message: String
    /// Where the error is, as libjsonnet reports it (for a runtime error, the innermost frame).
    public var location: SourceLocation?
    /// libjsonnet's whole message, with its stack trace; empty for errors found before evaluation.
    public var details: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String, location: SourceLocation? = nil, details: String = "") {
        self.code = code
        self.message = message
        self.location = location
        self.details = details
    }

    /// `file:line:column: message`, then libjsonnet's full text when it holds a stack trace.
    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        let trimmed = details.trimmingWhitespace()
        if trimmed.contains("\n") { text += "\n" + trimmed }  // a stack trace: keep it
        return text
    }

    /// Reads libjsonnet's error text: `STATIC ERROR: file:line:column: message` or
    /// `RUNTIME ERROR: message` followed by frames `\tfile:line:column-column\t...`.
    static func fromLibrary(_ text: String, refusal: String?) -> JsonnetError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        var message = lines.first ?? text
        var location: SourceLocation?
        for prefix in ["STATIC ERROR: ", "RUNTIME ERROR: "] where message.hasPrefix(prefix) {
            message.removeFirst(prefix.count)
        }
        if let (found, rest) = parseLocation(message) {
            location = found
            message = rest
        } else {
            for line in lines.dropFirst() {
                if let (found, _) = parseLocation(line.trimmingWhitespace()) {
                    location = found
                    break
                }
            }
        }
        if let refusal, text.contains(refusal) {
            return JsonnetError(.importRefused, refusal, location: location, details: text)
        }
        return JsonnetError(.evaluation, message, location: location, details: text)
    }

    /// `path:line:column...` at the start of `text` (columns may be a range such as `5-10`, and
    /// the place may be written `(3:5)-(4:2)`), and what follows `: `.
    static func parseLocation(_ text: String) -> (SourceLocation, String)? {
        // The path ends at the first ':' followed by digits or by '(' and digits.
        var index = text.startIndex
        while let colon = text[index...].firstIndex(of: ":") {
            var after = text.index(after: colon)
            if after < text.endIndex && text[after] == "(" { after = text.index(after: after) }
            let lineDigits = text[after...].prefix { $0.isASCII && $0.isNumber }
            if !lineDigits.isEmpty, colon > text.startIndex {
                let path = String(text[..<colon])
                var cursor = lineDigits.endIndex
                guard cursor < text.endIndex, text[cursor] == ":" else { return nil }
                cursor = text.index(after: cursor)
                let columnDigits = text[cursor...].prefix { $0.isASCII && $0.isNumber }
                guard let line = Int(lineDigits), let column = Int(columnDigits), !path.contains(" ") else {
                    return nil
                }
                cursor = columnDigits.endIndex
                var rest = text[cursor...]
                if let separator = rest.firstRange(of: ": ") {
                    rest = rest[separator.upperBound...]
                } else {
                    rest = ""
                }
                return (SourceLocation(source: path, line: line, column: column), String(rest))
            }
            index = text.index(after: colon)
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
