import Foundation
import SweepSchema
import SweepStorage

/// The whole report as one self-contained HTML page: inline CSS, inline SVG, no script and
/// no URL, so it opens offline from a file. Every string from the data is escaped.
public enum ReportPage {
    public static func render(_ model: ReportModel, source: String? = nil) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>vgsweep report: \(e(model.sweepName))</title>
            <style>\(css)</style>
            </head>
            <body>

            """
        html += header(model, source: source)
        html += ranking(model)
        html += accuracy(model)
        html += depth(model)
        html += curves(model)
        html += gradientFlow(model)
        html += updateRatios(model)
        html += weights(model)
        html += verdicts(model)
        html += "<footer>Written by <code>coordinator report</code>. Self-contained: no script, nothing fetched; "
            + "every chart is inline SVG (hover a mark for its value).</footer>\n</body>\n</html>\n"
        return html
    }

    private static func e(_ s: String) -> String { HTML.escape(s) }

    // MARK: - Sections

    private static func header(_ model: ReportModel, source: String?) -> String {
        let trials = model.trials
        let finished = trials.filter { $0.stored.status.hasResult }.count
        let formatter = ISO8601DateFormatter()
        var meta = "\(model.configs.count) configuration(s), \(trials.count) trial(s), \(finished) finished. "
        meta += "Ranked by the mean of <code>\(e(model.metric.name.rawValue))</code> over seeds (\(e(model.metric.goal.rawValue))). "
        meta += "Generated \(e(formatter.string(from: model.generated)))"
        if let source { meta += " from <code>\(e(source))</code>" }
        meta += "."
        let sections = [("ranking", "Ranking"), ("accuracy", "Test accuracy")]
            + (DepthChart.series(model.configs) == nil ? [] : [("depth", "Depth")])
            + [("curves", "Learning curves"), ("gradient-flow", "Gradient flow"), ("update-ratios", "Update ratios"),
               ("weights", "Weight distributions"), ("verdicts", "Verdicts")]
        let nav = sections.map { ##"<a href="#\##($0.0)">\##($0.1)</a>"## }.joined(separator: " · ")
        return """
            <header>
            <h1>Sweep report: \(e(model.sweepName))</h1>
            <p class="meta">\(meta)</p>
            <p class="intro">The vanishing gradient in a deep sigmoid MLP on Fashion-MNIST (docs/study.md): which
            configurations learn, how their loss moves, and how much gradient reaches each layer.</p>
            <nav>\(nav)</nav>
            </header>

            """
    }

    private static func ranking(_ model: ReportModel) -> String {
        let showMetric = model.metric.name != .testAcc
        var rows = ""
        for c in model.configs {
            let accuracies = c.testAccuracies
            let mean = c.meanTestAcc.map { HTML.fixed($0) + (accuracies.count > 1 ? " ± " + HTML.fixed(c.stdTestAcc) : "") } ?? "–"
            let published = c.published?.seed.map { p in
                HTML.fixed(p) + (c.published?.seedNote.map { #" <span class="detail">(\#(e($0)))</span>"# } ?? "")
            } ?? ""
            let later = c.published?.laterEdition.map { HTML.fixed($0) } ?? ""
            let delta: String = {
                guard let m = c.meanTestAcc, let p = c.published?.seed else { return "" }
                let d = m - p
                return #"<span class="\#(d >= 0 ? "up" : "down")">\#(d >= 0 ? "+" : "−")\#(HTML.fixed(abs(d)))</span>"#
            }()
            var cells = [
                c.rank.map(String.init) ?? "–",
                #"<b>\#(e(c.label))</b>"# + (c.detail.isEmpty || c.detail == c.label ? "" : #"<br><span class="detail">\#(e(c.detail))</span>"#),
                e(c.statusSummary),
                mean,
                "\(accuracies.count) / \(c.trials.count)",
            ]
            if showMetric {
                let values = c.finished.compactMap { $0.stored.metric(model.metric.name) }.filter(\.isFinite)
                cells.append(HTML.fixed(ResultsTable.mean(values), 4))
            }
            cells += [published, later, delta, verdictSummary(c)]
            rows += "<tr>" + cells.enumerated().map { i, cell in i == 1 || i == 2 || i == cells.count - 1 ? "<td>\(cell)</td>" : #"<td class="num">\#(cell)</td>"# }.joined() + "</tr>\n"
        }
        var head = ["#", "configuration", "status", "test acc (mean ± std)", "seeds"]
        if showMetric { head.append("\(e(model.metric.name.rawValue)) (mean)") }
        head += ["published (seed, 300 ep.)", "later edition (100 ep.)", "Δ vs seed", "verdicts"]
        return """
            <section id="ranking">
            <h2>Ranking</h2>
            <p>One row per configuration; its repeats over seeds (trials sharing a configuration id) are folded
            into the mean and sample standard deviation of the test accuracy over finished trials. The published
            numbers are docs/study.md's: the seed's single run (300 epochs, seed 42) and the later edition's
            (100 epochs), matched by the sweep entry's name.</p>
            <table class="ranking">
            <thead><tr>\(head.map { "<th>\($0)</th>" }.joined())</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </section>

