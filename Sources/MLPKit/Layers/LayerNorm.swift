/// Layer normalization: each sample normalized over its features (eps 1e-5, as PyTorch),
/// then a learned scale and shift per feature. The same in training and evaluation.
public final class LayerNorm: Normalization {
    public static let eps: Float = 1e-5

    let affine: Affine
    private var normalized: Matrix
    private var invStd: [Float]        // per row
    private var sumDy: [Float]         // per feature, for the parameter gradients
    private var sumDyXhat: [Float]

    public init(features: Int, maxRows: Int, name: String) {
        affine = Affine(features: features, name: name)
        normalized = Matrix(rows: maxRows, cols: features)
        invStd = [Float](repeating: 0, count: maxRows)
        sumDy = [Float](repeating: 0, count: features)
        sumDyXhat = sumDy
    }

    public var parameters: [Parameter] { [affine.scale, affine.shift] }

    public func forward(_ x: Matrix, into y: inout Matrix, training: Bool) {
        let rows = x.rows, f = x.cols
        y.setRows(rows)
        normalized.setRows(rows)
        x.storage.withUnsafeBufferPointer { px in
            normalized.storage.withUnsafeMutableBufferPointer { pn in
                y.storage.withUnsafeMutableBufferPointer { py in
                    affine.scale.value.storage.withUnsafeBufferPointer { g in
                        affine.shift.value.storage.withUnsafeBufferPointer { b in
                            for r in 0..<rows {
                                let o = r * f
                                var mean: Float = 0
                                for j in 0..<f { mean += px[o + j] }
                                mean /= Float(f)
                                var variance: Float = 0
                                for j in 0..<f { let d = px[o + j] - mean; variance += d * d }
                                let inv = 1 / (variance / Float(f) + Self.eps).squareRoot()
                                invStd[r] = inv
                                for j in 0..<f {
                                    let xh = (px[o + j] - mean) * inv
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
        if !affine.scale.isFrozen {
            columnSums(dy, normalized, sumDy: &sumDy, sumDyXhat: &sumDyXhat)
            affine.storeGradients(sumDy: sumDy, sumDyXhat: sumDyXhat)
        }
        let n = Float(f)
        dy.storage.withUnsafeBufferPointer { pdy in
            normalized.storage.withUnsafeBufferPointer { pn in
                dx.storage.withUnsafeMutableBufferPointer { pdx in
                    affine.scale.value.storage.withUnsafeBufferPointer { g in
                        for r in 0..<rows {
                            let o = r * f
                            var sumG: Float = 0, sumGX: Float = 0   // Σ dx̂ and Σ dx̂·x̂ over the row
                            for j in 0..<f {
                                let gx = pdy[o + j] * g[j]
                                sumG += gx
                                sumGX += gx * pn[o + j]
                            }
                            let k = invStd[r] / n
                            for j in 0..<f {
                                pdx[o + j] = k * (n * pdy[o + j] * g[j] - sumG - pn[o + j] * sumGX)
                            }
                        }
                    }
                }
            }
        }
    }
}
