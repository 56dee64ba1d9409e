/// An error from decrypting a SOPS document or an age file.
///
/// Messages name the file, the field (as a JSON pointer) and the keys involved, never a decrypted
/// value, a data key or a private key.
public struct SOPSError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members, such as `.macMismatch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidMetadata, unsupported, noMatchingKey, invalidKey, keySource, fileSystem
            case decryptionFailed, macMismatch, invalidValue, invalidAgeFile
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The `sops` metadata block is missing a field or holds one of the wrong kind.
        public static let invalidMetadata = Code(.invalidMetadata)
        /// The document uses a SOPS feature this module does not implement (INI
        /// files, comment regexes, age plugin, post-quantum or SSH identities).
        public static let unsupported = Code(.unsupported)
        /// None of the available keys can recover the data key; the message names the recipients.
        public static let noMatchingKey = Code(.noMatchingKey)
        /// An age identity (`AGE-SECRET-KEY-1...`) is malformed.
        public static let invalidKey = Code(.invalidKey)
        /// A key file or key variable could not be read.
        public static let keySource = Code(.keySource)
        /// An encrypted file could not be read.
        public static let fileSystem = Code(.fileSystem)
        /// A value did not decrypt with the data key: tampered ciphertext, a wrong path or a wrong key.
        public static let decryptionFailed = Code(.decryptionFailed)
        /// The values decrypted but their MAC does not match the stored one: the file was changed
        /// after it was encrypted.
        public static let macMismatch = Code(.macMismatch)
        /// An `ENC[...]` value is malformed or its plaintext does not fit its declared type.
        public static let invalidValue = Code(.invalidValue)
        /// An age file (the armored data key) is malformed or fails its checks.
        public static let invalidAgeFile = Code(.invalidAgeFile)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// What went wrong, without any secret.
    public let message: String
    /// The document the error is about (a file path or an object's key), when known.
    public var source: String?
    /// The field the error is about, as a JSON pointer, when known.
    public var field: String?

    /// An error with `code` and `message`, and optionally where it is.
    public init(_ code: Code, _ message: String, source: String? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.field = field
    }

    /// `source: field: message`, with the parts that are known.
    public var description: String {
        var s = ""
        if let source { s += "\(source): " }
        if let field { s += "\(field): " }
        return s + message
    }

    /// The same error, located in `source` when it has no source yet.
    func located(in source: String?) -> SOPSError {
        var copy = self
        if copy.source == nil { copy.source = source }
        return copy
    }
}
