/// Accumulates the per-layer measurements of one epoch from the optimizer's step statistics
/// (which cost no extra pass over memory) and reads the rest from the network at the end.
struct GradientMonitor {
    private let weightSlots: [Int]   // index of each Dense layer's weight in the optimizer
    private var gradNormSum: [Double]
    private var updateRatioSum: [Double]
    private var steps = 0

    init(network: Network, optimizer: Optimizer) {
        weightSlots = network.denseLayers.map { dense in
            optimizer.parameters.firstIndex { $0 === dense.weight }!
        }
        gradNormSum = Array(repeating: 0, count: weightSlots.count)
        updateRatioSum = gradNormSum
    }

    mutating func record(_ optimizer: Optimizer) {
        for (layer, slot) in weightSlots.enumerated() {
            let s = optimizer.statistics[slot]
            gradNormSum[layer] += Double(s.gradSquared).squareRoot()
            if s.valueSquared > 0 {
                updateRatioSum[layer] += Double(s.updateSquared / s.valueSquared).squareRoot()
            }
        }
        steps += 1
    }

    /// Fills the per-layer fields of `report` and starts a new epoch.
    mutating func finishEpoch(into report: inout EpochReport, network: Network) {
        let n = Double(max(steps, 1))
        report.gradNorm = gradNormSum.map { $0 / n }
        report.updateRatio = updateRatioSum.map { $0 / n }
        let weights = network.denseLayers.map { $0.weight.value }
        report.weightNorm = weights.map { $0.sumOfSquares().squareRoot() }
        report.weightStd = weights.map(standardDeviation)
        report.saturated = []
        report.dead = []
        for k in 1...network.activeDepth {
            let (saturated, dead) = Self.saturation(network.lastActivations(hiddenLayer: k))
            report.saturated.append(saturated)
            report.dead.append(dead)
        }
        let last = report.gradNorm.last ?? 0
        report.gradRatio = last > 0 ? report.gradNorm[0] / last : 0
        for i in gradNormSum.indices { gradNormSum[i] = 0; updateRatioSum[i] = 0 }
        steps = 0
    }

    static let flatDerivative: Float = 0.01

    /// Shares of flat activations and of units flat for the whole batch.
    static func saturation(_ layer: (z: Matrix, a: Matrix, activation: Activation)) -> (Double, Double) {
        let rows = layer.a.rows, cols = layer.a.cols
        guard rows > 0 else { return (0, 0) }
        var flatCount = 0
        var unitAlive = [Bool](repeating: false, count: cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let d = layer.activation.derivative(z: layer.z[r, c], a: layer.a[r, c])
                if abs(d) < flatDerivative { flatCount += 1 } else { unitAlive[c] = true }
            }
        }
        let deadUnits = unitAlive.filter { !$0 }.count
        return (Double(flatCount) / Double(rows * cols), Double(deadUnits) / Double(cols))
    }
}

func standardDeviation(_ m: Matrix) -> Double {
    let values = m.activeValues
    guard values.count > 1 else { return 0 }
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let squares = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
    return (squares / Double(values.count)).squareRoot()
}
