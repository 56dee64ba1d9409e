/// Hashing and comparing runs of 8 or more bytes eight at a time, for the readers' string tables
/// (the YAML reader's long-key cache and ``WellKnownStrings``).
enum LongBytes {
    /// A hash of the `count` (at least 8) bytes at `p`.
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(truncatingIfNeeded: count) &* k
        var i = 0
        while i + 8 <= count {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
            i += 8
        }
        if i < count { h = (h ^ p.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) &* k }
        return h
    }

    /// Whether `s` has exactly the `count` (at least 8) bytes at `p`.
    @inline(__always)
    static func same(_ s: String, _ p: UnsafeRawPointer, _ count: Int) -> Bool {
        guard s.utf8.count == count else { return false }
        return s.utf8.withContiguousStorageIfAvailable { sb -> Bool in
            guard let base = sb.baseAddress else { return false }
            let q = UnsafeRawPointer(base)
            var i = 0
            while i + 8 <= count {
                if q.loadUnaligned(fromByteOffset: i, as: UInt64.self) != p.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                    return false
                }
                i += 8
            }
            return q.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                == p.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } == true
    }
}
