#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax and cross-entropy fused: the gradient of the mean loss with respect to the logits
/// is simply `(softmax - onehot) / B`, and log-sum-exp keeps large logits finite.
public enum SoftmaxCrossEntropy {
    public struct Outcome: Sendable {
        /// Sum (not mean) of per-sample losses, in Double so an epoch's total stays exact.
        public var lossSum: Double
        public var correct: Int
    }

    /// Loss and accuracy of `logits` against `labels`; when `gradient` is given, writes
    /// `d(mean loss)/d(logits)` there.
    public static func evaluate(_ logits: Matrix, labels: UnsafeBufferPointer<Int32>,
                                gradient: UnsafeMutablePointer<Float>?) -> Outcome {
        let rows = logits.rows, k = logits.cols
        let scale = 1 / Float(rows)
        var outcome = Outcome(lossSum: 0, correct: 0)
        logits.storage.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                let row = p.baseAddress! + r * k
                var maxValue = row[0], argmax = 0
                for c in 1..<k where row[c] > maxValue { maxValue = row[c]; argmax = c }
                var sum: Float = 0
                for c in 0..<k { sum += expf(row[c] - maxValue) }
                let label = Int(labels[r])
                let logSumExp = maxValue + logf(sum)
                outcome.lossSum += Double(logSumExp - row[label])
                if argmax == label { outcome.correct += 1 }
                if let gradient {
                    let g = gradient + r * k
                    for c in 0..<k { g[c] = expf(row[c] - logSumExp) * scale }
                    g[label] -= scale
                }
            }
        }
        return outcome
    }
}
