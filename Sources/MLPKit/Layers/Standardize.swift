/// The seed's custom layer: `(x - mean(x)) / std(x)` with one mean and one std over the
/// whole batch-by-feature tensor, nothing learned, batch statistics in evaluation too.
///
/// Like the seed's `torch.std`, the std is the unbiased one (divisor N-1). Unlike the seed,
/// `eps = 1e-5` is added to the std, so a constant batch gives zeros instead of NaN.
///
/// With `d = s + ε` and `y = (x - m)/d`, backward is
/// `dx = (dy - mean(dy))/d - y · Σ(dy·y) / ((N-1)·s)`.
public final class Standardize: Normalization {
    public static let eps: Float = 1e-5

    private var output: Matrix     // y of the last forward
    private var std: Double = 0
    private var denominator: Double = 1

    public init(features: Int, maxRows: Int) {
        output = Matrix(rows: maxRows, cols: features)
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Matrix, into y: inout Matrix, training: Bool) {
        let n = x.count
        y.setRows(x.rows)
        output.setRows(x.rows)
        x.storage.withUnsafeBufferPointer { px in
            var sum: Double = 0
            for i in 0..<n { sum += Double(px[i]) }
            let mean = sum / Double(n)
            var squares: Double = 0
            for i in 0..<n { let d = Double(px[i]) - mean; squares += d * d }
            std = n > 1 ? (squares / Double(n - 1)).squareRoot() : 0
            denominator = std + Double(Self.eps)
            let m = Float(mean), inv = Float(1 / denominator)
            y.storage.withUnsafeMutableBufferPointer { py in
                output.storage.withUnsafeMutableBufferPointer { po in
                    for i in 0..<n { let v = (px[i] - m) * inv; py[i] = v; po[i] = v }
                }
            }
        }
    }

    public func backward(_ dy: Matrix, into dx: inout Matrix) {
        let n = dy.count
        dx.setRows(dy.rows)
        dy.storage.withUnsafeBufferPointer { pdy in
            output.storage.withUnsafeBufferPointer { py in
                var sumDy: Double = 0, sumDyY: Double = 0
                for i in 0..<n { sumDy += Double(pdy[i]); sumDyY += Double(pdy[i]) * Double(py[i]) }
                let meanDy = Float(sumDy / Double(n))
                let inv = Float(1 / denominator)
                let k = std > 0 && n > 1 ? Float(sumDyY / (Double(n - 1) * std)) : 0
                dx.storage.withUnsafeMutableBufferPointer { pdx in
                    for i in 0..<n { pdx[i] = (pdy[i] - meanDy) * inv - py[i] * k }
                }
            }
        }
    }
}
