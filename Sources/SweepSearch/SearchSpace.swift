/// One axis of a search: what a sampler may choose for one hyper-parameter.
///
/// The kinds are Optuna's (`CategoricalDistribution`, `IntDistribution`, `FloatDistribution`),
/// plus two things a sweep file can say that Optuna cannot: prior probabilities for a
/// categorical (W&B's `probabilities`) and a step on a log-scaled float (W&B's
/// `q_log_uniform_values`).
public enum SearchDimension: Sendable, Equatable {
    /// One of `count` choices, answered as `.index(i)`. `weights` (not necessarily summing to
    /// one) are the prior probabilities: the random startup draws with them and TPE's prior
    /// kernel is them; nil is uniform. A weight of zero means the choice is never drawn.
    case categorical(count: Int, weights: [Double]?)
    /// An integer in `low...high`, answered as `.int`; `log` spreads the search evenly over
    /// orders of magnitude (needs `low >= 1`).
    case int(low: Int, high: Int, log: Bool)
    /// A real in `low...high`, answered as `.float`; `log` needs `low > 0`. With a `step` the
    /// answers are `low + k * step` (`high` is lowered onto that grid, as Optuna does); with
    /// `log` too, `low` must exceed `step / 2` so that the first grid cell has a logarithm.
    case float(low: Double, high: Double, log: Bool, step: Double?)
}

/// A value of one dimension: `.index` for categorical, `.int` for int, `.float` for float.
public enum SearchValue: Sendable, Equatable, Hashable {
    case index(Int)
    case int(Int)
    case float(Double)
}

/// Why a list of dimensions is not a search space: which dimension (0-based) and what is wrong.
public struct SearchSpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var dimension: Int
    public var reason: String

    public init(dimension: Int, reason: String) {
        self.dimension = dimension
        self.reason = reason
    }

    public var description: String { "search dimension \(dimension): \(reason)" }
}

/// Dimensions that have been checked once, so that samplers never meet an empty range, a
/// logarithm of zero or a negative weight while they run.
public struct SearchSpace: Sendable, Equatable {
    public let dimensions: [SearchDimension]
    /// Each dimension as the samplers see it (bounds on the internal line, prior probabilities).
    let axes: [Axis]

    public init(_ dimensions: [SearchDimension]) throws(SearchSpaceError) {
        var axes: [Axis] = []
        for (i, d) in dimensions.enumerated() {
            axes.append(try Axis(d, at: i))
        }
        self.dimensions = dimensions
        self.axes = axes
    }

    /// True when `values` has one value per dimension, of the dimension's kind, within its
    /// bounds. Samplers skip observations for which this is false (a changed sweep file, a
    /// corrupted row) rather than stop: one bad row should not end a sweep.
    public func contains(_ values: [SearchValue]) -> Bool {
        values.count == axes.count && zip(axes, values).allSatisfy { $0.internalValue(of: $1) != nil }
    }

    /// `values` on the samplers' internal scale (the choice index, or the number itself),
    /// nil when they do not fit.
    func internalValues(of values: [SearchValue]) -> [Double]? {
        guard values.count == axes.count else { return nil }
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for (axis, value) in zip(axes, values) {
            guard let x = axis.internalValue(of: value) else { return nil }
            out.append(x)
        }
        return out
    }
}
