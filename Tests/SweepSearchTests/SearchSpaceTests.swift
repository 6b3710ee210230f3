import SweepSearch
import XCTest

/// Every kind of dimension: answers within bounds, on the grid, of the right kind; prior
/// weights honoured; bad dimensions refused with their index.
final class SearchSpaceTests: XCTestCase {
    let every: [SearchDimension] = [
        .categorical(count: 5, weights: nil), .categorical(count: 3, weights: [1, 0, 2]),
        .int(low: -5, high: 5, log: false), .int(low: 1, high: 4096, log: true),
        .float(low: -2, high: 3, log: false, step: nil), .float(low: 1e-6, high: 1e-1, log: true, step: nil),
        .float(low: 0, high: 1, log: false, step: 0.3), .float(low: 0.01, high: 1, log: true, step: 0.01),
        .float(low: 0.1, high: 1.0, log: false, step: 0.3),
    ]

    /// 60 trials of random and of TPE (so both phases) on a loss that pulls every dimension
    /// towards its upper end, where clipping would show.
    func runs() -> [[SearchValue]] {
        let o = Objective(name: "toward the top", dimensions: every) { v in -v.map(number).reduce(0, +) }
        return (1...3).flatMap { seed in
            o.runTPE(60, seed: seed).map(\.values) + o.runRandom(60, seed: seed).map(\.values)
        }
    }

    func testEveryAnswerIsWithinBoundsAndOfItsKind() throws {
        let space = try SearchSpace(every)
        for v in runs() {
            XCTAssertTrue(space.contains(v), "\(v)")
            guard case let .index(c) = v[1], case let .int(n) = v[2], case let .int(m) = v[3],
                case let .float(x) = v[4], case let .float(y) = v[5]
            else { return XCTFail("\(v)") }
            XCTAssertNotEqual(c, 1, "a choice of weight zero")
            XCTAssertTrue((-5...5).contains(n) && (1...4096).contains(m))
            XCTAssertTrue((-2...3).contains(x) && (1e-6...1e-1).contains(y))
        }
    }

    func testQuantizedFloatsLandOnTheGrid() {
        func onGrid(_ v: SearchValue, low: Double, step: Double, high: Double) -> Bool {
            guard case let .float(x) = v else { return false }
            let k = (x - low) / step
            return Swift.abs(k - k.rounded()) < 1e-9 && x >= low && x <= high
        }
        var seen = Set<Double>()
        for v in runs() {
            XCTAssertTrue(onGrid(v[6], low: 0, step: 0.3, high: 0.9), "\(v[6]): 1 is off the grid, so 0.9 is the top")
            XCTAssertTrue(onGrid(v[7], low: 0.01, step: 0.01, high: 1), "\(v[7])")
            XCTAssertTrue(onGrid(v[8], low: 0.1, step: 0.3, high: 1), "\(v[8]): 0.1 + 3 * 0.3 is 1 up to rounding")
            if case let .float(x) = v[6] { seen.insert((x * 10).rounded()) }
        }
        XCTAssertEqual(seen, [0, 3, 6, 9], "every grid point of [0, 1] step 0.3, the ends included")
    }

    /// The startup draws a categorical by its weights: 4,000 draws within 2.5 points of each
    /// probability, and never a choice of weight zero.
    func testTheStartupHonoursCategoricalWeights() throws {
        let random = try RandomSampler(dimensions: [.categorical(count: 4, weights: [1, 0, 3, 6])], seed: 11)
        var counts = [0, 0, 0, 0]
        for i in 0..<4000 {
            guard case let .index(c) = random.suggest(index: i)[0] else { return XCTFail() }
            counts[c] += 1
        }
        XCTAssertEqual(counts[1], 0)
        for (c, p) in [(0, 0.1), (2, 0.3), (3, 0.6)] {
            XCTAssertEqual(Double(counts[c]) / 4000, p, accuracy: 0.025, "choice \(c): \(counts)")
        }
    }

    /// Log-scaled dimensions are uniform over orders of magnitude: as many draws in
    /// [1e-6, 1e-5) as in [1e-2, 1e-1).
    func testTheStartupIsLogUniformOnLogDimensions() throws {
        let random = try RandomSampler(dimensions: [.float(low: 1e-6, high: 1e-1, log: true, step: nil)], seed: 12)
        var low = 0, high = 0
        for i in 0..<5000 {
            guard case let .float(x) = random.suggest(index: i)[0] else { return XCTFail() }
            if x < 1e-5 { low += 1 } else if x >= 1e-2 { high += 1 }
        }
        XCTAssertEqual(Double(low) / 5000, 0.2, accuracy: 0.025)
        XCTAssertEqual(Double(high) / 5000, 0.2, accuracy: 0.025)
    }

    /// Each integer of a small range, the ends included, is equally likely at the startup.
    func testTheStartupGivesEveryIntegerTheSameChanceEndsIncluded() throws {
        let random = try RandomSampler(dimensions: [.int(low: 1, high: 4, log: false)], seed: 13)
        var counts = [Int: Int]()
        for i in 0..<4000 {
            guard case let .int(n) = random.suggest(index: i)[0] else { return XCTFail() }
            counts[n, default: 0] += 1
        }
        XCTAssertEqual(Set(counts.keys), [1, 2, 3, 4])
        for (n, c) in counts { XCTAssertEqual(Double(c) / 4000, 0.25, accuracy: 0.025, "\(n)") }
    }

    func testBadDimensionsAreRefusedWithTheirIndex() {
        let bad: [(SearchDimension, String)] = [
            (.categorical(count: 0, weights: nil), "at least one choice"),
            (.categorical(count: 2, weights: [1]), "1 weights for 2 choices"),
            (.categorical(count: 2, weights: [1, -1]), "finite and >= 0"),
            (.categorical(count: 2, weights: [0, 0]), "sum to zero"),
            (.int(low: 3, high: 2, log: false), "low 3 > high 2"),
            (.int(low: 0, high: 2, log: true), "low >= 1"),
            (.float(low: 0, high: .infinity, log: false, step: nil), "finite"),
            (.float(low: 0, high: 1, log: true, step: nil), "low > 0"),
            (.float(low: 0, high: 1, log: false, step: 0), "step must be finite and > 0"),
            (.float(low: 0.001, high: 1, log: true, step: 0.01), "low > step / 2"),
        ]
        for (d, reason) in bad {
            XCTAssertThrowsError(try SearchSpace([.int(low: 0, high: 1, log: false), d])) { error in
                guard let e = error as? SearchSpaceError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.dimension, 1)
                XCTAssertTrue(e.reason.contains(reason), "\(e.reason) lacks \(reason)")
            }
        }
    }
}
