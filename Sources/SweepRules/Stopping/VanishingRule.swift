import Foundation
import SweepSchema

/// vgsweep's `vanishing`: from epoch `minIter` on, `patience` consecutive epochs with
/// `grad_ratio` below `maxGradRatio` and the train loss within `lossTolerance` of ln(classes)
/// (chance) stop the trial, at the last of them. The earliest stop is epoch
/// `minIter + patience - 1`. NaN in either number breaks the streak, and so does a ratio of
/// exactly 0: the first layer is frozen (a progressive schedule's later stages train only the
/// layers near the head), which says nothing about its gradient.
struct VanishingEngine: Sendable, Equatable {
    let rule: StoppingRule.Vanishing
    let classes: Int
    let chance: Double

    init(_ rule: StoppingRule.Vanishing, classes: Int) {
        self.rule = rule
        self.classes = classes
        chance = log(Double(classes))
    }

    func holds(_ facts: EpochFacts) -> Bool {
        facts.gradRatio > 0 && facts.gradRatio < rule.maxGradRatio && abs(facts.trainLoss - chance) <= rule.lossTolerance
    }

    func count(_ step: Step) -> String? {
        guard step.judging, let since = streak(step, rule.minIter, rule.patience, holds),
              let last = step.record.history[step.epoch] else { return nil }
        let epochs = step.epoch - since + 1
        return "vanishing: grad_ratio below \(shortText(rule.maxGradRatio)) and train loss within "
            + "\(shortText(rule.lossTolerance)) of ln(\(classes)) for \(epochs) \(epochs == 1 ? "epoch" : "epochs") "
            + "since epoch \(since) (at epoch \(step.epoch): grad_ratio \(shortText(last.gradRatio)), "
            + "train loss \(shortText(last.trainLoss, against: chance)))"
    }
}

/// vgsweep's `saturated`: from epoch `minIter` on, `patience` consecutive epochs whose most
/// saturated layer (the largest of the report's `saturated` shares) is at or above
/// `minSaturated` stop the trial, at the last of them. A report without shares breaks the
/// streak.
struct SaturatedEngine: Sendable, Equatable {
    let rule: StoppingRule.Saturated

    init(_ rule: StoppingRule.Saturated) { self.rule = rule }

    func holds(_ facts: EpochFacts) -> Bool { facts.maxSaturated >= rule.minSaturated }

    func count(_ step: Step) -> String? {
        guard step.judging, let since = streak(step, rule.minIter, rule.patience, holds),
              let last = step.record.history[step.epoch] else { return nil }
        let epochs = step.epoch - since + 1
        return "saturated: the most saturated layer at or above \(shortText(rule.minSaturated)) for \(epochs) "
            + "\(epochs == 1 ? "epoch" : "epochs") since epoch \(since) (\(shortText(last.maxSaturated)) at epoch \(step.epoch))"
    }
}

/// The first epoch of the `patience` epochs ending at the step's epoch when they are all at or
/// after `minIter` and all hold (a patience below 1 counts as 1); nil otherwise. The trial's
/// epochs count in order without gaps, so all of them are in its history.
private func streak(_ step: Step, _ minIter: Int, _ patience: Int, _ holds: (EpochFacts) -> Bool) -> Int? {
    let since = step.epoch - max(patience, 1) + 1
    guard since >= max(minIter, 1) else { return nil }
    for epoch in since...step.epoch {
        guard let facts = step.record.history[epoch], holds(facts) else { return nil }
    }
    return since
}
