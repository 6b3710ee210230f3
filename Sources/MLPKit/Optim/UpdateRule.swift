#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One optimizer step's arithmetic. Each rule is one small `UpdateKernel` on eight lanes;
/// the loop that feeds it is generic, so it is specialised per rule with no switch inside,
/// and it accumulates the three norms the diagnostics need in the same pass over memory.
struct UpdateRule {
    let kind: OptimizerKind
    let h: Hyper

    /// The numbers every kernel may read, fixed for one step.
    struct Hyper {
        var lr: Float, momentum: Float, weightDecay: Float, beta1: Float, beta2: Float
        var gradScale: Float
        /// Adam's bias corrections for this step: `lr / (1 - β1^t)` and `√(1 - β2^t)`.
        var adamStepSize: Float, adamSqrtCorrection2: Float
    }

    init(settings s: OptimizerSettings, lr: Float, step: Int, gradScale: Float) {
        kind = s.kind
        let t = Float(step)
        h = Hyper(lr: lr, momentum: s.momentum, weightDecay: s.weightDecay, beta1: s.beta1, beta2: s.beta2,
                  gradScale: gradScale, adamStepSize: lr / (1 - powf(s.beta1, t)),
                  adamSqrtCorrection2: (1 - powf(s.beta2, t)).squareRoot())
    }

    /// Applies the rule over `count` floats; `m`/`v` point to the rule's state when it keeps any.
    func apply(w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
               m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, count: Int) -> StepStatistics {
        switch kind {
        case .sgd: return run(SGD(h: h), w, g, m, v, count)
        case .momentum: return run(Momentum(h: h, nesterov: false), w, g, m, v, count)
        case .nesterov: return run(Momentum(h: h, nesterov: true), w, g, m, v, count)
        case .adam: return run(Adam(h: h, decoupled: false), w, g, m, v, count)
        case .adamw: return run(Adam(h: h, decoupled: true), w, g, m, v, count)
        case .rmsprop: return run(RMSprop(h: h), w, g, m, v, count)
        case .adagrad: return run(Adagrad(h: h), w, g, m, v, count)
        }
    }

    private func run<K: UpdateKernel>(_ kernel: K, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                      _ m: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?,
                                      _ count: Int) -> StepStatistics {
        var gSq = Lanes(), dSq = Lanes(), wSq = Lanes()
        let m = K.usesFirst ? m! : nil, v = K.usesSecond ? v! : nil
        forEachLaneGroup(count) { i, lanes in
            let full = lanes == 8
            func load(_ p: UnsafeMutablePointer<Float>?) -> Lanes {
                guard let p else { return Lanes() }
                return full ? Lanes(load: p + i) : Lanes(loadPartial: p + i, count: lanes)
            }
            func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>?) {
                guard let p else { return }
                if full { x.store(to: p + i) } else { x.storePartial(to: p + i, count: lanes) }
            }
            let wi = load(w)
            let gi = full ? Lanes(load: g + i) : Lanes(loadPartial: g + i, count: lanes)
            var mi = load(m), vi = load(v)
            let next = kernel.update(wi, gi * h.gradScale, &mi, &vi)
            store(next, w); store(mi, m); store(vi, v)
            let d = next - wi                  // lanes past the tail are zero throughout
            gSq += gi * gi; dSq += d * d; wSq += next * next
        }
        return StepStatistics(gradSquared: gSq.sum(), updateSquared: dSq.sum(), valueSquared: wSq.sum())
    }
}

/// `w ← update(w, g)` for eight lanes, with the rule's state `m` (first) and `v` (second).
protocol UpdateKernel {
    static var usesFirst: Bool { get }
    static var usesSecond: Bool { get }
    func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes
}

/// `w -= lr·(g + λw)`
struct SGD: UpdateKernel {
    let h: UpdateRule.Hyper
    static var usesFirst: Bool { false }
    static var usesSecond: Bool { false }
    @inline(__always) func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes {
        w - h.lr * (g + h.weightDecay * w)
    }
}

/// `b = μb + g'`, then `w -= lr·b` (heavy ball) or `w -= lr·(g' + μb)` (Nesterov).
struct Momentum: UpdateKernel {
    let h: UpdateRule.Hyper
    let nesterov: Bool
    static var usesFirst: Bool { true }
    static var usesSecond: Bool { false }
    @inline(__always) func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes {
        let gw = g + h.weightDecay * w
        m = h.momentum * m + gw
        return w - h.lr * (nesterov ? gw + h.momentum * m : m)
    }
}

/// Adam with PyTorch's arithmetic: `w -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)`; AdamW decays
/// `w` by `1 - lr·λ` first instead of adding `λw` to the gradient.
struct Adam: UpdateKernel {
    let h: UpdateRule.Hyper
    let decoupled: Bool
    static var usesFirst: Bool { true }
    static var usesSecond: Bool { true }
    @inline(__always) func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes {
        let base = decoupled ? w * (1 - h.lr * h.weightDecay) : w
        let gw = decoupled ? g : g + h.weightDecay * w
        m = h.beta1 * m + (1 - h.beta1) * gw
        v = h.beta2 * v + (1 - h.beta2) * gw * gw
        let denominator = v.squareRoot() / h.adamSqrtCorrection2 + OptimizerSettings.adamEps
        return base - h.adamStepSize * (m / denominator)
    }
}

/// `v = αv + (1-α)g'²`, `w -= lr·g'/(√v + ε)`
struct RMSprop: UpdateKernel {
    let h: UpdateRule.Hyper
    static var usesFirst: Bool { false }
    static var usesSecond: Bool { true }
    @inline(__always) func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes {
        let gw = g + h.weightDecay * w
        let alpha = OptimizerSettings.rmspropAlpha
        v = alpha * v + (1 - alpha) * gw * gw
        return w - h.lr * gw / (v.squareRoot() + OptimizerSettings.rmspropEps)
    }
}

/// `v += g'²`, `w -= lr·g'/(√v + ε)`
struct Adagrad: UpdateKernel {
    let h: UpdateRule.Hyper
    static var usesFirst: Bool { false }
    static var usesSecond: Bool { true }
    @inline(__always) func update(_ w: Lanes, _ g: Lanes, _ m: inout Lanes, _ v: inout Lanes) -> Lanes {
        let gw = g + h.weightDecay * w
        v = v + gw * gw
        return w - h.lr * gw / (v.squareRoot() + OptimizerSettings.adagradEps)
    }
}

/// Σ x² over `count` floats, eight lanes wide so the sum does not wait on one accumulator.
func sumOfSquares(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = Lanes()
    forEachLaneGroup(count) { i, lanes in
        let x = lanes == 8 ? Lanes(load: p + i) : Lanes(loadPartial: p + i, count: lanes)
        acc += x * x
    }
    return acc.sum()
}
