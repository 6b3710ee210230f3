import Foundation
import SweepStorage

/// Learning curves, one small chart per configuration: train loss on top, validation (and
/// train) accuracy below, one line per seed, on the same scales for every configuration.
public enum CurveChart {
    /// Points drawn per line at most; longer runs are averaged in buckets.
    public static let maxPoints = 300

    /// The loss axis every panel shares: up to the largest finite train loss (at most 5),
    /// never below ln 10 + a margin so the chance level is always in view.
    public static func lossLimit(_ configs: [ReportConfig]) -> Double {
        let losses = configs.flatMap { $0.trials.flatMap { $0.epochs.compactMap(\.trainLoss) } }.filter(\.isFinite)
        let top = min(max(losses.max() ?? 0, Verdict.ln10 + 0.2), 5)
        return (top * 2).rounded(.up) / 2
    }

    public static func legend() -> String {
        var svg = SVG(width: 520, height: 22, title: "Legend of the learning curves")
        svg.line(x1: 6, y1: 11, x2: 30, y2: 11, stroke: Palette.trainLoss, width: 2)
        svg.text("train loss", x: 36, y: 15, size: 11)
        svg.line(x1: 110, y1: 11, x2: 134, y2: 11, stroke: Palette.valAcc, width: 2)
        svg.text("val accuracy", x: 140, y: 15, size: 11)
        svg.line(x1: 228, y1: 11, x2: 252, y2: 11, stroke: Palette.trainAcc, width: 1.5, dash: "4 3")
        svg.text("train accuracy", x: 258, y: 15, size: 11)
        svg.line(x1: 356, y1: 11, x2: 380, y2: 11, stroke: "#999", dash: "3 3")
        svg.text("chance (ln 10, 0.1)", x: 386, y: 15, size: 11)
        return svg.render(cssClass: "legend")
    }

    public static func render(_ config: ReportConfig, lossLimit: Double, id: String) -> String {
        let width = 380.0, left = 44.0, right = 10.0
        let lossTop = 8.0, lossBottom = 100.0, accTop = 114.0, accBottom = 206.0, height = 240.0
        var svg = SVG(width: width, height: height, title: "Train loss and accuracy per epoch: \(config.label)")
        let lastEpoch = config.trials.flatMap { $0.epochs.map(\.epoch) }.max() ?? 0
        let x = LinearScale(domain: (1, Double(max(lastEpoch, 2))), range: (left, width - right))
        let loss = LinearScale(domain: (0, lossLimit), range: (lossBottom, lossTop))
        let acc = LinearScale(domain: (0, 1), range: (accBottom, accTop))

        ChartSupport.yAxis(&svg, scale: loss, ticks: loss.ticks(4), x: left, gridTo: width - right,
                           format: { String(format: "%g", $0) }, title: "train loss")
        ChartSupport.yAxis(&svg, scale: acc, ticks: [0, 0.25, 0.5, 0.75, 1], x: left, gridTo: width - right,
                           format: { String(format: "%g", $0) }, title: "accuracy")
        ChartSupport.xAxis(&svg, scale: x, ticks: ChartSupport.epochTicks(last: max(lastEpoch, 1)), y: accBottom,
                           format: { String(Int($0)) }, title: "epoch")
        svg.line(x1: left, y1: lossBottom, x2: width - right, y2: lossBottom, stroke: Palette.axis)
        svg.line(x1: left, y1: loss(Verdict.ln10), x2: width - right, y2: loss(Verdict.ln10), stroke: "#999", dash: "3 3")
        svg.line(x1: left, y1: acc(0.1), x2: width - right, y2: acc(0.1), stroke: "#999", dash: "3 3")

        guard lastEpoch > 0 else {
            svg.text("no epoch measured (\(config.statusSummary))", x: left + 10, y: lossTop + 40, size: 11, fill: Palette.muted)
            return svg.render(id: id)
        }
        stageBoundaries(config, x: x, svg: &svg, top: lossTop, bottom: accBottom)
        for trial in config.trials where !trial.epochs.isEmpty {
            let seed = trial.seed.map { "seed \($0)" } ?? trial.stored.id
            // Losses above the axis are drawn at its top edge rather than dropped.
            let lossPoints = trial.epochs.map { (Double($0.epoch), $0.trainLoss.map { min($0, lossLimit) }) }
            svg.polyline(ChartSupport.thin(lossPoints, limit: maxPoints).map { (x($0.0), $0.1.map { loss($0) }) },
                         stroke: Palette.trainLoss, width: 1.6, opacity: 0.85, tooltip: "train loss, \(seed)")
            let trainAcc = trial.epochs.map { (Double($0.epoch), $0.trainAcc) }
            svg.polyline(ChartSupport.thin(trainAcc, limit: maxPoints).map { (x($0.0), $0.1.map { acc($0) }) },
                         stroke: Palette.trainAcc, width: 1.2, dash: "4 3", opacity: 0.9, tooltip: "train accuracy, \(seed)")
            let valAcc = trial.epochs.map { (Double($0.epoch), $0.valAcc) }
            svg.polyline(ChartSupport.thin(valAcc, limit: maxPoints).map { (x($0.0), $0.1.map { acc($0) }) },
                         stroke: Palette.valAcc, width: 1.6, opacity: 0.85, tooltip: "val accuracy, \(seed)")
        }
        if config.trials.contains(where: { $0.epochs.contains { ($0.trainLoss ?? 0) > lossLimit } }) {
            svg.text("losses above \(String(format: "%g", lossLimit)) drawn at the top", x: width - right - 4, y: lossTop + 10,
                     size: 9, anchor: .end, fill: Palette.muted)
        }
        if !config.trials.contains(where: { $0.epochs.contains { $0.valAcc != nil } }) {
            svg.text("no validation split (val_fraction=0)", x: width - right - 4, y: accTop + 12, size: 9,
                     anchor: .end, fill: Palette.muted)
        }
        return svg.render(id: id)
    }

    /// Faint vertical lines where a progressive schedule moves to its next stage.
    private static func stageBoundaries(_ config: ReportConfig, x: LinearScale, svg: inout SVG, top: Double, bottom: Double) {
        guard let trial = config.trials.first(where: { !$0.epochs.isEmpty }) else { return }
        var previous: Int? = nil
        for point in trial.epochs {
            if let stage = point.stage, let p = previous, stage != p {
                let bx = x(Double(point.epoch) - 0.5)
                svg.line(x1: bx, y1: top, x2: bx, y2: bottom, stroke: "#c8c8c8", dash: "1 3")
                svg.text("s\(stage)", x: bx + 2, y: top + 8, size: 8, fill: Palette.muted)
            }
            previous = point.stage ?? previous
        }
    }
}
