import Manifests

/// One step of the in-sync walk's position: pointers into the trees being walked (valid while the
/// walk is inside them), so that pushing a step copies and retains nothing. Turned into a
/// ``Step`` only to resolve ownership.
enum QuickStep {
    /// A member of an object: the desired entry.
    case field(UnsafePointer<ObjectValue.Entry>)
    /// A map-list element: the desired element and the list's key fields.
    case element(UnsafePointer<Value>, keys: UnsafePointer<[String]>)
    /// A position in an atomic list.
    case index(Int)

    var step: Step {
        switch self {
        case .field(let entry): return .field(entry.pointee.key)
        case .element(let element, let keys): return .element(keys: keys.pointee, element: element.pointee, liveIndex: nil)
        case .index(let i): return .index(i, liveIndex: i)
        }
    }
}

/// The walk's position and a member below it, as a path for ``PathPattern``: components are made
/// only where a pattern step needs one (a selector against a map-list element).
struct QuickPath: MatchablePath {
    let steps: UnsafeBufferPointer<QuickStep>
    let last: String

    var componentCount: Int { steps.count + 1 }

    func component(at position: Int, isField name: String) -> Bool {
        guard position < steps.count else { return KeyBytes.same(last, name) }
        if case .field(let entry) = steps[position] { return KeyBytes.same(entry.pointee.key, name) }
        return false
    }

    func component(at position: Int, matches step: PathPattern.Step) -> Bool {
        switch step {
        case .any, .anyDepth: return true
        default: break
        }
        guard position < steps.count else { return PathPattern.matchOne(step, .field(last)) }
        switch steps[position] {
        case .field(let entry): return PathPattern.matchOne(step, .field(entry.pointee.key))
        case .index(let i): return PathPattern.matchOne(step, .index(i))
        case .element:
            // Only a selector matches an element (besides `*` and `**`).
            guard case .keys = step else { return false }
            return PathPattern.matchOne(step, steps[position].step.component)
        }
    }
}

/// The fast path of the offline comparison: a read-only walk of desired against live, with the
/// same normalizations, list semantics and ownership rules as the full comparison, that builds no
/// paths, changes or copies. Most pairs are in sync; for them this walk is the whole cost.
///
/// It answers `true` only when the full comparison would record no change. At the first difference,
/// or at a tree deeper than ``maxQuickDepth``, it answers `false`, and the full comparison runs for
/// the pair. A member only live has is asked about in the order that touches the least memory: the
/// known defaults first (a table), this manager's `managedFields` only for the others; either
/// order gives the full comparison's answer, which is "drift" only for a member this manager set
/// and whose value is not a default.
extension Comparator {
    /// Deeper trees go to the full comparison. 40 steps of 24 bytes stay within the 1 KB that
    /// `withUnsafeTemporaryAllocation` places on the stack (beyond it, it allocates).
    static let maxQuickDepth = 40

    /// Whether the full comparison of `desired` with `live` would find no change.
    mutating func isInSync(_ desired: ObjectValue, _ live: ObjectValue) -> Bool {
        // The stack lives on the call stack (no allocation per pair); `QuickStep` is a trivial
        // type, so nothing needs deinitializing.
        withUnsafeTemporaryAllocation(of: QuickStep.self, capacity: Comparator.maxQuickDepth) { stack in
            quickSteps = stack.baseAddress
            quickDepth = 0
            quickOwnValid = 0
            defer { quickSteps = nil }
            return desired.withEntries { d in
                live.withEntries { l in quickEntries(d, l, parentKey: "", level: .root, quantities: false) }
            }
        }
    }

    @inline(__always)
    private mutating func quickPush(_ step: QuickStep) -> Bool {
        guard quickDepth < Comparator.maxQuickDepth, let stack = quickSteps else { return false }
        (stack + quickDepth).initialize(to: step)
        quickDepth += 1
        return true
    }

    @inline(__always)
    private mutating func quickPop() {
        quickDepth -= 1
        if quickOwnValid > quickDepth + 1 { quickOwnValid = quickDepth + 1 }
    }

    /// The steps of the current position.
    private var quickPath: UnsafeBufferPointer<QuickStep> {
        UnsafeBufferPointer(start: quickSteps, count: quickSteps == nil ? 0 : quickDepth)
    }

    /// The field names of the position, for a schema provider.
    private func quickFieldNames() -> [String] {
        quickPath.compactMap { if case .field(let e) = $0 { return e.pointee.key } else { return nil } }
    }

