import Foundation
import SweepFile
import SweepRules
import SweepSchema
import SweepSearch
import SweepWire

/// The trials of a random or bayes sweep file, made one at a time as workers ask
/// (`TrialSource`): random draws sample after sample from the file's seeded stream; bayes asks
/// TPE (Optuna's defaults, a constant liar for the trials in flight), which sees every earlier
/// trial's objective. A configuration's `repeats` (seeds) are made one after the other.
///
/// Everything is derived from the history the machine passes (the trials made so far, in
/// order), never from state of its own: a restarted coordinator, shown the same history by the
/// store, makes the same next trial.
struct SpecTrialSource: TrialSource {
    let spec: SweepSpec
    let budget: Int
    private let space: SweepSpec.SearchSpace
    /// Bayes sweeps; nil for random.
    private let tpe: TPESampler?

    init(spec: SweepSpec) throws {
        self.spec = spec
        space = spec.searchSpace
        let configurations = space.runCap ?? Int.max / max(1, space.repeats)
        budget = configurations.multipliedReportingOverflow(by: space.repeats).overflow ? Int.max : configurations * space.repeats
        if spec.method == .bayes {
            let dimensions = space.dimensions.map(Self.searchDimension)
            tpe = try TPESampler(dimensions: dimensions, goal: space.metric.goal == .maximize ? .maximize : .minimize,
                                 seed: space.randomSeed)
        } else {
            tpe = nil
        }
    }

    func next(after history: [SourcedTrial]) -> NewTrial? {
        let made = Set(history.map(\.id))
        let repeats = max(1, space.repeats)
        // The next repeat of the configuration being made, if it has one left.
        if history.count % repeats != 0, let last = history.last, let point = point(of: last.parameters),
           let trials = try? spec.trials(at: point, sample: history.count / repeats),
           let trial = trials.first(where: { !made.contains($0.id) }) {
            return Self.new(trial)
        }
        let k = history.count / repeats
        if let tpe {
            let observations = history.compactMap { t in
                point(of: t.parameters).map { Observation(values: values(of: $0), objective: t.objective) }
            }
            let suggestion = tpe.suggest(index: k, history: observations)
            if let trials = try? spec.trials(at: point(from: suggestion), sample: k),
               let trial = trials.first, !made.contains(trial.id) {
                return Self.new(trial)
            }
            // A suggestion already made (small discrete spaces): the random draw instead.
        }
        // Samples that coincide with trials made already are skipped; give up after many.
        guard var sampler = try? spec.sampler(from: k) else { return nil }
        for _ in 0..<1000 {
            guard let trials = try? sampler.next() else { return nil }
            if let trial = trials.first(where: { !made.contains($0.id) }) { return Self.new(trial) }
        }
        return nil
    }

    private static func new(_ trial: Trial) -> NewTrial {
        NewTrial(id: trial.id, configID: trial.configId, parameters: trial.pairs.map { TaskBody.Parameter($0.name, $0.value) },
                 swept: trial.swept.map { TaskBody.Parameter($0.name, $0.value) },
                 epochBudget: epochBudget(of: trial.pairs.map { ($0.name, $0.value) }) ?? 0)
    }

    // MARK: - Between the file's space and TPE's

    /// TPE's dimension for a parameter. A normal-family law is searched through its quantile
    /// in [0, 1] (the law's own distribution function maps it back and forth); W&B's `q`
    /// rounding is left to `SweepSpec.trials(at:)`.
    static func searchDimension(_ d: SweepSpec.SearchSpace.Dimension) -> SearchDimension {
        switch d.kind {
        case .categorical(let values, let probabilities): .categorical(count: values.count, weights: probabilities)
        case .int(let low, let high): .int(low: low, high: high, log: false)
        case .float(let low, let high, let log, _): .float(low: low, high: high, log: log, step: nil)
        case .normal: .float(low: 0, high: 1, log: false, step: nil)
        }
    }

    /// A stored trial's point in the file's space (nil when its parameters do not fit it).
    private func point(of parameters: [TaskBody.Parameter]) -> [SweepSpec.SearchSpace.Value]? {
        var point: [SweepSpec.SearchSpace.Value] = []
        for d in space.dimensions {
            guard let text = parameters.last(where: { $0.key == d.name })?.value else { return nil }
            switch d.kind {
            case .categorical(let values, _):
                guard let index = values.firstIndex(of: text) else { return nil }
                point.append(.index(index))
            case .int, .float, .normal:
                guard let x = Double(text) else { return nil }
                point.append(.number(x))
            }
        }
        return point
    }

    /// The point as TPE's values.
    private func values(of point: [SweepSpec.SearchSpace.Value]) -> [SearchValue] {
        zip(space.dimensions, point).map { d, v in
            switch (d.kind, v) {
            case (_, .index(let i)): .index(i)
            case (.int, .number(let x)): .int(Int(x.rounded()))
            case (.normal(let mu, let sigma, let log, _), .number(let x)):
                .float(Self.normalCDF(((log ? Foundation.log(max(x, .leastNormalMagnitude)) : x) - mu) / sigma))
            case (_, .number(let x)): .float(x)
            }
        }
    }

    /// TPE's suggestion as a point of the file's space.
    private func point(from suggestion: [SearchValue]) -> [SweepSpec.SearchSpace.Value] {
        zip(space.dimensions, suggestion).map { d, v in
            switch (d.kind, v) {
            case (_, .index(let i)): .index(i)
            case (_, .int(let n)): .number(Double(n))
            case (.normal, .float(let u)): d.value(atQuantile: u)
            case (_, .float(let x)): .number(x)
            }
        }
    }

    static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
}
