import Foundation
import Health
import KubeClient
import Manifests

extension SyncExecutor {
    /// What a list of the cluster found: the objects a sync needs.
    struct LiveState: Sendable {
        var objects: [KubeObject]
    }

    /// Lists every listable kind (one version per group and kind; Events left out) and keeps the
    /// live counterparts of `desired` and the objects this application tracks. A kind the
    /// desired objects do not use and that cannot be listed (forbidden, gone) is passed over.
    func listLive(desired: [KubeObject]) async throws -> LiveState {
        var seen: Set<String> = []
        var kinds: [APIResource] = []
        for r in try await client.resources()
        where r.verbs.contains("list") && r.kind != "Event" && !r.resource.contains("/") {
            if seen.insert(r.group + "/" + r.kind).inserted { kinds.append(r) }
        }
        var wanted: Set<ResourceKey> = []
        for object in desired {
            var key = object.key
            wanted.insert(key)
            if key.namespace.isEmpty {
                key.namespace = options.plan.defaultNamespace
                wanted.insert(key)
            }
        }
        let app = options.plan.app
        let tracking = options.plan.tracking
        let desiredKinds = Set(desired.map { $0.key.group + "/" + $0.key.kind })
        let lists = try await concurrentMap(kinds, limit: options.concurrency) { r in
            do {
                return try await client.list(r.groupVersionKind, namespace: nil, options: ListOptions()).items
            } catch let e as KubeError
                where (e.isForbidden || e.isNotFound) && !desiredKinds.contains(r.group + "/" + r.kind)
            {
                // A kind this identity may not list (RBAC) or that went away: it holds nothing to
                // prune that the application could have written.
                return []
            }
        }
        var state = LiveState(objects: [])
        for items in lists {
            for object in items {
                if wanted.contains(object.key) || tracking.isTracked(object, by: app) { state.objects.append(object) }
            }
        }
        return state
    }

    /// `body` over `items`, at most `limit` at once, results in the order of `items`.
    func concurrentMap<T: Sendable, R: Sendable>(
        _ items: [T],
        limit: Int,
        _ body: @escaping @Sendable (T) async throws -> R
    ) async throws -> [R] {
        var results = [R?](repeating: nil, count: items.count)
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var next = 0
            while next < items.count && next < max(1, limit) {
                let i = next
                group.addTask { (i, try await body(items[i])) }
                next += 1
            }
            while let (i, r) = try await group.next() {
                results[i] = r
                if next < items.count {
                    let j = next
                    group.addTask { (j, try await body(items[j])) }
                    next += 1
                }
            }
        }
        return results.map { $0! }
    }
}
