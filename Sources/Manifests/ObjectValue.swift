/// An object of a ``Value``: string keys in the order they were written or inserted.
///
/// Keys are unique. Looking a key up is a linear scan, which is the fastest choice for the small
/// objects Kubernetes manifests are made of; objects with many keys (a large ConfigMap's `data`)
/// stay correct, only slower to search. Equality ignores key order.
public struct ObjectValue: Sendable {
    /// One member of an object.
    public struct Entry: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: Value

        /// A member named `key` holding `value`.
        @inlinable public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// The members in order.
    @inlinable public var entries: [Entry] { _entries }

    @usableFromInline var _entries: [Entry]

    /// An empty object.
    @inlinable public init() { _entries = [] }

    /// An empty object with room for `minimumCapacity` members.
    @inlinable public init(minimumCapacity: Int) {
        _entries = []
        _entries.reserveCapacity(minimumCapacity)
    }

    /// An object of `entries`; a later entry replaces an earlier one with the same key, keeping the
    /// earlier position.
    public init<S: Sequence>(_ entries: S) where S.Element == (String, Value) {
        self.init()
        for (k, v) in entries { self[k] = v }
    }

    /// Builds an object from entries known to have unique keys, without checking them.
    @inlinable init(uniqueEntries: [Entry]) { _entries = uniqueEntries }

    /// The number of members.
    @inlinable public var count: Int { _entries.count }

    /// Whether the object has no members.
    @inlinable public var isEmpty: Bool { _entries.isEmpty }

    /// The keys in order.
    public var keys: [String] { _entries.map(\.key) }

    /// The values in key order.
    public var values: [Value] { _entries.map(\.value) }

    /// The position of `key` in ``entries``, or `nil`.
    @inlinable public func index(forKey key: String) -> Int? {
        _entries.withUnsafeBufferPointer { buffer in
            for i in 0..<buffer.count where buffer[i].key == key { return i }
            return nil
        }
    }

    /// The value of `key`, or `nil`. Setting a value replaces it in place or appends the key;
    /// setting `nil` removes the key.
    @inlinable public subscript(key: String) -> Value? {
        get {
            guard let i = index(forKey: key) else { return nil }
            return _entries[i].value
        }
        _modify {
            if let i = index(forKey: key) {
                var member: Value? = _entries[i].value
                _entries[i].value = .null  // keep the member uniquely referenced while it is mutated
                yield &member
                if let member { _entries[i].value = member } else { _entries.remove(at: i) }
            } else {
                var member: Value? = nil
                yield &member
                if let member { _entries.append(Entry(key: key, value: member)) }
            }
        }
    }

    /// Sets `value` for `key` and returns the old value, if any.
    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: String) -> Value? {
        if let i = index(forKey: key) {
            let old = _entries[i].value
            _entries[i].value = value
            return old
        }
        _entries.append(Entry(key: key, value: value))
        return nil
    }

    /// Removes `key` and returns its value, if it was there.
    @inlinable @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = index(forKey: key) else { return nil }
        return _entries.remove(at: i).value
    }

    /// Appends a member without checking whether the key is already present; the caller
    /// guarantees it is not.
    @inlinable mutating func appendUnchecked(key: String, value: Value) {
        _entries.append(Entry(key: key, value: value))
    }

    /// Replaces the value at `position` in ``entries``.
    @inlinable mutating func replaceValue(at position: Int, with value: Value) {
        _entries[position].value = value
    }

    /// Transforms every value, keeping keys and order.
    public func mapValues(_ transform: (Value) throws -> Value) rethrows -> ObjectValue {
        ObjectValue(uniqueEntries: try _entries.map { Entry(key: $0.key, value: try transform($0.value)) })
    }

    /// Sorts the members by key.
    public mutating func sortByKey() {
        _entries.sort { $0.key < $1.key }
    }
}

extension ObjectValue: RandomAccessCollection {
    /// The position of the first member.
    @inlinable public var startIndex: Int { 0 }
    /// The position after the last member.
    @inlinable public var endIndex: Int { _entries.count }
    /// The member at `position`, as a key and a value.
    @inlinable public subscript(position: Int) -> (key: String, value: Value) {
        let e = _entries[position]
        return (e.key, e.value)
    }
}

extension ObjectValue: Equatable {
    /// Two objects are equal when they have the same keys with equal values, in any order.
    @inlinable public static func == (lhs: ObjectValue, rhs: ObjectValue) -> Bool {
        let n = lhs._entries.count
        guard n == rhs._entries.count else { return false }
        return lhs._entries.withUnsafeBufferPointer { l in
            rhs._entries.withUnsafeBufferPointer { r in
                var i = 0
                // Fast path: the same keys in the same order, the usual case.
                while i < n, l[i].key == r[i].key {
                    guard l[i].value == r[i].value else { return false }
                    i += 1
                }
                // Keys in another order: look each remaining one up (keys are unique).
                while i < n {
                    var found = false
                    for j in 0..<n where r[j].key == l[i].key {
                        guard r[j].value == l[i].value else { return false }
                        found = true
                        break
                    }
                    guard found else { return false }
                    i += 1
                }
                return true
            }
        }
    }
}

extension ObjectValue: Hashable {
    /// Hashes independently of key order, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for e in _entries {
            var h = Hasher()
            h.combine(e.key)
            h.combine(e.value)
            sum &+= h.finalize()
        }
        hasher.combine(_entries.count)
        hasher.combine(sum)
    }
}

extension ObjectValue: ExpressibleByDictionaryLiteral {
    /// An object whose keys keep the literal's order.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }
}