    /// The ownership node of the current position, resolved from the deepest resolved ancestor.
    private mutating func quickOwnNode() -> OwnNode {
        if quickOwnValid == 0 {
            if quickOwn.isEmpty { quickOwn.reserveCapacity(17) }
            let root = rootOwnNode()
            if quickOwn.isEmpty { quickOwn.append(root) } else { quickOwn[0] = root }
            quickOwnValid = 1
        }
        var node = quickOwn[quickOwnValid - 1]
        let depth = quickDepth
        let path = quickPath
        while quickOwnValid <= depth {
            // `.notOwned` and `.all` are their own children.
            if node.hasChildren { node = Comparator.quickChild(node, path[quickOwnValid - 1]) }
            if quickOwn.count > quickOwnValid { quickOwn[quickOwnValid] = node } else { quickOwn.append(node) }
            quickOwnValid += 1
        }
        return node
    }

    /// ``OwnNode/child(_:)`` for a step of the walk; a member of a `fieldsV1` node is found in
    /// place, without building the step.
    static func quickChild(_ node: OwnNode, _ step: QuickStep) -> OwnNode {
        guard case .fields(let o) = node, case .field(let entry) = step else { return node.child(step.step) }
        return o.withEntries { entries in
            if entries.isEmpty { return .all }
            for i in 0..<entries.count where FieldsV1.isField(entries[i].key, entry.pointee.key) {
                if case .object(let n) = entries[i].value { return .fields(n) }
                return .all
            }
            return .notOwned
        }
    }

    /// ``OwnNode/ownsField(_:)``, scanning a `fieldsV1` node in place.
    static func quickOwnsField(_ node: OwnNode, _ name: String) -> Bool {
        guard case .fields(let o) = node else { return node.ownsField(name) }
        return o.withEntries { entries in
            if entries.isEmpty { return true }
            for i in 0..<entries.count where FieldsV1.isField(entries[i].key, name) { return true }
            return false
        }
    }

    private mutating func quickEntries(
        _ dEntries: UnsafeBufferPointer<ObjectValue.Entry>, _ lEntries: UnsafeBufferPointer<ObjectValue.Entry>,
        parentKey: String, level: Level, quantities: Bool
    ) -> Bool {
        let lCount = lEntries.count
        var matchedMask: UInt64 = 0
        var matched = 0
        for i in 0..<dEntries.count {
            let key = dEntries[i].key
            if level != .other && Comparator.skips(level, key) {
                if !(level == .root && KeyBytes.same(key, "status") && compareStatus) { continue }
            }
            var li = -1
            if i < lCount && KeyBytes.same(lEntries[i].key, key) {
                li = i
            } else {
                for j in 0..<lCount where KeyBytes.same(lEntries[j].key, key) {
                    li = j
                    break
                }
            }
            guard li >= 0 else {
                if Comparator.isEmptyish(dEntries[i].value) { continue }
                return false  // added
            }
            matched += 1
            if li < 64 { matchedMask |= 1 << UInt64(li) }
            switch dEntries[i].value {
            case .object, .array:
                guard let base = dEntries.baseAddress, quickPush(.field(base + i)) else { return false }
                let same = quickValue(
                    dEntries[i].value, lEntries[li].value, key: key, parentKey: parentKey,
                    level: Comparator.childLevel(level, key), quantities: quantities)
                quickPop()
                if !same { return false }
            case .null:
                continue
            default:
                if !Comparator.quickSameScalar(dEntries[i].value, lEntries[li].value)
                    && !Comparator.sameScalar(dEntries[i].value, lEntries[li].value, key: key, quantities: quantities)
                {
                    return false
                }
            }
        }
        guard matched < lCount else { return true }
        // Members only live has: in sync when this manager never set them, or the server's
        // default is their value. The ownership node is resolved once, at the first such member.
        var own: OwnNode? = nil
        for j in 0..<lCount {
            if j < 64 {
                if matchedMask & (1 << UInt64(j)) != 0 { continue }
            } else if dEntries.contains(where: { KeyBytes.same($0.key, lEntries[j].key) }) {
                continue
            }
            let key = lEntries[j].key
            if level != .other && Comparator.skips(level, key) { continue }
            if Comparator.isEmptyish(lEntries[j].value) { continue }
            // The server's default is never drift, whoever set it: asked first, as it needs no
            // look into `managedFields`.
            let path = QuickPath(steps: quickPath, last: key)
            if knownDefaults().isDefault(name: key, path: path, value: lEntries[j].value) { continue }
            if own == nil { own = quickOwnNode() }
            // A field this manager set before, removed from Git: drift.
            if let node = own, Comparator.quickOwnsField(node, key) { return false }
        }
        return true
    }

    /// Whether two scalars are equal, decided by their bits and bytes without copying them: `true`
    /// only when `==` says so; `false` leaves the question to ``sameScalar(_:_:key:quantities:)``.
    @inline(__always)
    static func quickSameScalar(_ d: borrowing Value, _ l: borrowing Value) -> Bool {
        switch d {
        case .string(let a):
            switch l {
            case .string(let b): return KeyBytes.same(a, b)
            default: return false
            }
        case .int(let a):
            switch l {
            case .int(let b): return a == b
            default: return false
            }
        case .bool(let a):
            switch l {
            case .bool(let b): return a == b
            default: return false
            }
        default:
            return false
        }
    }

