@testable import SweepSearch
import XCTest

/// What the sampler promises besides finding good values: determinism, the startup, the
/// constant liar, failed trials, the goal, and histories it cannot use.
final class TPESamplerTests: XCTestCase {
    let mixed: [SearchDimension] = [
        .float(low: 1e-5, high: 1, log: true, step: nil), .int(low: 8, high: 1024, log: true),
        .float(low: 0, high: 0.5, log: false, step: 0.05), .categorical(count: 4, weights: nil),
        .int(low: -3, high: 3, log: false),
    ]

    /// A made-up loss over `mixed`, smooth enough for TPE to follow.
    static func mixedLoss(_ v: [SearchValue]) -> Double {
        let lr = log10(number(v[0])) + 2.5, width = (log2(number(v[1])) - 8) / 2
        return lr * lr + width * width + Swift.abs(number(v[2]) - 0.2) + [0.3, 0, 0.5, 0.2][Int(number(v[3]))]
            + Swift.abs(number(v[4])) / 10
    }

    func sequence(seed: UInt64, _ n: Int = 40, settings: TPESampler.Settings = .init()) -> [[SearchValue]] {
        Objective(name: "mixed", dimensions: mixed, f: Self.mixedLoss).runTPE(n, seed: seed, settings: settings).map(\.values)
    }

    func testTheSameSeedGivesTheSameSequence() {
        XCTAssertEqual(sequence(seed: 7), sequence(seed: 7))
        var univariate = TPESampler.Settings()
        univariate.multivariate = false
        XCTAssertEqual(sequence(seed: 7, settings: univariate), sequence(seed: 7, settings: univariate))
    }

    func testDifferentSeedsGiveDifferentSequences() {
        let a = sequence(seed: 7), b = sequence(seed: 8)
        XCTAssertNotEqual(a[0], b[0])
        XCTAssertNotEqual(Array(a[10...]), Array(b[10...]))
    }

    /// A restarted coordinator asks again for trial i with the history it has: the answer is the
    /// one it got before, whatever it asked in between, in whatever order.
    func testASuggestionDependsOnlyOnSeedIndexAndHistory() {
        let run = Objective(name: "mixed", dimensions: mixed, f: Self.mixedLoss).runTPE(30, seed: 3)
        let tpe = try! TPESampler(dimensions: mixed, goal: .minimize, seed: 3)
        for i in [29, 4, 17, 10, 0] {
            XCTAssertEqual(tpe.suggest(index: i, history: Array(run[..<i])), run[i].values, "trial \(i)")
        }
    }

    /// Pinned values for seed 42, so that a change of streams or of the algorithm, which would
    /// change what a restarted coordinator hands out mid-sweep, is noticed. (Floats compared to
    /// 1e-9: another libm may differ in the last bit of exp or log.)
    func testTheSequenceOfSeed42IsPinned() {
        let s = sequence(seed: 42, 12)
        let expected: [[SearchValue]] = PinnedSequence.seed42
        XCTAssertEqual(s.count, expected.count)
        for (i, (got, want)) in zip(s, expected).enumerated() {
            for (g, w) in zip(got, want) {
                if case let .float(x) = g, case let .float(y) = w {
                    XCTAssertEqual(x, y, accuracy: 1e-9 * Swift.max(1, Swift.abs(y)), "trial \(i)")
                } else {
                    XCTAssertEqual(g, w, "trial \(i)")
                }
            }
        }
    }

    /// Until 10 trials have finished TPE answers what the random sampler answers; trials in
    /// flight do not count as finished.
    func testStartupTrialsAreTheRandomSamplersAndPendingOnesDoNotCount() {
        let o = Objective(name: "mixed", dimensions: mixed, f: Self.mixedLoss)
        let tpe = try! TPESampler(dimensions: mixed, goal: .minimize, seed: 5)
        let random = try! RandomSampler(dimensions: mixed, seed: 5)
        let run = o.runTPE(12, seed: 5)
        for i in 0..<10 { XCTAssertEqual(run[i].values, random.suggest(index: i), "trial \(i)") }
        XCTAssertNotEqual(run[10].values, random.suggest(index: 10), "trial 10 is TPE's")
        // Nine finished and three pending: still the startup.
        let history = Array(run[..<9]) + (9..<12).map { Observation.pending(random.suggest(index: $0)) }
        XCTAssertEqual(tpe.suggest(index: 12, history: history), random.suggest(index: 12))
    }

