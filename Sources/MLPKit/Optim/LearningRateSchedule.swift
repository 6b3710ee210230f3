#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate per epoch, as PyTorch's `StepLR` and `CosineAnnealingLR` (eta_min 0)
/// give it when stepped once per epoch.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// Multiply by `gamma` every `every` epochs.
    case step(every: Int, gamma: Float)
    /// Half a cosine from the base rate down to 0 over `epochs`.
    case cosine(epochs: Int)

    /// The rate for 0-based `epoch`.
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let gamma):
            return base * powf(gamma, Float(epoch / max(every, 1)))
        case .cosine(let epochs):
            return base * 0.5 * (1 + cosf(Float.pi * Float(epoch) / Float(max(epochs, 1))))
        }
    }
}
