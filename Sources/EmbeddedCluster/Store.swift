import Foundation
import Manifests
import Synchronization

/// Where a watch stream's bytes go; implemented by the HTTP layer.
final class WatchSink: Sendable {
    let send: @Sendable ([UInt8]) -> Void
    let close: @Sendable () -> Void
    init(send: @escaping @Sendable ([UInt8]) -> Void, close: @escaping @Sendable () -> Void) {
        self.send = send
        self.close = close
    }
}

struct WatchEvent: Sendable {
    var rv: Int64
    var groupResource: String
    var type: String
    var object: ObjectValue
    var old: ObjectValue?
}

struct Watcher: Sendable {
    var type: ResourceType
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector
    var asTable: Bool
    var sink: WatchSink
}

/// Everything the cluster holds, guarded by one lock.
struct ClusterState: Sendable {
    var rv: Int64 = 100
    var registry = Registry()
    var objects: [String: [String: ObjectValue]] = [:]
    var sorted: [String: [String]] = [:]
    var history: [WatchEvent] = []
    var historyStart = 0
    var watchers: [Int: Watcher] = [:]
    var nextWatcher = 0
    /// When the simulated controllers run next (seconds since 1970), if a run is scheduled.
    var controllersDue: Double?
    /// The states paginated lists are reading (the last few), by list resourceVersion.
    struct ListSnapshot: Sendable {
        var rv: Int64
        var groupResource: String
        var keys: [String]
        var store: [String: ObjectValue]
    }
    var listSnapshots: [ListSnapshot] = []
    /// Service address allocation: 10.96.0.0/12 from .1 (the real default range), node ports from 30000.
    var nextServiceIP = 1
    var nextNodePort: Int64 = 30000

    static let historyLimit = 20_000

    static func key(_ namespace: String?, _ name: String) -> String {
        if let namespace, !namespace.isEmpty { return namespace + "/" + name }
        return name
    }

    func get(_ t: ResourceType, _ namespace: String?, _ name: String) -> ObjectValue? {
        objects[t.groupResource]?[Self.key(t.namespaced ? namespace : nil, name)]
    }

    mutating func nextRV() -> Int64 {
        rv += 1
        return rv
    }

    /// Keys of a resource in storage order (the real server lists in etcd key order).
    mutating func sortedKeys(_ groupResource: String) -> [String] {
        if let s = sorted[groupResource] { return s }
        let s = (objects[groupResource] ?? [:]).keys.sorted()
        sorted[groupResource] = s
        return s
    }

    var oldestRV: Int64 { history.count > historyStart ? history[historyStart].rv : rv }

    mutating func put(_ t: ResourceType, _ object: ObjectValue, type eventType: String, old: ObjectValue?) {
        let ns = t.namespaced ? object["metadata"]?["namespace"]?.stringValue : nil
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let key = Self.key(ns, name)
        if eventType == "DELETED" {
            objects[t.groupResource]?[key] = nil
            sorted[t.groupResource] = nil
        } else {
            if objects[t.groupResource]?[key] == nil { sorted[t.groupResource] = nil }
            objects[t.groupResource, default: [:]][key] = object
        }
        let rv = Int64(object["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? self.rv
        let event = WatchEvent(rv: rv, groupResource: t.groupResource, type: eventType, object: object, old: old)
        history.append(event)
        if history.count - historyStart > Self.historyLimit {
            historyStart += 1
            if historyStart > 4096 {
                history.removeFirst(historyStart)
                historyStart = 0
            }
        }
        deliver(event)
    }

    func deliver(_ event: WatchEvent) {
        var encoded: [UInt8]? = nil
        for w in watchers.values where w.type.groupResource == event.groupResource {
            guard let type = Self.eventType(for: w, event) else { continue }
            if w.asTable {
                w.sink.send(
                    Render.watchEvent(type, Render.table([event.object], w.type, rv: nil, includeHeaders: true), w.type)
                )
            } else if type == event.type {
                let bytes = encoded ?? Render.watchEvent(type, .object(event.object), w.type)
                encoded = bytes
                w.sink.send(bytes)
            } else {
                w.sink.send(Render.watchEvent(type, .object(event.object), w.type))
            }
        }
    }

    /// The event type this watcher sees: objects moving in or out of its selectors become
    /// ADDED or DELETED, as with the real watch cache.
    static func eventType(for w: Watcher, _ e: WatchEvent) -> String? {
        func matches(_ o: ObjectValue) -> Bool {
            if let ns = w.namespace, o["metadata"]?["namespace"]?.stringValue != ns { return false }
            return w.labels.matches(o["metadata"]?["labels"]?.objectValue) && w.fields.matches(o)
        }
        let now = matches(e.object)
        guard e.type == "MODIFIED", let old = e.old else { return now ? e.type : nil }
        let before = matches(old)
        switch (before, now) {
        case (true, true): return "MODIFIED"
        case (false, true): return "ADDED"
        case (true, false): return "DELETED"
        case (false, false): return nil
        }
    }
}
