import Foundation
import MLPKit

extension SweepSpec {
    /// The space a random or bayes sweep searches, as the file states it (SweepSearch's
    /// `SearchSpace`, a sampler's checked dimensions, is built from it): each drawn parameter's
    /// domain in the terms a sampler such as TPE needs (a categorical with its probabilities, an integer range, a real
    /// range on a linear or log scale with its quantum, a normal or log-normal law), plus the
    /// budget, the seed and the metric. W&B's spellings are already reduced: `log_uniform`'s
    /// exponents are turned into the values they bound, `inv_log_uniform*` into the log-uniform
    /// ranges they are.
    ///
    /// A point of the space (one `Value` per dimension) becomes trials with
    /// `SweepSpec.trials(at:sample:)`, which quantizes, checks and formats it like a sampled one.
    public struct SearchSpace: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// `values` as `TrialConfig` text; `probabilities` nil when each is equally likely.
            case categorical(values: [String], probabilities: [Double]?)
            /// Integers `low...high`, uniform (`int_uniform`).
            case int(low: Int, high: Int)
            /// Reals in `[low, high]`, uniform, or log-uniform when `log`; a point is rounded to
            /// the nearest multiple of `q` when given (so it may land up to q/2 outside the bounds).
            case float(low: Double, high: Double, log: Bool, q: Double?)
            /// Normal(mu, sigma), or exp of it when `log` (log-normal with the log's mu and sigma);
            /// rounded to the nearest multiple of `q` when given.
            case normal(mu: Double, sigma: Double, log: Bool, q: Double?)
        }

        /// One coordinate of a point: an index into a categorical's values, or a number.
        public enum Value: Sendable, Equatable, Hashable {
            case index(Int)
            case number(Double)
        }

        public struct Dimension: Sendable, Equatable {
            /// The parameter, a name of `TrialConfig.parameters`.
            public let name: String
            public let kind: Kind
            /// As the file wrote it (or W&B infers it).
            public let distribution: SweepSpec.Distribution
            /// e.g. `parameters.lr`.
            public let field: String

            /// W&B's percent-point function: the value at quantile `u` in [0, 1] of this
            /// dimension's law (a categorical's index by its cumulative probabilities), before
            /// quantization. What the random sampler draws, from `u` uniform.
            public func value(atQuantile u: Double) -> Value {
                let u = Swift.min(Swift.max(u, 0), 1)
                switch kind {
                case .categorical(let values, let probabilities):
                    guard let probabilities else { return .index(Swift.min(Int(u * Double(values.count)), values.count - 1)) }
                    var sum = 0.0
                    for (i, p) in probabilities.enumerated() {
                        sum += p
                        if u < sum { return .index(i) }
                    }
                    return .index(values.count - 1)
                case .int(let low, let high):
                    let span = Double(high) - Double(low) + 1
                    return .number(Double(low) + Swift.min((u * span).rounded(.down), span - 1))
                case .float(let low, let high, let log, _):
                    let x = log ? exp(Foundation.log(low) + u * (Foundation.log(high) - Foundation.log(low))) : low + u * (high - low)
                    return .number(Swift.min(Swift.max(x, low), high))
                case .normal(let mu, let sigma, let log, _):
                    let x = mu + sigma * standardNormalQuantile(u)
                    return .number(log ? exp(x) : x)
                }
            }
        }

        /// Every parameter that is drawn (more than one value, or a distribution), in file order.
        public let dimensions: [Dimension]
        /// The parameters with a single value, which draw nothing, in file order.
        public let constants: [Trial.Pair]
        /// Configurations to try (`run_cap`), each run `repeats` times; nil: until the sweep is stopped.
        public let runCap: Int?
        public let repeats: Int
        public let randomSeed: UInt64
        public let metric: Metric
    }
}

extension SweepSpec {
    /// The space a random or bayes sweep draws from (grid and list sweeps have one too: their
    /// parameters are categorical, integer ranges or quantized ones).
    public var searchSpace: SearchSpace {
        var dimensions: [SearchSpace.Dimension] = []
        var constants: [Trial.Pair] = []
        for p in parameters {
            switch p.domain {
            case .values(let values) where values.count == 1 && p.probabilities == nil:
                constants.append(Trial.Pair(p.name, values[0].text))
            case .values(let values):
                dimensions.append(.init(name: p.name, kind: .categorical(values: values.map(\.text), probabilities: p.probabilities),
                                        distribution: p.distribution, field: p.field))
            case .sampled(let s):
                dimensions.append(.init(name: p.name, kind: s.kind, distribution: s.distribution, field: p.field))
            }
        }
        return SearchSpace(dimensions: dimensions, constants: constants, runCap: runCap, repeats: repeats,
                           randomSeed: randomSeed, metric: metric)
    }
}

extension SweepSpec.Sampling {
    /// The law in a sampler's terms, W&B's spellings reduced. A `Sampling` is never constant
    /// or categorical (those are `Domain.values`).
    public var kind: SweepSpec.SearchSpace.Kind {
        switch distribution {
        case .constant, .categorical:
            preconditionFailure("values are not a Sampling")
        case .intUniform: return .int(low: Int(min), high: Int(max))
        case .uniform, .qUniform: return .float(low: min, high: max, log: false, q: q)
        case .logUniform, .qLogUniform: return .float(low: exp(min), high: exp(max), log: true, q: q)
        case .logUniformValues, .qLogUniformValues, .invLogUniformValues: return .float(low: min, high: max, log: true, q: q)
        case .invLogUniform: return .float(low: exp(-max), high: exp(-min), log: true, q: nil)
        case .normal, .qNormal: return .normal(mu: mu, sigma: sigma, log: false, q: q)
        case .logNormal, .qLogNormal: return .normal(mu: mu, sigma: sigma, log: true, q: q)
        }
    }
}

extension SweepSpec.SearchSpace.Kind {
    /// `x` rounded to the nearest multiple of the quantum, ties to even as numpy's `round`.
    public func quantized(_ x: Double) -> Double {
        switch self {
        case .float(_, _, _, let q?), .normal(_, _, _, let q?): return (x / q).rounded(.toNearestOrEven) * q
        default: return x
        }
    }

    /// Whether every point is an integer (int, or a quantum that is a whole number).
    public var isIntegral: Bool {
        switch self {
        case .int: return true
        case .float(_, _, _, let q?), .normal(_, _, _, let q?): return q == q.rounded() && q >= 1
        default: return false
        }
    }
}

/// The standard normal's quantile function: Acklam's rational approximation (relative error
/// 1.15e-9) refined by one Halley step on `erfc`, which brings it to double precision.
/// -inf at 0 and +inf at 1.
func standardNormalQuantile(_ p: Double) -> Double {
    if p <= 0 { return -.infinity }
    if p >= 1 { return .infinity }
    // Symmetric, so the upper tail is as exact as the lower (1 - p is exact for p >= 0.5).
    if p > 0.5 { return -standardNormalQuantile(1 - p) }
    let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01]
    let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let low = 0.02425
    var x: Double
    if p < low {
        let q = (-2 * log(p)).squareRoot()
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    } else {
        let q = p - 0.5, r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
    // Halley: e is the CDF's error at x; Φ'(x) = exp(-x²/2)/√(2π).
    let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
}
