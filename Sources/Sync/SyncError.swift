import Manifests

/// An error in planning or carrying out a sync, naming the object it is about.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What kind of error this is; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidAnnotation, invalidTracking, trackedByOtherApplication, invalidApplication, rollbackNotAllowed,
                unknownHistoryEntry, stateStore
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A sync annotation has a value this SDK does not understand.
        public static let invalidAnnotation = Code(.invalidAnnotation)
        /// A tracking annotation is not of the form `app:group/kind:namespace/name`.
        public static let invalidTracking = Code(.invalidTracking)
        /// The object belongs to another application.
        public static let trackedByOtherApplication = Code(.trackedByOtherApplication)
        /// An ``Application`` was described with a bad value (its name, its source path...).
        public static let invalidApplication = Code(.invalidApplication)
        /// A rollback was asked of an application whose sync policy is automated.
        public static let rollbackNotAllowed = Code(.rollbackNotAllowed)
        /// A rollback named a history entry the reconciler does not hold.
        public static let unknownHistoryEntry = Code(.unknownHistoryEntry)
        /// The reconciler's state could not be read or written.
        public static let stateStore = Code(.stateStore)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of error this is.
    public let code: Code
    /// The object the error is about.
    public let object: ResourceKey?
    /// What went wrong, and what was expected.
    public let message: String

    /// An error with `code` about `object`.
    public init(_ code: Code, object: ResourceKey?, message: String) {
        self.code = code
        self.object = object
        self.message = message
    }

    static func invalidAnnotation(object: ResourceKey, annotation: String, value: String, expected: String) -> SyncError
    {
        SyncError(
            .invalidAnnotation,
            object: object,
            message: "annotation \(annotation) is '\(value)'; expected \(expected)"
        )
    }

    /// `group/kind/namespace/name: message`.
    public var description: String {
        if let object { return "\(object): \(message)" }
        return message
    }
}
