/// One entry of a sweep file's `early_terminate` (a single mapping or a list of them): when
/// the coordinator stops a trial that is not worth finishing. This is the rule as the file
/// says it, checked and with its defaults filled in; the decisions themselves are made in
/// SweepRules, by the coordinator, which sees every trial's epochs.
///
/// "Iterations" are epochs, as W&B counts the metric's reports. Defaults are those of the
/// tool each rule comes from (W&B, Ray Tune, Optuna), or the study's own measurements for
/// the two rules no peer has (docs/sweeps.md gives the reasons and the margins).
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

    /// W&B's hyperband: a trial is judged at each bracket; one whose metric is worse than the
    /// value at index `int(n / eta)` of all trials' sorted values at that epoch stops.
    /// Brackets: `minIter * eta^i` (i = 0, 1, ...) when `minIter` is given, else
    /// `int(maxIter / eta^i)` for i = 1...s.
    public struct Hyperband: Sendable, Equatable {
        public var minIter: Int?
        public var maxIter: Int?
        public var s: Int?
        public var eta: Int
        /// W&B's `strict`: compare against every trial's values, not only the finished ones'
        /// (see docs/sweeps.md for the exact meaning kept).
        public var strict: Bool

        public init(minIter: Int? = nil, maxIter: Int? = nil, s: Int? = nil, eta: Int = 3, strict: Bool = false) {
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

    /// Optuna's MedianPruner: once `nStartupTrials` trials have finished, a trial whose value
    /// at an epoch after `nWarmupSteps` is worse than the median of the earlier trials' values
    /// at that epoch stops.
    public struct Median: Sendable, Equatable {
        public var nStartupTrials: Int
        public var nWarmupSteps: Int

        public init(nStartupTrials: Int = 5, nWarmupSteps: Int = 0) {
            self.nStartupTrials = nStartupTrials
            self.nWarmupSteps = nWarmupSteps
        }
    }

    /// vgsweep's own: the gradient has vanished. After `minIter` epochs, a trial whose
    /// first/last-layer gradient ratio (`grad_ratio`) stays below `maxGradRatio` while its
    /// train loss stays within `lossTolerance` of ln(classes) (chance) for `patience`
    /// consecutive epochs stops.
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

        /// What a file's `type: vanishing` alone means (docs/sweeps.md: measured on the study).
        public static let defaults = (minIter: 5, patience: 3, maxGradRatio: 1e-4, lossTolerance: 0.01)
    }

    /// vgsweep's own: the units are saturated. After `minIter` epochs, a trial whose
    /// saturated fraction (the `saturated` per-layer list of its epoch reports, the largest
    /// layer's) stays at or above `minSaturated` for `patience` consecutive epochs stops.
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

        /// What a file's `type: saturated` alone means (docs/sweeps.md: measured on the study).
        public static let defaults = (minIter: 5, patience: 3, minSaturated: 0.95)
    }
}
