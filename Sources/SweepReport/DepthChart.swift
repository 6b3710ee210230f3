import Foundation
import SweepSchema
import SweepStorage

/// Test accuracy against network depth, one line per variant: the question `depth.yaml`
/// asks (which fixes keep working as the network deepens) answered in one picture. Drawn
/// only when the configurations differ in `depth`.
public enum DepthChart {
    /// One variant's points: mean and spread of test accuracy at each depth it ran.
    public struct Series {
        var name: String
        /// (depth, mean, std, seeds), by depth.
        var points: [(depth: Int, mean: Double, std: Double?, seeds: Int)]
    }

    /// The configurations as series: a variant is the list entry's name, or for grid and
    /// random sweeps every swept parameter but depth. Nil when fewer than two depths ran.
    public static func series(_ configs: [ReportConfig]) -> [Series]? {
        var order: [String] = []
        var byName: [String: [(Int, ReportConfig)]] = [:]
        for c in configs {
            guard let first = c.trials.first,
                  let depth = first.stored.parameters.first(where: { $0.name == "depth" }).flatMap({ Int($0.value) }) else { continue }
            let name = first.stored.name.isEmpty
                ? c.detail.split(separator: " ").filter { !$0.hasPrefix("depth=") }.joined(separator: " ")
                : first.stored.name
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append((depth, c))
        }
        let depths = Set(byName.values.flatMap { $0.map(\.0) })
        guard depths.count >= 2 else { return nil }
        return order.map { name in
            let points = byName[name]!.sorted { $0.0 < $1.0 }.compactMap { depth, c in
                c.meanTestAcc.map { (depth: depth, mean: $0, std: c.stdTestAcc, seeds: c.testAccuracies.count) }
            }
            return Series(name: name.isEmpty ? "all" : name, points: points)
        }
    }

    /// Categorical colours that stay apart for up to eight lines (Okabe-Ito, colour-blind safe).
    public static let colors = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]

    public static func render(_ series: [Series]) -> String {
        let width = 1000.0, height = 420.0, left = 60.0, right = 230.0, top = 20.0, bottom = 48.0
        var svg = SVG(width: width, height: height, title: "Test accuracy against depth, one line per variant")
        let depths = Array(Set(series.flatMap { $0.points.map(\.depth) })).sorted()
        // Depths as equally spaced categories: 3, 7, 15, 30, 50 would crowd the left on a linear axis.
        let slot = (width - left - right) / Double(max(depths.count - 1, 1))
        func x(_ depth: Int) -> Double { left + slot * Double(depths.firstIndex(of: depth) ?? 0) }
        let y = LinearScale(domain: (0, 1), range: (height - bottom, top))

        ChartSupport.yAxis(&svg, scale: y, ticks: y.ticks(10), x: left, gridTo: width - right,
                           format: { String(format: "%.1f", $0) }, title: "test accuracy (mean over seeds)")
        for d in depths {
            svg.line(x1: x(d), y1: height - bottom, x2: x(d), y2: height - bottom + 3, stroke: Palette.axis)
            svg.text("\(d)", x: x(d), y: height - bottom + 14, size: 10, anchor: .middle, fill: Palette.muted)
        }
        svg.line(x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, stroke: Palette.axis)
        svg.text("hidden layers", x: (left + width - right) / 2, y: height - bottom + 30, size: 10, anchor: .middle,
                 fill: Palette.muted)
        svg.line(x1: left, y1: y(0.1), x2: width - right, y2: y(0.1), stroke: "#bbb", dash: "3 3")

        for (i, s) in series.enumerated() {
            let color = colors[i % colors.count]
            svg.polyline(s.points.map { (x($0.depth), Optional(y($0.mean))) }, stroke: color, width: 2,
                         tooltip: s.name)
            for p in s.points {
                if let std = p.std, std > 0 {
                    svg.line(x1: x(p.depth), y1: y(max(p.mean - std, 0)), x2: x(p.depth), y2: y(min(p.mean + std, 1)),
                             stroke: color, width: 1.2)
                }
                let spread = p.std.map { " ± \(HTML.fixed($0))" } ?? ""
                svg.circle(cx: x(p.depth), cy: y(p.mean), r: 3.5, fill: color,
                           tooltip: "\(s.name), depth \(p.depth): \(HTML.fixed(p.mean))\(spread) over \(p.seeds) seed(s)")
            }
            let ly = top + 8 + Double(i) * 18
            svg.line(x1: width - right + 16, y1: ly, x2: width - right + 36, y2: ly, stroke: color, width: 2)
            svg.text(ChartSupport.shorten(s.name, 26), x: width - right + 42, y: ly + 4, size: 11, fill: Palette.text,
                     tooltip: s.name)
        }
        return svg.render(id: "depth-chart")
    }
}
