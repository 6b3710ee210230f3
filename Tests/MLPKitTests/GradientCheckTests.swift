import XCTest
@testable import MLPKit

/// Every backward in MLPKit against central finite differences of the loss, on networks
/// small enough to perturb every single parameter.
final class GradientCheckTests: XCTestCase {
    /// A 6-input, 3-class problem with random inputs and labels.
    struct Problem {
        var x: Matrix
        var labels: [Int32]
        init(rows: Int, inputs: Int = 6, classes: Int = 3, seed: UInt64 = 7) {
            var rng = Xoshiro256(seed: seed)
            x = Matrix(rows: rows, cols: inputs)
            for i in 0..<x.count { x.storage[i] = Float(rng.nextNormal()) }
            labels = (0..<rows).map { _ in Int32(rng.next() % UInt64(classes)) }
        }
    }

    func architecture(_ activation: Activation, _ norm: NormalizationKind = .none,
                      skip: SkipPattern = .none, depth: Int = 3) -> Architecture {
        var a = Architecture()
        a.inputs = 6
        a.classes = 3
        a.depth = depth
        a.width = 5
        a.activation = activation
        a.normalization = norm
        a.skip = skip
        a.initializer = .xavierNormal
        return a
    }

    /// Compares the analytic gradient of every trainable parameter with
    /// `(L(p + h) - L(p - h)) / 2h`, where L is the mean loss over the batch.
    ///
    /// ReLU, leaky ReLU and SELU have a kink at 0 where the derivative jumps; a perturbation
    /// that moves any unit across it makes the finite difference meaningless there, so such
    /// coordinates are detected (the sign pattern of the activation inputs changes) and left
    /// out, and the test insists that almost all coordinates were still checked.
    func check(_ network: Network, _ problem: Problem, file: StaticString = #filePath, line: UInt = #line) {
        let labels = problem.labels[...]
        _ = network.trainStep(problem.x, labels: labels)
        let rows = Double(problem.x.rows)
        let kinked: Set<Activation> = [.relu, .leakyRelu, .selu]
        func signs() -> [Bool] {
            guard kinked.contains(network.architecture.activation) else { return [] }
            return (1...network.activeDepth).flatMap { network.lastActivations(hiddenLayer: $0).z.activeValues.map { $0 > 0 } }
        }
        let baseSigns = signs()
        var checked = 0, skipped = 0
        for p in network.parameters where !p.isFrozen {
            let analytic = p.grad.activeValues
            for i in 0..<p.count {
                let original = p.value.storage[i]
                let h: Float = 1e-3 * max(1, abs(original))
                p.value.storage[i] = original + h
                let plus = network.loss(problem.x, labels: labels, training: true).lossSum / rows
                let plusSigns = signs()
                p.value.storage[i] = original - h
                let minus = network.loss(problem.x, labels: labels, training: true).lossSum / rows
                let minusSigns = signs()
                p.value.storage[i] = original
                if plusSigns != baseSigns || minusSigns != baseSigns { skipped += 1; continue }
                let numeric = (plus - minus) / (2 * Double(h))
                let a = Double(analytic[i])
                let tolerance = 1e-3 + 1e-2 * max(abs(a), abs(numeric))
                XCTAssertEqual(a, numeric, accuracy: tolerance,
                               "\(network.architecture.activation) \(p.name)[\(i)]", file: file, line: line)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 5 * skipped, "too many coordinates sit on a kink", file: file, line: line)
    }

    func testEveryActivation() {
        for activation in Activation.allCases {
            let network = Network(architecture(activation), maxRows: 8, seed: 1)
            check(network, Problem(rows: 8))
        }
    }

    func testEveryNormalization() {
        for norm in NormalizationKind.allCases where norm != .none {
            for activation in [Activation.sigmoid, .tanh, .gelu] {
                let network = Network(architecture(activation, norm), maxRows: 8, seed: 2)
                check(network, Problem(rows: 8))
            }
        }
    }

    func testSeedSkipPattern() {
        let network = Network(architecture(.tanh, skip: .seed, depth: 7), maxRows: 6, seed: 3)
        XCTAssertEqual((1...7).map { SkipPattern.seed.source(of: $0) }, [nil, nil, 1, nil, nil, nil, 4])
        check(network, Problem(rows: 6))
    }

    func testEverySecondLayerSkip() {
        XCTAssertEqual((1...7).map { SkipPattern.every(2).source(of: $0) }, [nil, nil, 1, nil, 3, nil, 5])
        XCTAssertEqual((1...7).map { SkipPattern.every(1).source(of: $0) }, [nil, 1, 2, 3, 4, 5, 6])
        for n in [1, 2, 3] {
            let network = Network(architecture(.silu, .layernorm, skip: .every(n), depth: 7), maxRows: 6, seed: 4)
            check(network, Problem(rows: 6))
        }
    }

    /// Frozen layers get no gradient, the layers above them still get the right one, and a
    /// partial network (a progressive stage) back-propagates through its own layers only.
    func testFrozenLayersAndPartialDepth() {
        let network = Network(architecture(.sigmoid, .batchnorm, skip: .seed, depth: 7), maxRows: 6, seed: 5)
        network.setActiveDepth(4)
        for k in 1...2 { network.setFrozen(true, hiddenLayer: k) }
        for p in network.parameters { p.grad.fill(0) }
        check(network, Problem(rows: 6))
        let frozen = network.parameters.filter(\.isFrozen)
        XCTAssertEqual(frozen.count, 8)   // 2 layers x (weight, bias, scale, shift)
        XCTAssertTrue(frozen.allSatisfy { $0.grad.activeValues.allSatisfy { $0 == 0 } })
    }

    func testBatchNormRunningStatisticsFollowPyTorch() {
        let bn = BatchNorm(features: 2, maxRows: 4, name: "bn")
        let x = Matrix(rows: 4, cols: 2, values: [1, 10, 2, 20, 3, 30, 6, 40])
        var y = Matrix(rows: 4, cols: 2)
        bn.forward(x, into: &y, training: true)
        // mean (3, 25); unbiased variance (4.6667, 166.667); momentum 0.1
        XCTAssertEqual(bn.runningMean[0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean[1], 2.5, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar[0], 0.9 + 0.1 * 14 / 3, accuracy: 1e-5)
        XCTAssertEqual(bn.runningVar[1], 0.9 + 0.1 * 500 / 3, accuracy: 1e-4)
        // Training output: zero mean and unit (biased) variance per feature.
        let column0 = (0..<4).map { y[$0, 0] }
        XCTAssertEqual(column0.reduce(0, +), 0, accuracy: 1e-5)
        XCTAssertEqual(column0.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-3)
    }

    func testStandardizeMatchesTheSeedFormula() {
        let layer = Standardize(features: 3, maxRows: 2)
        let values: [Float] = [1, 2, 3, 4, 5, 9]
        var y = Matrix(rows: 2, cols: 3)
        layer.forward(Matrix(rows: 2, cols: 3, values: values), into: &y, training: true)
        let mean = values.reduce(0, +) / 6
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()  // unbiased, as torch.std
        for i in 0..<6 { XCTAssertEqual(y.storage[i], (values[i] - mean) / (std + Standardize.eps), accuracy: 1e-6) }
    }

    func testFastExpIsAccurate() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            worst = max(worst, abs(fastExp(x) - expf(x)) / expf(x))
            x += 0.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp(-1000), fastExp(-87.3))
        XCTAssertTrue(fastExp(1000).isFinite)
    }

