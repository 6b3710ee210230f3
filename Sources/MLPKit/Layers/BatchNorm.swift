/// Batch normalization over the batch, per feature, with PyTorch's constants: momentum 0.1
/// for the running statistics, eps 1e-5, unbiased variance in the running estimate.
///
/// `y = γ·x̂ + β`, `x̂ = (x - μ_B) / √(σ²_B + ε)`; backward uses the closed form
/// `dx = γ·inv/B · (B·dy - Σdy - x̂·Σ(dy·x̂))`.
public final class BatchNorm: Normalization {
    public static let momentum: Float = 0.1
    public static let eps: Float = 1e-5

    let affine: Affine
    public private(set) var runningMean: [Float]
    public private(set) var runningVar: [Float]
    private var normalized: Matrix   // x̂ of the last training forward
    private var mean: [Float]        // statistics in use: the batch's or the running ones
    private var variance: [Float]
    private var invStd: [Float]
    private var sumDy: [Float]
    private var sumDyXhat: [Float]

    public init(features: Int, maxRows: Int, name: String) {
        affine = Affine(features: features, name: name)
        runningMean = [Float](repeating: 0, count: features)
        runningVar = [Float](repeating: 1, count: features)
        normalized = Matrix(rows: maxRows, cols: features)
        invStd = [Float](repeating: 0, count: features)
        mean = invStd
        variance = invStd
        sumDy = invStd
        sumDyXhat = invStd
    }

    public var parameters: [Parameter] { [affine.scale, affine.shift] }

    public func forward(_ x: Matrix, into y: inout Matrix, training: Bool) {
        let rows = x.rows, f = x.cols
        y.setRows(rows)
        normalized.setRows(rows)
        if training {
            columnMeanAndVariance(x, mean: &mean, variance: &variance)
            let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
            for j in 0..<f {
                runningMean[j] = (1 - Self.momentum) * runningMean[j] + Self.momentum * mean[j]
                runningVar[j] = (1 - Self.momentum) * runningVar[j] + Self.momentum * variance[j] * unbias
            }
        } else {
            for j in 0..<f { mean[j] = runningMean[j]; variance[j] = runningVar[j] }
        }
        for j in 0..<f { invStd[j] = 1 / (variance[j] + Self.eps).squareRoot() }
        x.storage.withUnsafeBufferPointer { px in
            normalized.storage.withUnsafeMutableBufferPointer { pn in
                y.storage.withUnsafeMutableBufferPointer { py in
                    affine.scale.value.storage.withUnsafeBufferPointer { g in
                        affine.shift.value.storage.withUnsafeBufferPointer { b in
                            for r in 0..<rows {
                                let o = r * f
                                for j in 0..<f {
                                    let xh = (px[o + j] - mean[j]) * invStd[j]
                                    pn[o + j] = xh
                                    py[o + j] = g[j] * xh + b[j]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Matrix, into dx: inout Matrix) {
        let rows = dy.rows, f = dy.cols
        dx.setRows(rows)
        columnSums(dy, normalized, sumDy: &sumDy, sumDyXhat: &sumDyXhat)
        affine.storeGradients(sumDy: sumDy, sumDyXhat: sumDyXhat)
        let n = Float(rows)
        dy.storage.withUnsafeBufferPointer { pdy in
            normalized.storage.withUnsafeBufferPointer { pn in
                dx.storage.withUnsafeMutableBufferPointer { pdx in
                    affine.scale.value.storage.withUnsafeBufferPointer { g in
                        for r in 0..<rows {
                            let o = r * f
                            for j in 0..<f {
                                let k = g[j] * invStd[j] / n
                                pdx[o + j] = k * (n * pdy[o + j] - sumDy[j] - pn[o + j] * sumDyXhat[j])
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Per-column mean and biased variance, accumulated row by row so the loops run along memory.
func columnMeanAndVariance(_ x: Matrix, mean: inout [Float], variance: inout [Float]) {
    let rows = x.rows, f = x.cols
    for j in 0..<f { mean[j] = 0; variance[j] = 0 }
    x.storage.withUnsafeBufferPointer { p in
        for r in 0..<rows { for j in 0..<f { mean[j] += p[r * f + j] } }
        for j in 0..<f { mean[j] /= Float(rows) }
        for r in 0..<rows {
            for j in 0..<f { let d = p[r * f + j] - mean[j]; variance[j] += d * d }
        }
    }
    for j in 0..<f { variance[j] /= Float(rows) }
}

/// Per-column `Σ dy` and `Σ dy·x̂`, the two reductions every normalization backward needs.
func columnSums(_ dy: Matrix, _ xhat: Matrix, sumDy: inout [Float], sumDyXhat: inout [Float]) {
    let rows = dy.rows, f = dy.cols
    for j in 0..<f { sumDy[j] = 0; sumDyXhat[j] = 0 }
    dy.storage.withUnsafeBufferPointer { pdy in
        xhat.storage.withUnsafeBufferPointer { pn in
            for r in 0..<rows {
                for j in 0..<f {
                    let g = pdy[r * f + j]
                    sumDy[j] += g
                    sumDyXhat[j] += g * pn[r * f + j]
                }
            }
        }
    }
}
