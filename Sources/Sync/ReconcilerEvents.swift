import Synchronization

/// The events of a ``Reconciler`` as an `AsyncSequence`: each call of
/// ``Reconciler/events()`` gives a new subscriber every event from then on.
///
/// The sequence ends when the reconciler's ``Reconciler/run()`` returns, and, for one
/// subscriber, when the task iterating it is cancelled. A subscriber that falls more than
/// `bufferSize` events behind loses the oldest ones (the reconciler never waits for a reader).
///
/// ```swift
/// for await event in reconciler.events() {
///     if case .operationFinished(let result) = event { print(result.phase) }
/// }
/// ```
public struct ReconcilerEvents: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = ReconcilerEvent

    let stream: AsyncStream<ReconcilerEvent>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<ReconcilerEvent>.AsyncIterator

        /// The next event; `nil` once the sequence has ended or the task is cancelled.
        public mutating func next() async -> ReconcilerEvent? { await base.next() }

        /// The next event, on the caller's actor.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> ReconcilerEvent? {
            await base.next(isolation: actor)
        }
    }

    /// An iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
}

/// Hands each event to every current subscriber.
final class EventBroadcaster: Sendable {
    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<ReconcilerEvent>.Continuation] = [:]
    }

    private let state = Mutex(State())
    let bufferSize: Int

    init(bufferSize: Int) { self.bufferSize = max(1, bufferSize) }

    func subscribe() -> ReconcilerEvents {
        let (stream, continuation) = AsyncStream<ReconcilerEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(bufferSize)
        )
        let id = state.withLock { s -> Int in
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return ReconcilerEvents(stream: stream)
    }

    func send(_ event: ReconcilerEvent) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for s in subscribers { s.yield(event) }
    }

    /// Ends every current subscriber's sequence.
    func finishAll() {
        let subscribers = state.withLock { s -> [AsyncStream<ReconcilerEvent>.Continuation] in
            let all = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return all
        }
        for s in subscribers { s.finish() }
    }
}
