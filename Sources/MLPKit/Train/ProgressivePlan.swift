/// The seed's "train some layers" plan: the hidden layers are split into groups (2, 2, 2, 1
/// for Model 3) that are stacked one at a time, each new group trained alone on top of the
/// frozen ones, then the whole stack trained together. Every stage gets a fresh head and a
/// fresh optimizer. For the seed's groups this is exactly its table:
///
/// | stage | groups in use | trainable |
/// |---|---|---|
/// | 1 | 1 | 1 |
/// | 2 | 1, 2 | 2 |
/// | 3 | 1, 2 | all |
/// | 4 | 1, 2, 3 | 3 |
/// | 5 | 1, 2, 3 | all |
/// | 6 | 1-4 | 4 |
/// | 7 | 1-4 | all |
public struct ProgressivePlan: Equatable, Sendable {
    public struct Stage: Equatable, Sendable {
        /// Hidden layers in use, from the input.
        public var depth: Int
        /// Hidden layers (1-based) that learn in this stage; the rest in use are frozen.
        public var trainable: ClosedRange<Int>
        public var epochs: Int
    }

    public let stages: [Stage]

    static func stageCount(groups: Int) -> Int { 2 * groups - 1 }

    /// Epochs of each stage before the last in the seed's table.
    static let seedStageEpochs = 100

    /// `stageEpochs` empty follows the seed's table: every stage but the last runs 100 epochs
    /// (fewer when `epochs` is smaller) and the last runs `epochs`, 300 in the seed. A third of
    /// the budget is not enough: at 33 epochs a fresh pair of sigmoid layers on SGD 0.01 is
    /// still on the ln 10 plateau when its stage ends (docs/study.md). One value applies to
    /// every stage.
    public init(groups: [Int], stageEpochs: [Int], epochs: Int) {
        let count = Self.stageCount(groups: groups.count)
        let budget: [Int]
        switch stageEpochs.count {
        case 0: budget = (0..<count).map { $0 == count - 1 ? epochs : min(Self.seedStageEpochs, epochs) }
        case 1: budget = Array(repeating: stageEpochs[0], count: count)
        default: budget = stageEpochs
        }
        var stages: [Stage] = []
        var top = 0
        for (g, size) in groups.enumerated() {
            let bottom = top + 1
            top += size
            stages.append(Stage(depth: top, trainable: bottom...top, epochs: budget[stages.count]))
            if g > 0 { stages.append(Stage(depth: top, trainable: 1...top, epochs: budget[stages.count])) }
        }
        self.stages = stages
    }

    /// Ordinary training as a one-stage plan, with layers in `frozen` never learning.
    public static func full(depth: Int, epochs: Int) -> ProgressivePlan {
        ProgressivePlan(stages: [Stage(depth: depth, trainable: 1...depth, epochs: epochs)])
    }

    private init(stages: [Stage]) { self.stages = stages }

    public var totalEpochs: Int { stages.reduce(0) { $0 + $1.epochs } }
}
