/// Which normalization follows each hidden `Dense`, before its activation.
public enum NormalizationKind: String, CaseIterable, Sendable {
    case none, batchnorm, layernorm, standardize
}

/// A normalization layer: forward keeps what backward needs, in buffers sized once.
public protocol Normalization: AnyObject {
    var parameters: [Parameter] { get }
    /// `training` selects batch statistics (and updates running ones, for BatchNorm).
    func forward(_ x: Matrix, into y: inout Matrix, training: Bool)
    /// Input gradient from the output gradient; also writes the parameter gradients unless
    /// frozen. Uses the state of the last training forward.
    func backward(_ dy: Matrix, into dx: inout Matrix)
}

extension NormalizationKind {
    func makeLayer(features: Int, maxRows: Int, name: String) -> (any Normalization)? {
        switch self {
        case .none: return nil
        case .batchnorm: return BatchNorm(features: features, maxRows: maxRows, name: name)
        case .layernorm: return LayerNorm(features: features, maxRows: maxRows, name: name)
        case .standardize: return Standardize(features: features, maxRows: maxRows)
        }
    }
}

/// Shared by BatchNorm and LayerNorm: a learned scale and shift per feature.
final class Affine {
    let scale: Parameter
    let shift: Parameter
    init(features: Int, name: String) {
        scale = Parameter(name: "\(name).scale", rows: 1, cols: features)
        shift = Parameter(name: "\(name).shift", rows: 1, cols: features)
        scale.value.fill(1)
    }

    /// `dγ = Σ dy·x̂` and `dβ = Σ dy` per feature, unless frozen.
    func storeGradients(sumDy: [Float], sumDyXhat: [Float]) {
        guard !scale.isFrozen else { return }
        for j in sumDy.indices {
            scale.grad.storage[j] = sumDyXhat[j]
            shift.grad.storage[j] = sumDy[j]
        }
    }
}
