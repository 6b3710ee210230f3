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

    /// `stageEpochs` empty keeps the seed's proportions: its last stage ran 300 epochs and the
    /// others 100, so with `epochs` as the last stage's budget the others get a third of it.
    /// One value applies to every stage.
    public init(groups: [Int], stageEpochs: [Int], epochs: Int) {
        let count = Self.stageCount(groups: groups.count)
        let budget: [Int]
        switch stageEpochs.count {
        case 0: budget = (0..<count).map { $0 == count - 1 ? epochs : max(1, epochs / 3) }
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
