/// A stack whose top elements can be moved out into an `Array` in one step, without copying or
/// reference counting each element: the scratch space readers build containers on.
final class MoveStack<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always)
    func push(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    /// The element at `index`, which must be below ``count``; modified in place.
    @inline(__always)
    subscript(index: Int) -> Element {
        _read { yield base[index] }
        _modify { yield &base[index] }
    }

    /// Removes and returns the top element, which must exist.
    @inline(__always)
    func popLast() -> Element {
        count -= 1
        return (base + count).move()
    }

    /// Removes the top element, which must exist.
    @inline(__always)
    func removeLast() {
        count -= 1
        (base + count).deinitialize(count: 1)
    }

    /// Moves the elements from `start` to the top into a new array, leaving `start` elements.
    ///
    /// (`reserveCapacity` and `append` are specialized for the element type;
    /// `Array(unsafeUninitializedCapacity:)` looks the storage type up at run time, which cost
    /// more than the copy itself.)
    func popArray(from start: Int) -> [Element] {
        var array: [Element] = []
        array.reserveCapacity(count - start)
        for k in start..<count { array.append((base + k).move()) }
        count = start
        return array
    }

    /// Calls `body` with the elements from `start` to the top.
    @inline(__always)
    func withElements<R>(from start: Int, _ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base + start, count: count - start))
    }
}
