import Foundation
import SweepStorage

/// The vanishing gradient made visible: per configuration, Dense layer (rows; the head at the
/// top, the input layer at the bottom) by epoch (columns), coloured by log10 of the layer's
/// mean weight-gradient norm, averaged over seeds in log space, on one scale for every panel.
public enum GradientHeatmap {
    /// Epoch columns per panel at most; longer runs average neighbouring epochs.
    public static let maxColumns = 100

    /// log10(grad norm) per row (Dense layer, input first, head last) and epoch column.
    public struct Grid {
        var rows: Int
        var epochs: [Int]
        /// cells[row][column]: nil when not measured (layer not in use yet, failed trial);
        /// -infinity for a gradient of exactly 0 (a frozen layer).
        var cells: [[Double?]]
    }

    /// The colour scale's range in powers of ten, shared by every panel: whole decades from
    /// the smallest to the largest nonzero finite value, at most 12 decades wide.
    public struct Scale {
        var low: Double
        var high: Double

        init(_ grids: [Grid]) {
            let values = grids.flatMap { $0.cells.flatMap { $0.compactMap { $0 } } }.filter(\.isFinite)
            var low = floor(values.min() ?? -6), high = ceil(values.max() ?? 0)
            if high - low < 1 { high = low + 1 }
            if high - low > 12 { low = high - 12 }
            self.low = low
            self.high = high
        }

        func color(_ log10Value: Double) -> String {
            if log10Value == -.infinity { return Palette.viridis(0) }
            return Palette.viridis((log10Value - low) / (high - low))
        }
    }

