/// What a trial reports at the end of each epoch: losses, accuracies, speed, and the
/// per-layer measurements that make a vanishing gradient visible.
///
/// Per-layer arrays run over the Dense layers in use, input first and the head last
/// (`saturated` and `dead` over the hidden layers only, which have an activation).
public struct EpochReport: Codable, Sendable, Equatable {
    public var type = "epoch"
    /// 1-based, counted across all stages.
    public var epoch: Int
    /// 1-based stage of a progressive schedule; always 1 for a full one.
    public var stage: Int
    public var lr: Float
    public var trainLoss: Double
    public var trainAcc: Double
    /// Nil when `val_fraction=0`.
    public var valLoss: Double?
    public var valAcc: Double?
    /// Training samples per second of training time (evaluation excluded).
    public var samplesPerS: Double
    /// Mean over the epoch's steps of each layer's weight-gradient L2 norm.
    public var gradNorm: [Double]
    /// Weight L2 norm and standard deviation at the end of the epoch.
    public var weightNorm: [Double]
    public var weightStd: [Double]
    /// Mean over the epoch's steps of |ΔW| / |W|.
    public var updateRatio: [Double]
    /// Share of (sample, unit) activations whose derivative is below 0.01, on the epoch's
    /// last training batch: saturated sigmoid/tanh units, or the flat side of ReLU.
    public var saturated: [Double]
    /// Share of units whose derivative is below 0.01 for every sample of that batch (dead units).
    public var dead: [Double]
    /// `gradNorm` of the first layer over that of the last (the head): the vanishing factor.
    public var gradRatio: Double

    enum CodingKeys: String, CodingKey {
        case type, epoch, stage, lr
        case trainLoss = "train_loss", trainAcc = "train_acc", valLoss = "val_loss", valAcc = "val_acc"
        case samplesPerS = "samples_per_s", gradNorm = "grad_norm", weightNorm = "weight_norm"
        case weightStd = "weight_std", updateRatio = "update_ratio", saturated, dead, gradRatio = "grad_ratio"
    }
}

/// How a trial ended and its final numbers.
public struct TrialResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case ok
        /// The training loss became NaN or infinite; the numbers are those of the last good epoch.
        case diverged
        /// Stopped on request before the end.
        case cancelled
    }

    public var type = "result"
    public var status: Status
    public var testAcc: Double?
    public var testLoss: Double?
    public var valAcc: Double?
    public var trainLoss: Double?
    /// The last epoch's validation loss and train accuracy, so that a sweep can rank by every
    /// number an epoch reports. Nil in results of workers that predate them.
    public var valLoss: Double?
    public var trainAcc: Double?
    public var samplesPerS: Double
    /// Epochs completed.
    public var epochs: Int
    /// Wall time of the whole trial, evaluation included.
    public var seconds: Double
    /// Why, for a status other than ok.
    public var message: String?
    /// Each Dense layer's weight distribution before training and at the end.
    public var weightHistograms: [WeightHistogram]?

    enum CodingKeys: String, CodingKey {
        case type, status, epochs, seconds, message
        case weightHistograms = "weight_histograms"
        case testAcc = "test_acc", testLoss = "test_loss", valAcc = "val_acc", trainLoss = "train_loss"
        case valLoss = "val_loss", trainAcc = "train_acc"
        case samplesPerS = "samples_per_s"
    }
}

/// One layer's weights before and after training, as counts over the same bins, so a plot
/// shows at a glance whether the layer moved (the seed's sign: layers near the input barely do).
public struct WeightHistogram: Codable, Sendable, Equatable {
    /// 1-based Dense layer, the head last.
    public var layer: Int
    /// Bin edges: `bins` equal bins from `-limit` to `limit`, the largest |weight| of either time.
    public var limit: Double
    public var start: [Int]
    public var end: [Int]

    public static let bins = 41

    public init(layer: Int, start: [Float], end: [Float]) {
        self.layer = layer
        let largest = max(start.map(abs).max() ?? 0, end.map(abs).max() ?? 0)
        let limit = Double(largest > 0 && largest.isFinite ? largest : 1)
        self.limit = limit
        self.start = Self.counts(start, limit: limit)
        self.end = Self.counts(end, limit: limit)
    }

    static func counts(_ values: [Float], limit: Double) -> [Int] {
        var c = [Int](repeating: 0, count: bins)
        for v in values where v.isFinite {
            let position = (Double(v) + limit) / (2 * limit) * Double(bins)
            c[min(max(Int(position), 0), bins - 1)] += 1
        }
        return c
    }
}

// Public initializers (in extensions, which keep the memberwise ones MLPKit uses), so that
// code outside MLPKit, such as the simulated worker, builds real reports.
extension EpochReport {
    public init(epoch: Int, stage: Int = 1, lr: Float, trainLoss: Double, trainAcc: Double, valLoss: Double?, valAcc: Double?,
                samplesPerS: Double, gradNorm: [Double], weightNorm: [Double], weightStd: [Double], updateRatio: [Double],
                saturated: [Double], dead: [Double], gradRatio: Double) {
        self.epoch = epoch
        self.stage = stage
        self.lr = lr
        self.trainLoss = trainLoss
        self.trainAcc = trainAcc
        self.valLoss = valLoss
        self.valAcc = valAcc
        self.samplesPerS = samplesPerS
        self.gradNorm = gradNorm
        self.weightNorm = weightNorm
        self.weightStd = weightStd
        self.updateRatio = updateRatio
        self.saturated = saturated
        self.dead = dead
        self.gradRatio = gradRatio
    }
}

extension TrialResult {
    public init(status: Status, testAcc: Double?, testLoss: Double?, valAcc: Double?, trainLoss: Double?,
                valLoss: Double? = nil, trainAcc: Double? = nil,
                samplesPerS: Double, epochs: Int, seconds: Double, message: String? = nil,
                weightHistograms: [WeightHistogram]? = nil) {
        self.status = status
        self.testAcc = testAcc
        self.testLoss = testLoss
        self.valAcc = valAcc
        self.trainLoss = trainLoss
        self.valLoss = valLoss
        self.trainAcc = trainAcc
        self.samplesPerS = samplesPerS
        self.epochs = epochs
        self.seconds = seconds
        self.message = message
        self.weightHistograms = weightHistograms
    }
}
