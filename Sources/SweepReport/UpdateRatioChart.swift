import Foundation
import SweepStorage

/// How much each layer's weights move per step, |ΔW| / |W|, per configuration: a bar per Dense
/// layer for the last epoch and a dot for the mean over all epochs (both geometric means over
/// seeds), on one log scale for every configuration.
public enum UpdateRatioChart {
    public struct Bars {
        /// log10 of the last epoch's update ratio per layer (input first, head last).
        var last: [Double?]
        /// log10 of the geometric mean over epochs per layer.
        var overall: [Double?]
    }

    public static func bars(_ config: ReportConfig) -> Bars {
        let trials = config.trials.filter { !$0.epochs.isEmpty }
        let layers = trials.compactMap { $0.epochs.last?.updateRatio.count }.max() ?? 0
        var last = [[Double]](repeating: [], count: layers)
        var overall = [[Double]](repeating: [], count: layers)
        for trial in trials {
            guard let final = trial.epochs.last, final.updateRatio.count == layers else { continue }
            for (i, v) in final.updateRatio.enumerated() { if let v, v.isFinite, v > 0 { last[i].append(log10(v)) } }
            // Over epochs: only those that measured the same layers (a progressive schedule grows).
            for point in trial.epochs where point.updateRatio.count == layers {
                for (i, v) in point.updateRatio.enumerated() { if let v, v.isFinite, v > 0 { overall[i].append(log10(v)) } }
            }
        }
        return Bars(last: last.map(ResultsTable.mean), overall: overall.map(ResultsTable.mean))
    }

    /// Whole decades covering every configuration's values.
    public static func range(_ all: [Bars]) -> (low: Double, high: Double) {
        let values = all.flatMap { $0.last.compactMap { $0 } + $0.overall.compactMap { $0 } }
        var low = floor(values.min() ?? -6), high = ceil(values.max() ?? 0)
        if high - low < 2 { low = high - 2 }
        if high - low > 10 { low = high - 10 }
        return (low, high)
    }

    public static func render(_ bars: Bars, range: (low: Double, high: Double), title: String, id: String) -> String {
        let width = 380.0, left = 44.0, right = 10.0, top = 8.0, bottom = 118.0, height = 140.0
        var svg = SVG(width: width, height: height, title: "Update ratio |ΔW|/|W| per layer: \(title)")
        let y = LinearScale(domain: (range.low, range.high), range: (bottom, top))
        let step = max(1.0, ((range.high - range.low) / 5).rounded(.up))
        let ticks = stride(from: range.low, through: range.high, by: step).map { $0 }
        ChartSupport.yAxis(&svg, scale: y, ticks: ticks, x: left, gridTo: width - right,
                           format: ChartSupport.powerOfTen, title: "|ΔW| / |W|")
        svg.line(x1: left, y1: bottom, x2: width - right, y2: bottom, stroke: Palette.axis)
        let n = bars.last.count
        guard n > 0 else {
            svg.text("no update ratio measured", x: (left + width) / 2, y: (top + bottom) / 2, size: 11,
                     anchor: .middle, fill: Palette.muted)
            return svg.render(id: id)
        }
        let slot = (width - left - right) / Double(n)
        let barWidth = min(28, slot * 0.7)
        for i in 0..<n {
            let cx = left + slot * (Double(i) + 0.5)
            let name = ChartSupport.layerName(i, of: n)
            svg.text(name, x: cx, y: bottom + 12, size: 10, anchor: .middle, fill: Palette.muted)
            if let v = bars.last[i] {
                let top = y(min(max(v, range.low), range.high))
                svg.rect(x: cx - barWidth / 2, y: top, width: barWidth, height: bottom - top,
                         fill: i == n - 1 ? "#7f8c8d" : Palette.valAcc, opacity: 0.85,
                         tooltip: "\(name), last epoch: \(HTML.scientific(pow(10, v)))")
            } else {
                svg.text("–", x: cx, y: bottom - 4, size: 10, anchor: .middle, fill: Palette.muted)
            }
            if let m = bars.overall[i] {
                svg.circle(cx: cx, cy: y(min(max(m, range.low), range.high)), r: 3, fill: "white", stroke: "#222",
                           strokeWidth: 1.2, tooltip: "\(name), mean over epochs: \(HTML.scientific(pow(10, m)))")
            }
        }
        return svg.render(id: id)
    }

    public static func legend() -> String {
        var svg = SVG(width: 520, height: 22, title: "Legend of the update-ratio charts")
        svg.rect(x: 6, y: 5, width: 14, height: 12, fill: Palette.valAcc, opacity: 0.85)
        svg.text("last epoch (hidden layer)", x: 26, y: 15, size: 11)
        svg.rect(x: 180, y: 5, width: 14, height: 12, fill: "#7f8c8d", opacity: 0.85)
        svg.text("last epoch (head)", x: 200, y: 15, size: 11)
        svg.circle(cx: 320, cy: 11, r: 3, fill: "white", stroke: "#222", strokeWidth: 1.2)
        svg.text("mean over epochs (geometric)", x: 328, y: 15, size: 11)
        return svg.render(cssClass: "legend")
    }
}
