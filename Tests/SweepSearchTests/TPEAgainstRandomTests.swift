import SweepSearch
import XCTest

/// TPE against random search on known objectives, 20 seeds each, 40 trials (10 of them the
/// shared random startup, so that a seed whose startup is lucky ties). The thresholds sit well
/// inside what was measured (in the comments), so that a change of random streams does not
/// flip them; the figures are in benchmarks/tpe_vs_optuna.py's table, beside Optuna's.
final class TPEAgainstRandomTests: XCTestCase {
    let seeds = (1...20).map(UInt64.init)
    let trials = 40

    /// Per objective: TPE's best is worse than random's on few seeds, the mean best is several
    /// times better, and the median trial after the startup is better on nearly every seed
    /// (TPE concentrates where random keeps spreading).
    func compare(_ o: Objective, file: StaticString = #filePath, line: UInt = #line) {
        var worse = 0, better = 0, medianBetter = 0
        var tpeBest: [Double] = [], randomBest: [Double] = []
        for seed in seeds {
            let t = o.runTPE(trials, seed: seed), r = o.runRandom(trials, seed: seed)
            tpeBest.append(best(t))
            randomBest.append(best(r))
            if best(t) > best(r) { worse += 1 }
            if best(t) < best(r) { better += 1 }
            if median(t[10...].compactMap(\.objective)) < median(r[10...].compactMap(\.objective)) { medianBetter += 1 }
        }
        let ratio = randomBest.reduce(0, +) / tpeBest.reduce(0, +)
        let summary = "\(o.name): TPE better on \(better), worse on \(worse) of \(seeds.count); mean best random / TPE = \(ratio)"
        XCTAssertGreaterThanOrEqual(better, 12, summary, file: file, line: line)
        XCTAssertLessThanOrEqual(worse, 6, summary, file: file, line: line)
        XCTAssertGreaterThanOrEqual(ratio, 2, summary, file: file, line: line)
        XCTAssertGreaterThanOrEqual(medianBetter, 18, summary, file: file, line: line)
    }

    /// Measured: better 16, worse 3, ratio 13, median better 20.
    func testTPEBeatsRandomOnAQuadratic() { compare(.quadratic) }

    /// Measured: better 16, worse 1, ratio 23, median better 20.
    func testTPEBeatsRandomOnALogScaledLearningRate() { compare(.logLearningRate) }

    /// Measured: better 16, worse 3, ratio 4.3, median better 20.
    func testTPEBeatsRandomOnAnInteger() { compare(.integer) }

    /// Measured: better 15, worse 2, ratio 23, median better 20.
    func testTPEBeatsRandomOnALogScaledInteger() { compare(.logInteger) }

    /// One category of ten is clearly best. Both samplers find it (the best after N ties), so
    /// the measure is how often it is tried after the startup: TPE several times as often as
    /// random's one in ten. (Not every time: with many trials tied at the best value only
    /// gamma(n) of them count as good, the rest raise g(x) there too, as in Optuna.)
    /// Measured over 10 seeds: TPE 94 of 200, random 24; TPE at least 7 of 20 on every seed.
    func testTPEPicksTheClearlyBestCategoryFarMoreOftenThanRandom() {
        let o = Objective.categorical
        var tpeHits = 0, randomHits = 0, seedsAtLeastFive = 0
        for seed in UInt64(1)...10 {
            let t = o.runTPE(30, seed: seed).dropFirst(10).filter { $0.values == [.index(7)] }.count
            tpeHits += t
            randomHits += o.runRandom(30, seed: seed).dropFirst(10).filter { $0.values == [.index(7)] }.count
            if t >= 5 { seedsAtLeastFive += 1 }
        }
        XCTAssertGreaterThanOrEqual(tpeHits, 2 * randomHits, "TPE \(tpeHits), random \(randomHits)")
        XCTAssertGreaterThanOrEqual(tpeHits, 60)
        XCTAssertGreaterThanOrEqual(seedsAtLeastFive, 8)
    }

    /// The same with the dimensions modelled one by one (Optuna's default before 5), on two
    /// dimensions at once. Measured: better on 17 of 20 (multivariate: 15).
    func testUnivariateTPEAlsoBeatsRandom() {
        var settings = TPESampler.Settings()
        settings.multivariate = false
        let o = Objective(
            name: "(x - 0.3)^2 + (log10 lr + 2)^2",
            dimensions: Objective.quadratic.dimensions + Objective.logLearningRate.dimensions
        ) { Objective.quadratic.f([$0[0]]) + Objective.logLearningRate.f([$0[1]]) }
        var better = 0
        for seed in seeds where best(o.runTPE(trials, seed: seed, settings: settings)) < best(o.runRandom(trials, seed: seed)) {
            better += 1
        }
        XCTAssertGreaterThanOrEqual(better, 14)
    }
}
