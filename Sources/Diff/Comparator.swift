import Manifests

/// The comparison of one desired object with one live object: a single walk of both trees, led by
/// desired, that applies the built-in normalizations, list semantics and ownership as it goes, and
/// builds paths, pointers and ignore-rule contexts only where a difference is found.
struct Comparator {
    /// How the members of an object are skipped on both sides (server-owned fields).
    enum Level {
        case root, metadata, annotations, other
    }

    let options: DiffOptions
    let kind: String
    let apiVersion: String
    let isBuiltinGroup: Bool
    let compareStatus: Bool
    let liveFields: ObjectValue
    let desiredObject: KubeObject
    let liveObject: KubeObject

    var steps: [Step] = []
    /// Ownership nodes along `steps` (index 0 is the root); `nil` until needed.
    var ownNodes: [OwnNode?] = [nil]
    var changes: [Change] = []
    /// The position of the in-sync walk (``isInSync(_:_:)``), kept as pointers into the trees: a
    /// stack of `maxQuickDepth` steps, allocated for the walk only, and its depth.
    var quickSteps = UnsafeMutablePointer<QuickStep>(bitPattern: 0)
    var quickDepth = 0
    /// Ownership nodes along `quickSteps` (index 0 is the root); the first `quickOwnValid` are
    /// resolved for the current position.
    var quickOwn: [OwnNode] = []
    var quickOwnValid = 0
    /// The known defaults of this kind, looked up at the first live-only member.
    var defaultsOfKind: KnownDefaultsIndex.ForKind?

    init(options: DiffOptions, desired: KubeObject, live: KubeObject) {
        self.options = options
        self.kind = desired.kind ?? live.kind ?? ""
        let apiVersion = desired.fields["apiVersion"]?.stringValue ?? live.fields["apiVersion"]?.stringValue ?? ""
        self.apiVersion = apiVersion
        // The group is what comes before the '/' ("" for v1): built-in when it has no dot or ends
        // in .k8s.io.
        // Only a schema provider asks (see `listType`).
        if options.schemaProvider == nil {
            self.isBuiltinGroup = true
        } else if let slash = apiVersion.utf8.firstIndex(of: UInt8(ascii: "/")) {
            let group = apiVersion[..<slash]
            self.isBuiltinGroup = !group.utf8.contains(UInt8(ascii: ".")) || group.hasSuffix(".k8s.io")
        } else {
            self.isBuiltinGroup = true
        }
        self.compareStatus = desired.fields["status"] != nil
        self.liveFields = live.fields
        self.desiredObject = desired
        self.liveObject = live
    }

    // MARK: Offline comparison

    mutating func compareRoot(_ desired: ObjectValue, _ live: ObjectValue) {
        steps.reserveCapacity(16)
        ownNodes.reserveCapacity(17)
        compareObject(desired, live, parentKey: "", level: .root, quantities: false)
    }

    @inline(__always)
    static func skips(_ level: Level, _ key: String) -> Bool {
        switch level {
        case .other: return false
        case .root: return KeyBytes.same(key, "status") || KeyBytes.same(key, "apiVersion")
        case .metadata:
            switch key.utf8.count {
            case 3: return KeyBytes.same(key, "uid")
            case 8: return KeyBytes.same(key, "selfLink")
            case 10: return KeyBytes.same(key, "generation")
            case 13: return KeyBytes.same(key, "managedFields")
            case 15: return KeyBytes.same(key, "resourceVersion")
            case 17: return KeyBytes.same(key, "creationTimestamp") || KeyBytes.same(key, "deletionTimestamp")
            case 26: return KeyBytes.same(key, "deletionGracePeriodSeconds")
            default: return false
            }
        case .annotations: return KeyBytes.same(key, ServerMetadataNormalizer.lastAppliedAnnotation)
        }
    }

    @inline(__always)
    static func childLevel(_ level: Level, _ key: String) -> Level {
        switch level {
        case .root: return KeyBytes.same(key, "metadata") ? .metadata : .other
        case .metadata: return KeyBytes.same(key, "annotations") ? .annotations : .other
        default: return .other
        }
    }

