import SweepSearch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Known objectives, and sequential runs of a sampler on them: what the comparison tests (and
/// benchmarks/TPEBench, benchmarks/tpe_vs_optuna.py) measure.
struct Objective: Sendable {
    let name: String
    let dimensions: [SearchDimension]
    let f: @Sendable ([SearchValue]) -> Double

    /// Ten choices; choice 7 is clearly best (0), the others between 0.55 and 1.
    static let categoryLoss = [0.9, 0.6, 1.0, 0.7, 0.8, 0.55, 0.95, 0.0, 0.65, 0.75]

    static let quadratic = Objective(name: "(x - 0.3)^2", dimensions: [.float(low: 0, high: 1, log: false, step: nil)]) {
        let x = number($0[0]); return (x - 0.3) * (x - 0.3)
    }
    static let logLearningRate = Objective(
        name: "(log10 lr + 2)^2", dimensions: [.float(low: 1e-5, high: 1, log: true, step: nil)]
    ) {
        let e = log10(number($0[0])) + 2; return e * e
    }
    static let integer = Objective(name: "|n - 137|", dimensions: [.int(low: 1, high: 1000, log: false)]) {
        Swift.abs(number($0[0]) - 137)
    }
    static let logInteger = Objective(
        name: "(log2 width - log2 200)^2", dimensions: [.int(low: 8, high: 1024, log: true)]
    ) {
        let e = log2(number($0[0])) - log2(200); return e * e
    }
    static let categorical = Objective(name: "category", dimensions: [.categorical(count: 10, weights: nil)]) {
        categoryLoss[Int(number($0[0]))]
    }

    /// Trials 0..<n in order, each finished before the next is asked for.
    func run(_ n: Int, _ suggest: (Int, [Observation]) -> [SearchValue]) -> [Observation] {
        var history: [Observation] = []
        for i in 0..<n {
            let v = suggest(i, history)
            history.append(Observation(values: v, objective: f(v)))
        }
        return history
    }

    func runTPE(_ n: Int, seed: UInt64, settings: TPESampler.Settings = .init()) -> [Observation] {
        let tpe = try! TPESampler(dimensions: dimensions, goal: .minimize, seed: seed, settings: settings)
        return run(n) { tpe.suggest(index: $0, history: $1) }
    }

    func runRandom(_ n: Int, seed: UInt64) -> [Observation] {
        let random = try! RandomSampler(dimensions: dimensions, seed: seed)
        return run(n) { i, _ in random.suggest(index: i) }
    }
}

func number(_ v: SearchValue) -> Double {
    switch v {
    case let .float(x): return x
    case let .int(n): return Double(n)
    case let .index(i): return Double(i)
    }
}

func best(_ h: [Observation]) -> Double { h.compactMap(\.objective).min()! }

func median(_ a: [Double]) -> Double {
    let s = a.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
