import Foundation
import SweepSchema

/// Numbers kept in ascending order, for thresholds and percentiles over a growing set of
/// values (one per trial at an epoch). Insertion is a binary search and a shift: sweeps have
/// hundreds of trials, not millions.
struct SortedValues: Sendable, Equatable {
    private(set) var values: [Double] = []

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    /// Inserts `value` (never NaN: callers leave NaN out) after any equal values.
    mutating func insert(_ value: Double) {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] <= value { low = mid + 1 } else { high = mid }
        }
        values.insert(value, at: low)
    }

    /// The value `index` places from the best end: the smallest values first when smaller is
    /// better, the largest first otherwise.
    func bestFirst(_ index: Int, goal: Metric.Goal) -> Double {
        goal == .minimize ? values[index] : values[values.count - 1 - index]
    }

    /// numpy's `percentile(values, p)` with its default ("linear") method, as numpy computes
    /// it: virtual index (n - 1) * p / 100, then numpy's `_lerp` (which interpolates from the
    /// upper neighbour when the fraction is at least 0.5). Nil when empty.
    func percentile(_ p: Double) -> Double? {
        Self.percentile(values, p)
    }

    /// The same over `sorted` (ascending, no NaN).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let q = p / 100
        let virtual = Double(sorted.count - 1) * q
        let below = virtual.rounded(.down)
        let gamma = virtual - below
        let i = min(max(Int(below), 0), sorted.count - 1)
        let j = min(i + 1, sorted.count - 1)
        let a = sorted[i], b = sorted[j]
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }
}

/// Numbers in decisions' reasons: four significant digits, or as many more as it takes for
/// `value` to read differently from `other` (a trial's value and the threshold it missed).
/// Numbers below 0.01 (and from a million) in short exponent form: 1e-3, 6.9e-6.
func shortText(_ value: Double, against other: Double? = nil) -> String {
    guard let other, other != value, value.isFinite, other.isFinite else { return numberText(value, 4) }
    for digits in 4...17 where numberText(value, digits) != numberText(other, digits) { return numberText(value, digits) }
    return numberText(value, 17)
}

func numberText(_ x: Double, _ digits: Int) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    guard x != 0, abs(x) < 0.01 || abs(x) >= 1e6 else { return String(format: "%.\(digits)g", x) }
    // d.ddde-05 -> d.ddde-5, without trailing zeros.
    let text = String(format: "%.\(digits - 1)e", x)
    guard let e = text.firstIndex(of: "e") else { return text }
    var mantissa = String(text[..<e])
    if mantissa.contains(".") {
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa.removeLast() }
    }
    let exponent = Int(text[text.index(after: e)...]) ?? 0
    return "\(mantissa)e\(exponent)"
}
