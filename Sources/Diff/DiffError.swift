/// An error from the Diff module: a malformed path pattern, quantity or patch, or a patch that
/// does not fit the document it is applied to.
public struct DiffError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members, such as `.invalidPath`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidPath, invalidQuantity, invalidPatch, patchFailed, invalidSchema, dryRunFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A path pattern of an ignore rule is malformed.
        public static let invalidPath = Code(.invalidPath)
        /// A text is not a Kubernetes quantity.
        public static let invalidQuantity = Code(.invalidQuantity)
        /// A JSON Patch or merge patch document is malformed.
        public static let invalidPatch = Code(.invalidPatch)
        /// A patch operation does not apply to the document (a missing path, a failed `test`).
        public static let patchFailed = Code(.patchFailed)
        /// An OpenAPI or CRD schema could not be read.
        public static let invalidSchema = Code(.invalidSchema)
        /// The dry-run apply of the server-side mode failed.
        public static let dryRunFailed = Code(.dryRunFailed)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The path (a pattern, a JSON pointer) the error is about, when there is one.
    public var path: String?

    /// An error with `code`, `message` and optionally the path it is about.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// The message, with the path when known.
    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