    /// ``Step/keysMatch(_:_:_:)``, decided in place when every key field is in both elements with
    /// the same bytes.
    static func quickKeysMatch(_ keys: [String], _ a: Value, _ b: Value) -> Bool {
        if case .object(let ao) = a, case .object(let bo) = b {
            let same = ao.withEntries { ae in
                bo.withEntries { be in
                    for k in keys {
                        guard let i = ae.firstIndex(where: { KeyBytes.same($0.key, k) }),
                            let j = be.firstIndex(where: { KeyBytes.same($0.key, k) }),
                            quickSameScalar(ae[i].value, be[j].value)
                        else { return false }
                    }
                    return true
                }
            }
            if same { return true }
        }
        return Step.keysMatch(keys, a, b)
    }

    private mutating func quickValue(_ d: borrowing Value, _ l: borrowing Value, key: String, parentKey: String, level: Level, quantities: Bool)
        -> Bool
    {
        switch d {
        case .object(let a):
            switch l {
            case .object(let b):
                let q = Comparator.isQuantityMap(key)
                return a.withEntries { da in
                    b.withEntries { lb in quickEntries(da, lb, parentKey: key, level: level, quantities: q) }
                }
            default: break
            }
        case .array(let a):
            switch l {
            case .array(let b): return quickList(a, b, key: key, parentKey: parentKey)
            default: break
            }
        case .null:
            return true
        default:
            break
        }
        return Comparator.quickSameScalar(d, l) || Comparator.sameScalar(copy d, copy l, key: key, quantities: quantities)
    }

    private mutating func quickList(_ a: [Value], _ b: [Value], key: String, parentKey: String) -> Bool {
        let names = options.schemaProvider == nil ? [] : quickFieldNames()
        switch listType(key: key, parentKey: parentKey, fieldNames: names) {
        case .map(let keys):
            return quickMapList(a, b, keys: keys, key: key)
        case .set:
            for de in a where !b.contains(de) { return false }  // added
            for le in b where !a.contains(le) {
                if quickOwnNode().child(.setValue(le, liveIndex: nil)).exists { return false }  // removed
            }
            return true
        case .atomic:
            guard a.count == b.count else { return false }
            for i in 0..<a.count {
                guard quickPush(.index(i)) else { return false }
                let same = quickValue(a[i], b[i], key: key, parentKey: parentKey, level: .other, quantities: false)
                quickPop()
                if !same { return false }
            }
            return true
        }
    }

    private mutating func quickMapList(_ a: [Value], _ b: [Value], keys: [String], key: String) -> Bool {
        for de in a {
            guard case .object = de else { return a == b }  // not a list of objects: atomic
        }
        return withUnsafePointer(to: keys) { keysPointer in
            a.withUnsafeBufferPointer { ab in
                b.withUnsafeBufferPointer { bb in
                    quickMapElements(ab, bb, keys: keysPointer, key: key)
                }
            }
        }
    }

    private mutating func quickMapElements(
        _ a: UnsafeBufferPointer<Value>, _ b: UnsafeBufferPointer<Value>, keys: UnsafePointer<[String]>, key: String
    ) -> Bool {
        guard let aBase = a.baseAddress else {
            return b.isEmpty || quickUnmatchedLive(a, b, keys: keys)
        }
        var matched = 0
        for di in 0..<a.count {
            var li = -1
            if di < b.count, Comparator.quickKeysMatch(keys.pointee, a[di], b[di]) {
                li = di
            } else {
                for j in 0..<b.count where Comparator.quickKeysMatch(keys.pointee, a[di], b[j]) {
                    li = j
                    break
                }
            }
            guard li >= 0, case .object(let lobj) = b[li], case .object(let dobj) = a[di] else {
                return false  // added, or replaced by a non-object
            }
            matched += 1
            guard quickPush(.element(aBase + di, keys: keys)) else { return false }
            let same = dobj.withEntries { de in
                lobj.withEntries { le in quickEntries(de, le, parentKey: key, level: .other, quantities: false) }
            }
            quickPop()
            if !same { return false }
        }
        guard matched < b.count else { return true }
        return quickUnmatchedLive(a, b, keys: keys)
    }

    /// Whether no live element that desired lacks was set by this manager before.
    private mutating func quickUnmatchedLive(
        _ a: UnsafeBufferPointer<Value>, _ b: UnsafeBufferPointer<Value>, keys: UnsafePointer<[String]>
    ) -> Bool {
        for le in b {
            if a.contains(where: { Step.keysMatch(keys.pointee, $0, le) }) { continue }
            if quickOwnNode().child(.element(keys: keys.pointee, element: le, liveIndex: nil)).exists { return false }
        }
        return true
    }
}
