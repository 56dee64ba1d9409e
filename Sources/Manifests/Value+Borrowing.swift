/// Borrowed access to the storage of values, for read-only walks over large trees (the Diff
/// module's comparison) that must not copy or retain what they only look at.
extension ObjectValue {
    /// Calls `body` with the members in order, in place: no copy of the storage and no retain of
    /// the members. The buffer is valid only during the call.
    ///
    /// ```swift
    /// let names = object.withEntries { entries in entries.filter { $0.value.isNull }.count }
    /// ```
    @inlinable public func withEntries<R>(_ body: (UnsafeBufferPointer<Entry>) throws -> R) rethrows -> R {
        try _entries.withUnsafeBufferPointer(body)
    }
}
