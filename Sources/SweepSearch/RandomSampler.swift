import MLPKit

/// Independent draws, uniform on each dimension's internal line (so log-uniform for log
/// dimensions, each grid point equally likely for stepped ones), categoricals by their prior
/// probabilities. TPE's startup trials are exactly these draws.
///
/// Trial `index` draws from its own `Xoshiro256` stream, keyed by the seed and the index: the
/// suggestion for a trial depends on nothing else, so a restarted coordinator hands out the
/// same sequence, and trials finishing in another order change nothing.
public struct RandomSampler: Sendable {
    public let space: SearchSpace
    public let seed: UInt64

    public init(space: SearchSpace, seed: UInt64) {
        self.space = space
        self.seed = seed
    }

    public init(dimensions: [SearchDimension], seed: UInt64) throws(SearchSpaceError) {
        self.init(space: try SearchSpace(dimensions), seed: seed)
    }

    /// The suggestion for trial number `index` (0-based), one value per dimension.
    public func suggest(index: Int) -> [SearchValue] {
        var rng = Xoshiro256(seed: seed, stream: "SweepSearch.random.\(index)")
        return space.axes.map { $0.value(Self.draw($0, &rng)) }
    }

    /// One uniform draw for `axis`, on the internal scale. Exactly one number from `rng` per
    /// dimension, so that dimensions do not shift each other's draws.
    static func draw(_ axis: Axis, _ rng: inout Xoshiro256) -> Double {
        let u = rng.nextUnitDouble()
        switch axis {
        case let .categorical(prior):
            return Double(pick(u, from: prior))
        case let .numeric(s):
            return s.untransform(s.lower + u * (s.upper - s.lower))
        }
    }

    /// The index `i` where the cumulative sum of `p` first exceeds `u` (`u` in [0, 1)),
    /// never an entry of zero probability; the last positive entry absorbs rounding.
    static func pick(_ u: Double, from p: [Double]) -> Int {
        var cumulative = 0.0
        var last = 0
        for (i, w) in p.enumerated() where w > 0 {
            cumulative += w
            last = i
            if u < cumulative { return i }
        }
        return last
    }
}