            """
    }

    private static func verdictSummary(_ c: ReportConfig) -> String {
        var counts: [Verdict.Kind: Int] = [:]
        for t in c.trials { counts[t.verdict.kind, default: 0] += 1 }
        return Verdict.Kind.allCases.compactMap { kind in
            counts[kind].map { n in badge(kind) + (n > 1 ? " ×\(n)" : "") }
        }.joined(separator: " ")
    }

    private static func badge(_ kind: Verdict.Kind) -> String {
        #"<span class="verdict \#(kind == .noData ? "nodata" : kind.rawValue)">\#(e(kind.rawValue))</span>"#
    }

    private static func accuracy(_ model: ReportModel) -> String {
        """
        <section id="accuracy">
        <h2>Test accuracy per configuration</h2>
        <p>Best first. Each ring is one seed; the dot is the mean, the band ± one standard deviation and the
        thin line the range from the worst to the best seed. Triangles mark the published figures: the seed's
        run above the line, the later edition's below it.</p>
        <div class="wide">\(AccuracyChart.render(model.configs))</div>
        </section>

        """
    }

    private static func depth(_ model: ReportModel) -> String {
        guard let series = DepthChart.series(model.configs) else { return "" }
        return """
            <section id="depth">
            <h2>Test accuracy against depth</h2>
            <p>One line per variant: the mean over seeds at each depth, with a bar of ± one standard deviation.
            A fix that keeps working stays up as the network deepens; the dashed line is chance.</p>
            <div class="wide">\(DepthChart.render(series))</div>
            </section>

            """
    }

    private static func curves(_ model: ReportModel) -> String {
        let limit = CurveChart.lossLimit(model.configs)
        let cards = model.configs.enumerated().map { i, c in
            card(c, body: CurveChart.render(c, lossLimit: limit, id: "curves-\(i + 1)"))
        }.joined(separator: "\n")
        return """
            <section id="curves">
            <h2>Learning curves</h2>
            <p>Per configuration, one line per seed (the last attempt of each trial), on shared axes. The dashed
            grey lines are chance level: a loss of ln 10 = 2.3026 and an accuracy of 0.1. Dotted vertical lines
            mark the stages of a progressive schedule.</p>
            \(CurveChart.legend())
            <div class="grid">
            \(cards)
            </div>
            </section>

            """
    }

    private static func gradientFlow(_ model: ReportModel) -> String {
        let grids = model.configs.map(GradientHeatmap.grid)
        let scale = GradientHeatmap.Scale(grids)
        let cards = zip(model.configs, grids).enumerated().map { i, pair in
            let (c, grid) = pair
            let ratios = c.trials.compactMap(\.verdict.gradRatio)
            let note = ratios.isEmpty ? "" : "grad ratio (first layer / head, last epoch): "
                + (ratios.count <= 4 ? ratios.map { HTML.scientific($0) }.joined(separator: ", ")
                                     : "\(HTML.scientific(ratios.min()!)) to \(HTML.scientific(ratios.max()!)) over \(ratios.count) seeds")
            return card(c, body: GradientHeatmap.render(grid, scale: scale, title: c.label, id: "gradient-\(i + 1)"), note: note)
        }.joined(separator: "\n")
        return """
            <section id="gradient-flow">
            <h2>Gradient flow</h2>
            <p>Rows are the Dense layers, <b>the head at the top and the input layer (L1) at the bottom</b>;
            columns are epochs. The colour is log10 of the layer's mean weight-gradient L2 norm over the
            epoch's steps, averaged over seeds in log space, on one scale for every configuration. A vanishing
            gradient shows as dark rows near the bottom: the layers next to the input hardly get any gradient.
            Grey cells were not measured (a layer not in use yet in a progressive schedule, or a trial that stopped);
            a frozen layer (gradient exactly 0) takes the darkest colour.</p>
            \(GradientHeatmap.legend(scale))
            <div class="grid">
            \(cards)
            </div>
            </section>

            """
    }

    private static func updateRatios(_ model: ReportModel) -> String {
        let bars = model.configs.map(UpdateRatioChart.bars)
        let range = UpdateRatioChart.range(bars)
        let cards = zip(model.configs, bars).enumerated().map { i, pair in
            card(pair.0, body: UpdateRatioChart.render(pair.1, range: range, title: pair.0.label, id: "updates-\(i + 1)"))
        }.joined(separator: "\n")
        return """
            <section id="update-ratios">
            <h2>Update ratio per layer</h2>
            <p>|ΔW| / |W| per step, averaged over the epoch's steps: how fast each layer's weights move
            (input layer L1 on the left, the head on the right), on one log scale. Layers near the input that
            barely move are the seed's first sign of a vanishing gradient.</p>
            \(UpdateRatioChart.legend())
            <div class="grid">
            \(cards)
            </div>
            </section>

