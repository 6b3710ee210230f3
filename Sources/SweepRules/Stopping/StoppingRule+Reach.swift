import SweepSchema

extension StoppingRule {
    /// The first epoch at which this rule can stop a trial: hyperband's first bracket, ASHA's
    /// first rung (or `maxT`), the first epoch after the median rule's warm-up, and the last
    /// epoch of the first streak `vanishing` and `saturated` can see. `Int.max` for a rule
    /// with no bracket or rung at all.
    public var firstStop: Int {
        switch self {
        case .hyperband(let h): h.brackets.first ?? .max
        case .asha(let a): min(a.rungs.first ?? .max, a.maxT)
        case .median(let m): max(m.nWarmupSteps, 0) + 1
        case .vanishing(let v): max(v.minIter, 1) + max(v.patience, 1) - 1
        case .saturated(let s): max(s.minIter, 1) + max(s.patience, 1) - 1
        }
    }

    /// Why this rule will save no epoch in a sweep of `trials` trials whose longest runs
    /// `longestTrial` epochs, in words for a notice; nil when it may. W&B's hyperband, given a
    /// first bracket past every trial's end, silently stops nothing (wandb#1975): a sweep file
    /// that asks for early stopping should hear when it will get none.
    public func idleReason(longestTrial: Int, trials: Int) -> String? {
        if case .median(let m) = self, case let startup = max(m.nStartupTrials, 1), trials <= startup {
            return "median waits for \(startup) finished trial(s) before it judges any, and the sweep has \(trials): it will stop nothing; lower n_startup_trials"
        }
        let first = firstStop
        guard first >= longestTrial else { return nil }
        let when = first == .max ? "has no epoch to judge at" : "can stop a trial at epoch \(first) at the earliest"
        return "\(typeName) \(when), and no trial trains more than \(longestTrial) epoch(s): it will stop nothing; \(remedy)"
    }

    /// The keys to change so that the rule can act earlier.
    private var remedy: String {
        switch self {
        case .hyperband(let h): h.maxIter != nil && h.s != nil ? "lower max_iter or raise s" : "lower min_iter"
        case .asha: "lower grace_period or max_t"
        case .median: "lower n_warmup_steps"
        case .vanishing, .saturated: "lower min_iter or patience"
        }
    }
}
