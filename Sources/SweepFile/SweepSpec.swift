import Foundation
import MLPKit
@_exported import SweepSchema
import Yams

/// A sweep file, read and checked: which trials to run and how to rank them.
///
/// The layout is W&B Sweeps' (`method`, `metric`, `parameters` with `value` / `values` /
/// `min`-`max`-`distribution`) so users can write it from memory, plus `list` for named
/// hand-picked variants, `repeats` for seeds and `max_trials` as a guard against a typo that
/// would queue a million trials. Everything that can be checked without expanding the sweep is
/// checked by `parse`, each value against `TrialConfig`'s own table; `trials()` expands and
/// checks the combinations. Nothing of the YAML tree is kept: the spec is plain values.
public struct SweepSpec: Sendable, Equatable {
    public enum Method: String, CaseIterable, Sendable {
        /// Every combination of every parameter's `values`.
        case grid
        /// `count` samples, each parameter drawn independently.
        case random
        /// Named entries, each laid over every grid point of `parameters`.
        case list
    }

    /// What the sweep ranks trials by (one type for the spec, the store and the ranking).
    public typealias Metric = SweepSchema.Metric

    /// A place in the file, 1-based, kept so that `trials()` can still point at the line that
    /// produced a refused combination.
    public struct Location: Sendable, Equatable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
        init?(_ mark: Mark?) {
            guard let mark else { return nil }
            self.init(line: mark.line, column: mark.column)
        }
        public var description: String { "\(line):\(column)" }
    }

    /// One value as written in the file, already in the text form `TrialConfig` reads
    /// (YAML `1e-3` becomes `0.001`, `~` becomes `none`, `[2, 2, 2, 1]` becomes `2,2,2,1`).
    public struct Value: Sendable, Equatable {
        public let text: String
        public let location: Location
        /// e.g. `parameters.lr.values[2]`.
        public let field: String
    }

    public enum Distribution: String, CaseIterable, Sendable {
        /// Float, uniform in [min, max).
        case uniform
        /// Float whose logarithm is uniform: as many samples in [1e-4, 1e-3] as in [1e-2, 1e-1].
        case logUniformValues = "log_uniform_values"
        /// Integer, uniform in min...max inclusive.
        case intUniform = "int_uniform"
    }

    public enum Domain: Sendable, Equatable {
        /// `value: x` is a one-element list.
        case values([Value])
        case range(min: Double, max: Double, Distribution)
    }

    /// One entry of `parameters` (or of a list entry's `parameters`, always a single value).
    public struct Parameter: Sendable, Equatable {
        /// A name of `TrialConfig.parameters`.
        public let name: String
        public let domain: Domain
        /// Where the name is written.
        public let location: Location
        /// e.g. `parameters.lr`.
        public let field: String
    }

    /// A named variant of a `list` sweep.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let parameters: [Parameter]
        public let location: Location
        /// e.g. `trials[2]`.
        public let field: String
    }

    public static let defaultMaxTrials = 10_000

    public let file: String
    public let name: String
    /// The file's optional `description`, free text for people.
    public let summary: String?
    public let method: Method
    public let metric: Metric
    public let maxTrials: Int
    /// Runs of each configuration, with seeds seed, seed+1, ...
    public internal(set) var repeats: Int
    /// Samples of a `random` sweep; nil for the other methods.
    public let count: Int?
    /// Seeds the `random` sampler, so the same file always gives the same trials.
    public let randomSeed: UInt64
    /// In file order.
    public internal(set) var parameters: [Parameter]
    /// The named entries of a `list` sweep, in file order; empty for the other methods.
    public internal(set) var entries: [Entry]
    /// Where the `parameters` key is (or the top of the file): refused grid combinations point here.
    let parametersLocation: Location

    /// The most trials the sweep can expand to (random duplicates collapse, so it may give fewer).
    public var plannedTrialCount: Int {
        var n: Int
        switch method {
        case .random: n = count ?? 0
        case .grid: n = Self.gridSize(parameters)
        case .list: n = Self.product(Self.gridSize(parameters), entries.count)
        }
        return Self.product(n, repeats)
    }

    static func gridSize(_ parameters: [Parameter]) -> Int {
        parameters.reduce(1) { size, p in
            guard case .values(let values) = p.domain else { return size }
            return product(size, values.count)
        }
    }

    /// Saturating: a sweep too large to count is still refused by `max_trials`.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (n, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : n
    }
}

