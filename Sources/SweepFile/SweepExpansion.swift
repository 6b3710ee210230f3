import Foundation
import MLPKit

/// Turning a spec into its trials: the grid's cartesian product, the random sampler, the
/// list's entries laid over the grid, then `repeats` seeds for each configuration.
///
/// Expansion is deterministic - same file, same trials, same order, same ids - so a
/// coordinator restarted on the same file finds the trials it already ran.
extension SweepSpec {
    /// One `name=value` on its way into a `TrialConfig`, remembering where it was written.
    struct Setting {
        let name: String
        let text: String
        let location: Location
        let field: String
    }

    /// One configuration before its repeats: settings in the order they are applied (a list
    /// entry's after the grid's, so the entry wins), and where to point if it is refused.
    struct Draft {
        let name: String
        let settings: [Setting]
        let origin: Location
        let field: String
    }

    /// Every trial, in order: for each configuration (grid: first parameter varying slowest;
    /// random: sample by sample; list: entry by entry, each over every grid point), its
    /// `repeats` seeds; with `run_cap`, only the first `run_cap` configurations. Each
    /// combination is checked by `TrialConfig.apply`; the first one it refuses is reported
    /// with its parameters and the line that produced it.
    ///
    /// Random samples that coincide collapse to one trial, and ordinals count the trials
    /// kept (`sample(_:)` numbers by sample instead). In grid and list sweeps two
    /// configurations giving the same trial are a mistake in the file (two spellings of one
    /// value, an entry overriding the swept parameter) and are refused.
    ///
    /// A bayes sweep has no trials before it has results: its trials are suggested one by one
    /// (`searchSpace`, `trials(at:sample:)`), and this throws saying so.
    public func trials() throws(SpecError) -> [Trial] {
        var drafts: [Draft] = []
        let cap = runCap ?? Int.max
        switch method {
        case .grid:
            let size = Self.gridSize(parameters)
            for i in 0..<Swift.min(size, cap) {
                drafts.append(Draft(name: "", settings: gridPoint(i), origin: parametersLocation, field: "parameters"))
            }
        case .random:
            guard let runCap else {
                throw SpecError(file: file, at: methodLocation, field: "run_cap",
                                message: "a random sweep without run_cap draws trials until it is stopped, one at a time (sampler(from:)); trials() needs run_cap")
            }
            var sampler = try self.sampler()
            for _ in 0..<runCap { drafts.append(try sampler.nextDraft()) }
        case .bayes:
            throw SpecError(file: file, at: methodLocation, field: "method",
                            message: "a bayes sweep's trials are suggested one at a time from the results so far (SweepSpec.searchSpace and trials(at:sample:)); trials() expands grid, random and list sweeps")
        case .list:
            let size = Self.gridSize(parameters)
            entries: for entry in entries {
                let own = entry.parameters.compactMap(Self.fixedSetting)
                for i in 0..<size {
                    if drafts.count >= cap { break entries }
                    drafts.append(Draft(name: entry.name, settings: gridPoint(i) + own, origin: entry.location, field: entry.field))
                }
            }
        }

        var trials: [Trial] = []
        var origins: [Location] = []
        var index: [String: Int] = [:]
        for draft in drafts {
            for made in try repeated(draft, firstOrdinal: trials.count) {
                // Collapsed random samples shift the ordinals of the trials after them.
                let trial = made.ordinal == trials.count ? made
                    : Trial(config: made.config, name: made.name, ordinal: trials.count, swept: made.swept)
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

    // MARK: Samples of random and bayes sweeps

    /// Draws the samples of a random (or bayes) sweep in order, from the one stream that
    /// `random_seed` seeds: each parameter with more than one value takes one 64-bit draw per
    /// sample, in file order, so sample k is the same whoever asks and whatever was asked before.
    ///
    /// Samples may coincide (the same trial ids): a caller making trials as they are handed out
    /// skips ids it already has, as `trials()` does.
    public struct Sampler: Sendable {
        public let spec: SweepSpec
        /// The number of the sample `next()` draws, from 0.
        public private(set) var index: Int
        var rng: Xoshiro256

        /// The trials of sample `index` (its `repeats` seeds, ordinals `index * repeats + r`),
        /// then moves on to the next sample.
        public mutating func next() throws(SpecError) -> [Trial] {
            let k = index
            let draft = try nextDraft()
            return try spec.repeated(draft, firstOrdinal: SweepSpec.product(k, spec.repeats))
        }

        mutating func nextDraft() throws(SpecError) -> Draft {
            var settings: [Setting] = []
            for parameter in spec.parameters {
                if let fixed = SweepSpec.fixedSetting(parameter), parameter.probabilities == nil {
                    settings.append(fixed)
                    continue
                }
                settings.append(try spec.setting(parameter, SweepSpec.draw(rng.next(), parameter)))
            }
            index += 1
            return Draft(name: "", settings: settings, origin: spec.parametersLocation, field: "parameters")
        }
    }

    /// A `Sampler` whose first `next()` gives sample `k` (it replays the k samples before it:
    /// one draw per drawn parameter each). Random and bayes sweeps only.
    public func sampler(from k: Int = 0) throws(SpecError) -> Sampler {
        guard method == .random || method == .bayes else {
            throw SpecError(file: file, at: methodLocation, field: "method",
                            message: "only random and bayes sweeps draw samples; a \(method.rawValue) sweep expands with trials()")
        }
        var rng = Xoshiro256(seed: randomSeed, stream: "vgsweep-random-sweep")
        let draws = searchSpace.dimensions.count
        for _ in 0..<Self.product(Swift.max(k, 0), draws) { _ = rng.next() }
        return Sampler(spec: self, index: Swift.max(k, 0), rng: rng)
    }

    /// Sample `k` (from 0) of a random or bayes sweep: its `repeats` trials, with ordinals
    /// `k * repeats + r`. The same as `trials()`'s for a random sweep (which renumbers after
    /// collapsing duplicates) and deterministic: it depends on the file and k only. Replays
    /// the samples before it; draw consecutive samples with `sampler(from:)`.
    public func sample(_ k: Int) throws(SpecError) -> [Trial] {
        var s = try sampler(from: k)
        return try s.next()
    }

    /// The trials of one point of `searchSpace` (a value per dimension, in its order), as
    /// sample number `sample` (ordinals `sample * repeats + r`): what a bayes sampler's
    /// suggestion becomes. A number is checked against its dimension's range (an int's is
    /// rounded to the nearest integer first), quantized by its `q`, and the trial checked by
    /// `TrialConfig`; anything refused is a `SpecError` naming the parameter.
    public func trials(at point: [SearchSpace.Value], sample: Int) throws(SpecError) -> [Trial] {
        let dimensions = searchSpace.dimensions
        guard point.count == dimensions.count else {
            throw SpecError(file: file, at: parametersLocation, field: "parameters",
                            message: "a point has \(point.count) value(s); the search space has \(dimensions.count) dimension(s) (\(dimensions.map(\.name).joined(separator: ", ")))")
        }
        var settings: [Setting] = []
        var next = 0
        for parameter in parameters {
            if let fixed = Self.fixedSetting(parameter), parameter.probabilities == nil {
                settings.append(fixed)
                continue
            }
            settings.append(try setting(parameter, point[next]))
            next += 1
        }
        let draft = Draft(name: "", settings: settings, origin: parametersLocation, field: "parameters")
        return try repeated(draft, firstOrdinal: Self.product(sample, repeats))
    }

    /// One 64-bit draw as a value of `parameter`: an equally likely value or integer by
    /// remainder (as vgsweep has always drawn them), anything else at quantile
    /// `u = r / 2^64` (53 bits; the normal family 52 bits at the middle of each step, so never 0 or 1).
    static func draw(_ r: UInt64, _ parameter: Parameter) -> SearchSpace.Value {
        switch parameter.domain {
        case .values(let values):
            if let probabilities = parameter.probabilities {
                let kind = SearchSpace.Kind.categorical(values: values.map(\.text), probabilities: probabilities)
                return SearchSpace.Dimension(name: parameter.name, kind: kind, distribution: .categorical, field: parameter.field)
                    .value(atQuantile: unit(r))
            }
            return .index(Int(r % UInt64(values.count)))
        case .sampled(let s):
            if s.distribution == .intUniform {
                let low = Int64(s.min), span = UInt64(Int64(s.max) - low) + 1
                return .number(Double(low + Int64(r % span)))
            }
            let u = s.distribution.isNormalFamily ? unitMidpoint(r) : unit(r)
            return SearchSpace.Dimension(name: parameter.name, kind: s.kind, distribution: s.distribution, field: parameter.field)
                .value(atQuantile: u)
        }
    }

    /// In [0, 1): 53 bits, as `Xoshiro256.nextUnitDouble`.
    static func unit(_ r: UInt64) -> Double { Double(r >> 11) * 0x1.0p-53 }
    /// In (0, 1): the middle of a 52-bit step, so the extremes 2^-53 and 1 - 2^-53 are exact
    /// and symmetric (the normal family reaches mu -+ 8.2 sigma).
    static func unitMidpoint(_ r: UInt64) -> Double { (Double(r >> 12) + 0.5) * 0x1.0p-52 }

    /// The extreme quantiles the sampler can draw for a distribution (what `parse` checks
    /// against the parameter's allowed values).
    static func quantileRange(_ d: Distribution) -> (low: Double, high: Double) {
        d.isNormalFamily ? (unitMidpoint(0), unitMidpoint(UInt64.max)) : (0, 1)
    }

    /// `value` as the setting of `parameter`, checked against its domain and quantized.
    func setting(_ parameter: Parameter, _ value: SearchSpace.Value) throws(SpecError) -> Setting {
        func refuse(_ message: String) -> SpecError {
            SpecError(file: file, at: parameter.location, field: parameter.field, message: message)
        }
        switch (parameter.domain, value) {
        case (.values(let values), .index(let i)):
            guard values.indices.contains(i) else { throw refuse("index \(i) is outside values[0...\(values.count - 1)]") }
            return Setting(name: parameter.name, text: values[i].text, location: values[i].location, field: values[i].field)
        case (.sampled(let s), .number(var x)):
            guard x.isFinite else { throw refuse("\(x) is not a number \(parameter.name) can take") }
            let kind = s.kind
            switch kind {
            case .int(let low, let high):
                x = x.rounded()
                guard x >= Double(low) && x <= Double(high) else { throw refuse("\(Self.text(of: x)) is outside \(low)...\(high)") }
            case .float(let low, let high, _, _):
                // Draws may land a rounding error outside the exact bounds.
                let slack = 1e-9 * Swift.max(abs(low), abs(high))
                guard x >= low - slack && x <= high + slack else {
                    throw refuse("\(Self.text(of: x)) is outside [\(Self.text(of: low)), \(Self.text(of: high))]")
                }
            case .normal, .categorical: break
            }
            return Setting(name: parameter.name, text: Self.numberText(kind.quantized(x)), location: parameter.location,
                           field: parameter.field)
        case (.values, .number):
            throw refuse("expected the index of one of its values, found a number")
        case (.sampled, .index):
            throw refuse("expected a number, found an index")
        }
    }

    /// A drawn number as short text: an integral value as an integer, anything else at Float
    /// precision, which is what `TrialConfig` keeps.
    static func numberText(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        let f = Float(x)
        if f == f.rounded() && abs(f) < 1e15 { return String(Int64(f)) }
        return "\(f)"
    }

    // MARK: Grid

    /// Grid point `i` of the cartesian product of every parameter's values (int_uniform and
    /// q_uniform expanded), in file order, first parameter slowest.
    private func gridPoint(_ i: Int) -> [Setting] {
        var settings: [Setting] = []
        var rest = i
        for parameter in parameters.reversed() {
            let n = Self.gridCount(parameter)
            settings.append(gridValue(parameter, rest % n))
            rest /= n
        }
        return settings.reversed()
    }

    /// Value `i` of a parameter in a grid: `values[i]`, `min + i` (int_uniform) or
    /// `min + i * q` (q_uniform, numpy's `arange(min, max, q)`: max excluded).
    private func gridValue(_ parameter: Parameter, _ i: Int) -> Setting {
        switch parameter.domain {
        case .values(let values):
            return Setting(name: parameter.name, text: values[i].text, location: values[i].location, field: values[i].field)
        case .sampled(let s):
            let x = s.distribution == .intUniform ? s.min + Double(i) : s.min + Double(i) * (s.q ?? 1)
            return Setting(name: parameter.name, text: Self.numberText(x), location: parameter.location, field: parameter.field)
        }
    }

    static func fixedSetting(_ parameter: Parameter) -> Setting? {
        guard case .values(let values) = parameter.domain, values.count == 1, let value = values.first else { return nil }
        return Setting(name: parameter.name, text: value.text, location: value.location, field: parameter.field)
    }

    // MARK: Checking and repeating

    /// The draft's configuration checked by `TrialConfig`, then its `repeats` seeds, with
    /// ordinals from `firstOrdinal`.
    func repeated(_ draft: Draft, firstOrdinal: Int) throws(SpecError) -> [Trial] {
        let base = try configure(draft)
        let swept = sweptPairs(draft, base)
        var trials: [Trial] = []
        for r in 0..<repeats {
            var config = base
            var shown = swept
            if repeats > 1 {
                config.seed = base.seed &+ UInt64(r)
                let seed = Trial.Pair("seed", String(config.seed))
                if let i = shown.firstIndex(where: { $0.name == "seed" }) { shown[i] = seed } else { shown.append(seed) }
            }
            trials.append(Trial(config: config, name: draft.name, ordinal: firstOrdinal + r, swept: shown))
        }
        return trials
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
