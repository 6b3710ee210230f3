/// The update rules, with PyTorch's semantics so results can be compared:
/// weight decay is L2 added to the gradient, except for `adamw`, which decays the weights
/// directly; momentum buffers start at zero, which makes the first step equal PyTorch's
/// "buffer = gradient"; Adam's eps is 1e-8, RMSprop's alpha 0.99 and eps 1e-8, Adagrad's
/// eps 1e-10.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad
}

public struct OptimizerSettings: Equatable, Sendable {
    public var kind = OptimizerKind.sgd
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public init() {}

    static let adamEps: Float = 1e-8
    static let rmspropAlpha: Float = 0.99
    static let rmspropEps: Float = 1e-8
    static let adagradEps: Float = 1e-10
}

/// What one step measured per parameter: the norms that make vanishing visible.
public struct StepStatistics: Sendable {
    /// Squared norm of the raw gradient (before clipping or weight decay).
    public var gradSquared: Float = 0
    /// Squared norm of the change the step made to the parameter.
    public var updateSquared: Float = 0
    /// Squared norm of the parameter after the step.
    public var valueSquared: Float = 0
}

/// Steps a fixed list of parameters. The state (momentum, moments) lives here, one slot
/// per parameter, so a fresh optimizer is simply a new instance.
public final class Optimizer {
    public let settings: OptimizerSettings
    public let parameters: [Parameter]
    private var first: [[Float]]     // momentum buffer or Adam's m
    private var second: [[Float]]    // Adam's v, RMSprop's mean square, Adagrad's sum
    public private(set) var stepCount = 0
    /// Per parameter, from the last step; frozen ones stay zero.
    public private(set) var statistics: [StepStatistics]

    public init(_ settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        self.parameters = parameters
        let needsFirst: Set<OptimizerKind> = [.momentum, .nesterov, .adam, .adamw]
        let needsSecond: Set<OptimizerKind> = [.adam, .adamw, .rmsprop, .adagrad]
        first = parameters.map { [Float](repeating: 0, count: needsFirst.contains(settings.kind) ? $0.count : 0) }
        second = parameters.map { [Float](repeating: 0, count: needsSecond.contains(settings.kind) ? $0.count : 0) }
        statistics = [StepStatistics](repeating: StepStatistics(), count: parameters.count)
    }

    /// Global L2 norm of the gradients of the trainable parameters.
    public func gradientNorm() -> Float {
        var total: Float = 0
        for p in parameters where !p.isFrozen {
            total += p.grad.storage.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, p.count) }
        }
        return total.squareRoot()
    }

    /// One update with learning rate `lr`. `clipNorm > 0` scales the gradients down to that
    /// global norm first.
    public func step(lr: Float, clipNorm: Float = 0) {
        stepCount += 1
        var gradScale: Float = 1
        if clipNorm > 0 {
            let norm = gradientNorm()
            if norm > clipNorm { gradScale = clipNorm / (norm + 1e-6) }
        }
        let rule = UpdateRule(settings: settings, lr: lr, step: stepCount, gradScale: gradScale)
        for (i, p) in parameters.enumerated() {
            if p.isFrozen { statistics[i] = StepStatistics(); continue }
            let n = p.count
            statistics[i] = p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    first[i].withUnsafeMutableBufferPointer { m in
                        second[i].withUnsafeMutableBufferPointer { v in
                            rule.apply(w: w.baseAddress!, g: g.baseAddress!, m: m.baseAddress, v: v.baseAddress, count: n)
                        }
                    }
                }
            }
            p.lastUpdateSquared = Double(statistics[i].updateSquared)
        }
    }
}
