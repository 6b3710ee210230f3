import SweepSchema

/// Optuna's MedianPruner (`_percentile.py` with percentile 50, interval 1, n_min_trials 1),
/// with Optuna's step = epoch - 1 (so `nWarmupSteps` epochs are never judged):
/// - nothing is judged until `nStartupTrials` trials have completed (at least one);
/// - at a trial's epoch past the warm-up that carries a value, its best value so far (NaN
///   ignored) is compared with the median (numpy's `nanpercentile` 50) of the completed
///   trials' values at the same epoch; strictly worse, it stops; no completed trial has a
///   value at that epoch: it goes on;
/// - a trial whose values so far are all NaN stops.
/// Completed trials are those `finish`ed: a stopped, failed or diverged trial does not count.
struct MedianEngine: Sendable, Equatable {
    let rule: StoppingRule.Median
    let metric: Metric
    private var completedCount = 0
    /// The completed trials' values at each epoch (NaN left out).
    private var values: [Int: SortedValues] = [:]

    init(_ rule: StoppingRule.Median, metric: Metric) {
        self.rule = rule
        self.metric = metric
    }

    mutating func completed(_ record: TrialRecord) {
        guard case .finished(let epochs) = record.state else { return }
        completedCount += 1
        for (epoch, facts) in record.history where epoch <= epochs {
            if let value = facts.value, !value.isNaN { values[epoch, default: SortedValues()].insert(value) }
        }
    }

    mutating func count(_ step: Step) -> String? {
        let epoch = step.epoch
        if case .finished(let epochs) = step.record.state {
            // A completed trial's epoch that came after its result.
            if epoch <= epochs, let value = step.facts.value, !value.isNaN {
                values[epoch, default: SortedValues()].insert(value)
            }
            return nil
        }
        guard step.judging, completedCount > 0, completedCount >= rule.nStartupTrials,
              step.facts.value != nil, epoch - 1 >= rule.nWarmupSteps else { return nil }
        let name = metric.name.rawValue
        guard let best = step.record.bestNotNaN else {
            return "median: \(name) is NaN at every epoch up to epoch \(epoch)"
        }
        guard let recorded = values[epoch], let median = recorded.percentile(50), !median.isNaN,
              metric.isBetter(median, than: best) else { return nil }
        return "median: the best \(name) \(shortText(best, against: median)) by epoch \(epoch) is worse than the median "
            + "\(shortText(median, against: best)) of \(recorded.count) completed \(recorded.count == 1 ? "trial" : "trials") "
            + "at epoch \(epoch)"
    }
}