    public static func grid(_ config: ReportConfig) -> Grid {
        let trials = config.trials.filter { !$0.epochs.isEmpty }
        let rows = trials.flatMap { $0.epochs.map(\.gradNorm.count) }.max() ?? 0
        let lastEpoch = trials.flatMap { $0.epochs.map(\.epoch) }.max() ?? 0
        guard rows > 0, lastEpoch > 0 else { return Grid(rows: 0, epochs: [], cells: []) }
        // Sum of logs and count per (row, epoch) over seeds; zeros counted apart.
        var sums = [[Double]](repeating: [Double](repeating: 0, count: lastEpoch), count: rows)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: lastEpoch), count: rows)
        var zeros = [[Int]](repeating: [Int](repeating: 0, count: lastEpoch), count: rows)
        for trial in trials {
            for point in trial.epochs where point.epoch >= 1 && point.epoch <= lastEpoch {
                let m = point.gradNorm.count
                for (i, value) in point.gradNorm.enumerated() {
                    // The head is always the top row, whatever the depth in use at this epoch.
                    let row = i == m - 1 ? rows - 1 : i
                    guard let value, value.isFinite, value >= 0 else { continue }
                    if value == 0 { zeros[row][point.epoch - 1] += 1 } else {
                        sums[row][point.epoch - 1] += log10(value)
                        counts[row][point.epoch - 1] += 1
                    }
                }
            }
        }
        // Columns: epochs, or buckets of neighbouring epochs when there are many.
        let columns = min(lastEpoch, maxColumns)
        var epochs: [Int] = []
        var cells = [[Double?]](repeating: [], count: rows)
        for c in 0..<columns {
            let lo = c * lastEpoch / columns, hi = max((c + 1) * lastEpoch / columns, lo + 1)
            epochs.append(hi)  // the bucket's last epoch
            for r in 0..<rows {
                let n = (lo..<hi).map { counts[r][$0] }.reduce(0, +)
                let z = (lo..<hi).map { zeros[r][$0] }.reduce(0, +)
                if n > 0 {
                    cells[r].append((lo..<hi).map { sums[r][$0] }.reduce(0, +) / Double(n))
                } else {
                    cells[r].append(z > 0 ? -.infinity : nil)
                }
            }
        }
        return Grid(rows: rows, epochs: epochs, cells: cells)
    }

    public static func render(_ grid: Grid, scale: Scale, title: String, id: String) -> String {
        let width = 380.0, left = 40.0, right = 10.0, top = 6.0
        let rowHeight = grid.rows > 0 ? min(18, max(8, 150 / Double(grid.rows))) : 18
        let plotBottom = top + rowHeight * Double(max(grid.rows, 1))
        let height = plotBottom + 30
        var svg = SVG(width: width, height: height, title: "log10 gradient norm per layer and epoch: \(title)")
        guard grid.rows > 0, !grid.epochs.isEmpty else {
            svg.rect(x: left, y: top, width: width - left - right, height: plotBottom - top, fill: Palette.missing)
            svg.text("no gradient measured", x: (left + width - right) / 2, y: (top + plotBottom) / 2 + 4, size: 11,
                     anchor: .middle, fill: Palette.muted)
            return svg.render(id: id, cssClass: "chart heatmap")
        }
        let columnWidth = (width - left - right) / Double(grid.epochs.count)
        let lastEpoch = grid.epochs.last!
        for r in 0..<grid.rows {
            let y = top + rowHeight * Double(grid.rows - 1 - r)
            let name = ChartSupport.layerName(r, of: grid.rows)
            svg.text(name, x: left - 4, y: y + rowHeight / 2 + 3.5, size: min(10, rowHeight - 1), anchor: .end, fill: Palette.muted)
            var firstEpoch = 1
            for (c, epoch) in grid.epochs.enumerated() {
                defer { firstEpoch = epoch + 1 }
                let span = firstEpoch == epoch ? "epoch \(epoch)" : "epochs \(firstEpoch)–\(epoch)"
                // Overlap neighbours by a hair so no seams show between cells.
                let x = left + columnWidth * Double(c)
                guard let value = grid.cells[r][c] else {
                    svg.rect(x: x, y: y, width: columnWidth + 0.3, height: rowHeight, fill: Palette.missing,
                             tooltip: "\(name), \(span): not measured")
                    continue
                }
                let text = value == -.infinity ? "0 (frozen)" : HTML.scientific(pow(10, value))
                svg.rect(x: x, y: y, width: columnWidth + 0.3, height: rowHeight + 0.3, fill: scale.color(value),
                         tooltip: "\(name), \(span): grad norm \(text)")
            }
        }
        let x = LinearScale(domain: (0.5, Double(lastEpoch) + 0.5), range: (left, width - right))
        ChartSupport.xAxis(&svg, scale: x, ticks: ChartSupport.epochTicks(last: lastEpoch), y: plotBottom,
                           format: { String(Int($0)) }, title: "epoch")
        return svg.render(id: id, cssClass: "chart heatmap")
    }

    /// The shared colour bar.
    public static func legend(_ scale: Scale) -> String {
        let width = 660.0, left = 150.0, barWidth = 300.0
        var svg = SVG(width: width, height: 40, title: "Colour scale: log10 of the gradient norm")
        let decades = Int(scale.high - scale.low)
        let stops = (0...16).map { i -> (offset: Double, color: String) in
            let t = Double(i) / 16
            return (t, Palette.viridis(t))
        }
        svg.linearGradient(id: "grad-scale", stops: stops)
        svg.text("gradient norm (log10)", x: left - 8, y: 16, size: 11, anchor: .end)
        svg.rect(x: left, y: 6, width: barWidth, height: 14, fill: "url(#grad-scale)", stroke: "#999")
        let step = max(1, Int((Double(decades) / 6).rounded(.up)))
        for k in stride(from: 0, through: decades, by: step) {
            let x = left + barWidth * Double(k) / Double(max(decades, 1))
            svg.line(x1: x, y1: 20, x2: x, y2: 24, stroke: Palette.axis)
            svg.text(ChartSupport.powerOfTen(scale.low + Double(k)), x: x, y: 35, size: 10, anchor: .middle, fill: Palette.muted)
        }
        svg.rect(x: left + barWidth + 20, y: 6, width: 14, height: 14, fill: Palette.missing, stroke: "#999")
        svg.text("not measured", x: left + barWidth + 40, y: 17, size: 10, fill: Palette.muted)
        return svg.render(id: "gradient-scale", cssClass: "legend")
    }
}
