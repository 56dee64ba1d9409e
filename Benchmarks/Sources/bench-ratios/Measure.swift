/// Timing helpers for ratio lines: each side runs several rounds, alternating with the other,
/// and the best round counts (the least disturbed by other work on a shared machine).
enum Measure {
    /// The best wall-clock seconds of `rounds` runs of `body`. What `body` returns is freed after
    /// the clock stops, as a caller keeps what it parsed.
    static func best<T>(rounds: Int, _ body: () throws -> T) rethrows -> Double {
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            let start = clock.now
            let result = try body()
            let elapsed = clock.now - start
            withExtendedLifetime(result) {}
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            best = min(best, seconds)
        }
        return best
    }

    /// Times `ours` and `anchor` alternately and returns the best seconds of each.
    static func pair<A, B>(
        rounds: Int,
        ours: () throws -> A,
        anchor: () throws -> B
    ) rethrows -> (ours: Double, anchor: Double) {
        var bestOurs = Double.infinity
        var bestAnchor = Double.infinity
        for _ in 0..<rounds {
            bestOurs = min(bestOurs, try best(rounds: 1, ours))
            bestAnchor = min(bestAnchor, try best(rounds: 1, anchor))
        }
        return (bestOurs, bestAnchor)
    }

    /// `name: ratio R (ours X unit, anchorName Y unit)` with the ratio to two decimals.
    static func line(_ name: String, ours: Double, anchorName: String, anchor: Double, unit: String) -> String {
        "\(name): ratio \(fixed(ours / anchor, 2)) (ours \(figure(ours)) \(unit), \(anchorName) \(figure(anchor)) \(unit))"
    }

    /// Three significant digits, as in `57.6` or `192`.
    static func figure(_ x: Double) -> String {
        x >= 100 ? fixed(x, 0) : x >= 10 ? fixed(x, 1) : fixed(x, 2)
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (x * scale).rounded() / scale
        var text = String(rounded)
        if text.hasSuffix(".0") && digits == 0 { text.removeLast(2) }
        if let dot = text.firstIndex(of: "."), digits > 0 {
            let decimals = text.distance(from: text.index(after: dot), to: text.endIndex)
            text += String(repeating: "0", count: max(0, digits - decimals))
        }
        return text
    }
}
