#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dimension as the samplers handle it: a categorical with its prior probabilities, or a
/// number with the line its kernels live on.
enum Axis: Sendable, Equatable {
    /// Prior probabilities, normalised to sum to one.
    case categorical(prior: [Double])
    case numeric(NumericScale)

    init(_ d: SearchDimension, at i: Int) throws(SearchSpaceError) {
        func fail(_ reason: String) -> SearchSpaceError { SearchSpaceError(dimension: i, reason: reason) }
        switch d {
        case let .categorical(count, weights):
            guard count >= 1 else { throw fail("a categorical needs at least one choice, not \(count)") }
            guard let w = weights else {
                self = .categorical(prior: Array(repeating: 1 / Double(count), count: count))
                return
            }
            guard w.count == count else { throw fail("\(w.count) weights for \(count) choices") }
            guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw fail("weights must be finite and >= 0") }
            let sum = w.reduce(0, +)
            guard sum > 0 else { throw fail("the weights sum to zero") }
            self = .categorical(prior: w.map { $0 / sum })
        case let .int(low, high, log):
            guard low <= high else { throw fail("low \(low) > high \(high)") }
            guard !log || low >= 1 else { throw fail("a log-scaled int needs low >= 1, not \(low)") }
            // Doubles hold integers exactly up to 2^53; beyond that the grid is not the integers.
            guard Swift.abs(low) <= 1 << 53, Swift.abs(high) <= 1 << 53 else { throw fail("bounds beyond 2^53") }
            self = .numeric(NumericScale(low: Double(low), high: Double(high), log: log, step: 1, isInteger: true))
        case let .float(low, high, log, step):
            guard low.isFinite, high.isFinite else { throw fail("bounds must be finite") }
            guard low <= high else { throw fail("low \(low) > high \(high)") }
            guard !log || low > 0 else { throw fail("a log-scaled float needs low > 0, not \(low)") }
            guard let q = step else {
                self = .numeric(NumericScale(low: low, high: high, log: log, step: nil, isInteger: false))
                return
            }
            guard q.isFinite, q > 0 else { throw fail("step must be finite and > 0, not \(q)") }
            guard !log || low - q / 2 > 0 else { throw fail("a log-scaled float with step \(q) needs low > step / 2") }
            // Lower `high` onto the grid, unless it is on it up to rounding (0.1 * 3 != 0.3).
            let k = (high - low) / q
            let onGrid = Swift.abs(k - k.rounded()) <= 1e-9 * Swift.max(1, k)
            let top = onGrid ? high : low + k.rounded(.down) * q
            self = .numeric(NumericScale(low: low, high: top, log: log, step: q, isInteger: false))
        }
    }

    /// True when the dimension has one possible value, so that a sampler need not model it.
    var isSingle: Bool {
        switch self {
        case let .categorical(prior): return prior.count == 1
        case let .numeric(s): return s.low == s.high
        }
    }

    /// The value on the internal scale (choice index, or the number), nil when `v` is of
    /// another kind or out of bounds.
    func internalValue(of v: SearchValue) -> Double? {
        switch (self, v) {
        case let (.categorical(prior), .index(i)):
            return (0..<prior.count).contains(i) ? Double(i) : nil
        case let (.numeric(s), .int(n)) where s.isInteger:
            let x = Double(n)
            return x >= s.low && x <= s.high ? x : nil
        case let (.numeric(s), .float(x)) where !s.isInteger:
            return x.isFinite && x >= s.low && x <= s.high ? x : nil
        default:
            return nil
        }
    }

    /// The answer for internal value `x` (which a sampler has already put within bounds).
    func value(_ x: Double) -> SearchValue {
        switch self {
        case .categorical: return .index(Int(x))
        case let .numeric(s): return s.isInteger ? .int(Int(x.rounded())) : .float(x)
        }
    }
}

/// How a number's dimension maps onto the line where kernels and the uniform startup live.
///
/// Log-scaled dimensions live on `log x`, so that a kernel is as wide at 1e-4 as at 1e-1.
/// Stepped ones (ints have step 1) widen the line by half a step at each end, as Optuna does,
/// so that each grid point owns a cell of equal width and the end points are not half as
/// likely as the others.
struct NumericScale: Sendable, Equatable {
    let low: Double
    /// On the grid when stepped.
    let high: Double
    let log: Bool
    let step: Double?
    let isInteger: Bool
    /// The interval on the internal line: `[T(low - step/2), T(high + step/2)]`, `T` the log or not.
    let lower: Double
    let upper: Double

    init(low: Double, high: Double, log: Bool, step: Double?, isInteger: Bool) {
        self.low = low
        self.high = high
        self.log = log
        self.step = step
        self.isInteger = isInteger
        let half = (step ?? 0) / 2
        let t: (Double) -> Double = log ? { ln($0) } : { $0 }
        lower = t(low - half)
        upper = t(high + half)
    }

    func transform(_ x: Double) -> Double { log ? ln(x) : x }

    /// From the internal line back to a value of the dimension: onto the grid, within bounds
    /// (`exp` may round past `high`).
    func untransform(_ y: Double) -> Double {
        let x = log ? exp(y) : y
        guard let q = step else { return Swift.min(Swift.max(x, low), high) }
        let k = ((x - low) / q).rounded(.toNearestOrEven)
        return Swift.min(Swift.max(low + k * q, low), high)
    }
}
