import Foundation
import SweepSchema

extension StoppingRule.ASHA {
    /// The rungs, ascending, as Ray Tune's `_Bracket` makes them for one bracket:
    /// `gracePeriod * reductionFactor^k` for k below `int(log(maxT / gracePeriod) /
    /// log(reductionFactor) + 1)`, less those at or past `maxT` (a trial there is stopped by
    /// `maxT` before any rung judges it). Empty for parameters Ray refuses.
    public var rungs: [Int] {
        guard gracePeriod >= 1, reductionFactor >= 2, maxT >= gracePeriod else { return [] }
        let count = Int(log(Double(maxT) / Double(gracePeriod)) / log(Double(reductionFactor)) + 1)
        return geometricEpochs(from: gracePeriod, factor: reductionFactor, below: maxT, count: max(count, 0))
    }
}

/// Ray Tune's AsyncHyperBandScheduler with one bracket (`async_hyperband.py`):
/// - at a rung's epoch, the trial's score (the value, negated when minimising) is compared with
///   the cutoff, numpy's `nanpercentile` at `(1 - 1 / reductionFactor) * 100` of the scores
///   recorded at that rung so far (not counting its own); below it (strictly), the trial stops;
///   the first trial at a rung goes on; its score is recorded either way;
/// - at epoch `maxT` a trial stops, unless that is its own last epoch anyway (Ray's
///   `stop_last_trials`);
/// - a NaN value is not recorded and goes on (nanpercentile ignores it, and `nan < x` is false).
struct ASHAEngine: Sendable, Equatable {
    let rule: StoppingRule.ASHA
    let metric: Metric
    let rungs: [Int]
    /// Scores recorded at each rung.
    private var scores: [Int: SortedValues] = [:]

    init(_ rule: StoppingRule.ASHA, metric: Metric) {
        self.rule = rule
        self.metric = metric
        rungs = rule.rungs
    }

    mutating func count(_ step: Step) -> String? {
        let epoch = step.epoch
        if epoch >= rule.maxT {
            guard step.judging, let budget = step.record.budget, epoch < budget else { return nil }
            return "asha: epoch \(epoch) reached max_t \(rule.maxT) (the trial's budget is \(budget) epochs)"
        }
        guard rungs.contains(epoch), let value = step.facts.value, !value.isNaN else { return nil }
        let score = metric.goal == .maximize ? value : -value
        var reason: String?
        let recorded = scores[epoch] ?? SortedValues()
        if step.judging, let cutoff = recorded.percentile((1 - 1 / Double(rule.reductionFactor)) * 100),
           score < cutoff {
            let cut = metric.goal == .maximize ? cutoff : -cutoff
            reason = "asha: \(metric.name.rawValue) \(shortText(value, against: cut)) at epoch \(epoch) is worse than "
                + "the rung's cutoff \(shortText(cut, against: value)) (the top 1/\(rule.reductionFactor) of "
                + "\(recorded.count) \(recorded.count == 1 ? "trial" : "trials") recorded at epoch \(epoch))"
        }
        scores[epoch, default: SortedValues()].insert(score)
        return reason
    }
}
