import Foundation
import SweepSchema
import SweepStorage

/// What the chart files share: axes with ticks and grid lines, thinning long series, and
/// shortening labels.
public enum ChartSupport {
    /// A vertical axis at `x`: tick labels on its left and grid lines across to `gridTo`.
    public static func yAxis(_ svg: inout SVG, scale: LinearScale, ticks: [Double], x: Double, gridTo: Double,
                      format: (Double) -> String, title: String? = nil) {
        for t in ticks {
            let y = scale(t)
            svg.line(x1: x, y1: y, x2: gridTo, y2: y, stroke: Palette.grid)
            svg.text(format(t), x: x - 4, y: y + 3.5, size: 10, anchor: .end, fill: Palette.muted)
        }
        svg.line(x1: x, y1: scale.range.0, x2: x, y2: scale.range.1, stroke: Palette.axis)
        if let title {
            let middle = (scale.range.0 + scale.range.1) / 2
            svg.text(title, x: 11, y: middle, size: 10, anchor: .middle, fill: Palette.muted, rotate: -90)
        }
    }

    /// A horizontal axis at `y`: tick marks and labels below it, optional grid lines up to `gridTo`.
    public static func xAxis(_ svg: inout SVG, scale: LinearScale, ticks: [Double], y: Double, gridTo: Double? = nil,
                      format: (Double) -> String, title: String? = nil) {
        for t in ticks {
            let x = scale(t)
            if let gridTo { svg.line(x1: x, y1: gridTo, x2: x, y2: y, stroke: Palette.grid) }
            svg.line(x1: x, y1: y, x2: x, y2: y + 3, stroke: Palette.axis)
            svg.text(format(t), x: x, y: y + 13, size: 10, anchor: .middle, fill: Palette.muted)
        }
        svg.line(x1: scale.range.0, y1: y, x2: scale.range.1, y2: y, stroke: Palette.axis)
        if let title {
            svg.text(title, x: (scale.range.0 + scale.range.1) / 2, y: y + 25, size: 10, anchor: .middle, fill: Palette.muted)
        }
    }

    /// Integer epoch ticks between 1 and `last`.
    public static func epochTicks(last: Int, count: Int = 5) -> [Double] {
        guard last > 1 else { return [1] }
        let ticks = LinearScale.niceTicks(1, Double(last), count: count).filter { $0 >= 1 && $0 == $0.rounded() }
        return ticks.isEmpty ? [1, Double(last)] : ticks
    }

    /// At most `limit` points: consecutive points averaged in equal buckets (x and the finite
    /// y values; a bucket with none is a gap). Shorter series come back as they are.
    public static func thin(_ points: [(Double, Double?)], limit: Int) -> [(Double, Double?)] {
        guard points.count > limit, limit > 0 else { return points }
        var out: [(Double, Double?)] = []
        out.reserveCapacity(limit)
        for b in 0..<limit {
            let lo = b * points.count / limit, hi = (b + 1) * points.count / limit
            guard hi > lo else { continue }
            let slice = points[lo..<hi]
            let x = slice.map(\.0).reduce(0, +) / Double(slice.count)
            let ys = slice.compactMap { $0.1 }.filter(\.isFinite)
            out.append((x, ys.isEmpty ? nil : ys.reduce(0, +) / Double(ys.count)))
        }
        return out
    }

    /// The label cut to `length` characters with an ellipsis (the full text goes in a tooltip).
    public static func shorten(_ s: String, _ length: Int) -> String {
        s.count <= length ? s : String(s.prefix(max(length - 1, 1))) + "…"
    }

    /// Labels for the Dense layers of a network with `count` of them: L1 ... L(count-1), head.
    public static func layerName(_ index: Int, of count: Int) -> String {
        index == count - 1 ? "head" : "L\(index + 1)"
    }

    /// "1e-4"-style label for a power of ten.
    public static func powerOfTen(_ exponent: Double) -> String {
        let e = Int(exponent.rounded())
        return e == 0 ? "1" : "1e\(e)"
    }
}
