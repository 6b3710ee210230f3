import SweepSchema
import Foundation
import SweepStorage

/// A one-word diagnosis of a trial from what it measured: did the gradient vanish?
public struct Verdict: Equatable {
    public enum Kind: String, CaseIterable {
        case vanishing, saturated, healthy, diverged
        case noData = "no data"
    }

    public var kind: Kind
    /// The measured numbers behind it, for the page.
    public var reason: String
    /// The last epoch's grad_ratio (first layer's gradient norm over the head's).
    public var gradRatio: Double?
    /// Mean train loss over the plateau window.
    public var plateauLoss: Double?

    // The thresholds, stated on the page as they are applied here.
    public static let ln10 = log(10.0)
    /// Vanishing: the first layer gets less than 1 % of the head's gradient...
    public static let gradRatioThreshold = 1e-2
    /// ... and the network has learnt nothing: every train loss of the last epochs within
    /// this of ln 10, the loss of a uniform guess over 10 classes.
    public static let plateauTolerance = 0.05
    /// The last epochs looked at for the plateau (fewer when the trial has fewer).
    public static let plateauEpochs = 3
    /// Saturated: on the last epoch, this share of the hidden units' activations (mean over
    /// the hidden layers) has a derivative below 0.01, so hardly any gradient passes them
    /// whatever the ratio says: init std 10 drives every sigmoid to 0 or 1.
    public static let saturationThreshold = 0.9

    public static var rules: [(Kind, String)] {
        [
            (.diverged, "the trial's status is diverged, or a train loss of its last attempt is NaN or infinite."),
            (.vanishing, "the last epoch's grad_ratio (gradient norm of the first layer / of the head) is below "
                + "\(ChartSupport.powerOfTen(log10(gradRatioThreshold))) and every train loss of the last \(plateauEpochs) epochs is within "
                + "\(plateauTolerance) of ln 10 = \(String(format: "%.4f", ln10)) (chance level: the network learns nothing)."),
            (.saturated, "not vanishing, but on the last epoch at least \(Int(saturationThreshold * 100)) % of the hidden activations "
                + "(mean over hidden layers) have a derivative below 0.01: saturated sigmoids or dead ReLUs pass almost no gradient."),
            (.healthy, "anything else with at least one epoch measured (a small grad_ratio while the loss still falls counts as healthy)."),
            (.noData, "no epoch was measured (queued, running, or failed before its first epoch)."),
        ]
    }

    public static func judge(status: TrialStatus, epochs: [EpochPoint]) -> Verdict {
        let losses = epochs.map(\.trainLoss)
        let lastRatio = epochs.last?.gradRatio.flatMap { $0.isFinite ? $0 : nil }
        if status == .diverged || losses.contains(where: { $0.map { !$0.isFinite } ?? false }) {
            let at = epochs.first { $0.trainLoss.map { !$0.isFinite } ?? false }?.epoch
            return Verdict(kind: .diverged,
                           reason: status == .diverged ? "status diverged" + (at.map { ", train loss not finite at epoch \($0)" } ?? "")
                                                        : "train loss not finite at epoch \(at ?? 0)",
                           gradRatio: lastRatio, plateauLoss: nil)
        }
        guard !epochs.isEmpty else {
            return Verdict(kind: .noData, reason: "no epoch measured (status \(status))", gradRatio: nil, plateauLoss: nil)
        }
        let window = losses.suffix(plateauEpochs).compactMap { $0 }
        let plateauLoss = ResultsTable.mean(window)
        let onPlateau = !window.isEmpty && window.allSatisfy { abs($0 - ln10) <= plateauTolerance }
        let ratioText = "grad ratio " + (lastRatio.map { HTML.scientific($0) } ?? "not measured")
        let lossText = "train loss " + HTML.fixed(plateauLoss, 4) + " over the last \(window.count) epoch(s)"
        if let ratio = lastRatio, ratio < gradRatioThreshold, onPlateau {
            return Verdict(kind: .vanishing,
                           reason: "\(ratioText) < \(ChartSupport.powerOfTen(log10(gradRatioThreshold))); \(lossText), within \(plateauTolerance) of ln 10",
                           gradRatio: lastRatio, plateauLoss: plateauLoss)
        }
        if let saturated = epochs.last?.saturated, saturated >= saturationThreshold {
            return Verdict(kind: .saturated,
                           reason: "\(HTML.fixed(saturated * 100, 1)) % of hidden activations saturated or dead; \(ratioText); \(lossText)",
                           gradRatio: lastRatio, plateauLoss: plateauLoss)
        }
        var notes: [String] = []
        if let ratio = lastRatio, ratio < gradRatioThreshold { notes.append("small ratio but the loss moves") }
        if onPlateau { notes.append("loss at chance level") }
        return Verdict(kind: .healthy,
                       reason: "\(ratioText); \(lossText)" + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"),
                       gradRatio: lastRatio, plateauLoss: plateauLoss)
    }
}
