import MLPKit

/// The Tree-structured Parzen Estimator (Bergstra et al., 2011) with Optuna's defaults, as a
/// pure function of its inputs: no I/O, no clock, no state between calls.
///
/// Until `startupTrials` trials have finished it answers what `RandomSampler` answers for the
/// same seed and index. Afterwards it divides the finished trials into the best `gamma(n)` and
/// the rest (`TrialSplit`), fits a Parzen estimator to each (l(x) to the best, g(x) to the rest),
/// draws `eiCandidates` candidates from l and returns the one with the largest l(x) / g(x),
/// which is the one with the largest expected improvement (Bergstra et al., section 4.1).
///
/// Multivariate by default, as Optuna 5 for one objective: one estimator over all dimensions,
/// whose kernels keep the dimensions of each observation together, so that a good learning
/// rate is proposed with the width it was good with. `multivariate: false` fits one estimator
/// per dimension (Optuna's default before 5).
///
/// Every call draws from its own `Xoshiro256` stream keyed by the seed and the trial index, so
/// the same seed, index and history give the same suggestion on any machine, and workers asking
/// at once for different trial numbers get different draws even with the liar off.
public struct TPESampler: Sendable {
    public enum Goal: String, Sendable, Equatable { case minimize, maximize }

    /// Optuna's `TPESampler` arguments, with its defaults.
    public struct Settings: Sendable {
        /// `n_startup_trials`: random suggestions until this many trials have finished.
        public var startupTrials = 10
        /// `n_ei_candidates`: draws from l(x) among which the best l/g is chosen. More draws
        /// exploit more; 24 keeps some exploration.
        public var eiCandidates = 24
        /// The prior kernel's weight, against 1 for each (recent) observation.
        public var priorWeight = 1.0
        /// How many finished trials count as good, given how many have finished.
        public var gamma: @Sendable (Int) -> Int = TPESampler.defaultGamma
        /// The weight of each of n trials, oldest first, within l(x) and within g(x).
        public var weights: @Sendable (Int) -> [Double] = TPESampler.defaultWeights
        /// Keep kernels at least range / min(100, kernels + 1) wide (`Bandwidth`).
        public var considerMagicClip = true
        /// Let the range's ends widen the outermost kernels (`Bandwidth`).
        public var considerEndpoints = false
        /// Count pending trials as the worst finished ones (in g(x)), so that workers asking at
        /// the same time are sent to different places.
        public var constantLiar = true
        /// One estimator over all dimensions (true) or one per dimension.
        public var multivariate = true

        public init() {}
    }

    public let space: SearchSpace
    public let goal: Goal
    public let seed: UInt64
    public let settings: Settings
    /// The startup sampler; its suggestions are TPE's first ones.
    public let random: RandomSampler

    public init(space: SearchSpace, goal: Goal, seed: UInt64, settings: Settings = .init()) {
        self.space = space
        self.goal = goal
        self.seed = seed
        self.settings = settings
        random = RandomSampler(space: space, seed: seed)
    }

    public init(
        dimensions: [SearchDimension], goal: Goal, seed: UInt64, settings: Settings = .init()
    ) throws(SearchSpaceError) {
        self.init(space: try SearchSpace(dimensions), goal: goal, seed: seed, settings: settings)
    }

    /// Optuna's `default_gamma`: min(ceil(0.1 n), 25). Computed on integers; Optuna's
    /// floating-point `ceil(0.1 * n)` gives the same for every n up to the cap.
    public static let defaultGamma: @Sendable (Int) -> Int = { n in
        Swift.min((Swift.max(n, 0) + 9) / 10, 25)
    }

    /// Optuna's `default_weights`: all ones up to 25 trials; beyond, the 25 newest keep weight
    /// one and the older ones ramp linearly from 1/n up, so that the estimator follows where
    /// the search has moved.
    public static let defaultWeights: @Sendable (Int) -> [Double] = { n in
        guard n >= 25 else { return Array(repeating: 1, count: Swift.max(n, 0)) }
        let m = n - 25
        let start = 1 / Double(n)
        let ramp = (0..<m).map { i in m == 1 ? start : start + (1 - start) * Double(i) / Double(m - 1) }
        return ramp + Array(repeating: 1, count: 25)
    }

    /// The suggestion for trial number `index` (0-based) given everything observed so far,
    /// finished and pending, in trial order (the order sets the weights of old trials). The trial
    /// being suggested must not be in `history`. Observations that do not fit the space are
    /// skipped (`SearchSpace.contains`). Deterministic: same inputs, same output, on any machine.
    public func suggest(index: Int, history: [Observation]) -> [SearchValue] {
        let split = TrialSplit(
            history: history, space: space, goal: goal, gamma: settings.gamma,
            constantLiar: settings.constantLiar)
        if split.finished < settings.startupTrials { return random.suggest(index: index) }

        let axes = space.axes
        var rng = Xoshiro256(seed: seed, stream: "SweepSearch.tpe.\(index)")
        // Dimensions with one possible value are not modelled.
        var chosen = axes.map { axis -> Double in
            if case let .numeric(s) = axis { return s.low }
            return 0
        }
        let modelled = axes.indices.filter { !axes[$0].isSingle }
        let groups = settings.multivariate ? (modelled.isEmpty ? [] : [modelled]) : modelled.map { [$0] }
        for group in groups {
            let best = bestCandidate(over: group, split: split, rng: &rng)
            for (d, x) in zip(group, best) { chosen[d] = x }
        }
        return zip(axes, chosen).map { $0.value($1) }
    }

    /// The candidate drawn from l(x) over the dimensions `group` with the largest
    /// log l(x) - log g(x); the first one on ties.
    private func bestCandidate(over group: [Int], split: TrialSplit, rng: inout Xoshiro256) -> [Double] {
        let axes = group.map { space.axes[$0] }
        let parameters = ParzenEstimator.Parameters(
            priorWeight: settings.priorWeight, magicClip: settings.considerMagicClip,
            endpoints: settings.considerEndpoints)
        func estimator(_ rows: [[Double]]) -> ParzenEstimator {
            ParzenEstimator(
                observations: rows.map { row in group.map { row[$0] } }, axes: axes,
                observationWeights: observationWeights(rows.count), parameters: parameters)
        }
        let below = estimator(split.below)
        let above = estimator(split.above)
        var best: [Double] = []
        var bestScore = -Double.infinity
        for _ in 0..<Swift.max(settings.eiCandidates, 1) {
            let x = below.sample(&rng)
            let score = below.logPDF(x) - above.logPDF(x)
            if best.isEmpty || score > bestScore {
                best = x
                bestScore = score
            }
        }
        return best
    }

    /// `settings.weights(n)`, cut or padded with ones to exactly n entries.
    private func observationWeights(_ n: Int) -> [Double] {
        let w = settings.weights(n)
        return (0..<n).map { $0 < w.count ? w[$0] : 1 }
    }
}
