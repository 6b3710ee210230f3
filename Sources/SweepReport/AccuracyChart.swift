import Foundation
import SweepStorage

/// Test accuracy per configuration, best first: one row each, with every seed as a ring, the
/// min-max range as a thin line, mean ± std as a band, the mean as a dot and the published
/// figures as markers.
public enum AccuracyChart {
    public static func render(_ configs: [ReportConfig]) -> String {
        let rowHeight = 28.0, top = 40.0, bottom = 40.0, left = 190.0, right = 70.0, width = 1000.0
        let height = top + bottom + rowHeight * Double(max(configs.count, 1))
        var svg = SVG(width: width, height: height, title: "Test accuracy per configuration: mean, ±std and min–max over seeds")
        let x = LinearScale(domain: (0, 1), range: (left, width - right))
        let plotBottom = height - bottom

        legend(&svg, x: 20, y: 14)
        ChartSupport.xAxis(&svg, scale: x, ticks: x.ticks(10), y: plotBottom, gridTo: top - 6,
                           format: { String(format: "%.1f", $0) }, title: "test accuracy")
        // Chance level for 10 balanced classes.
        svg.line(x1: x(0.1), y1: top - 6, x2: x(0.1), y2: plotBottom, stroke: "#bbb", dash: "3 3")
        svg.text("chance", x: x(0.1), y: top - 9, size: 9, anchor: .middle, fill: Palette.muted)

        if configs.isEmpty {
            svg.text("no trials in this sweep", x: left + 10, y: top + 16, size: 12, fill: Palette.muted)
        }
        for (row, config) in configs.enumerated() {
            let y = top + rowHeight * (Double(row) + 0.5)
            if row % 2 == 1 {
                svg.rect(x: 4, y: y - rowHeight / 2, width: width - 8, height: rowHeight, fill: "#f6f7f9", opacity: 0.8)
            }
            let rank = config.rank.map { "\($0). " } ?? "–  "
            svg.text(rank + ChartSupport.shorten(config.label, 26), x: left - 10, y: y + 4, size: 11, anchor: .end,
                     fill: Palette.text, tooltip: config.label + (config.detail.isEmpty ? "" : " (\(config.detail))"))
            draw(config, y: y, x: x, svg: &svg, labelX: width - right + 8)
            published(config, y: y, x: x, svg: &svg)
        }
        return svg.render(id: "accuracy-chart")
    }

    private static func draw(_ config: ReportConfig, y: Double, x: LinearScale, svg: inout SVG, labelX: Double) {
        let values = config.testAccuracies
        let clamp = { (v: Double) in min(max(v, 0), 1) }
        guard let mean = config.meanTestAcc, let lo = values.min(), let hi = values.max() else {
            svg.text("no finished trial (\(config.statusSummary))", x: x(0) + 6, y: y + 4, size: 10, fill: Palette.muted)
            return
        }
        svg.line(x1: x(clamp(lo)), y1: y, x2: x(clamp(hi)), y2: y, stroke: "#5d6d7e", width: 1.2)
        if let std = config.stdTestAcc, std > 0 {
            let a = x(clamp(mean - std)), b = x(clamp(mean + std))
            svg.rect(x: a, y: y - 4, width: b - a, height: 8, fill: Palette.valAcc, opacity: 0.25, rx: 2)
        }
        for v in values {
            svg.circle(cx: x(clamp(v)), cy: y, r: 3, fill: "white", stroke: "#34495e", strokeWidth: 1,
                       tooltip: "one seed: \(HTML.fixed(v))")
        }
        let spread = config.stdTestAcc.map { " ± \(HTML.fixed($0))" } ?? ""
        svg.circle(cx: x(clamp(mean)), cy: y, r: 4.5, fill: Palette.valAcc,
                   tooltip: "mean \(HTML.fixed(mean))\(spread) over \(values.count) seed(s); min \(HTML.fixed(lo)), max \(HTML.fixed(hi))")
        svg.text(HTML.fixed(mean), x: labelX, y: y + 4, size: 11, fill: Palette.text, weight: "bold")
    }

    /// The published figures, drawn last so the seeds' marks never hide them: the seed's run
    /// as a filled triangle above the row, the later edition's as a hollow one below it.
    private static func published(_ config: ReportConfig, y: Double, x: LinearScale, svg: inout SVG) {
        let clamp = { (v: Double) in min(max(v, 0), 1) }
        if let p = config.published?.seed {
            marker(&svg, x: x(clamp(p)), y: y, above: true, tooltip: "published (seed, 300 epochs): \(HTML.fixed(p))")
        }
        if let p = config.published?.laterEdition {
            marker(&svg, x: x(clamp(p)), y: y, above: false, tooltip: "published (later edition, 100 epochs): \(HTML.fixed(p))")
        }
    }

    /// A triangle pointing at the row's line from above (filled) or below (hollow).
    private static func marker(_ svg: inout SVG, x: Double, y: Double, above: Bool, tooltip: String) {
        let tip = above ? y - 3 : y + 3, base = above ? y - 11 : y + 11
        svg.polygon([(x, tip), (x + 5, base), (x - 5, base)], fill: above ? Palette.published : "white",
                    stroke: above ? nil : Palette.laterEdition, tooltip: tooltip)
    }

    private static func legend(_ svg: inout SVG, x: Double, y: Double) {
        var cx = x
        svg.circle(cx: cx, cy: y, r: 4.5, fill: Palette.valAcc)
        svg.text("mean", x: cx + 8, y: y + 4, size: 10)
        cx += 50
        svg.rect(x: cx - 5, y: y - 4, width: 24, height: 8, fill: Palette.valAcc, opacity: 0.25, rx: 2)
        svg.text("± std", x: cx + 24, y: y + 4, size: 10)
        cx += 62
        svg.line(x1: cx - 5, y1: y, x2: cx + 19, y2: y, stroke: "#5d6d7e", width: 1.2)
        svg.text("min–max", x: cx + 24, y: y + 4, size: 10)
        cx += 88
        svg.circle(cx: cx, cy: y, r: 3, fill: "white", stroke: "#34495e")
        svg.text("one seed", x: cx + 8, y: y + 4, size: 10)
        cx += 66
        marker(&svg, x: cx, y: y + 7, above: true, tooltip: "published")
        svg.text("published, seed (300 epochs)", x: cx + 9, y: y + 4, size: 10)
        cx += 170
        marker(&svg, x: cx, y: y - 7, above: false, tooltip: "later edition")
        svg.text("published, later edition (100 epochs)", x: cx + 9, y: y + 4, size: 10)
    }
}
