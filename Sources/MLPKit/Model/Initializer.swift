/// How a `Dense` layer's weights start; biases always start at 0.
///
/// Fan-in and fan-out are the layer's inputs and outputs, as in PyTorch; the He variants
/// use the ReLU gain √2, Xavier the gain 1, LeCun the SELU-friendly `1/fan_in` variance.
public enum Initializer: String, CaseIterable, Sendable {
    case normal, uniform
    case xavierNormal = "xavier_normal", xavierUniform = "xavier_uniform"
    case heNormal = "he_normal", heUniform = "he_uniform"
    case lecunNormal = "lecun_normal"
    case orthogonal

    /// Fills `weight` (`fanIn x fanOut`). `std` is used by `normal` (N(0, std²)) and
    /// `uniform` (U(-std·√3, std·√3), the same variance).
    public func fill(_ weight: inout Matrix, std: Float, rng: inout Xoshiro256) {
        let fanIn = Double(weight.rows), fanOut = Double(weight.cols)
        switch self {
        case .normal: fillNormal(&weight, std: Double(std), rng: &rng)
        case .uniform: fillUniform(&weight, bound: Double(std) * 3.0.squareRoot(), rng: &rng)
        case .xavierNormal: fillNormal(&weight, std: (2 / (fanIn + fanOut)).squareRoot(), rng: &rng)
        case .xavierUniform: fillUniform(&weight, bound: (6 / (fanIn + fanOut)).squareRoot(), rng: &rng)
        case .heNormal: fillNormal(&weight, std: (2 / fanIn).squareRoot(), rng: &rng)
        case .heUniform: fillUniform(&weight, bound: (6 / fanIn).squareRoot(), rng: &rng)
        case .lecunNormal: fillNormal(&weight, std: (1 / fanIn).squareRoot(), rng: &rng)
        case .orthogonal: fillOrthogonal(&weight, rng: &rng)
        }
    }

    private func fillNormal(_ w: inout Matrix, std: Double, rng: inout Xoshiro256) {
        for i in 0..<w.count { w.storage[i] = Float(rng.nextNormal() * std) }
    }

    private func fillUniform(_ w: inout Matrix, bound: Double, rng: inout Xoshiro256) {
        for i in 0..<w.count { w.storage[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
    }

    /// A (semi-)orthogonal matrix by modified Gram-Schmidt on Gaussian vectors, in Double:
    /// rows orthonormal when there are fewer rows than columns, columns otherwise.
    private func fillOrthogonal(_ w: inout Matrix, rng: inout Xoshiro256) {
        let rows = w.rows, cols = w.cols
        let transposed = rows > cols            // orthonormalise the shorter dimension's vectors
        let vectors = transposed ? cols : rows, length = transposed ? rows : cols
        var q = [[Double]](repeating: [], count: vectors)
        for v in 0..<vectors {
            var x = (0..<length).map { _ in rng.nextNormal() }
            for u in 0..<v {
                var dot = 0.0
                for i in 0..<length { dot += x[i] * q[u][i] }
                for i in 0..<length { x[i] -= dot * q[u][i] }
            }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q[v] = x.map { $0 / norm }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                w[r, c] = Float(transposed ? q[c][r] : q[r][c])
            }
        }
    }
}
