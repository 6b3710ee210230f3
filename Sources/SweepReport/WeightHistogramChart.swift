import Foundation
import SweepStorage

/// Each Dense layer's weight distribution before training (grey area) and at the end (blue
/// line), small multiples, one trial per configuration. Bars span -limit to +limit, the
/// largest |weight| of either time; heights are √count so both a spike and a spread show.
public enum WeightHistogramChart {
    public static let perRow = 4

    public static func render(_ histograms: [LayerHistogram], title: String, id: String) -> String {
        let width = 380.0, gap = 8.0, panelHeight = 58.0, labelHeight = 14.0
        let panelWidth = (width - gap * Double(perRow + 1)) / Double(perRow)
        let rows = max(1, (histograms.count + perRow - 1) / perRow)
        let height = Double(rows) * (panelHeight + labelHeight + gap) + gap
        var svg = SVG(width: width, height: height, title: "Weight distribution per layer, start and end: \(title)")
        guard !histograms.isEmpty else {
            svg.text("no weight histograms stored", x: width / 2, y: height / 2 + 4, size: 11, anchor: .middle, fill: Palette.muted)
            return svg.render(id: id)
        }
        for (k, h) in histograms.enumerated() {
            let x0 = gap + Double(k % perRow) * (panelWidth + gap)
            let y0 = gap + Double(k / perRow) * (panelHeight + labelHeight + gap)
            let name = k == histograms.count - 1 ? "head" : "L\(h.layer)"
            panel(&svg, h, name: name, x: x0, y: y0, width: panelWidth, height: panelHeight)
            svg.text(name, x: x0, y: y0 + panelHeight + 11, size: 10, weight: "bold")
            svg.text("±" + HTML.scientific(h.limit), x: x0 + panelWidth, y: y0 + panelHeight + 11, size: 9,
                     anchor: .end, fill: Palette.muted, tooltip: "bins span ±\(h.limit), the largest |weight|")
        }
        return svg.render(id: id)
    }

    private static func panel(_ svg: inout SVG, _ h: LayerHistogram, name: String,
                              x: Double, y: Double, width: Double, height: Double) {
        svg.rect(x: x, y: y, width: width, height: height, fill: "#fbfbfc", stroke: "#e1e1e1")
        svg.line(x1: x + width / 2, y1: y, x2: x + width / 2, y2: y + height, stroke: "#e1e1e1")
        let peak = (h.start + h.end).max().map { $0.squareRoot() } ?? 0
        guard peak > 0 else { return }
        let bottom = y + height
        func steps(_ counts: [Double]) -> [(Double, Double)] {
            let binWidth = width / Double(max(counts.count, 1))
            var points: [(Double, Double)] = []
            for (i, c) in counts.enumerated() {
                let top = bottom - (height - 3) * c.squareRoot() / peak
                points.append((x + binWidth * Double(i), top))
                points.append((x + binWidth * Double(i + 1), top))
            }
            return points
        }
        let start = steps(h.start)
        if !start.isEmpty {
            svg.polygon([(x, bottom)] + start + [(x + width, bottom)], fill: Palette.start, opacity: 0.65,
                         tooltip: "\(name) at the start: \(Int(h.start.reduce(0, +))) weights")
        }
        let end = steps(h.end)
        if !end.isEmpty {
            var line: [(Double, Double?)] = [(x, bottom)]
            line += end.map { point -> (Double, Double?) in (point.0, point.1) }
            line.append((x + width, bottom))
            svg.polyline(line, stroke: Palette.end, width: 1.3, tooltip: "\(name) at the end: \(Int(h.end.reduce(0, +))) weights")
        }
    }

    public static func legend() -> String {
        var svg = SVG(width: 520, height: 22, title: "Legend of the weight histograms")
        svg.rect(x: 6, y: 5, width: 18, height: 12, fill: Palette.start, opacity: 0.65)
        svg.text("before training", x: 30, y: 15, size: 11)
        svg.line(x1: 130, y1: 11, x2: 154, y2: 11, stroke: Palette.end, width: 1.6)
        svg.text("after training", x: 160, y: 15, size: 11)
        svg.text("height ∝ √count; x from −limit to +limit", x: 260, y: 15, size: 11, fill: Palette.muted)
        return svg.render(cssClass: "legend")
    }
}
