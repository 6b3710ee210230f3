#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// The hidden-layer non-linearities, forward and backward side by side.
///
/// Backward takes both the input `z` and the output `a`: sigmoid and tanh have derivatives
/// cheapest in terms of `a`, the ReLU family and GELU/SiLU in terms of `z`.
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, tanh, relu, leakyRelu = "leaky_relu", elu, selu, gelu, silu

    static let leakySlope: Float = 0.01
    static let seluScale: Float = 1.050_700_987_355_480_5
    static let seluAlpha: Float = 1.673_263_242_354_377_3

    /// `a = f(z)` over `count` elements.
    public func forward(_ z: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .sigmoid: vgsweep_sigmoid(z, a, count)
        case .tanh: vgsweep_tanh(z, a, count)
        case .relu: mapLanes(ReLU.self, z, a, count: count)
        case .leakyRelu: mapLanes(LeakyReLU.self, z, a, count: count)
        case .silu: vgsweep_silu(z, a, count)
        case .elu:
            for i in 0..<count { let x = z[i]; a[i] = x > 0 ? x : expm1f(x) }
        case .selu:
            for i in 0..<count {
                let x = z[i]
                a[i] = Self.seluScale * (x > 0 ? x : Self.seluAlpha * expm1f(x))
            }
        case .gelu:
            for i in 0..<count { let x = z[i]; a[i] = 0.5 * x * (1 + erff(x * 0.707_106_78)) }
        }
    }

    // The vectorised forward functions, as types so the generic loop is specialised and
    // inlined for each (a closure per case was not inlined and cost 4x the backward pass).
    private enum ReLU: LaneFunction { @inline(__always) static func apply(_ x: Lanes) -> Lanes { x.replacing(with: 0, where: x .< 0) } }
    private enum LeakyReLU: LaneFunction {
        @inline(__always) static func apply(_ x: Lanes) -> Lanes { x.replacing(with: x * Activation.leakySlope, where: x .< 0) }
    }

    /// `dz = da * f'(z)` over `count` elements; `dz` may alias `da`.
    /// Each case is `derivative` written on eight lanes (GELU stays scalar).
    public func backward(_ z: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                         _ da: UnsafePointer<Float>, _ dz: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .sigmoid:
            mapLanes(z, a, da, dz, count: count) { _, a, g in g * (a * (1 - a)) }
        case .tanh:
            mapLanes(z, a, da, dz, count: count) { _, a, g in g * (1 - a * a) }
        case .relu:
            mapLanes(z, a, da, dz, count: count) { z, _, g in Lanes(repeating: 0).replacing(with: g, where: z .> 0) }
        case .leakyRelu:
            mapLanes(z, a, da, dz, count: count) { z, _, g in (g * Self.leakySlope).replacing(with: g, where: z .> 0) }
        case .elu:
            mapLanes(z, a, da, dz, count: count) { z, a, g in g * (a + 1).replacing(with: 1, where: z .> 0) }
        case .selu:
            mapLanes(z, a, da, dz, count: count) { z, a, g in
                g * (a + Self.seluScale * Self.seluAlpha).replacing(with: Self.seluScale, where: z .> 0)
            }
        case .silu:
            mapLanes(z, a, da, dz, count: count) { z, _, g in
                let s = 1 / (1 + fastExp(-z))
                return g * (s * (1 + z * (1 - s)))
            }
        case .gelu:
            for i in 0..<count { dz[i] = da[i] * derivative(z: z[i], a: a[i]) }
        }
    }

    /// f'(z), given z and a = f(z). Also what the saturation diagnostic measures.
    @inline(__always)
    public func derivative(z: Float, a: Float) -> Float {
        switch self {
        case .sigmoid: return a * (1 - a)
        case .tanh: return 1 - a * a
        case .relu: return z > 0 ? 1 : 0
        case .leakyRelu: return z > 0 ? 1 : Self.leakySlope
        case .elu: return z > 0 ? 1 : a + 1
        case .selu: return z > 0 ? Self.seluScale : a + Self.seluScale * Self.seluAlpha
        case .gelu:
            let cdf = 0.5 * (1 + erff(z * 0.707_106_78))
            let pdf = 0.398_942_28 * expf(-0.5 * z * z)
            return cdf + z * pdf
        case .silu:
            let s = 1 / (1 + fastExp(-z))
            return s * (1 + z * (1 - s))
        }
    }
}
