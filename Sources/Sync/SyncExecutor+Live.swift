import Foundation
import Health
import KubeClient
import Manifests

extension SyncExecutor {
    /// What a list of the cluster found: the objects a sync needs, and the namespaces that exist.
    struct LiveState: Sendable {
        var objects: [KubeObject]
        var namespaces: Set<String>
    }

    /// Lists every listable kind (one version per group and kind; Events left out) and keeps the
    /// live counterparts of `desired`, the objects this application tracks, and the names of
    /// existing namespaces.
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
        let lists = try await concurrentMap(kinds, limit: options.concurrency) { r in
            try await client.list(r.groupVersionKind, namespace: nil, options: ListOptions()).items
        }
        var state = LiveState(objects: [], namespaces: [])
        for (r, items) in zip(kinds, lists) {
            for object in items {
                if r.kind == "Namespace" && r.group.isEmpty, let name = object.name { state.namespaces.insert(name) }
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

/// One sync operation in progress.
struct Operation {
    let executor: SyncExecutor
    let revision: String
    let startedAt = Date()

    init(executor: SyncExecutor, revision: String) {
        self.executor = executor
        self.revision = revision
    }

    mutating func run(desired: [KubeObject], live: [KubeObject]?) async -> SyncOperationResult {
        // The executor's steps arrive in the next commit.
        SyncOperationResult(
            revision: revision,
            startedAt: startedAt,
            finishedAt: Date(),
            status: .error,
            message: "the executor is not complete yet",
            phase: nil,
            resources: []
        )
    }
}
