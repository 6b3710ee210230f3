/// How wide each observation's kernel is: Optuna's rule (`_ParzenEstimator`), from
/// Bergstra et al.'s original heuristic.
///
/// Each kernel is as wide as the larger gap to its neighbours on the sorted line, the ends of
/// the range counting as neighbours, so that kernels are narrow where observations crowd
/// (around the good region, for l(x)) and broad where they are sparse. Without
/// `endpoints` (Optuna's default) the outermost kernels ignore the range's ends and take the gap
/// to their inner neighbour instead: an observation near a bound is not made wide just because
/// the bound is far away. Magic clip keeps every kernel at least `range / min(100, kernels + 1)`
/// wide (kernels counting the prior), so that a few observations piled on one point do not
/// become a spike that TPE samples for ever.
enum Bandwidth {
    /// One width per entry of `mus` (in their order), on the internal line `[lower, upper]`.
    static func sigmas(
        mus: [Double], lower: Double, upper: Double, magicClip: Bool, endpoints: Bool
    ) -> [Double] {
        let n = mus.count
        guard n > 0 else { return [] }
        // A stable order, so that equal observations get their widths the same way on every run.
        let order = mus.indices.sorted { (mus[$0], $0) < (mus[$1], $1) }
        let line: [Double] = [lower] + order.map { mus[$0] } + [upper]
        var sorted: [Double] = []
        for i in 0..<n {
            let left: Double = line[i + 1] - line[i]
            let right: Double = line[i + 2] - line[i + 1]
            sorted.append(Swift.max(left, right))
        }
        if !endpoints && n >= 2 {
            sorted[0] = line[2] - line[1]
            sorted[n - 1] = line[n] - line[n - 1]
        }
        let range = upper - lower
        let kernels = Double(n + 1)  // the observations and the prior
        let minimum = magicClip ? range / Swift.min(100, 1 + kernels) : 1e-12
        var sigmas = Array(repeating: 0.0, count: n)
        for (rank, i) in order.enumerated() {
            sigmas[i] = Swift.min(Swift.max(sorted[rank], minimum), range)
        }
        return sigmas
    }
}
