/// Capped exponential backoff: the first delay, a growth factor, a largest delay, and jitter.
///
/// ```swift
/// let backoff = Backoff(initial: .seconds(5), factor: 2, maximum: .seconds(180))
/// backoff.delay(attempt: 1)  // 5 s
/// backoff.delay(attempt: 3)  // 20 s
/// backoff.delay(attempt: 9)  // 180 s (capped)
/// ```
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry.
    public var initial: Duration
    /// How much each delay grows over the one before (2 doubles, 3 triples).
    public var factor: Double
    /// The largest delay.
    public var maximum: Duration
    /// The fraction of each delay that may be taken off at random (0 for none, 0.1 for up to 10 %),
    /// so that many reconcilers do not retry in step. A delay never exceeds ``maximum``.
    public var jitter: Double

    /// A backoff from `initial`, growing by `factor`, capped at `maximum`, less up to `jitter` of
    /// each delay at random. Negative or non-finite values are read as 0 (and a factor below 1 as 1).
    public init(initial: Duration, factor: Double, maximum: Duration, jitter: Double = 0) {
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The sync retry default, as Argo CD's: 5 s, doubling, up to 3 minutes.
    public static let syncRetry = Backoff(initial: .seconds(5), factor: 2, maximum: .seconds(180), jitter: 0.1)

    /// The self-heal default, as Argo CD's: 2 s, tripling, up to 5 minutes.
    public static let selfHeal = Backoff(initial: .seconds(2), factor: 3, maximum: .seconds(300), jitter: 0.1)

    /// The delay before retry number `attempt` (counting from 1): `initial × factor^(attempt−1)`,
    /// capped at ``maximum``, less the jitter. Attempt 0 or less has no delay.
    public func delay(attempt: Int) -> Duration {
        guard attempt > 0 else { return .zero }
        let first = max(0, Self.seconds(initial))
        let cap = max(0, Self.seconds(maximum))
        let growth = factor.isFinite ? max(1, factor) : 1
        var seconds = first
        var n = 1
        while n < attempt && seconds < cap {
            seconds *= growth
            n += 1
        }
        seconds = min(seconds, cap)
        let spread = jitter.isFinite ? min(max(jitter, 0), 1) : 0
        if spread > 0 { seconds -= seconds * spread * Double.random(in: 0...1) }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        let s = Double(c.seconds) + Double(c.attoseconds) * 1e-18
        return s.isFinite ? s : 0
    }
}

/// How often a failed automated sync of one revision is tried again, and how long apart.
///
/// Once ``limit`` retries have failed, the reconciler stops syncing that revision automatically:
/// the application shows the failed operation until a new revision arrives or someone syncs by
/// hand. Manual syncs are never retried.
public struct SyncRetryPolicy: Sendable, Hashable {
    /// Retries after the first failed attempt; 0 disables retrying.
    public var limit: Int
    /// The delays between attempts.
    public var backoff: Backoff

    /// A policy of `limit` retries (5 by default) apart by `backoff` (5 s doubling to 3 minutes).
    public init(limit: Int = 5, backoff: Backoff = .syncRetry) {
        self.limit = limit
        self.backoff = backoff
    }

    /// No retries.
    public static let none = SyncRetryPolicy(limit: 0)
}
