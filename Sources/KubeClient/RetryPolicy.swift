import Foundation
import Synchronization

/// How the client retries idempotent requests after connection failures, 429 and 5xx:
/// capped exponential backoff with full jitter, and the server's `Retry-After` when it sends one.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; 1 disables retries.
    public var maxAttempts: Int
    /// The first delay in seconds.
    public var initialDelay: Double
    /// The largest delay in seconds.
    public var maxDelay: Double

    /// A policy; the default tries up to 5 times, from 0.2 s up to 10 s.
    public init(maxAttempts: Int = 5, initialDelay: Double = 0.2, maxDelay: Double = 10) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    func delay(attempt: Int, retryAfter: Double?) -> Double {
        if let r = retryAfter { return min(max(r, 0), maxDelay * 6) }
        let cap = min(maxDelay, initialDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: (cap / 2)...cap)
    }
}

/// A token bucket: `qps` tokens per second, at most `burst` saved.
final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    let qps: Double
    let burst: Double
    private let state: Mutex<State>

    init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = Double(max(1, burst))
        state = Mutex(State(tokens: Double(max(1, burst)), last: .now))
    }

    /// Waits until a request may go.
    func acquire() async throws {
        guard qps > 0 else { return }
        let wait = state.withLock { s -> Double in
            let now = ContinuousClock.now
            let elapsed = now - s.last
            let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            s.tokens = min(burst, s.tokens + secs * qps)
            s.last = now
            s.tokens -= 1
            return s.tokens >= 0 ? 0 : -s.tokens / qps
        }
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }
}
