import Foundation
import MLPKit
@_exported import SweepSchema
import Yams

/// A sweep file, read and checked: which trials to run, how to rank them and when to stop them.
///
/// The language is W&B Sweeps' (`method`, `metric`, `parameters` with `value` / `values` /
/// `distribution` and its bounds, `run_cap`, `early_terminate`), with W&B's meanings and
/// defaults, so a W&B sweep file runs here once its parameter names are vgsweep's. vgsweep adds
/// `list` for named hand-picked variants, `repeats` for seeds, `random_seed`, `max_trials` as a
/// guard against a typo that would queue a million trials, and stopping rules beside W&B's
/// hyperband. docs/sweeps.md describes every key.
///
/// Everything that can be checked without expanding the sweep is checked by `parse`, each
/// value against `TrialConfig`'s own table (a distribution whose draws a parameter would refuse
/// is refused there, never clipped); `trials()` expands grid, list and random sweeps and checks
/// the combinations; `sample(_:)`, `sampler(from:)` and `trials(at:sample:)` make the trials of
/// random and bayes sweeps one at a time. Nothing of the YAML tree is kept: the spec is plain
/// values.
public struct SweepSpec: Sendable, Equatable {
    public enum Method: String, CaseIterable, Sendable {
        /// Every combination of every parameter's values (`int_uniform` and `q_uniform` expanded).
        case grid
        /// `run_cap` samples, each parameter drawn independently from one seeded stream.
        case random
        /// `run_cap` trials suggested one by one from the results so far (a TPE sampler over
        /// `searchSpace`); the spec carries the space, the budget, the seed and the metric.
        case bayes
        /// Named entries, each laid over every grid point of `parameters`.
        case list
    }

    /// What the sweep ranks trials by (one type for the spec, the store and the ranking).
    public typealias Metric = SweepSchema.Metric