            """
    }

    private static func weights(_ model: ReportModel) -> String {
        let cards = model.configs.enumerated().map { i, c in
            let trial = c.trials.first { !$0.histograms.isEmpty }
            let note = trial.map { "trial \($0.stored.id)" + ($0.seed.map { ", seed \($0)" } ?? "") } ?? ""
            return card(c, body: WeightHistogramChart.render(trial?.histograms ?? [], title: c.label, id: "weights-\(i + 1)"),
                        note: note)
        }.joined(separator: "\n")
        return """
            <section id="weights">
            <h2>Weight distributions per layer</h2>
            <p>Each Dense layer's weights before training and at the end, for one trial per configuration
            (the first with a stored result). A layer whose blue line sits on the grey area did not move.</p>
            \(WeightHistogramChart.legend())
            <div class="grid">
            \(cards)
            </div>
            </section>

            """
    }

    private static func verdicts(_ model: ReportModel) -> String {
        let rules = Verdict.rules.map { "<li>\(badge($0.0)) \(e($0.1))</li>" }.joined(separator: "\n")
        var rows = ""
        for c in model.configs {
            for t in c.trials {
                let epochs = t.epochs.last.map { String($0.epoch) } ?? "–"
                rows += "<tr><td><code>\(e(t.stored.id))</code></td><td>\(e(c.label))</td>"
                    + #"<td class="num">\#(e(t.seed ?? "–"))</td><td>\#(e(t.stored.status.rawValue))</td><td class="num">\#(epochs)</td>"#
                    + "<td>\(badge(t.verdict.kind))</td><td>\(e(t.verdict.reason))"
                    + (t.stored.message.map { m in m.isEmpty ? "" : #"<br><span class="detail">\#(e(m))</span>"# } ?? "")
                    + "</td></tr>\n"
            }
        }
        return """
            <section id="verdicts">
            <h2>Verdict per trial</h2>
            <p>From the last attempt's measurements, in this order:</p>
            <ul class="rules">
            \(rules)
            </ul>
            <table class="verdicts">
            <thead><tr><th>trial</th><th>configuration</th><th>seed</th><th>status</th><th>epochs</th><th>verdict</th><th>measured</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </section>

            """
    }

    /// A chart with the configuration's name, rank and verdicts above it.
    private static func card(_ c: ReportConfig, body: String, note: String = "") -> String {
        let rank = c.rank.map { #"<span class="rank">#\#($0)</span> "# } ?? ""
        let accuracy = c.meanTestAcc.map { #" <span class="detail">test \#(HTML.fixed($0))</span>"# } ?? ""
        let noteHTML = note.isEmpty ? "" : #"<div class="note">\#(e(note))</div>"#
        return """
            <figure class="card"><figcaption>\(rank)<b title="\(e(c.detail))">\(e(c.label))</b>\(accuracy) \(verdictSummary(c))</figcaption>
            \(body)\(noteHTML)</figure>
            """
    }

    public static let css = """
        body { font-family: "DejaVu Sans", system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px;
               color: #222; margin: 0 auto; padding: 16px 24px 40px; max-width: 1320px; background: #fff; }
        h1 { font-size: 22px; margin: 8px 0 4px; }
        h2 { font-size: 18px; margin: 32px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        p { max-width: 980px; line-height: 1.45; margin: 6px 0; }
        .meta { color: #555; }
        nav a { color: #1f6fb4; text-decoration: none; }
        code { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
        table { border-collapse: collapse; margin: 10px 0; font-size: 13px; }
        th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f3f4f6; font-weight: 600; white-space: nowrap; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tbody tr:hover { background: #f8fafc; }
        .detail { color: #777; font-size: 11px; }
        .up { color: #1e8449; } .down { color: #b03a2e; }
        .verdict { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 11px; color: #fff;
                   white-space: nowrap; }
        .verdict.vanishing { background: #b03a2e; } .verdict.healthy { background: #1e8449; }
        .verdict.diverged { background: #7d3c98; } .verdict.saturated { background: #b9770e; } .verdict.nodata { background: #888; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 12px; }
        .card { margin: 0; padding: 8px 10px; border: 1px solid #e1e4e8; border-radius: 6px; background: #fff; }
        .card figcaption { font-size: 13px; margin-bottom: 4px; }
        .rank { color: #888; }
        .note { font-size: 11px; color: #666; margin-top: 2px; }
        svg { max-width: 100%; height: auto; display: block; font-family: "DejaVu Sans", system-ui, sans-serif; }
        .card svg { width: 100%; }
        svg.heatmap rect { shape-rendering: crispEdges; }
        svg.legend { margin: 6px 0; }
        .wide { overflow-x: auto; }
        ul.rules li { margin: 3px 0; }
        footer { margin-top: 40px; color: #888; font-size: 12px; }
        """
}
