/// A fully connected layer `y = x·W + b`, with `W` stored `inputs x outputs` so the forward
/// product needs no transpose.
///
/// Forward and backward sit together so a gradient check maps line by line onto the maths:
/// `dW = xᵀ·dy`, `db = Σ_rows dy`, `dx = dy·Wᵀ`.
public final class Dense {
    public let weight: Parameter
    public let bias: Parameter
    public var inputs: Int { weight.value.rows }
    public var outputs: Int { weight.value.cols }

    public init(inputs: Int, outputs: Int, name: String) {
        weight = Parameter(name: "\(name).weight", rows: inputs, cols: outputs)
        bias = Parameter(name: "\(name).bias", rows: 1, cols: outputs)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public var isFrozen: Bool {
        get { weight.isFrozen }
        set { weight.isFrozen = newValue; bias.isFrozen = newValue }
    }

    /// The product first, then the bias added row by row in one vectorised pass.
    public func forward(_ x: Matrix, into y: inout Matrix) {
        y.setRows(x.rows)
        BLAS.gemm(x, weight.value, into: &y)
        let rows = y.rows, cols = y.cols
        bias.value.storage.withUnsafeBufferPointer { b in
            y.storage.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    let row = out.baseAddress! + r * cols
                    mapLanes(row, b.baseAddress!, row, count: cols) { $0 + $1 }
                }
            }
        }
    }

    /// Parameter gradients `dW = xᵀ·dy` and `db = Σ_rows dy`; nothing when frozen.
    public func backward(_ x: Matrix, _ dy: Matrix) {
        guard !isFrozen else { return }
        BLAS.gemm(x, transposeA: true, dy, into: &weight.grad)
        let rows = dy.rows, cols = dy.cols
        dy.storage.withUnsafeBufferPointer { g in
            bias.grad.storage.withUnsafeMutableBufferPointer { db in
                for c in 0..<cols { db[c] = 0 }
                for r in 0..<rows {
                    let row = g.baseAddress! + r * cols
                    for c in 0..<cols { db[c] += row[c] }
                }
            }
        }
    }

    /// Input gradient `dx = dy·Wᵀ`; `accumulate` adds to `dx` instead of overwriting it,
    /// for when a skip connection has already put its share there.
    public func inputGradient(_ dy: Matrix, into dx: inout Matrix, accumulate: Bool) {
        dx.setRows(dy.rows)
        BLAS.gemm(dy, weight.value, transposeB: true, into: &dx, beta: accumulate ? 1 : 0)
    }
}