    /// A place in the file, 1-based, kept so that `trials()` can still point at the line that
    /// produced a refused combination.
    public struct Location: Sendable, Equatable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
        init?(_ mark: Mark?) {
            guard let mark else { return nil }
            self.init(line: mark.line, column: mark.column)
        }
        public var description: String { "\(line):\(column)" }
    }

    /// One value as written in the file, already in the text form `TrialConfig` reads
    /// (YAML `1e-3` becomes `0.001`, `~` becomes `none`, `[2, 2, 2, 1]` becomes `2,2,2,1`).
    public struct Value: Sendable, Equatable {
        public let text: String
        public let location: Location
        /// e.g. `parameters.lr.values[2]`.
        public let field: String
    }

    /// W&B's distributions, by the name a sweep file gives them. W&B's `beta` and `q_beta` are
    /// not supported (a file naming them is refused, saying so).
    public enum Distribution: String, CaseIterable, Sendable {
        /// `value`: always that value.
        case constant
        /// `values`, each equally likely, or with `probabilities`.
        case categorical
        /// Integer, uniform in min...max inclusive.
        case intUniform = "int_uniform"
        /// Real, uniform in [min, max).
        case uniform
        /// `round(uniform(min, max) / q) * q`.
        case qUniform = "q_uniform"
        /// `exp(uniform(min, max))`: min and max are base-e exponents (W&B's older form).
        case logUniform = "log_uniform"
        /// Log-uniform between the values min and max: as many draws in [1e-4, 1e-3] as in [1e-2, 1e-1].
        case logUniformValues = "log_uniform_values"
        /// `round(exp(uniform(min, max)) / q) * q`, exponents as bounds.
        case qLogUniform = "q_log_uniform"
        /// `round(log_uniform_values(min, max) / q) * q`.
        case qLogUniformValues = "q_log_uniform_values"
        /// `exp(-uniform(min, max))`: 1/x is log-uniform between e^min and e^max, so x lies in
        /// [e^-max, e^-min] (and is itself log-uniform there).
        case invLogUniform = "inv_log_uniform"
        /// W&B's formula `exp(-uniform(-log max, -log min))`: log-uniform between the values
        /// min and max, the same law as `log_uniform_values`.
        case invLogUniformValues = "inv_log_uniform_values"
        /// Normal with mean `mu` and standard deviation `sigma`.
        case normal
        /// `round(normal(mu, sigma) / q) * q`.
        case qNormal = "q_normal"
        /// `exp(normal(mu, sigma))`: mu and sigma are those of the logarithm.
        case logNormal = "log_normal"
        /// `round(exp(normal(mu, sigma)) / q) * q`.
        case qLogNormal = "q_log_normal"

        /// Takes `min` and `max`.
        public var isBounded: Bool { !isNormalFamily && self != .constant && self != .categorical }
        /// Takes `mu` and `sigma`.
        public var isNormalFamily: Bool { [.normal, .qNormal, .logNormal, .qLogNormal].contains(self) }
        /// Takes `q`.
        public var isQuantized: Bool { [.qUniform, .qLogUniform, .qLogUniformValues, .qNormal, .qLogNormal].contains(self) }
        /// Its bounds are base-e exponents rather than values.
        public var takesExponents: Bool { [.logUniform, .qLogUniform, .invLogUniform].contains(self) }
        /// Its bounds are values that must be > 0.
        public var needsPositiveBounds: Bool { [.logUniformValues, .qLogUniformValues, .invLogUniformValues].contains(self) }
        /// A grid sweep can expand it (W&B's rule): constant, categorical, int_uniform, q_uniform.
        public var expandsInAGrid: Bool { [.constant, .categorical, .intUniform, .qUniform].contains(self) }
        /// The keys a parameter with this distribution may have besides `distribution`.
        public var keys: [String] {
            switch self {
            case .constant: ["value"]
            case .categorical: ["values", "probabilities"]
            case _ where isNormalFamily: isQuantized ? ["mu", "sigma", "q"] : ["mu", "sigma"]
            default: isQuantized ? ["min", "max", "q"] : ["min", "max"]
            }
        }
    }

    /// A numeric distribution with its settings, W&B's defaults filled in.
    public struct Sampling: Sendable, Equatable {
        public var distribution: Distribution
        /// The bounds as written (exponents for `takesExponents`); 0 for the normal family.
        public var min: Double
        public var max: Double
        /// The normal family's mean and standard deviation (W&B's defaults 0 and 1); 0 and 1
        /// for the others.
        public var mu: Double
        public var sigma: Double
        /// The quantum of the `q_` forms (W&B's default 1); nil for the others.
        public var q: Double?

        public init(_ distribution: Distribution, min: Double = 0, max: Double = 0, mu: Double = 0, sigma: Double = 1,
                    q: Double? = nil) {
            self.distribution = distribution
            self.min = min
            self.max = max
            self.mu = mu
            self.sigma = sigma
            self.q = distribution.isQuantized ? (q ?? 1) : nil
        }
    }

    public enum Domain: Sendable, Equatable {
        /// `value: x` is a one-element list; `values` a categorical one.
        case values([Value])
        /// Any other distribution.
        case sampled(Sampling)
    }

    /// One entry of `parameters` (or of a list entry's `parameters`, always a single value).
    public struct Parameter: Sendable, Equatable {
        /// A name of `TrialConfig.parameters`.
        public let name: String
        public let domain: Domain
        /// Where the name is written.
        public let location: Location
        /// e.g. `parameters.lr`.
        public let field: String
        /// `probabilities` of `values`, in their order; nil when each value is equally likely.
        public var probabilities: [Double]? = nil

        /// The distribution as written or as W&B infers it without `distribution`.
        public var distribution: Distribution {
            switch domain {
            case .values(let values): values.count == 1 && probabilities == nil ? .constant : .categorical
            case .sampled(let s): s.distribution
            }
        }
    }

    /// A named variant of a `list` sweep.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let parameters: [Parameter]
        public let location: Location
        /// e.g. `trials[2]`.
        public let field: String
    }

    public static let defaultMaxTrials = 10_000

    public let file: String
    /// `name`, or the file's base name without its extension.
    public let name: String
    /// The file's optional `description`, free text for people.
    public let summary: String?
    public let method: Method
    /// `metric`; without one, test_acc maximised (W&B has no default metric: a bayes sweep
    /// and hyperband need one, so vgsweep requires it there).
    public let metric: Metric
    public let maxTrials: Int
    /// Runs of each configuration, with seeds seed, seed+1, ...
    public internal(set) var repeats: Int
    /// W&B's `run_cap` (or its alias `count`): the configurations a random or bayes sweep
    /// draws, each run `repeats` times; for grid and list, the first `runCap` configurations
    /// in expansion order. Nil without it: a grid or list sweep runs all of its trials, a
    /// random or bayes sweep draws until it is stopped (`isUnbounded`), as W&B's do.
    public let runCap: Int?
    /// Seeds the random sampler (and a bayes sweep's), so the same file always gives the
    /// same trials.
    public let randomSeed: UInt64
    /// In file order.
    public internal(set) var parameters: [Parameter]
    /// The named entries of a `list` sweep, in file order; empty for the other methods.
    public internal(set) var entries: [Entry]
    /// `early_terminate`, one rule or several, in file order; empty without it.
    public let stopping: [StoppingRule]
    /// Lines for the user about what the file says but vgsweep ignores or reads differently
    /// than one might expect (W&B's `program`, a default goal on an accuracy, ...), each
    /// `file:line:column: field: text`. Printed by the coordinator; nothing is refused for them.
    public let notices: [String]
    /// Where the `parameters` key is (or the top of the file): refused grid combinations point here.
    let parametersLocation: Location
    /// Where `method` is written: what only some methods can do points here.
    let methodLocation: Location

    /// The old name of `runCap`.
    public var count: Int? { runCap }

    /// A random or bayes sweep without `run_cap`: it draws trials until it is stopped.
    public var isUnbounded: Bool { runCap == nil && (method == .random || method == .bayes) }

    /// The most trials the sweep can expand to (random duplicates collapse, so it may give
    /// fewer); `Int.max` when `isUnbounded`.
    public var plannedTrialCount: Int {
        var n: Int
        switch method {
        case .random, .bayes: n = runCap ?? Int.max
        case .grid: n = Self.gridSize(parameters)
        case .list: n = Self.product(Self.gridSize(parameters), entries.count)
        }
        if let runCap { n = Swift.min(n, runCap) }
        return Self.product(n, repeats)
    }

    static func gridSize(_ parameters: [Parameter]) -> Int {
        parameters.reduce(1) { size, p in product(size, gridCount(p)) }
    }

    /// How many values a parameter takes in a grid: its values, or int_uniform's and
    /// q_uniform's expansion (1 for anything else, which a grid refuses anyway).
    static func gridCount(_ p: Parameter) -> Int {
        switch p.domain {
        case .values(let values): return values.count
        case .sampled(let s):
            switch s.distribution {
            case .intUniform:
                let n = (s.max - s.min + 1).rounded(.down)
                return n >= Double(Int.max) ? Int.max : Swift.max(Int(n), 0)
            case .qUniform:
                let n = ((s.max - s.min) / (s.q ?? 1)).rounded(.up)
                return n >= Double(Int.max) ? Int.max : Swift.max(Int(n), 0)
            default: return 1
            }
        }
    }

    /// Saturating: a sweep too large to count is still refused by `max_trials`.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (n, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : n
    }
}
