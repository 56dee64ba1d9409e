/// Line diffs in the unified format of `diff -u` (what `kubectl diff` prints).
public enum TextDiff {
    /// The unified diff of two texts, split into lines; empty when they are equal.
    ///
    /// - Parameters:
    ///   - old: the text before (`---`).
    ///   - new: the text after (`+++`).
    ///   - oldName: the name on the `---` line.
    ///   - newName: the name on the `+++` line.
    ///   - context: lines of context around each change.
    ///   - color: ANSI colours (red removals, green additions, cyan hunk headers), for a terminal.
    public static func unified(
        old: String, new: String, oldName: String = "live", newName: String = "desired", context: Int = 3,
        color: Bool = false
    ) -> String {
        let a = lines(old)
        let b = lines(new)
        let script = editScript(a, b)
        guard script.contains(where: { $0.kind != .same }) else { return "" }
        let (red, green, cyan, reset) = color ? ("\u{1B}[31m", "\u{1B}[32m", "\u{1B}[36m", "\u{1B}[0m") : ("", "", "", "")
        var out = "\(red)--- \(oldName)\(reset)\n\(green)+++ \(newName)\(reset)\n"
        // Group edits into hunks with `context` lines around them.
        var i = 0
        while i < script.count {
            guard script[i].kind != .same else {
                i += 1
                continue
            }
            var start = max(0, i - context)
            var end = i
            // Extend while the next change is within 2 * context of the current end.
            var j = i
            while j < script.count {
                if script[j].kind != .same {
                    end = j
                    j += 1
                    continue
                }
                var k = j
                while k < script.count, script[k].kind == .same { k += 1 }
                if k < script.count, k - j <= 2 * context {
                    j = k
                } else {
                    break
                }
            }
            let stop = min(script.count, end + context + 1)
            if start < 0 { start = 0 }
            let oldStart = script[start].oldLine
            let newStart = script[start].newLine
            var oldCount = 0
            var newCount = 0
            var body = ""
            for e in script[start..<stop] {
                switch e.kind {
                case .same:
                    oldCount += 1
                    newCount += 1
                    body += " \(a[e.oldLine])\n"
                case .removed:
                    oldCount += 1
                    body += "\(red)-\(a[e.oldLine])\(reset)\n"
                case .added:
                    newCount += 1
                    body += "\(green)+\(b[e.newLine])\(reset)\n"
                }
            }
            let oldFirst = oldCount == 0 ? oldStart : oldStart + 1
            let newFirst = newCount == 0 ? newStart : newStart + 1
            out += "\(cyan)@@ -\(oldFirst),\(oldCount) +\(newFirst),\(newCount) @@\(reset)\n" + body
            i = stop
        }
        return out
    }

    struct Edit {
        enum Kind { case same, removed, added }
        var kind: Kind
        /// The 0-based line in old (for `.added`, the line it comes before).
        var oldLine: Int
        /// The 0-based line in new (for `.removed`, the line it comes before).
        var newLine: Int
    }

    static func lines(_ text: String) -> [Substring] {
        var result = text.split(separator: "\n", omittingEmptySubsequences: false)
        if result.last == "" { result.removeLast() }
        return result
    }

    /// The edit script: common prefix and suffix trimmed, the middle by longest common
    /// subsequence (a middle too large for that becomes a removal and an addition).
    static func editScript(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        var script: [Edit] = []
        for i in 0..<prefix { script.append(Edit(kind: .same, oldLine: i, newLine: i)) }
        let am = Array(a[prefix..<(a.count - suffix)])
        let bm = Array(b[prefix..<(b.count - suffix)])
        let n = am.count
        let m = bm.count
        if n * m <= 4_000_000 && n > 0 && m > 0 {
            // lcs[i][j]: the LCS length of am[i...] and bm[j...].
            var lcs = [Int32](repeating: 0, count: (n + 1) * (m + 1))
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i * (m + 1) + j] =
                        am[i] == bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < n || j < m {
                if i < n, j < m, am[i] == bm[j] {
                    script.append(Edit(kind: .same, oldLine: prefix + i, newLine: prefix + j))
                    i += 1
                    j += 1
                } else if i < n, j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1] {
                    script.append(Edit(kind: .removed, oldLine: prefix + i, newLine: prefix + j))
                    i += 1
                } else {
                    script.append(Edit(kind: .added, oldLine: prefix + i, newLine: prefix + j))
                    j += 1
                }
            }
        } else {
            for i in 0..<n { script.append(Edit(kind: .removed, oldLine: prefix + i, newLine: prefix)) }
            for j in 0..<m { script.append(Edit(kind: .added, oldLine: prefix + n, newLine: prefix + j)) }
        }
        for k in 0..<suffix {
            script.append(Edit(kind: .same, oldLine: a.count - suffix + k, newLine: b.count - suffix + k))
        }
        return script
    }
}
