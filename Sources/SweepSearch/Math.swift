#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The natural logarithm under a name that no `log: Bool` property shadows.
@inline(__always) func ln(_ x: Double) -> Double { log(x) }

/// log(exp(a) + exp(b)) without overflow, and right when either is -inf.
@inline(__always) func logAddExp(_ a: Double, _ b: Double) -> Double {
    let m = Swift.max(a, b)
    if m == -.infinity { return -.infinity }
    return m + log1p(exp(-Swift.abs(a - b)))
}
