/// One entry of a sweep file's `early_terminate` (a single mapping or a list of them): when
/// the coordinator stops a trial that is not worth finishing. This is the rule as the file
/// says it, checked and with its defaults filled in; the decisions themselves are made in
/// SweepRules, by the coordinator, which sees every trial's epochs.
///
/// "Iterations" are epochs, as W&B counts the metric's reports. Defaults are those of the
/// tool each rule comes from (W&B, Ray Tune, Optuna), or the study's own measurements for
/// the two rules no peer has (docs/sweeps-stopping.md gives the measurements and the margins).
public enum StoppingRule: Sendable, Equatable {
    case hyperband(Hyperband)
    case asha(ASHA)
    case median(Median)
    case vanishing(Vanishing)
    case saturated(Saturated)

    /// The `type:` that names it in a sweep file.
    public var typeName: String {
        switch self {
        case .hyperband: "hyperband"
        case .asha: "asha"
        case .median: "median"
        case .vanishing: "vanishing"
        case .saturated: "saturated"
        }
    }

    /// W&B's hyperband: at each epoch a trial is judged against the last bracket it has
    /// reached; one whose metric is worse than the value at index `int(n / eta)` of all n
    /// trials' values at that bracket's epoch, sorted best first, stops.
    /// Brackets: `int(maxIter / eta^i)` for i = 1...s when `maxIter` and `s` are given, else
    /// `minIter * eta^i` (i = 0, 1, ...).
    public struct Hyperband: Sendable, Equatable {
        public var minIter: Int?
        public var maxIter: Int?
        public var s: Int?
        public var eta: Int
        /// W&B's `strict` (default true in W&B's schema): compare the trial's value at the
        /// bracket's epoch; false: its best value so far (W&B's "conservative" condition).
        /// Either way the threshold is taken over every trial's values, whatever its state.
        public var strict: Bool

        public init(minIter: Int? = nil, maxIter: Int? = nil, s: Int? = nil, eta: Int = 3, strict: Bool = true) {
            self.minIter = minIter
            self.maxIter = maxIter
            self.s = s
            self.eta = eta
            self.strict = strict
        }
    }

    /// Ray Tune's AsyncHyperBandScheduler (ASHA): rungs at `gracePeriod * reductionFactor^k`
    /// below `maxT`; at a rung a trial goes on only if its value is in the top
    /// `1 / reductionFactor` of the values recorded at that rung so far.
    public struct ASHA: Sendable, Equatable {
        public var gracePeriod: Int
        public var reductionFactor: Int
        public var maxT: Int

        public init(gracePeriod: Int = 1, reductionFactor: Int = 4, maxT: Int = 100) {
            self.gracePeriod = gracePeriod
            self.reductionFactor = reductionFactor
            self.maxT = maxT
        }
    }

    /// Optuna's MedianPruner: once `nStartupTrials` trials have completed, a trial whose best
    /// value so far, at an epoch after the first `nWarmupSteps`, is worse than the median of the
    /// completed trials' values at that epoch stops.
    public struct Median: Sendable, Equatable {
        public var nStartupTrials: Int
        public var nWarmupSteps: Int

        public init(nStartupTrials: Int = 5, nWarmupSteps: Int = 0) {
            self.nStartupTrials = nStartupTrials
            self.nWarmupSteps = nWarmupSteps
        }
    }

    /// vgsweep's own: the gradient has vanished. A trial whose first/last-layer gradient ratio
    /// (`grad_ratio`) stays below `maxGradRatio` while its train loss stays within
    /// `lossTolerance` of ln(classes) (chance) for `patience` consecutive epochs, counted from
    /// epoch `minIter` on, stops (at the earliest at epoch `minIter + patience - 1`).
    public struct Vanishing: Sendable, Equatable {
        public var minIter: Int
        public var patience: Int
        public var maxGradRatio: Double
        public var lossTolerance: Double

        public init(minIter: Int = Self.defaults.minIter, patience: Int = Self.defaults.patience,
                    maxGradRatio: Double = Self.defaults.maxGradRatio, lossTolerance: Double = Self.defaults.lossTolerance) {
            self.minIter = minIter
            self.patience = patience
            self.maxGradRatio = maxGradRatio
            self.lossTolerance = lossTolerance
        }

        /// What a file's `type: vanishing` alone means, measured on the study over 15 epochs
        /// (docs/sweeps-stopping.md): `grad_ratio` is at most 4.2e-4 for Model 2 (seeds 42-44) and
        /// 6.8e-6 for Model 3 (seeds 42, 43), at least 3.6e-3 for the fixes that start slowly
        /// (standardize, and above: Model 1, skip, std 1.0); 1e-3 leaves a factor 2.4 below and
        /// 3.6 above. Model 2 and 3 sit within 0.0003 of ln 10 from epoch 2 (0.0062 at epoch 1).
        /// They stop at epoch 7.
        public static let defaults = (minIter: 5, patience: 3, maxGradRatio: 1e-3, lossTolerance: 0.01)
    }

    /// vgsweep's own: the units are saturated. A trial whose saturated fraction (the
    /// `saturated` per-layer list of its epoch reports, the largest layer's) stays at or above
    /// `minSaturated` for `patience` consecutive epochs, counted from epoch `minIter` on,
    /// stops.
    public struct Saturated: Sendable, Equatable {
        public var minIter: Int
        public var patience: Int
        public var minSaturated: Double

        public init(minIter: Int = Self.defaults.minIter, patience: Int = Self.defaults.patience,
                    minSaturated: Double = Self.defaults.minSaturated) {
            self.minIter = minIter
            self.patience = patience
            self.minSaturated = minSaturated
        }

        /// What a file's `type: saturated` alone means, measured on the study
        /// (docs/sweeps-stopping.md): the most saturated layer of std 10.0 is at 0.979 or more
        /// from epoch 1 (seeds 42, 43); Adam, the most saturated of the fixes that learn, creeps
        /// up to 0.87 by epoch 100, std 1.0 stays below 0.71. 0.95 leaves 5 % unsaturated units
        /// against Adam's 13 % and std 10.0's 2.1 %.
        public static let defaults = (minIter: 5, patience: 3, minSaturated: 0.95)
    }
}