    /// Sigmoid, tanh and SiLU run in C clones for AVX-512, AVX2 or baseline (CKernels); the
    /// clone this CPU picks must give exactly the bits of the Swift `fastExp` formulas, at
    /// the clamps, the extremes, NaN, and 1,000 values across the range (so the 16-lane
    /// body and the tail both run).
    func testExpActivationsGiveTheBitsOfFastExp() {
        var rng = Xoshiro256(seed: 3)
        var z: [Float] = [-1000, -88.3, -87.3, -44, -20, -1e-3, 0, -0, 1e-30, 0.5, 20, 44, 87.3, 88.3, 1000,
                          .infinity, -.infinity, .nan]
        z += (0..<1000).map { _ in Float(rng.nextUnitDouble() * 60 - 30) }
        let formulas: [(Activation, (Float) -> Float)] = [
            (.sigmoid, { 1 / (1 + fastExp(-$0)) }),
            (.tanh, { 1 - 2 / (fastExp(2 * $0) + 1) }),
            (.silu, { $0 / (1 + fastExp(-$0)) }),
        ]
        for (activation, formula) in formulas {
            var a = [Float](repeating: 0, count: z.count)
            z.withUnsafeBufferPointer { pz in
                a.withUnsafeMutableBufferPointer { activation.forward(pz.baseAddress!, $0.baseAddress!, count: z.count) }
            }
            for (x, got) in zip(z, a) {
                let want = formula(x)
                XCTAssertTrue(got.bitPattern == want.bitPattern || (got.isNaN && want.isNaN),
                              "\(activation)(\(x)) = \(got), fastExp formula gives \(want)")
            }
        }
    }

    func testActivationDerivativesMatchFiniteDifferences() {
        for activation in Activation.allCases {
            for z: Float in [-3, -0.7, -0.05, 0.05, 0.4, 2.5] {
                var a: Float = 0, ap: Float = 0, am: Float = 0
                var zp = z + 1e-3, zm = z - 1e-3, zz = z
                activation.forward(&zz, &a, count: 1)
                activation.forward(&zp, &ap, count: 1)
                activation.forward(&zm, &am, count: 1)
                let numeric = (ap - am) / 2e-3
                XCTAssertEqual(activation.derivative(z: z, a: a), numeric, accuracy: 2e-3 * max(1, abs(numeric)),
                               "\(activation) at \(z)")
            }
        }
    }
}
