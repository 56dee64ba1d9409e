/// The latest sync operations of an application, oldest first, at most ``limit`` of them (Argo
/// CD's `revisionHistoryLimit`, 10 by default). Each entry has an id that grows by one per
/// recorded operation, so a rollback can name an entry even after older ones were dropped.
///
/// ```swift
/// var history = SyncHistory(limit: 10)
/// history.record(result)
/// if let good = history.lastSucceeded { print(good.result.revision) }
/// ```
public struct SyncHistory: Sendable, Hashable, Codable {
    /// One recorded operation.
    public struct Entry: Sendable, Hashable, Codable, Identifiable {
        /// The entry's id: 1 for the first recorded operation, then one more for each.
        public var id: Int
        /// The operation's result.
        public var result: SyncOperationResult

        /// An entry.
        public init(id: Int, result: SyncOperationResult) {
            self.id = id
            self.result = result
        }
    }

    /// The entries, oldest first.
    public private(set) var entries: [Entry]
    /// How many entries are kept; at least 1.
    public private(set) var limit: Int
    /// The id the next recorded operation gets.
    public private(set) var nextID: Int

    /// An empty history keeping at most `limit` entries (1 when `limit` is smaller).
    public init(limit: Int = 10) {
        self.entries = []
        self.limit = max(1, limit)
        self.nextID = 1
    }

    private enum CodingKeys: String, CodingKey { case entries, limit, nextID }

    /// Decodes a history written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` when the limit is below 1, there are more entries than the
    ///   limit, or an entry's id is not below `nextID` and above the one before it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entries = try c.decode([Entry].self, forKey: .entries)
        limit = try c.decode(Int.self, forKey: .limit)
        nextID = try c.decode(Int.self, forKey: .nextID)
        guard limit >= 1, entries.count <= limit else {
            throw DecodingError.dataCorruptedError(
                forKey: .limit,
                in: c,
                debugDescription: "limit \(limit) must be at least 1 and hold the \(entries.count) entries"
            )
        }
        var previous = 0
        for entry in entries {
            guard entry.id > previous, entry.id < nextID else {
                throw DecodingError.dataCorruptedError(
                    forKey: .entries,
                    in: c,
                    debugDescription: "entry id \(entry.id) must grow and stay below nextID \(nextID)"
                )
            }
            previous = entry.id
        }
    }

    /// Records `result`, dropping the oldest entries beyond ``limit``, and returns its entry.
    @discardableResult
    public mutating func record(_ result: SyncOperationResult) -> Entry {
        let entry = Entry(id: nextID, result: result)
        nextID += 1
        entries.append(entry)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
        return entry
    }

    /// Changes the limit (at least 1), dropping the oldest entries beyond it.
    public mutating func setLimit(_ limit: Int) {
        self.limit = max(1, limit)
        if entries.count > self.limit { entries.removeFirst(entries.count - self.limit) }
    }

    /// The newest entry.
    public var last: Entry? { entries.last }

    /// The newest entry whose operation succeeded (and was not a dry run).
    public var lastSucceeded: Entry? { entries.last { $0.result.succeeded && !$0.result.dryRun } }

    /// The entry with `id`, if still kept.
    public func entry(id: Int) -> Entry? { entries.first { $0.id == id } }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// How many entries are kept right now.
    public var count: Int { entries.count }
}
