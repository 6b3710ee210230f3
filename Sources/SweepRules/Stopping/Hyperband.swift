import SweepSchema

extension StoppingRule.Hyperband {
    /// The epochs at which trials are judged, ascending, as W&B's `hyperband_stop_runs` makes
    /// them: with `maxIter` and `s`, `int(maxIter / eta^i)` for i = 1...s (dividing in floating
    /// point, stopping below 1); otherwise with `minIter`, `minIter * eta^i` for i = 0, 1, ...
    /// (here up to 10,000,000 epochs). Empty when neither is given or `eta` < 2: such a rule
    /// stops nothing (W&B refuses it; the sweep file's checks should too).
    public var brackets: [Int] {
        guard eta >= 2 else { return [] }
        if let maxIter, let s {
            var band = Double(maxIter)
            var bands: [Int] = []
            for _ in 0..<max(s, 0) {
                band /= Double(eta)
                if band < 1 { break }
                bands.append(Int(band))
            }
            return bands.sorted()
        }
        guard let minIter, minIter >= 1 else { return [] }
        return geometricEpochs(from: minIter, factor: eta, below: 10_000_001)
    }
}

/// W&B's hyperband early stopping (wandb/sweeps `hyperband_stopping.py`), judged at each of a
/// trial's epochs as W&B's controller judges each running run whenever it looks:
/// - the trial's bracket is the last one it has reached (no bracket yet: it goes on);
/// - the bracket's threshold is the value at index `int(n / eta)` (computed as W&B does,
///   `int((1.0 / eta) * n)`) of all n trials' values at the bracket's epoch, sorted best first
///   for the goal: every trial that has reached it, whatever its state, this one included;
/// - the trial is compared by its value at the bracket's epoch when `strict`, else by its best
///   value so far; strictly worse than the threshold, it stops.
struct HyperbandEngine: Sendable, Equatable {
    let rule: StoppingRule.Hyperband
    let metric: Metric
    let brackets: [Int]
    /// Every trial's finite value at each bracket epoch.
    private var values: [Int: SortedValues] = [:]

    init(_ rule: StoppingRule.Hyperband, metric: Metric) {
        self.rule = rule
        self.metric = metric
        brackets = rule.brackets
    }

    mutating func count(_ step: Step) -> String? {
        let epoch = step.epoch
        if let value = step.facts.value, value.isFinite, isBracket(epoch) {
            values[epoch, default: SortedValues()].insert(value)
        }
        guard step.judging, let bracket = brackets.last(where: { $0 <= epoch }),
              let recorded = values[bracket], !recorded.isEmpty else { return nil }
        let index = Int((1.0 / Double(rule.eta)) * Double(recorded.count))
        let threshold = recorded.bestFirst(index, goal: metric.goal)
        let name = metric.name.rawValue
        let compared: Double
        let what: String
        if rule.strict {
            guard let value = step.record.value(at: bracket), value.isFinite else { return nil }
            compared = value
            what = "\(name) \(shortText(value, against: threshold)) at epoch \(bracket)"
        } else {
            guard let best = step.record.bestFinite else { return nil }
            compared = best
            what = "the best \(name) \(shortText(best, against: threshold)) by epoch \(epoch)"
        }
        guard metric.isBetter(threshold, than: compared) else { return nil }
        let later = rule.strict && epoch != bracket ? ", judged at epoch \(epoch)" : ""
        return "hyperband: \(what) is worse than the threshold \(shortText(threshold, against: compared)) "
            + "of the bracket at epoch \(bracket) (index \(index) of \(recorded.count) trials)\(later)"
    }

    private func isBracket(_ epoch: Int) -> Bool {
        var low = 0, high = brackets.count
        while low < high {
            let mid = (low + high) / 2
            if brackets[mid] < epoch { low = mid + 1 } else { high = mid }
        }
        return low < brackets.count && brackets[low] == epoch
    }
}
