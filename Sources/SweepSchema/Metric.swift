/// What a sweep ranks trials by: one of the numbers a trial reports at its end, and whether
/// more or less is better. The spec reads it, the store keeps it, the ranking uses it.
public struct Metric: Sendable, Equatable, Hashable {
    public enum Name: String, CaseIterable, Sendable, Codable {
        case testAcc = "test_acc", valAcc = "val_acc", testLoss = "test_loss", trainLoss = "train_loss"

        /// Accuracies are maximised and losses minimised, unless the file says otherwise.
        public var naturalGoal: Goal { self == .testAcc || self == .valAcc ? .maximize : .minimize }
    }

    public enum Goal: String, CaseIterable, Sendable, Codable { case maximize, minimize }

    public var name: Name
    public var goal: Goal

    public init(name: Name = .testAcc, goal: Goal? = nil) {
        self.name = name
        self.goal = goal ?? name.naturalGoal
    }

    /// True when `value` ranks before `other`; NaN ranks after every number.
    public func isBetter(_ value: Double, than other: Double) -> Bool {
        if other.isNaN { return !value.isNaN }
        if value.isNaN { return false }
        return goal == .maximize ? value > other : value < other
    }
}