    /// Absent, null, `{}` and `[]` are the same to the API server.
    @inline(__always)
    static func isEmptyish(_ v: Value) -> Bool {
        switch v {
        case .null: return true
        case .object(let o): return o.isEmpty
        case .array(let a): return a.isEmpty
        default: return false
        }
    }

    mutating func compareObject(_ d: ObjectValue, _ l: ObjectValue, parentKey: String, level: Level, quantities: Bool) {
        let dArray = d.entries
        let lArray = l.entries
        dArray.withUnsafeBufferPointer { dEntries in
            lArray.withUnsafeBufferPointer { lEntries in
                compareEntries(dEntries, lEntries, d, parentKey: parentKey, level: level, quantities: quantities)
            }
        }
    }

    mutating func compareEntries(
        _ dEntries: UnsafeBufferPointer<ObjectValue.Entry>, _ lEntries: UnsafeBufferPointer<ObjectValue.Entry>,
        _ d: ObjectValue, parentKey: String, level: Level, quantities: Bool
    ) {
        let lCount = lEntries.count
        // Which live members desired has (objects with more than 64 members fall back to lookups).
        var matchedMask: UInt64 = 0
        var matched = 0
        for i in 0..<dEntries.count {
            if level != .other && Comparator.skips(level, dEntries[i].key) {
                if !(level == .root && KeyBytes.same(dEntries[i].key, "status") && compareStatus) { continue }
            }
            var li = -1
            if i < lCount && KeyBytes.same(lEntries[i].key, dEntries[i].key) {
                li = i
            } else {
                for j in 0..<lCount where KeyBytes.same(lEntries[j].key, dEntries[i].key) {
                    li = j
                    break
                }
            }
            guard li >= 0 else {
                if Comparator.isEmptyish(dEntries[i].value) { continue }
                steps.append(.field(dEntries[i].key))
                ownNodes.append(nil)
                record(.added, old: nil, new: dEntries[i].value)
                steps.removeLast()
                ownNodes.removeLast()
                continue
            }
            matched += 1
            if li < 64 { matchedMask |= 1 << UInt64(li) }
            switch dEntries[i].value {
            case .object, .array:
                let key = dEntries[i].key
                steps.append(.field(key))
                ownNodes.append(nil)
                compareValue(
                    dEntries[i].value, lEntries[li].value, key: key, parentKey: parentKey,
                    level: Comparator.childLevel(level, key), quantities: quantities)
                steps.removeLast()
                ownNodes.removeLast()
            case .null:
                continue  // an explicit null in desired is the same as leaving the field out
            default:
                if Comparator.sameScalar(dEntries[i].value, lEntries[li].value, key: dEntries[i].key, quantities: quantities) {
                    continue
                }
                steps.append(.field(dEntries[i].key))
                ownNodes.append(nil)
                record(.modified, old: lEntries[li].value, new: dEntries[i].value)
                steps.removeLast()
                ownNodes.removeLast()
            }
        }
        guard matched < lCount else { return }
        // Members only live has: drift only when this manager set them before. The ownership node
        // of this object is resolved once, at the first such member.
        var own: OwnNode? = nil
        for j in 0..<lCount {
            if j < 64 {
                if matchedMask & (1 << UInt64(j)) != 0 { continue }
            } else if KeyBytes.member(d, lEntries[j].key) != nil {
                continue
            }
            let key = lEntries[j].key
            let lv = lEntries[j].value
            if level != .other && Comparator.skips(level, key) { continue }
            if Comparator.isEmptyish(lv) { continue }
            if own == nil { own = currentOwnNode() }
            guard let node = own, node.ownsField(key) else { continue }
            steps.append(.field(key))
            ownNodes.append(nil)
            let path = currentPath()
            if !knownDefaults().isDefault(name: key, path: path, value: lv) {
                record(.removed, old: lv, new: nil, path: path)
            }
            steps.removeLast()
            ownNodes.removeLast()
        }
    }

