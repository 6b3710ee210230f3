/// The history divided as TPE needs it: the best `gamma(n)` finished trials ("below", whose
/// density is l(x)) and the rest ("above", g(x)), each in trial order.
///
/// Pending trials go above when the constant liar is on (Optuna 5's default): each is taken to
/// have the worst value, so g(x) grows where other workers are already busy and the next
/// suggestion moves elsewhere. They never count towards `n`, neither for gamma nor for the
/// startup: a trial in flight has taught nothing yet.
///
/// A NaN objective (a failed trial) counts as finished and ranks after every number,
/// +infinity included: a region that fails is as bad as it gets, which is the lesson to learn
/// from it. (Optuna leaves failed trials out altogether.)
struct TrialSplit {
    /// Internal values of the good trials, in trial order.
    var below: [[Double]] = []
    /// Internal values of the others (and, with the liar, the pending), in trial order.
    var above: [[Double]] = []
    /// The number of finished trials that fit the space, NaN included.
    var finished = 0

    init(
        history: [Observation], space: SearchSpace, goal: TPESampler.Goal,
        gamma: (Int) -> Int, constantLiar: Bool
    ) {
        // (trial number, loss, values) of the trials that fit the space.
        var done: [(number: Int, loss: Double, x: [Double])] = []
        var pending: [(number: Int, x: [Double])] = []
        for (number, o) in history.enumerated() {
            guard let x = space.internalValues(of: o.values) else { continue }
            if let y = o.objective {
                done.append((number, goal == .maximize ? -y : y, x))
            } else if constantLiar {
                pending.append((number, x))
            }
        }
        finished = done.count

        // Best first; NaN last; ties by trial number (the stable order Optuna's sort gives).
        let ranked = done.sorted { p, q in
            if p.loss.isNaN != q.loss.isNaN { return q.loss.isNaN }
            if !p.loss.isNaN && p.loss != q.loss { return p.loss < q.loss }
            return p.number < q.number
        }
        let nBelow = Swift.min(Swift.max(gamma(finished), 0), finished)
        let good = ranked.prefix(nBelow).sorted { $0.number < $1.number }
        var rest = ranked.dropFirst(nBelow).map { ($0.number, $0.x) } + pending
        rest.sort { $0.0 < $1.0 }
        below = good.map(\.x)
        above = rest.map(\.1)
    }
}
