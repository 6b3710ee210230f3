@testable import SweepSearch
import XCTest

/// The numbers of Optuna 5.0.0 (`_ParzenEstimator.log_pdf`, `_truncnorm`, `default_gamma`,
/// `default_weights`), computed there once and written down here: our estimator must give the
/// same densities, which checks the bandwidths, the magic clip, the endpoints rule, the prior,
/// the weights and the grid cells at once.
final class OptunaParityTests: XCTestCase {
    let parameters = ParzenEstimator.Parameters(priorWeight: 1, magicClip: true, endpoints: false)

    /// x, lr (log), n (int), w (int, log), d (step 0.05), c (4 choices); five observations.
    let space = try! SearchSpace([
        .float(low: 0, high: 1, log: false, step: nil), .float(low: 1e-5, high: 1, log: true, step: nil),
        .int(low: 1, high: 100, log: false), .int(low: 8, high: 1024, log: true),
        .float(low: 0, high: 0.5, log: false, step: 0.05), .categorical(count: 4, weights: nil),
    ])
    let observations: [[Double]] = [
        [0.1, 1e-3, 3, 8, 0.0, 0], [0.35, 2e-2, 50, 64, 0.1, 1], [0.36, 1e-5, 51, 100, 0.1, 1],
        [0.9, 0.5, 100, 1024, 0.5, 3], [0.5, 3e-4, 7, 300, 0.25, 2],
    ]
    let points: [[Double]] = [
        [0.0, 1e-5, 1, 8, 0.0, 0], [0.3, 1e-2, 50, 70, 0.1, 1], [0.95, 0.7, 99, 512, 0.45, 2],
        [1.0, 1.0, 100, 1024, 0.5, 3],
    ]

    func assertClose(_ got: [Double], _ want: [Double], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, message, file: file, line: line)
        for (g, w) in zip(got, want) {
            XCTAssertEqual(g, w, accuracy: 1e-10 * Swift.max(1, Swift.abs(w)), message, file: file, line: line)
        }
    }

    func testTheJointEstimatorMatchesOptuna() {
        let pe = ParzenEstimator(
            observations: observations, axes: space.axes, observationWeights: [1, 1, 1, 1, 1], parameters: parameters)
        assertClose(points.map(pe.logPDF), [-11.629710355186543, -14.799354784574788, -17.8747888954877, -16.54213592703476], "joint")
        let prior = ParzenEstimator(observations: [], axes: space.axes, observationWeights: [], parameters: parameters)
        assertClose(points.map(prior.logPDF), [-14.893621062644586, -16.532701970473806, -18.91866187826323, -19.753168035098028], "prior only")
    }

    func testEachDimensionsEstimatorMatchesOptuna() {
        let want: [[Double]] = [
            [-0.25403986592636474, 0.3761344874380401, -0.5660827810936656, -0.6255246669330009],
            [-2.5824632582956197, -2.3921362043752556, -2.725325547846796, -2.777074805242499],
            [-4.197324656545156, -4.6918631006452, -4.972872846226438, -4.983546843968854],
            [-4.150932820609837, -5.784620607984634, -7.6701126380431015, -8.50798177682666],
            [-2.051651418222757, -1.9970332687768262, -2.9020456948482902, -2.9648323880939147],
            [-1.4916548767777171, -1.1239300966523997, -1.4916548767777171, -1.4916548767777171],
        ]
        for d in 0..<6 {
            let pe = ParzenEstimator(
                observations: observations.map { [$0[d]] }, axes: [space.axes[d]], observationWeights: [1, 1, 1, 1, 1],
                parameters: parameters)
            assertClose(points.map { pe.logPDF([$0[d]]) }, want[d], "dimension \(d)")
        }
    }

    /// 30 and 120 observations: the old ones fade (`default_weights`), and at 120 the magic
    /// clip's divisor reaches its cap of 100.
    func testManyObservationsMatchOptuna() throws {
        let line = try SearchSpace([.float(low: 0, high: 1, log: false, step: nil)])
        let want: [Int: [Double]] = [
            30: [1.2696835187648488, 1.2815454709824274, -0.07635069976012598, -0.17889706155599705, -0.965288176860063],
            120: [1.9009212904524901, 1.9360639645135, -0.09122975337986827, -0.2020437128799989, -0.9098273904358711],
        ]
        for (n, expected) in want {
            let obs = (0..<n).map { i -> [Double] in
                let v = (Double(i) * 0.6180339887).truncatingRemainder(dividingBy: 1)
                return [v * v]
            }
            let pe = ParzenEstimator(
                observations: obs, axes: line.axes, observationWeights: TPESampler.defaultWeights(n), parameters: parameters)
            assertClose([0.0, 0.001, 0.25, 0.5, 0.99].map { pe.logPDF([$0]) }, expected, "\(n) observations")
        }
    }

    func testGammaAndWeightsAreOptunasDefaults() {
        XCTAssertEqual([0, 1, 9, 10, 11, 30, 70, 250, 260, 1000].map(TPESampler.defaultGamma), [0, 1, 1, 1, 2, 3, 7, 25, 25, 25])
        XCTAssertEqual(TPESampler.defaultWeights(0), [])
        XCTAssertEqual(TPESampler.defaultWeights(24), Array(repeating: 1, count: 24))
        let w = TPESampler.defaultWeights(30)
        assertClose(Array(w[..<5]), [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0], "ramp")
        XCTAssertEqual(Array(w[5...]), Array(repeating: 1, count: 25))
    }

    func testTheTruncatedNormalMatchesOptuna() {
        let masses: [(Double, Double, Double)] = [
            (-100, 100, -0.0), (-3, -1, -1.8495664205476083), (1, 4, -1.8412212879622922),
            (-50, -40, -804.6084420137538), (40, 60, -804.6084420137538), (-0.1, 0.2, -2.1278963696652227),
        ]
        for (a, b, m) in masses {
            XCTAssertEqual(TruncatedNormal.logMass(a, b), m, accuracy: 1e-12 * Swift.max(1, Swift.abs(m)), "[\(a), \(b)]")
        }
        let quantiles: [(Double, Double, Double, Double)] = [
            (1e-06, -100, 100, -4.7534243088229), (0.3, -3, -1, -1.6591627097176602), (0.77, 1, 4, 1.7926419725008844),
            (0.5, -50, -40, -40.017314126764646), (0.999, 40, 60, 40.17221588247908),
            (0.01, -0.1, 0.2, -0.09700040052170072),
        ]
        for (q, a, b, z) in quantiles {
            XCTAssertEqual(TruncatedNormal.quantile(q, a: a, b: b), z, accuracy: 1e-10 * Swift.max(1, Swift.abs(z)), "q \(q) on [\(a), \(b)]")
        }
    }

    /// The quantile inverts the distribution function across the whole range kernels meet.
    func testTheQuantileInvertsTheDistributionFunction() {
        for (a, b) in [(-100.0, 100.0), (-3, -1), (1, 4), (-50, -40), (40, 60), (-0.1, 0.2), (-90, 0.5), (-1, 80)] {
            for q in [1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9] {
                let z = TruncatedNormal.quantile(q, a: a, b: b)
                XCTAssertTrue(z >= a && z <= b)
                // The mass below z, over the whole mass, is q.
                let below = exp(TruncatedNormal.logMass(a, z) - TruncatedNormal.logMass(a, b))
                XCTAssertEqual(below, q, accuracy: 1e-9 * Swift.max(q, 1e-3), "q \(q) on [\(a), \(b)]")
            }
        }
    }
}
