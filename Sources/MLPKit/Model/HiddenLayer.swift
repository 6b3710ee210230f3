/// One hidden block: `Dense → normalization? → activation (+ skip input)`, with the buffers
/// its forward keeps for its backward.
final class HiddenLayer {
    let index: Int                       // 1-based, as in the study's tables
    let dense: Dense
    let norm: (any Normalization)?
    let activation: Activation
    /// The earlier layer whose output is added to this one's (set by the network).
    var skipSource: Int?

    var pre: Matrix          // Dense output
    var normed: Matrix       // normalization output (unused without one)
    var act: Matrix          // activation output
    var out: Matrix          // act + skip input (unused without a skip)
    /// Gradient with respect to this layer's output; the activation backward then
    /// overwrites it in place with the gradient at the activation input.
    var dOut: Matrix
    var dPre: Matrix         // gradient at the Dense output when a normalization sits between

    init(index: Int, inputs: Int, architecture a: Architecture, maxRows: Int) {
        self.index = index
        dense = Dense(inputs: inputs, outputs: a.width, name: "hidden\(index)")
        norm = a.normalization.makeLayer(features: a.width, maxRows: maxRows, name: "norm\(index)")
        activation = a.activation
        pre = Matrix(rows: maxRows, cols: a.width)
        normed = norm == nil ? Matrix(rows: 0, cols: a.width) : Matrix(rows: maxRows, cols: a.width)
        act = Matrix(rows: maxRows, cols: a.width)
        out = Matrix(rows: 0, cols: a.width)
        dOut = Matrix(rows: maxRows, cols: a.width)
        dPre = norm == nil ? Matrix(rows: 0, cols: a.width) : Matrix(rows: maxRows, cols: a.width)
    }

    var parameters: [Parameter] { dense.parameters + (norm?.parameters ?? []) }

    var isFrozen: Bool {
        get { dense.isFrozen }
        set { for p in parameters { p.isFrozen = newValue } }
    }

    /// The tensor the next layer reads.
    var output: Matrix { skipSource == nil ? act : out }

    /// The activation's input: the normalization output, or the Dense output without one.
    private var activationInput: Matrix { norm == nil ? pre : normed }

    func prepareSkipBuffer(maxRows: Int) {
        if skipSource != nil && out.capacityRows < maxRows { out = Matrix(rows: maxRows, cols: act.cols) }
    }

    func forward(_ x: Matrix, skipInput: Matrix?, training: Bool) {
        dense.forward(x, into: &pre)
        if let norm { norm.forward(pre, into: &normed, training: training) }
        act.setRows(x.rows)
        let n = x.rows * act.cols
        if norm == nil {
            forwardActivation(pre, n)
        } else {
            forwardActivation(normed, n)
        }
        if let skipInput {
            out.setRows(x.rows)
            act.storage.withUnsafeBufferPointer { a in
                skipInput.storage.withUnsafeBufferPointer { s in
                    out.storage.withUnsafeMutableBufferPointer { o in
                        for i in 0..<n { o[i] = a[i] + s[i] }
                    }
                }
            }
        }
    }

    private func forwardActivation(_ z: Matrix, _ n: Int) {
        z.storage.withUnsafeBufferPointer { pz in
            act.storage.withUnsafeMutableBufferPointer { pa in
                activation.forward(pz.baseAddress!, pa.baseAddress!, count: n)
            }
        }
    }

    /// From `dOut` (already complete) to the parameter gradients and the gradient at the
    /// Dense output, which it returns for the caller to pass down.
    func backward(_ x: Matrix) -> Matrix {
        let n = dOut.rows * dOut.cols
        let z = activationInput
        z.storage.withUnsafeBufferPointer { pz in
            act.storage.withUnsafeBufferPointer { pa in
                dOut.storage.withUnsafeMutableBufferPointer { pd in
                    activation.backward(pz.baseAddress!, pa.baseAddress!, pd.baseAddress!, pd.baseAddress!, count: n)
                }
            }
        }
        if let norm {
            norm.backward(dOut, into: &dPre)
            dense.backward(x, dPre)
            return dPre
        }
        dense.backward(x, dOut)
        return dOut
    }
}
