/// What a sweep ranks trials by: one of the numbers a trial reports at its end (and, but for
/// the test set's, at each epoch), and whether more or less is better. The spec reads it, the
/// store keeps it, the ranking uses it.
public struct Metric: Sendable, Equatable, Hashable {
    public enum Name: String, CaseIterable, Sendable, Codable {
        case testAcc = "test_acc", valAcc = "val_acc", testLoss = "test_loss", trainLoss = "train_loss"
        case valLoss = "val_loss", trainAcc = "train_acc"

        /// Whether the number is an accuracy (more is better) rather than a loss.
        public var isAccuracy: Bool { self == .testAcc || self == .valAcc || self == .trainAcc }

        /// Accuracies are maximised and losses minimised. A sweep file's `metric` without a
        /// `goal` minimises, as W&B does; this is the goal of the default metric and of code
        /// that builds a `Metric` without saying.
        public var naturalGoal: Goal { isAccuracy ? .maximize : .minimize }
    }

    public enum Goal: String, CaseIterable, Sendable, Codable { case maximize, minimize }

    public var name: Name
    public var goal: Goal
    /// W&B's `metric.target`: the sweep may end once a trial's value reaches it (at least it
    /// when maximising, at most it when minimising). Carried, not acted on, by the spec.
    public var target: Double?

    public init(name: Name = .testAcc, goal: Goal? = nil, target: Double? = nil) {
        self.name = name
        self.goal = goal ?? name.naturalGoal
        self.target = target
    }

    /// True when `value` ranks before `other`; NaN ranks after every number.
    public func isBetter(_ value: Double, than other: Double) -> Bool {
        if other.isNaN { return !value.isNaN }
        if value.isNaN { return false }
        return goal == .maximize ? value > other : value < other
    }

    /// True when `value` reaches `target` in the goal's direction (false without a target).
    public func reachesTarget(_ value: Double) -> Bool {
        guard let target, !value.isNaN else { return false }
        return goal == .maximize ? value >= target : value <= target
    }
}
