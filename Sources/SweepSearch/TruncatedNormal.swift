#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal truncated to `[a, b]`, in log space: what each kernel of a Parzen
/// estimator is once standardised (`z = (y - mu) / sigma`).
///
/// Everything is computed on logarithms and, where a tail is involved, on the left tail only
/// (mirroring right-hand cases), because a kernel far from a bound has a mass like
/// 1 - 1e-30 whose complement `1 - x` would round to zero. Bounds reach |z| = 100 (a kernel
/// is at least 1/100 of the range wide, magic clip), where Phi(z) is about e^-5000.
enum TruncatedNormal {
    static let logSqrt2Pi = 0.5 * ln(2 * Double.pi)

    /// Phi(z), the standard normal distribution function.
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log Phi(z), accurate in both tails.
    static func logCDF(_ z: Double) -> Double {
        if z > 6 { return log1p(-cdf(-z)) }  // Phi(z) near one: log(1 - tail)
        if z > -20 { return ln(cdf(z)) }  // erfc keeps its relative precision here
        // Far left tail, where erfc underflows: Phi(z) = phi(z) / -z * (1 - 1/z^2 + 3/z^4 - ...),
        // an asymptotic series whose terms shrink fast for |z| >= 20.
        let zz = z * z
        var sum = 1.0, term = 1.0, k = 1.0
        while true {
            term *= -(2 * k - 1) / zz
            if Swift.abs(term) < 1e-17 * sum { break }
            sum += term
            k += 1
        }
        return -0.5 * zz - logSqrt2Pi - ln(-z) + ln(sum)
    }

    /// log(Phi(b) - Phi(a)) for a < b: the log of the probability that `[a, b]` holds.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if a > 0 { return logMass(-b, -a) }  // mirror into the left tail
        if b <= 0 {
            let lb = logCDF(b)
            return lb + log1p(-exp(logCDF(a) - lb))
        }
        // Straddling zero: the mass is at least a fair part of one, and 1 - both tails keeps
        // its precision when the interval is wide.
        return log1p(-cdf(a) - cdf(-b))
    }

    /// The log density at `z` of the normal truncated to `[a, b]`, given `logMass(a, b)`.
    static func logPDF(_ z: Double, a: Double, b: Double, logMass m: Double) -> Double {
        guard z >= a, z <= b else { return -.infinity }
        return -0.5 * z * z - logSqrt2Pi - m
    }

    /// The quantile: the `z` in `[a, b]` below which a fraction `q` of the truncated mass lies.
    /// Sampling is `quantile(u, a, b)` for a uniform `u`.
    static func quantile(_ q: Double, a: Double, b: Double) -> Double {
        if q <= 0 { return a }
        if q >= 1 { return b }
        let m = logMass(a, b)
        let z: Double
        if a < 0 {
            // Phi(z) = Phi(a) + q (Phi(b) - Phi(a)), on logarithms.
            z = inverseLogCDF(logAddExp(logCDF(a), ln(q) + m))
        } else {
            // Mirrored: -z is the (1 - q) quantile of the normal on [-b, -a], whose left end is
            // in the left tail, where Phi keeps its precision.
            z = -inverseLogCDF(logAddExp(logCDF(-b), log1p(-q) + m))
        }
        return Swift.min(Swift.max(z, a), b)
    }

    /// The z with log Phi(z) = y (y <= 0).
    static func inverseLogCDF(_ y: Double) -> Double {
        if y >= 0 { return .infinity }
        if y == -.infinity { return -.infinity }
        // Right half (Phi > 1/2): solve for -z in the left tail, where log Phi is precise.
        if y > -ln(2) { return -inverseLeftLogCDF(ln(-expm1(y))) }
        return inverseLeftLogCDF(y)
    }

    /// The z <= 0 with log Phi(z) = y, for y <= -log 2: Newton's method on log Phi, kept
    /// inside a bracket by bisection.
    ///
    /// log Phi is increasing and concave, so Newton from a good first guess converges fast. The
    /// bracket is rigorous: Phi(z) <= e^(-z^2/2) / 2 for z <= 0 puts the root above
    /// -sqrt(-2 (y + log 2)), and y <= -log 2 puts it at or below zero.
    private static func inverseLeftLogCDF(_ y: Double) -> Double {
        var lo = -(-2 * (y + ln(2))).squareRoot() - 1
        var hi = 0.0
        var z: Double
        if y < -5 {
            // Tail: log Phi(z) ~ -z^2/2 - log(-z) - log sqrt(2 pi); one fixed-point step.
            let t = -2 * y - 2 * logSqrt2Pi
            z = -Swift.max(t - ln(t), 1).squareRoot()
        } else {
            // Middle: the logistic approximation Phi(z) ~ 1 / (1 + e^(-pi z / sqrt 3)).
            z = 3.0.squareRoot() / Double.pi * (y - ln(-expm1(y)))
        }
        z = Swift.min(Swift.max(z, lo), hi)
        for _ in 0..<100 {
            let f = logCDF(z) - y
            if f == 0 { return z }
            if f > 0 { hi = z } else { lo = z }
            // Newton step: f' = phi(z) / Phi(z) = exp(log phi - log Phi).
            let logPhi = -0.5 * z * z - logSqrt2Pi
            var next = z - f * exp(f + y - logPhi)
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if Swift.abs(next - z) <= 1e-14 * Swift.max(1, Swift.abs(z)) { return next }
            z = next
        }
        return z
    }
}
