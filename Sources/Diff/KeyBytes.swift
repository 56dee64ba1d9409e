import Manifests

/// Byte-level comparisons of object keys for the comparison's hot loops.
///
/// Keys compare by their UTF-8 bytes, as the API server (Go) compares map keys, not by Unicode
/// canonical equivalence as `String.==` does; for the ASCII keys of Kubernetes objects the two
/// agree. A comparison of two keys of different lengths costs one integer comparison, and no
/// comparison calls into the standard library's string comparison.
enum KeyBytes {
    /// Whether `a` and `b` have the same UTF-8 bytes.
    @inline(__always)
    static func same(_ a: String, _ b: String) -> Bool {
        let n = a.utf8.count
        guard n == b.utf8.count else { return false }
        // Up to 15 bytes, keys are small strings whose bits `==` compares inline (and for ASCII
        // its full comparison is a byte comparison).
        if n <= 15 { return a == b }
        return sameLong(a, b, n)
    }

    @inline(never)
    static func sameLong(_ a: String, _ b: String, _ n: Int) -> Bool {
        if let result = a.utf8.withContiguousStorageIfAvailable({ ab in
            // The same bytes in memory (a string shared by both trees, such as one the readers
            // take from `WellKnownStrings`): equal without reading them.
            b.utf8.withContiguousStorageIfAvailable { bb in ab.baseAddress == bb.baseAddress || equalBytes(ab, bb, n) }
        }), let result {
            return result
        }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// Whether `key` is the literal `literal`.
    @inline(__always)
    static func same(_ key: String, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard key.utf8.count == n else { return false }
        return sameLiteral(key, literal)
    }

    @inline(never)
    static func sameLiteral(_ key: String, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lb in
            let n = lb.count
            if let result = key.utf8.withContiguousStorageIfAvailable({ kb in equalBytes(kb, lb, n) }) { return result }
            return key.utf8.elementsEqual(lb)
        }
    }

    /// Whether the first `n` bytes of `a` and `b` (both at least `n` long) are equal.
    @inline(__always)
    static func equalBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        let ra = UnsafeRawPointer(pa)
        let rb = UnsafeRawPointer(pb)
        var i = 0
        while i + 8 <= n {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < n {
            if pa[i] != pb[i] { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes` has `string`'s bytes at `offset` (the caller checked the length).
    @inline(__always)
    static func has(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ string: String) -> Bool {
        let n = string.utf8.count
        guard offset + n <= bytes.count else { return false }
        let rest = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + n)])
        if let result = string.utf8.withContiguousStorageIfAvailable({ sb in equalBytes(rest, sb, n) }) { return result }
        return rest.elementsEqual(string.utf8)
    }

    /// Whether `bytes` has `literal` at `offset`.
    @inline(__always)
    static func has(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lb in
            let n = lb.count
            guard offset + n <= bytes.count else { return false }
            return equalBytes(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + n)]), lb, n)
        }
    }

    /// The value of member `key` of `object`, found by byte comparison.
    @inline(__always)
    static func member(_ object: ObjectValue, _ key: String) -> Value? {
        object.entries.withUnsafeBufferPointer { entries in
            for i in 0..<entries.count where same(entries[i].key, key) { return entries[i].value }
            return nil
        }
    }

    /// The value of member `key` of `value` when it is an object.
    @inline(__always)
    static func member(_ value: Value, _ key: String) -> Value? {
        guard case .object(let o) = value else { return nil }
        return member(o, key)
    }
}