    /// Whether two scalars (desired not null) are the same, with the quantity and int-or-string
    /// equivalences.
    @inline(__always)
    static func sameScalar(_ d: Value, _ l: Value, key: String, quantities: Bool) -> Bool {
        if d == l { return true }
        if isEmptyish(l) && isEmptyish(d) { return true }
        if quantities && Quantity.sameAmount(d, l) { return true }
        if isIntOrString(key) && sameIntOrString(d, l) { return true }
        return false
    }

    /// The map names whose values are resource quantities.
    @inline(__always)
    static func isQuantityMap(_ key: String) -> Bool {
        switch key.utf8.count {
        case 4: return KeyBytes.same(key, "hard")
        case 6: return KeyBytes.same(key, "limits")
        case 8: return KeyBytes.same(key, "requests") || KeyBytes.same(key, "capacity") || KeyBytes.same(key, "overhead")
        case 11: return KeyBytes.same(key, "allocatable")
        default: return false
        }
    }

    /// Fields of type IntOrString, where `8080` and `"8080"` are read alike by tools that render
    /// numbers as strings.
    @inline(__always)
    static func isIntOrString(_ key: String) -> Bool {
        switch key.utf8.count {
        case 4: return KeyBytes.same(key, "port")
        case 8: return KeyBytes.same(key, "maxSurge")
        case 10: return KeyBytes.same(key, "targetPort")
        case 12: return KeyBytes.same(key, "minAvailable")
        case 14: return KeyBytes.same(key, "maxUnavailable")
        default: return false
        }
    }

