/// One optimizer step's arithmetic, eight lanes at a time.
///
/// Each rule is written once on `SIMD8<Float>`; the loop that feeds it also accumulates the
/// three norms the diagnostics need, so they cost no extra pass over memory.
struct UpdateRule {
    typealias V = SIMD8<Float>
    let kind: OptimizerKind
    let lr: Float, momentum: Float, weightDecay: Float, beta1: Float, beta2: Float
    let gradScale: Float
    /// Adam's bias corrections for this step: `lr / (1 - β1^t)` and `√(1 - β2^t)`.
    let adamStepSize: Float, adamSqrtCorrection2: Float

    init(settings s: OptimizerSettings, lr: Float, step: Int, gradScale: Float) {
        kind = s.kind
        self.lr = lr
        momentum = s.momentum
        weightDecay = s.weightDecay
        beta1 = s.beta1
        beta2 = s.beta2
        self.gradScale = gradScale
        let t = Float(step)
        adamStepSize = lr / (1 - powf(s.beta1, t))
        adamSqrtCorrection2 = (1 - powf(s.beta2, t)).squareRoot()
    }

    /// The new weight for one lane group; `m` and `v` are the rule's state.
    @inline(__always)
    func update(_ w: V, _ rawGrad: V, _ m: inout V, _ v: inout V) -> V {
        let g = rawGrad * gradScale
        switch kind {
        case .sgd:
            return w - lr * (g + weightDecay * w)
        case .momentum:
            m = momentum * m + (g + weightDecay * w)
            return w - lr * m
        case .nesterov:
            let gw = g + weightDecay * w
            m = momentum * m + gw
            return w - lr * (gw + momentum * m)
        case .adam, .adamw:
            var decayed = w, gw = g
            if kind == .adamw { decayed = w * (1 - lr * weightDecay) } else { gw = g + weightDecay * w }
            m = beta1 * m + (1 - beta1) * gw
            v = beta2 * v + (1 - beta2) * gw * gw
            let denominator = v.squareRoot() / adamSqrtCorrection2 + OptimizerSettings.adamEps
            return decayed - adamStepSize * (m / denominator)
        case .rmsprop:
            let gw = g + weightDecay * w
            let alpha = OptimizerSettings.rmspropAlpha
            v = alpha * v + (1 - alpha) * gw * gw
            return w - lr * gw / (v.squareRoot() + OptimizerSettings.rmspropEps)
        case .adagrad:
            let gw = g + weightDecay * w
            v = v + gw * gw
            return w - lr * gw / (v.squareRoot() + OptimizerSettings.adagradEps)
        }
    }

    /// Applies the rule over `count` floats; `m`/`v` are nil when the rule keeps no such state.
    func apply(w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
               m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, count: Int) -> StepStatistics {
        var gSq = V(), dSq = V(), wSq = V()
        let full = count / 8 * 8
        var i = 0
        while i < full {
            let wi = V(load: w + i), gi = V(load: g + i)
            var mi = m.map { V(load: $0 + i) } ?? V()
            var vi = v.map { V(load: $0 + i) } ?? V()
            let next = update(wi, gi, &mi, &vi)
            next.store(to: w + i)
            if let m { mi.store(to: m + i) }
            if let v { vi.store(to: v + i) }
            let d = next - wi
            gSq += gi * gi; dSq += d * d; wSq += next * next
            i += 8
        }
        // The tail: the same rule on a partly filled lane group.
        if full < count {
            let r = count - full
            var wi = V(), gi = V(), mi = V(), vi = V()
            for j in 0..<r {
                wi[j] = w[full + j]; gi[j] = g[full + j]
                if let m { mi[j] = m[full + j] }
                if let v { vi[j] = v[full + j] }
            }
            let next = update(wi, gi, &mi, &vi)
            for j in 0..<r {
                w[full + j] = next[j]
                if let m { m[full + j] = mi[j] }
                if let v { v[full + j] = vi[j] }
            }
            let d = next - wi
            gSq += gi * gi; dSq += d * d; wSq += next * next    // unused lanes are all zero
        }
        return StepStatistics(gradSquared: gSq.sum(), updateSquared: dSq.sum(), valueSquared: wSq.sum())
    }
}

extension SIMD8 where Scalar == Float {
    @inline(__always) init(load p: UnsafePointer<Float>) {
        self = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) init(load p: UnsafeMutablePointer<Float>) { self.init(load: UnsafePointer(p)) }
    @inline(__always) func store(to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}

/// Σ x² over `count` floats, eight lanes wide so the sum does not wait on one accumulator.
func sumOfSquares(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD8<Float>()
    let full = count / 8 * 8
    var i = 0
    while i < full { let x = SIMD8<Float>(load: p + i); acc += x * x; i += 8 }
    var total = acc.sum()
    while i < count { total += p[i] * p[i]; i += 1 }
    return total
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
