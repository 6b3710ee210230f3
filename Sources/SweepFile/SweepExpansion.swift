import Foundation
import MLPKit

/// Turning a spec into its trials: the grid's cartesian product, the random sampler, the
/// list's entries laid over the grid, then `repeats` seeds for each configuration.
///
/// Expansion is deterministic - same file, same trials, same order, same ids - so a
/// coordinator restarted on the same file finds the trials it already ran.
extension SweepSpec {
    /// One `name=value` on its way into a `TrialConfig`, remembering where it was written.
    private struct Setting {
        let name: String
        let text: String
        let location: Location
        let field: String
    }

    /// One configuration before its repeats: settings in the order they are applied (a list
    /// entry's after the grid's, so the entry wins), and where to point if it is refused.
    private struct Draft {
        let name: String
        let settings: [Setting]
        let origin: Location
        let field: String
    }

    /// Every trial, in order: for each configuration (grid: first parameter varying slowest;
    /// random: sample by sample; list: entry by entry, each over every grid point), its
    /// `repeats` seeds. Each combination is checked by `TrialConfig.apply`; the first one it
    /// refuses is reported with its parameters and the line that produced it.
    ///
    /// Random samples that coincide collapse to one trial. In grid and list sweeps two
    /// configurations giving the same trial are a mistake in the file (two spellings of one
    /// value, an entry overriding the swept parameter) and are refused.
    public func trials() throws(SpecError) -> [Trial] {
        var drafts: [Draft] = []
        switch method {
        case .grid:
            for point in gridPoints() {
                drafts.append(Draft(name: "", settings: point, origin: parametersLocation, field: "parameters"))
            }
        case .random:
            drafts = samples()
        case .list:
            let points = gridPoints()
            for entry in entries {
                let own = entry.parameters.compactMap(Self.fixedSetting)
                for point in points {
                    drafts.append(Draft(name: entry.name, settings: point + own, origin: entry.location, field: entry.field))
                }
            }
        }

        var trials: [Trial] = []
        var origins: [Location] = []
        var index: [String: Int] = [:]
        for draft in drafts {
            let base = try configure(draft)
            let swept = sweptPairs(draft, base)
            for r in 0..<repeats {
                var config = base
                var shown = swept
                if repeats > 1 {
                    config.seed = base.seed &+ UInt64(r)
                    let seed = Trial.Pair("seed", String(config.seed))
                    if let i = shown.firstIndex(where: { $0.name == "seed" }) { shown[i] = seed } else { shown.append(seed) }
                }
                let trial = Trial(config: config, name: draft.name, ordinal: trials.count, swept: shown)
                if let earlier = index[trial.id] {
                    if method == .random { continue }
                    let why = method == .list
                        ? "an entry may override a swept parameter, or two entries may say the same thing"
                        : "two values of one parameter mean the same thing"
                    throw SpecError(file: file, at: draft.origin, field: draft.field,
                                    message: "trial \(Self.describe(trial)) is the same as trial \(Self.describe(trials[earlier])) (line \(origins[earlier].line), id \(trial.id)): \(why)")
                }
                index[trial.id] = trials.count
                trials.append(trial)
                origins.append(draft.origin)
            }
        }
        return trials
    }

    /// The cartesian product of every `values` list, in file order, first parameter slowest.
    private func gridPoints() -> [[Setting]] {
        var points: [[Setting]] = [[]]
        for parameter in parameters {
            guard case .values(let values) = parameter.domain else { continue }
            points = points.flatMap { point in
                values.map { point + [Setting(name: parameter.name, text: $0.text, location: $0.location, field: $0.field)] }
            }
        }
        return points
    }

    private static func fixedSetting(_ parameter: Parameter) -> Setting? {
        guard case .values(let values) = parameter.domain, let value = values.first else { return nil }
        return Setting(name: parameter.name, text: value.text, location: value.location, field: parameter.field)
    }

    /// `count` samples from one `Xoshiro256` stream seeded by `random_seed`. Parameters are
    /// drawn in file order; a single `value` draws nothing, so fixing a parameter does not
    /// change the samples of the others that come before it.
    private func samples() -> [Draft] {
        var rng = Xoshiro256(seed: randomSeed, stream: "vgsweep-random-sweep")
        var drafts: [Draft] = []
        for _ in 0..<(count ?? 0) {
            var settings: [Setting] = []
            for parameter in parameters {
                switch parameter.domain {
                case .values(let values):
                    let value = values.count == 1 ? values[0] : values[Int(rng.next() % UInt64(values.count))]
                    settings.append(Setting(name: parameter.name, text: value.text, location: value.location, field: value.field))
                case .range(let lo, let hi, let distribution):
                    let text: String
                    switch distribution {
                    case .intUniform:
                        let low = Int64(lo), span = UInt64(Int64(hi) - low) + 1
                        text = String(low + Int64(rng.next() % span))
                    case .uniform:
                        text = Self.sampleText(min(max(lo + rng.nextUnitDouble() * (hi - lo), lo), hi))
                    case .logUniformValues:
                        let x = exp(log(lo) + rng.nextUnitDouble() * (log(hi) - log(lo)))
                        text = Self.sampleText(min(max(x, lo), hi))
                    }
                    settings.append(Setting(name: parameter.name, text: text, location: parameter.location, field: parameter.field))
                }
            }
            drafts.append(Draft(name: "", settings: settings, origin: parametersLocation, field: "parameters"))
        }
        return drafts
    }

    /// A sampled float as short text: at Float precision, which is what `TrialConfig` keeps.
    private static func sampleText(_ x: Double) -> String {
        let f = Float(x)
        if f == f.rounded() && abs(f) < 1e15 { return String(Int64(f)) }
        return "\(f)"
    }

    private func configure(_ draft: Draft) throws(SpecError) -> TrialConfig {
        var config = TrialConfig()
        do {
            try config.apply(draft.settings.map { ($0.name, $0.text) })
        } catch {
            if case .badValue(let key, _, _) = error, let setting = draft.settings.last(where: { $0.name == key }) {
                throw SpecError(file: file, at: setting.location, field: setting.field, message: error.description)
            }
            let shown = draft.settings.map { "\($0.name)=\($0.text)" }.joined(separator: ", ")
            let label = draft.name.isEmpty ? "(\(shown.isEmpty ? "defaults" : shown))" : "'\(draft.name)' (\(shown))"
            throw SpecError(file: file, at: draft.origin, field: draft.field, message: "trial \(label): \(error.description)")
        }
        return config
    }

    /// The names the file gives, first mention first, with the values the config ended up with.
    private func sweptPairs(_ draft: Draft, _ config: TrialConfig) -> [Trial.Pair] {
        var names: [String] = []
        for setting in draft.settings where !names.contains(setting.name) { names.append(setting.name) }
        return names.compactMap { name in
            TrialConfig.parameter(named: name).map { Trial.Pair(name, $0.value(in: config)) }
        }
    }

    private static func describe(_ trial: Trial) -> String {
        let shown = trial.swept.map(\.description).joined(separator: ", ")
        return trial.name.isEmpty ? "#\(trial.ordinal) (\(shown))" : "#\(trial.ordinal) '\(trial.name)' (\(shown))"
    }
}