    static func sameIntOrString(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let i), .string(let s)), (.string(let s), .int(let i)): return String(i) == s
        default: return false
        }
    }

    mutating func compareValue(_ d: Value, _ l: Value, key: String, parentKey: String, level: Level, quantities: Bool) {
        if case .object(let a) = d, case .object(let b) = l {
            compareObject(a, b, parentKey: key, level: level, quantities: Comparator.isQuantityMap(key))
            return
        }
        if case .array(let a) = d, case .array(let b) = l {
            compareList(a, b, key: key, parentKey: parentKey)
            return
        }
        if case .null = d { return }  // an explicit null in desired is the same as leaving the field out
        if Comparator.sameScalar(d, l, key: key, quantities: quantities) { return }
        record(.modified, old: l, new: d)
    }

    var gvk: GroupVersionKind { GroupVersionKind(apiVersion: apiVersion, kind: kind) }

    func listType(key: String, parentKey: String) -> ListType {
        listType(key: key, parentKey: parentKey, fieldNames: options.schemaProvider == nil ? [] : fieldNames())
    }

    /// The list type at the current position, whose field names from the root are `fieldNames`
    /// (needed only when there is a schema provider).
    func listType(key: String, parentKey: String, fieldNames: [String]) -> ListType {
        if !isBuiltinGroup, let schema = options.schemaProvider {
            if let t = schema.listType(for: gvk, at: fieldNames) { return t }
        }
        if let t = BuiltinLists.listType(kind: kind, parentKey: parentKey, key: key) { return t }
        if isBuiltinGroup, let schema = options.schemaProvider {
            if let t = schema.listType(for: gvk, at: fieldNames) { return t }
        }
        return .atomic
    }

    mutating func compareList(_ a: [Value], _ b: [Value], key: String, parentKey: String) {
        switch listType(key: key, parentKey: parentKey) {
        case .map(let keys):
            compareMapList(a, b, keys: keys, key: key)
        case .set:
            for de in a where !b.contains(de) {
                steps.append(.setValue(de, liveIndex: nil))
                ownNodes.append(nil)
                record(.added, old: nil, new: de)
                steps.removeLast()
                ownNodes.removeLast()
            }
            for (li, le) in b.enumerated() where !a.contains(le) {
                let step = Step.setValue(le, liveIndex: li)
                guard currentOwnNode().child(step).exists else { continue }
                steps.append(step)
                ownNodes.append(nil)
                record(.removed, old: le, new: nil)
                steps.removeLast()
                ownNodes.removeLast()
            }
        case .atomic:
            if a.count == b.count {
                for i in 0..<a.count {
                    steps.append(.index(i, liveIndex: i))
                    ownNodes.append(nil)
                    compareValue(a[i], b[i], key: key, parentKey: parentKey, level: .other, quantities: false)
                    steps.removeLast()
                    ownNodes.removeLast()
                }
            } else {
                record(.modified, old: .array(b), new: .array(a))
            }
        }
    }

    mutating func compareMapList(_ a: [Value], _ b: [Value], keys: [String], key: String) {
        // Lists without objects, or without their keys, fall back to atomic.
        var matched = 0
        for de in a {
            guard case .object = de else {
                // Not a list of objects after all: compare it as atomic.
                if a != b { record(.modified, old: .array(b), new: .array(a)) }
                return
            }
        }
        for (di, de) in a.enumerated() {
            guard case .object(let dobj) = de else { continue }
            var li: Int? = nil
            if di < b.count, Step.keysMatch(keys, de, b[di]) {
                li = di
            } else {
                for j in 0..<b.count where Step.keysMatch(keys, de, b[j]) {
                    li = j
                    break
                }
            }
            steps.append(.element(keys: keys, element: de, liveIndex: li))
            ownNodes.append(nil)
            if let li, case .object(let lobj) = b[li] {
                matched += 1
                compareObject(dobj, lobj, parentKey: key, level: .other, quantities: false)
            } else if li != nil {
                matched += 1
                record(.modified, old: b[li ?? 0], new: de)
            } else {
                record(.added, old: nil, new: de)
            }
            steps.removeLast()
            ownNodes.removeLast()
        }
        guard matched < b.count else { return }
        for (li, le) in b.enumerated() {
            if a.contains(where: { Step.keysMatch(keys, $0, le) }) { continue }
            let step = Step.element(keys: keys, element: le, liveIndex: li)
            guard currentOwnNode().child(step).exists else { continue }
            steps.append(step)
            ownNodes.append(nil)
            record(.removed, old: le, new: nil)
            steps.removeLast()
            ownNodes.removeLast()
        }
    }

    // MARK: Server-side comparison

    /// Compares `predicted` (a dry-run apply's result) with `live`, only where `owned` (the
    /// `fieldsV1` of this manager) says this manager owns fields.
    mutating func compareOwned(_ owned: ObjectValue, predicted: Value?, live: Value?, key: String, parentKey: String) {
        for e in owned.entries {
            guard case .object(let child) = e.value else { continue }
            let k = e.key
            if k == "." { continue }
            let isLeaf = child.isEmpty || (child.count == 1 && child.entries[0].key == ".")
            if k.hasPrefix("f:") {
                let name = String(k.dropFirst(2))
                if steps.count == 1, case .field("metadata") = steps[0], Comparator.skips(.metadata, name) { continue }
                if steps.isEmpty && name == "status" { continue }
                steps.append(.field(name))
                let p = predicted?[name]
                let l = live?[name]
                if isLeaf {
                    compareLeaf(p, l, key: name, quantities: Comparator.isQuantityMap(key))
                } else {
                    compareOwned(child, predicted: p, live: l, key: name, parentKey: key)
                }
                steps.removeLast()
            } else if k.hasPrefix("k:") || k.hasPrefix("v:") || k.hasPrefix("i:") {
                let pItems = predicted?.arrayValue ?? []
                let lItems = live?.arrayValue ?? []
                var pElement: Value?
                var liveIndex: Int?
                let step: Step
                if k.hasPrefix("i:") {
                    guard let i = Int(k.dropFirst(2)) else { continue }
                    pElement = i < pItems.count ? pItems[i] : nil
                    liveIndex = i < lItems.count ? i : nil
                    step = .index(i, liveIndex: liveIndex)
                } else {
                    guard let parsed = try? Value(json: String(k.dropFirst(2))) else { continue }
                    if k.hasPrefix("v:") {
                        pElement = pItems.contains(parsed) ? parsed : nil
                        liveIndex = lItems.firstIndex(of: parsed)
                        step = .setValue(parsed, liveIndex: liveIndex)
                    } else {
                        guard case .object(let keyObject) = parsed else { continue }
                        let names = keyObject.keys
                        pElement = pItems.first { Step.keysMatch(names, $0, parsed) }
                        liveIndex = lItems.firstIndex { Step.keysMatch(names, $0, parsed) }
                        step = .element(keys: names, element: pElement ?? parsed, liveIndex: liveIndex)
                    }
                }
                let lElement = liveIndex.map { lItems[$0] }
                steps.append(step)
                if isLeaf || pElement == nil || lElement == nil {
                    compareLeaf(pElement, lElement, key: key, quantities: false)
                } else {
                    compareOwned(child, predicted: pElement, live: lElement, key: key, parentKey: parentKey)
                }
                steps.removeLast()
            }
        }
    }

    mutating func compareLeaf(_ p: Value?, _ l: Value?, key: String, quantities: Bool) {
        switch (p, l) {
        case (nil, nil): return
        case (let p?, nil):
            if !Comparator.isEmptyish(p) { record(.added, old: nil, new: p) }
        case (nil, let l?):
            if !Comparator.isEmptyish(l) { record(.removed, old: l, new: nil) }
        case (let p?, let l?):
            if p == l || (quantities && Quantity.sameAmount(p, l)) { return }
            record(.modified, old: l, new: p)
        }
    }

    // MARK: Ownership, paths, recording

    /// The ownership node of the current position, resolved from the deepest resolved ancestor.
    mutating func currentOwnNode() -> OwnNode {
        let top = ownNodes.count - 1
        if case .some(let node) = ownNodes[top] { return node }
        var j = top
        while j > 0, Comparator.isUnresolved(ownNodes[j]) { j -= 1 }
        var node: OwnNode
        if case .some(let resolved) = ownNodes[j] {
            node = resolved
        } else {
            node = rootOwnNode()
            ownNodes[0] = node
        }
        while j < top {
            if !node.hasChildren {
                // `.notOwned` and `.all` are their own children: fill the rest at once.
                while j < top {
                    j += 1
                    ownNodes[j] = node
                }
                return node
            }
            node = node.child(steps[j])
            j += 1
            ownNodes[j] = node
        }
        return node
    }

    /// Our manager's fields in live, or else the last-applied configuration, or nothing.
    func rootOwnNode() -> OwnNode {
        // An empty set at the root (an apply of nothing but the object's identity) owns nothing;
        // `{}` means "the whole value" only below the root.
        if let fields = FieldsV1.fields(of: [options.fieldManager], in: liveFields), case .object(let o) = fields,
            !o.isEmpty
        {
            return .fields(o)
        }
        if options.useLastApplied,
            let text = liveFields["metadata"]?["annotations"]?[ServerMetadataNormalizer.lastAppliedAnnotation]?.stringValue,
            let applied = try? Value(json: text)
        {
            return .applied(applied)
        }
        return .notOwned
    }

    /// The known defaults that apply to this object's kind.
    mutating func knownDefaults() -> KnownDefaultsIndex.ForKind {
        if let defaultsOfKind { return defaultsOfKind }
        let defaults = options.knownDefaultsIndex.forKind(kind)
        defaultsOfKind = defaults
        return defaults
    }

    func fieldNames() -> [String] {
        steps.compactMap { if case .field(let n) = $0 { return n } else { return nil } }
    }

    func currentPath() -> FieldPath { FieldPath(steps.map(\.component)) }

    func currentPointer() -> JSONPointer { JSONPointer(tokens: steps.map(\.pointerToken)) }

    mutating func record(_ kind: Change.Kind, old: Value?, new: Value?, path: FieldPath? = nil) {
        let change = Change(kind: kind, path: path ?? currentPath(), pointer: currentPointer(), old: old, new: new)
        if !options.ignoreRules.isEmpty {
            let context = IgnoreContext(key: desiredObject.key, live: liveObject, desired: desiredObject)
            for rule in options.ignoreRules where rule.ignores(change, context: context) { return }
        }
        changes.append(change)
    }
}

extension Comparator {
    @inline(__always)
    static func isUnresolved(_ node: OwnNode?) -> Bool {
        if case .some = node { return false }
        return true
    }
}
