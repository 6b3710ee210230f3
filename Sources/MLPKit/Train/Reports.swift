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
    public var samplesPerS: Double
    /// Epochs completed.
    public var epochs: Int
    /// Wall time of the whole trial, evaluation included.
    public var seconds: Double
    /// Why, for a status other than ok.
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case type, status, epochs, seconds, message
        case testAcc = "test_acc", testLoss = "test_loss", valAcc = "val_acc", trainLoss = "train_loss"
        case samplesPerS = "samples_per_s"
    }
}
