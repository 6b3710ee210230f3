import MLPKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A density over some dimensions built from observations: Optuna's `_ParzenEstimator`.
///
/// A mixture with one kernel per observation and one prior kernel. Each kernel is a product
/// over the dimensions (so one estimator over several dimensions is multivariate TPE; one per
/// dimension is univariate): for a number a normal truncated to the dimension's range on the
/// internal line (its mass over the grid cell for a stepped one), centred on the observation,
/// as wide as `Bandwidth` says; for a categorical the observed choice plus a little of the
/// prior everywhere else. The prior kernel is broad (centred, as wide as the range; the prior
/// probabilities for a categorical), so that no region ever has zero density and TPE keeps
/// exploring.
struct ParzenEstimator {
    /// The mixture's weights (observations in order, the prior last) and their logarithms.
    private let weights: [Double]
    private let logWeights: [Double]
    private let components: [Component]

    struct Parameters {
        var priorWeight: Double
        var magicClip: Bool
        var endpoints: Bool
    }

    private enum Component {
        /// `probabilities[k][c]`: kernel k's probability of choice c.
        case categorical(probabilities: [[Double]], logProbabilities: [[Double]])
        /// Per kernel: centre and width on the internal line, the standardised bounds, and
        /// the log of the kernel's mass within them, for its normalisation.
        case numeric(NumericScale, kernels: [Kernel])
    }

    private struct Kernel {
        let mu, sigma, a, b, logMass, logSigma: Double
        init(mu: Double, sigma: Double, on s: NumericScale) {
            self.mu = mu
            self.sigma = sigma
            a = (s.lower - mu) / sigma
            b = (s.upper - mu) / sigma
            logMass = TruncatedNormal.logMass(a, b)
            logSigma = ln(sigma)
        }
    }

    /// `observations[i][d]`: observation i's internal value on `axes[d]`; `observationWeights`
    /// one weight per observation (Optuna's `weights(n)`, which fades old trials).
    init(observations: [[Double]], axes: [Axis], observationWeights: [Double], parameters p: Parameters) {
        let n = observations.count
        var w = n == 0 ? [1.0] : observationWeights.map { $0.isFinite && $0 > 0 ? $0 : 0 } + [Swift.max(p.priorWeight, 0)]
        let sum = w.reduce(0, +)
        w = sum > 0 ? w.map { $0 / sum } : Array(repeating: 1 / Double(w.count), count: w.count)
        weights = w
        logWeights = w.map(ln)

        let kernelCount = Double(n + 1)
        components = axes.enumerated().map { d, axis in
            let column = observations.map { $0[d] }
            switch axis {
            case let .categorical(prior):
                // Optuna adds priorWeight / kernels to every choice of every kernel (uniform);
                // here that amount is spread by the prior probabilities, the same when uniform.
                let smoothing = prior.map { Swift.max(p.priorWeight, 0) / kernelCount * Double(prior.count) * $0 }
                var rows = column.map { c -> [Double] in
                    var row = smoothing
                    row[Int(c)] += 1
                    let total = row.reduce(0, +)
                    return row.map { $0 / total }
                }
                rows.append(prior)
                return .categorical(probabilities: rows, logProbabilities: rows.map { $0.map(ln) })
            case let .numeric(s):
                let mus = column.map(s.transform)
                let sigmas = Bandwidth.sigmas(
                    mus: mus, lower: s.lower, upper: s.upper, magicClip: p.magicClip, endpoints: p.endpoints)
                var kernels = zip(mus, sigmas).map { Kernel(mu: $0, sigma: $1, on: s) }
                kernels.append(Kernel(mu: 0.5 * (s.lower + s.upper), sigma: s.upper - s.lower, on: s))
                return .numeric(s, kernels: kernels)
            }
        }
    }

    /// One draw: a kernel by the mixture weights, then each dimension from that kernel.
    func sample(_ rng: inout Xoshiro256) -> [Double] {
        let k = RandomSampler.pick(rng.nextUnitDouble(), from: weights)
        return components.map { c in
            let u = rng.nextUnitDouble()
            switch c {
            case let .categorical(rows, _):
                return Double(RandomSampler.pick(u, from: rows[k]))
            case let .numeric(s, kernels):
                let kernel = kernels[k]
                let z = TruncatedNormal.quantile(u, a: kernel.a, b: kernel.b)
                return s.untransform(kernel.mu + kernel.sigma * z)
            }
        }
    }

    /// The log density at `x` (internal values, one per dimension): log sum over kernels of
    /// weight times the product over dimensions.
    func logPDF(_ x: [Double]) -> Double {
        var perKernel = logWeights
        for (c, xd) in zip(components, x) {
            switch c {
            case let .categorical(_, logRows):
                let choice = Int(xd)
                for k in perKernel.indices { perKernel[k] += logRows[k][choice] }
            case let .numeric(s, kernels):
                if let q = s.step {
                    // The kernel's mass on the grid cell of x, over its mass on the whole range.
                    let left = s.transform(xd - q / 2), right = s.transform(xd + q / 2)
                    for k in perKernel.indices {
                        let kernel = kernels[k]
                        let a = Swift.max((left - kernel.mu) / kernel.sigma, kernel.a)
                        let b = Swift.min((right - kernel.mu) / kernel.sigma, kernel.b)
                        perKernel[k] += (a < b ? TruncatedNormal.logMass(a, b) : -.infinity) - kernel.logMass
                    }
                } else {
                    let y = s.transform(xd)
                    for k in perKernel.indices {
                        let kernel = kernels[k]
                        let z = (y - kernel.mu) / kernel.sigma
                        perKernel[k] += TruncatedNormal.logPDF(z, a: kernel.a, b: kernel.b, logMass: kernel.logMass)
                            - kernel.logSigma
                    }
                }
            }
        }
        let top = perKernel.max() ?? -.infinity
        guard top > -.infinity else { return -.infinity }
        return top + ln(perKernel.reduce(0) { $0 + exp($1 - top) })
    }
}
