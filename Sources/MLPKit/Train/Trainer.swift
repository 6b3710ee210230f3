/// Trains one trial from its configuration, top to bottom: split, then for each stage
/// (one for ordinary training) epochs of shuffled mini-batches, each epoch reported with its
/// diagnostics, then the test set.
public final class Trainer {
    public let config: TrialConfig
    private let train: Dataset
    private let test: Dataset

    public init(config: TrialConfig, train: Dataset, test: Dataset) {
        self.config = config
        self.train = train
        self.test = test
    }

    /// The training and validation rows: the first `train_limit` images, split by a seeded
    /// permutation, so the same seed always holds out the same images.
    public func split() -> (train: [Int], validation: [Int]) {
        let available = config.trainLimit > 0 ? min(config.trainLimit, train.count) : train.count
        var order = Array(0..<available)
        var rng = Xoshiro256(seed: config.seed, stream: "split")
        rng.shuffle(&order)
        let validationCount = Int((Double(available) * config.valFraction).rounded())
        return (Array(order[validationCount...]), Array(order[..<validationCount]))
    }

    public var plan: ProgressivePlan { config.plan }

    /// Trains to the end, or until `shouldStop` (asked before every batch) says so.
    public func run(onEpoch: (EpochReport) -> Void = { _ in }, shouldStop: () -> Bool = { false }) -> TrialResult {
        let clock = ContinuousClock()
        let started = clock.now
        BLAS.setThreads(config.threads)
        BLAS.flushDenormalsToZero()
        let (trainRows, validationRows) = split()
        let rows = min(config.batchSize, max(trainRows.count, 1))
        let network = Network(config.architecture, maxRows: rows, seed: config.seed)
        let initialWeights = network.denseLayers.map(\.weight.value.activeValues)
        var batcher = Batcher(data: train, maxRows: rows)
        var shuffleRng = Xoshiro256(seed: config.seed, stream: "shuffle")
        var order = trainRows
        var trainingTime = Duration.zero
        var samples = 0
        var epoch = 0
        var last: EpochReport?

        func result(_ status: TrialResult.Status, message: String? = nil, evaluateTest: Bool) -> TrialResult {
            var testAcc: Double?, testLoss: Double?
            if evaluateTest {
                let t = evaluate(network, on: test, rows: Array(0..<test.count), batchRows: rows)
                (testLoss, testAcc) = (t.loss, t.accuracy)
            }
            let seconds = trainingTime.seconds
            // The head is replaced per progressive stage; compare the hidden layers and the final head.
            let final = network.denseLayers.map(\.weight.value.activeValues)
            let histograms = zip(initialWeights.dropLast(), final.dropLast()).enumerated().map {
                WeightHistogram(layer: $0.offset + 1, start: $0.element.0, end: $0.element.1)
            } + [WeightHistogram(layer: final.count, start: initialWeights.last ?? [], end: final.last ?? [])]
            return TrialResult(status: status, testAcc: testAcc, testLoss: testLoss, valAcc: last?.valAcc,
                               trainLoss: last?.trainLoss, valLoss: last?.valLoss, trainAcc: last?.trainAcc, samplesPerS: seconds > 0 ? Double(samples) / seconds : 0,
                               epochs: epoch, seconds: (clock.now - started).seconds, message: message,
                               weightHistograms: histograms)
        }

        for (stageIndex, stage) in plan.stages.enumerated() {
            network.setActiveDepth(stage.depth)
            if stageIndex > 0 { network.resetHead(seed: config.seed, stage: stageIndex + 1) }
            for k in 1...stage.depth {
                let frozenByConfig = config.schedule == .full && config.freeze.contains(k)
                network.setFrozen(frozenByConfig || !stage.trainable.contains(k), hiddenLayer: k)
            }
            let optimizer = Optimizer(config.optimizer, parameters: network.parameters)
            var monitor = GradientMonitor(network: network, optimizer: optimizer)
            let schedule = config.learningRateSchedule(epochs: stage.epochs)

            for stageEpoch in 0..<stage.epochs {
                let lr = schedule.rate(base: config.lr, epoch: stageEpoch)
                shuffleRng.shuffle(&order)
                var lossSum = 0.0, correct = 0
                let epochStart = clock.now
                var start = 0
                while start < order.count {
                    if shouldStop() {
                        trainingTime += clock.now - epochStart
                        return result(.cancelled, message: "cancelled in epoch \(epoch + 1)", evaluateTest: false)
                    }
                    let end = min(start + rows, order.count)
                    batcher.load(order[start..<end])
                    let outcome = network.trainStep(batcher.input, labels: batcher.batchLabels)
                    if !outcome.lossSum.isFinite {
                        trainingTime += clock.now - epochStart
                        return result(.diverged, message: "training loss became \(outcome.lossSum) in epoch \(epoch + 1) at sample \(start)", evaluateTest: false)
                    }
                    optimizer.step(lr: lr, clipNorm: config.gradClip)
                    monitor.record(optimizer)
                    lossSum += outcome.lossSum
                    correct += outcome.correct
                    start = end
                }
                let epochTime = clock.now - epochStart
                trainingTime += epochTime
                samples += order.count
                epoch += 1

                var report = EpochReport(
                    epoch: epoch, stage: stageIndex + 1, lr: lr,
                    trainLoss: lossSum / Double(order.count), trainAcc: Double(correct) / Double(order.count),
                    valLoss: nil, valAcc: nil, samplesPerS: Double(order.count) / epochTime.seconds,
                    gradNorm: [], weightNorm: [], weightStd: [], updateRatio: [], saturated: [], dead: [], gradRatio: 0)
                monitor.finishEpoch(into: &report, network: network)
                if !validationRows.isEmpty {
                    let v = evaluate(network, on: train, rows: validationRows, batchRows: rows)
                    (report.valLoss, report.valAcc) = (v.loss, v.accuracy)
                }
                last = report
                onEpoch(report)
            }
        }
        return result(.ok, evaluateTest: true)
    }

    /// Mean loss and accuracy over `rows` of `data`, in evaluation mode.
    private func evaluate(_ network: Network, on data: Dataset, rows: [Int], batchRows: Int) -> (loss: Double, accuracy: Double) {
        var batcher = Batcher(data: data, maxRows: batchRows)
        var lossSum = 0.0, correct = 0
        var start = 0
        while start < rows.count {
            let end = min(start + batchRows, rows.count)
            batcher.load(rows[start..<end])
            let outcome = network.evaluate(batcher.input, labels: batcher.batchLabels)
            lossSum += outcome.lossSum
            correct += outcome.correct
            start = end
        }
        return (lossSum / Double(max(rows.count, 1)), Double(correct) / Double(max(rows.count, 1)))
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