    /// Four idle workers ask at once, each seeing the earlier ones' trials pending. With the
    /// constant liar the pending trials count as the worst, so each worker is sent somewhere
    /// else; without it they are ignored, so (for the same trial index) all four get the same.
    func testWithTheConstantLiarPendingTrialsChangeTheSuggestion() {
        for liar in [true, false] {
            var settings = TPESampler.Settings()
            settings.constantLiar = liar
            let o = Objective.quadratic
            let tpe = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: 1, settings: settings)
            var history = o.runTPE(20, seed: 1, settings: settings)
            var answers: [[SearchValue]] = []
            for _ in 0..<4 {
                let v = tpe.suggest(index: 20, history: history)
                answers.append(v)
                history.append(.pending(v))
            }
            if liar {
                XCTAssertGreaterThan(Set(answers.map { number($0[0]) }).count, 1, "\(answers)")
            } else {
                XCTAssertEqual(Set(answers.map { number($0[0]) }).count, 1, "\(answers)")
            }
        }
    }

    /// The same four workers with their own trial numbers (20...23): the liar spreads them
    /// out. Measured mean distance between two of the four: 0.26 with the liar, 0.04 without;
    /// the liar's is larger on every one of 10 seeds.
    func testTheConstantLiarSpreadsParallelSuggestions() {
        func spread(seed: UInt64, liar: Bool) -> Double {
            var settings = TPESampler.Settings()
            settings.constantLiar = liar
            let o = Objective.quadratic
            let tpe = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: seed, settings: settings)
            var history = o.runTPE(20, seed: seed, settings: settings)
            var xs: [Double] = []
            for k in 0..<4 {
                let v = tpe.suggest(index: 20 + k, history: history)
                xs.append(number(v[0]))
                history.append(.pending(v))
            }
            var d = 0.0
            for i in 0..<4 { for j in 0..<i { d += Swift.abs(xs[i] - xs[j]) } }
            return d / 6
        }
        var wider = 0, withLiar = 0.0, without = 0.0
        for seed in UInt64(1)...10 {
            let a = spread(seed: seed, liar: true), b = spread(seed: seed, liar: false)
            if a > b { wider += 1 }
            withLiar += a
            without += b
        }
        XCTAssertGreaterThanOrEqual(wider, 9)
        XCTAssertGreaterThan(withLiar, 3 * without)
    }

    /// NaN (a failed trial) ranks after every number, +infinity included, and counts as
    /// finished; a pending trial goes to the bad side with the liar, nowhere without it.
    func testFailedTrialsRankWorstAndPendingOnesGoWithTheBad() throws {
        let space = try SearchSpace([.float(low: 0, high: 10, log: false, step: nil)])
        let history = [Double.nan, 3, .infinity, 1, 2, nil, 5].enumerated().map { i, y in
            Observation(values: [.float(Double(i))], objective: y)
        }
        let gamma: (Int) -> Int = { _ in 3 }
        let split = TrialSplit(history: history, space: space, goal: .minimize, gamma: gamma, constantLiar: true)
        XCTAssertEqual(split.finished, 6)
        XCTAssertEqual(split.below, [[1], [3], [4]])  // 3, 1 and 2, in trial order
        XCTAssertEqual(split.above, [[0], [2], [5], [6]])  // NaN, infinity, pending, 5
        let honest = TrialSplit(history: history, space: space, goal: .minimize, gamma: gamma, constantLiar: false)
        XCTAssertEqual(honest.above, [[0], [2], [6]])
        // Maximising: the largest finite values are good, NaN still the worst.
        let up = TrialSplit(history: history, space: space, goal: .maximize, gamma: { _ in 2 }, constantLiar: true)
        XCTAssertEqual(up.below, [[2], [6]])  // infinity and 5
        XCTAssertTrue(up.above.contains([0]))
    }

    /// Where the objective fails TPE learns to stay away, because failures rank worst and so
    /// raise g(x) there. Dropping them instead (as Optuna drops FAIL trials) leaves the failing
    /// region unobserved, where l(x)/g(x) is the ratio of the priors' shares, which favours it.
    /// Measured, of 300 trials after the startup (10 seeds x 30): one choice of five always
    /// fails, 28 vs 254 dropped; x > 0.6 fails, 39 vs 251 dropped.
    func testTPEAvoidsWhereTheObjectiveFails() {
        let cases: [(Objective, @Sendable ([SearchValue]) -> Bool)] = [
            (Objective(name: "choice 0 fails", dimensions: [.categorical(count: 5, weights: nil)]) {
                [Double.nan, 0.5, 0.2, 0.8, 0.4][Int(number($0[0]))]
            }, { $0[0] == .index(0) }),
            (Objective(name: "x > 0.6 fails", dimensions: [.float(low: 0, high: 1, log: false, step: nil)]) {
                let x = number($0[0]); return x > 0.6 ? .nan : (x - 0.4) * (x - 0.4)
            }, { number($0[0]) > 0.6 }),
        ]
        for (o, failing) in cases {
            var inFailing = 0, dropped = 0
            for seed in UInt64(1)...10 {
                let tpe = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: seed)
                inFailing += o.runTPE(40, seed: seed).dropFirst(10).filter { failing($0.values) }.count
                let blind = o.run(40) { i, h in tpe.suggest(index: i, history: h.filter { !$0.objective!.isNaN }) }
                dropped += blind.dropFirst(10).filter { failing($0.values) }.count
            }
            XCTAssertLessThan(inFailing, 60, "\(o.name): \(inFailing) of 300")
            XCTAssertLessThan(2 * inFailing, dropped, "\(o.name): \(inFailing), dropping failures \(dropped)")
        }
    }

    /// Maximising f is minimising -f: the same suggestions.
    func testMaximizingIsMinimizingTheNegation() {
        let history = Objective.quadratic.runTPE(25, seed: 9)
        let negated = history.map { Observation(values: $0.values, objective: $0.objective.map { -$0 }) }
        let down = try! TPESampler(dimensions: Objective.quadratic.dimensions, goal: .minimize, seed: 9)
        let up = try! TPESampler(dimensions: Objective.quadratic.dimensions, goal: .maximize, seed: 9)
        XCTAssertEqual(down.suggest(index: 25, history: history), up.suggest(index: 25, history: negated))
    }

    /// Rows that do not fit the space (another kind, out of bounds, too few values) are
    /// skipped, neither trapping nor counting.
    func testObservationsThatDoNotFitAreSkipped() {
        let o = Objective.quadratic
        let history = o.runTPE(15, seed: 2)
        let junk = [
            Observation(values: [.int(1)], objective: -100), Observation(values: [.float(2)], objective: -100),
            Observation(values: [], objective: -100), Observation(values: [.float(.nan)], objective: -100),
        ]
        let tpe = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: 2)
        XCTAssertFalse(junk.contains { tpe.space.contains($0.values) })
        // Appended after the good ones, they leave trial order and weights unchanged.
        XCTAssertEqual(tpe.suggest(index: 15, history: history + junk), tpe.suggest(index: 15, history: history))
        // Only 9 usable finished trials: still the startup.
        XCTAssertEqual(tpe.suggest(index: 9, history: Array(history[..<9]) + junk), tpe.random.suggest(index: 9))
    }

    /// Dimensions with a single value are answered without being modelled.
    func testSingleValuedDimensionsAreConstant() throws {
        let dims: [SearchDimension] = [
            .int(low: 4, high: 4, log: false), .categorical(count: 1, weights: nil),
            .float(low: 0.5, high: 0.5, log: true, step: nil), .float(low: 0, high: 1, log: false, step: nil),
        ]
        let o = Objective(name: "x", dimensions: dims) { number($0[3]) }
        for v in o.runTPE(20, seed: 4).map(\.values) {
            XCTAssertEqual(Array(v[..<3]), [.int(4), .index(0), .float(0.5)])
        }
    }
}
