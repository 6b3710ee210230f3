/// Which earlier hidden layer's output, if any, is added to each hidden layer's output.
public enum SkipPattern: Equatable, Sendable, CustomStringConvertible {
    case none
    /// The seed's pattern: layer 1's output added to layer 3's, layer 4's to layer 7's.
    case seed
    /// An identity shortcut around every `n` hidden layers: layer `k`'s output gets layer
    /// `k - n`'s added whenever `k - 1` is a multiple of `n` (layer 1 maps the 784 inputs and
    /// starts no block of its own). With n = 2: 1→3, 3→5, 5→7.
    case every(Int)

    /// The 1-based source layer whose output is added to hidden layer `k`'s output.
    public func source(of k: Int) -> Int? {
        switch self {
        case .none: return nil
        case .seed: return k == 3 ? 1 : (k == 7 ? 4 : nil)
        case .every(let n): return k > n && (k - 1) % n == 0 ? k - n : nil
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .seed: return "seed"
        case .every(let n): return String(n)
        }
    }
}

/// The shape of an MLP: everything that decides its parameters, nothing about training.
public struct Architecture: Equatable, Sendable {
    public var inputs = 784
    public var classes = 10
    public var depth = 7
    public var width = 128
    public var activation = Activation.sigmoid
    public var normalization = NormalizationKind.none
    public var skip = SkipPattern.none
    public var initializer = Initializer.normal
    public var initStd: Float = 0.05

    public init() {}
}
