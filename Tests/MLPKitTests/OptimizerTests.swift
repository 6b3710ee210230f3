import XCTest
@testable import MLPKit

/// Each update rule against the same step computed by hand in Double, following PyTorch's
/// documented algorithms, over two steps (so the state is exercised) and 11 values (so the
/// eight-lane loop and its tail both run).
final class OptimizerTests: XCTestCase {
    let w0: [Double] = [0.5, -0.25, 1.5, -2, 0.125, 0.75, -0.5, 3, -1, 0.3, 0.01]
    let grads: [[Double]] = [
        [0.1, -0.2, 0.05, 0.4, -0.3, 0.02, 0.6, -0.1, 0.25, -0.05, 1.0],
        [-0.3, 0.1, 0.2, -0.1, 0.05, 0.5, -0.4, 0.3, 0.0, 0.15, -0.7],
    ]
    let lr = 0.05, mu = 0.9, wd = 0.01, b1 = 0.9, b2 = 0.999

    /// Runs two steps of `kind` and returns the weights.
    func run(_ kind: OptimizerKind) -> [Float] {
        let p = Parameter(name: "p", rows: 1, cols: w0.count)
        p.value = Matrix(rows: 1, cols: w0.count, values: w0.map(Float.init))
        var settings = OptimizerSettings()
        settings.kind = kind
        settings.momentum = Float(mu)
        settings.weightDecay = Float(wd)
        let optimizer = Optimizer(settings, parameters: [p])
        for g in grads {
            p.grad = Matrix(rows: 1, cols: g.count, values: g.map(Float.init))
            optimizer.step(lr: Float(lr))
        }
        return p.value.activeValues
    }

    /// The reference: element-wise, two steps, in Double.
    func expected(_ kind: OptimizerKind) -> [Double] {
        w0.indices.map { i in
            var w = w0[i], m = 0.0, v = 0.0
            for (t, gs) in grads.enumerated() {
                let step = Double(t + 1)
                var g = gs[i]
                switch kind {
                case .sgd:
                    w -= lr * (g + wd * w)
                case .momentum, .nesterov:
                    g += wd * w
                    m = t == 0 ? g : mu * m + g
                    w -= lr * (kind == .nesterov ? g + mu * m : m)
                case .adam, .adamw:
                    if kind == .adamw { w *= 1 - lr * wd } else { g += wd * w }
                    m = b1 * m + (1 - b1) * g
                    v = b2 * v + (1 - b2) * g * g
                    let mHat = m / (1 - pow(b1, step)), vHat = v / (1 - pow(b2, step))
                    w -= lr * mHat / (vHat.squareRoot() + 1e-8)
                case .rmsprop:
                    g += wd * w
                    v = 0.99 * v + 0.01 * g * g
                    w -= lr * g / (v.squareRoot() + 1e-8)
                case .adagrad:
                    g += wd * w
                    v += g * g
                    w -= lr * g / (v.squareRoot() + 1e-10)
                }
            }
            return w
        }
    }

    func testEveryRuleMatchesItsHandComputedStep() {
        for kind in OptimizerKind.allCases {
            let got = run(kind), want = expected(kind)
            for i in want.indices {
                XCTAssertEqual(Double(got[i]), want[i], accuracy: 2e-6 * max(1, abs(want[i])), "\(kind) [\(i)]")
            }
        }
    }

    func testFrozenParametersDoNotMove() {
        let p = Parameter(name: "p", rows: 1, cols: 3)
        p.value = Matrix(rows: 1, cols: 3, values: [1, 2, 3])
        p.grad = Matrix(rows: 1, cols: 3, values: [1, 1, 1])
        p.isFrozen = true
        let optimizer = Optimizer(OptimizerSettings(), parameters: [p])
        optimizer.step(lr: 0.1)
        XCTAssertEqual(p.value.activeValues, [1, 2, 3])
        XCTAssertEqual(optimizer.statistics[0].updateSquared, 0)
    }

    func testGradientClippingScalesToTheGlobalNorm() {
        let a = Parameter(name: "a", rows: 1, cols: 2), b = Parameter(name: "b", rows: 1, cols: 1)
        a.grad = Matrix(rows: 1, cols: 2, values: [3, 0])
        b.grad = Matrix(rows: 1, cols: 1, values: [4])     // global norm 5
        let optimizer = Optimizer(OptimizerSettings(), parameters: [a, b])
        XCTAssertEqual(optimizer.gradientNorm(), 5, accuracy: 1e-6)
        optimizer.step(lr: 1, clipNorm: 1)                 // gradients scaled by 1/5
        XCTAssertEqual(a.value[0, 0], -0.6, accuracy: 1e-5)
        XCTAssertEqual(b.value[0, 0], -0.8, accuracy: 1e-5)
    }

    func testStepStatisticsMeasureTheUpdate() {
        let p = Parameter(name: "p", rows: 1, cols: 9)
        p.value = Matrix(rows: 1, cols: 9, values: Array(repeating: 1, count: 9))
        p.grad = Matrix(rows: 1, cols: 9, values: Array(repeating: 2, count: 9))
        let optimizer = Optimizer(OptimizerSettings(), parameters: [p])
        optimizer.step(lr: 0.1)
        let s = optimizer.statistics[0]
        XCTAssertEqual(s.gradSquared, 36, accuracy: 1e-4)            // 9 x 2²
        XCTAssertEqual(s.updateSquared, 9 * 0.04, accuracy: 1e-5)    // 9 x 0.2²
        XCTAssertEqual(s.valueSquared, 9 * 0.64, accuracy: 1e-4)     // 9 x 0.8²
    }

    func testLearningRateSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant.rate(base: 0.1, epoch: 50), 0.1)
        let step = LearningRateSchedule.step(every: 10, gamma: 0.5)
        XCTAssertEqual(step.rate(base: 0.1, epoch: 9), 0.1, accuracy: 1e-9)
        XCTAssertEqual(step.rate(base: 0.1, epoch: 10), 0.05, accuracy: 1e-9)
        XCTAssertEqual(step.rate(base: 0.1, epoch: 25), 0.025, accuracy: 1e-9)
        let cosine = LearningRateSchedule.cosine(epochs: 10)
        XCTAssertEqual(cosine.rate(base: 0.1, epoch: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.rate(base: 0.1, epoch: 5), 0.05, accuracy: 1e-7)
    }
}
