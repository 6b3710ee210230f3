import SweepSearch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// TPE against random search on the objectives of Tests/SweepSearchTests (the same
// definitions, in benchmarks/tpe_vs_optuna.py too): the best value found after N sequential
// trials, per seed (1...20, or 1...N with `--seeds N`). `TPEBench` prints a line per objective;
// `TPEBench --json` one JSON line per seed, which benchmarks/tpe_vs_optuna.py reads to set
// Optuna's figures beside ours.

struct Objective {
    let name: String
    let dimensions: [SearchDimension]
    let trials: Int
    let f: ([SearchValue]) -> Double
}

func float(_ v: SearchValue) -> Double {
    switch v {
    case let .float(x): return x
    case let .int(n): return Double(n)
    case let .index(i): return Double(i)
    }
}

/// Ten choices; choice 7 is clearly best, the others between 0.5 and 1.
let categoryLoss = [0.9, 0.6, 1.0, 0.7, 0.8, 0.55, 0.95, 0.0, 0.65, 0.75]

let objectives: [Objective] = [
    Objective(name: "quadratic", dimensions: [.float(low: 0, high: 1, log: false, step: nil)], trials: 30) {
        let x = float($0[0]); return (x - 0.3) * (x - 0.3)
    },
    Objective(name: "log-lr", dimensions: [.float(low: 1e-5, high: 1, log: true, step: nil)], trials: 30) {
        let e = log10(float($0[0])) + 2; return e * e
    },
    Objective(name: "integer", dimensions: [.int(low: 1, high: 1000, log: false)], trials: 30) {
        abs(float($0[0]) - 137)
    },
    Objective(
        name: "categorical+x",
        dimensions: [.categorical(count: 10, weights: nil), .float(low: 0, high: 1, log: false, step: nil)],
        trials: 40
    ) {
        let x = float($0[1]); return categoryLoss[Int(float($0[0]))] + (x - 0.5) * (x - 0.5)
    },
    Objective(
        name: "mlp-like",
        dimensions: [
            .float(low: 1e-5, high: 1, log: true, step: nil), .int(low: 8, high: 1024, log: true),
            .float(low: 0, high: 0.5, log: false, step: 0.05), .categorical(count: 4, weights: nil),
        ],
        trials: 60
    ) {
        let lr = log10(float($0[0])) + 2.5, width = (log2(float($0[1])) - 8) / 2
        let dropout = (float($0[2]) - 0.2) * 3
        return lr * lr + width * width + dropout * dropout + [0.3, 0, 0.5, 0.2][Int(float($0[3]))]
    },
]

/// The best value after `trials` sequential trials of `suggest`.
func best(_ o: Objective, _ suggest: (Int, [Observation]) -> [SearchValue]) -> Double {
    var history: [Observation] = []
    for i in 0..<o.trials {
        let v = suggest(i, history)
        history.append(Observation(values: v, objective: o.f(v)))
    }
    return history.compactMap(\.objective).min()!
}

let arguments = CommandLine.arguments
let json = arguments.contains("--json")
let seedCount = arguments.firstIndex(of: "--seeds").flatMap { Int(arguments[$0 + 1]) } ?? 20
let seeds = (1...seedCount).map(UInt64.init)
var univariate = TPESampler.Settings()
univariate.multivariate = false
func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(a.count) }
func median(_ a: [Double]) -> Double {
    let s = a.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
for o in objectives {
    var tpe: [Double] = [], uni: [Double] = [], random: [Double] = []
    for seed in seeds {
        let t = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: seed)
        let u = try! TPESampler(dimensions: o.dimensions, goal: .minimize, seed: seed, settings: univariate)
        tpe.append(best(o) { t.suggest(index: $0, history: $1) })
        uni.append(best(o) { u.suggest(index: $0, history: $1) })
        random.append(best(o) { i, _ in t.random.suggest(index: i) })
    }
    if json {
        for (i, s) in seeds.enumerated() {
            print(#"{"objective":"\#(o.name)","trials":\#(o.trials),"seed":\#(s),"tpe":\#(tpe[i]),"tpe_univariate":\#(uni[i]),"random":\#(random[i])}"#)
        }
    } else {
        let wins = zip(tpe, random).filter { $0 < $1 }.count
        print("\(o.name) (\(o.trials) trials, \(seeds.count) seeds), mean / median best: TPE \(mean(tpe)) / \(median(tpe)), univariate TPE \(mean(uni)) / \(median(uni)), random \(mean(random)) / \(median(random)); TPE better than random on \(wins)")
    }
}
