/// Everything one trial needs, with defaults that reproduce the seed's Model 3:
/// 7 sigmoid hidden layers of 128, Normal(0, 0.05) weights, SGD lr 0.01, batch 512, 300 epochs.
public struct TrialConfig: Equatable, Sendable {
    public enum Schedule: String, CaseIterable, Sendable {
        /// Ordinary training of the whole network.
        case full
        /// The seed's "train some layers" plan (`ProgressivePlan`).
        case progressive
    }

    public enum LearningRateScheduleKind: String, CaseIterable, Sendable { case constant, step, cosine }

    public var architecture = Architecture()
    public var optimizer = OptimizerSettings()
    public var lr: Float = 0.01
    public var lrSchedule = LearningRateScheduleKind.constant
    /// Epochs between decays for `lr_schedule=step`; 0 means a third of the epochs.
    public var lrStep = 0
    public var lrGamma: Float = 0.1
    /// Global gradient-norm clip; 0 is off.
    public var gradClip: Float = 0
    public var schedule = Schedule.full
    public var stageGroups = [2, 2, 2, 1]
    /// Epochs per progressive stage; empty means the seed's proportions (see `ProgressivePlan`).
    public var stageEpochs: [Int] = []
    /// Hidden layers (1-based) frozen for the whole of a `full` schedule.
    public var freeze: [Int] = []
    public var batchSize = 512
    public var epochs = 300
    public var seed: UInt64 = 42
    public var valFraction = 0.1
    /// Use only the first N training images; 0 uses all.
    public var trainLimit = 0
    /// BLAS threads.
    public var threads = 1

    public init() {}

    /// The stages this trial trains through: one for a full schedule.
    public var plan: ProgressivePlan {
        switch schedule {
        case .full: return .full(depth: architecture.depth, epochs: epochs)
        case .progressive: return ProgressivePlan(groups: stageGroups, stageEpochs: stageEpochs, epochs: epochs)
        }
    }

    /// The learning-rate schedule for a run of `epochs` epochs.
    public func learningRateSchedule(epochs: Int) -> LearningRateSchedule {
        switch lrSchedule {
        case .constant: return .constant
        case .step: return .step(every: lrStep > 0 ? lrStep : max(1, epochs / 3), gamma: lrGamma)
        case .cosine: return .cosine(epochs: epochs)
        }
    }
}
