import Foundation
import SweepRules
import SweepSchema
import SweepStorage
import SweepWire
import XCTest
@testable import SweepReport

/// `coordinator report`: the HTML page built from a small hand-made store, its sections,
/// charts, verdicts, published numbers and escaping; then the page in a real browser.
final class ReportTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - A small store

    /// A data string that must come out escaped wherever it is shown.
    static let evilName = #"<b>evil</b> & "quoted" 'n' <script>alert(1)</script>"#
    static let evilValue = #"<img src=x onerror="alert(2)">"#
    static let evilMessage = #"boom <iframe src="x.html"></iframe>"#

    /// One epoch report as the worker writes it (keys sorted, non-finite numbers as strings).
    static func epochJSON(epoch: Int, stage: Int = 1, loss: Double, acc: Double, valAcc: Double?,
                          grads: [Double], updates: [Double], nanLoss: Bool = false) -> String {
        func list(_ xs: [Double]) -> String { "[" + xs.map { String($0) }.joined(separator: ",") + "]" }
        let hidden = grads.count - 1
        let val = valAcc.map { #""val_acc":\#($0),"val_loss":\#(loss + 0.01),"# } ?? ""
        return "{" + #""dead":\#(list([Double](repeating: 0, count: hidden))),"epoch":\#(epoch),"#
            + #""grad_norm":\#(list(grads)),"grad_ratio":\#(grads.first! / grads.last!),"lr":0.01,"#
            + #""samples_per_s":52000.5,"saturated":\#(list([Double](repeating: 0.02, count: hidden))),"stage":\#(stage),"#
            + #""train_acc":\#(acc),"train_loss":\#(nanLoss ? #""nan""# : String(loss)),"type":"epoch","#
            + #""update_ratio":\#(list(updates)),"# + val
            + #""weight_norm":\#(list(grads.map { _ in 3.1 })),"weight_std":\#(list(grads.map { _ in 0.05 }))"# + "}"
    }

    /// A result with weight histograms for `layers` Dense layers.
    static func resultJSON(status: String, testAcc: Double, layers: Int, epochs: Int) -> String {
        let bins = 41
        func counts(_ width: Double) -> String {
            "[" + (0..<bins).map { i in
                let z = (Double(i) - 20) / width
                return String(Int(1000 * exp(-z * z / 2)))
            }.joined(separator: ",") + "]"
        }
        let histograms = (1...layers).map { l in
            #"{"end":\#(counts(l == layers ? 6 : 2)),"layer":\#(l),"limit":0.25,"start":\#(counts(2))}"#
        }.joined(separator: ",")
        return #"{"epochs":\#(epochs),"samples_per_s":51000,"seconds":12.5,"status":"\#(status)","test_acc":\#(testAcc),"#
            + #""test_loss":1.1,"train_loss":1.0,"type":"result","val_acc":\#(testAcc),"weight_histograms":[\#(histograms)]}"#
    }

    struct Planned {
        var id: String, config: String, name: String, seed: Int
        var swept: [Pair] = []
    }

    /// model-3 (2 seeds, stuck at ln 10 with a vanished gradient), relu (2 seeds, learning),
    /// std-10.0 (diverged), and an unnamed trial with hostile strings that failed before any epoch.
    @discardableResult
    func makeStore(epochs: Int = 6) throws -> SweepStore {
        let store = try SweepStore(path: directory.appendingPathComponent("sweep.db").path)
        let planned = [
            Planned(id: "a1", config: "ca", name: "model-3", seed: 1),
            Planned(id: "a2", config: "ca", name: "model-3", seed: 2),
            Planned(id: "b1", config: "cb", name: "relu", seed: 1, swept: [Pair("activation", "relu")]),
            Planned(id: "b2", config: "cb", name: "relu", seed: 2, swept: [Pair("activation", "relu")]),
            Planned(id: "c1", config: "cc", name: "std-10.0", seed: 1, swept: [Pair("init_std", "10")]),
            Planned(id: "d1", config: "cd", name: Self.evilName, seed: 1, swept: [Pair("activation", Self.evilValue)]),
        ]
        try store.register(
            SweepRecord(name: "report <test>", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: 1),
            trials: planned.enumerated().map { i, p in
                StoredTrial(id: p.id, configID: p.config, name: p.name, ordinal: i,
                            parameters: [Pair("depth", "7"), Pair("seed", String(p.seed))] + p.swept,
                            swept: p.swept + [Pair("seed", String(p.seed))])
            })
        var changes: [StoreChange] = planned.map { .start(Self.first($0.id), worker: "w", host: "test-host") }
        for e in 1...epochs {
            // Vanishing: 8 Dense layers, the gradient shrinking ~4x per layer toward the input.
            let vanishing = (0..<8).map { 1e-2 * pow(0.25, Double(7 - $0)) }
            for id in ["a1", "a2"] {
                changes.append(.metric(Self.first(id), epoch: e, report: Self.epochJSON(
                    epoch: e, loss: 2.3026 + 0.0004 * Double(e % 2), acc: 0.1, valAcc: 0.1,
                    grads: vanishing, updates: vanishing.map { $0 / 10 })))
            }
            let healthy = (0..<8).map { 0.5 + 0.05 * Double($0) }
            for (k, id) in ["b1", "b2"].enumerated() {
                changes.append(.metric(Self.first(id), epoch: e, report: Self.epochJSON(
                    epoch: e, loss: 1.2 / Double(e) + 0.3, acc: 0.6 + 0.04 * Double(e) + 0.01 * Double(k),
                    valAcc: 0.58 + 0.04 * Double(e), grads: healthy, updates: healthy.map { $0 / 100 })))
            }
            if e <= 3 {
                changes.append(.metric(Self.first("c1"), epoch: e, report: Self.epochJSON(
                    epoch: e, loss: 9, acc: 0.15, valAcc: nil, grads: healthy.map { $0 * 100 }, updates: healthy,
                    nanLoss: e == 3)))
            }
        }
        changes += [
            .finish(Self.first("a1"), try TrialOutcome(json: Self.resultJSON(status: "ok", testAcc: 0.1, layers: 8, epochs: epochs), epochBudget: epochs)),
            .finish(Self.first("a2"), try TrialOutcome(json: Self.resultJSON(status: "ok", testAcc: 0.1, layers: 8, epochs: epochs), epochBudget: epochs)),
            .finish(Self.first("b1"), try TrialOutcome(json: Self.resultJSON(status: "ok", testAcc: 0.85, layers: 8, epochs: epochs), epochBudget: epochs)),
            .finish(Self.first("b2"), try TrialOutcome(json: Self.resultJSON(status: "ok", testAcc: 0.86, layers: 8, epochs: epochs), epochBudget: epochs)),
            .finish(Self.first("c1"), try TrialOutcome(json: #"{"epochs":2,"message":"train loss is nan","samples_per_s":1,"seconds":1,"status":"diverged","test_acc":0.177,"type":"result"}"#, epochBudget: epochs)),
            .endAttempt(Self.first("d1"), .failed, reason: Self.evilMessage, trial: .failed, message: "attempt 1: " + Self.evilMessage),
        ]
        try store.apply(changes)
        return store
    }

    /// Attempt 1 of a trial.
    static func first(_ trialID: String) -> TrialAttempt { TrialAttempt(trialID: trialID, attempt: 1) }

    private func writeReport() throws -> (path: String, html: String) {
        let store = try makeStore()
        let path = try ReportWriter.write(store, to: directory.appendingPathComponent("out").path)
        return (path, try String(contentsOfFile: path, encoding: .utf8))
    }

    private func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    // MARK: - The page

    func testThePageHasEverySectionAndChart() throws {
        let (path, html) = try writeReport()
        XCTAssertTrue(path.hasSuffix("out/report.html"))
        for id in ["ranking", "accuracy", "curves", "gradient-flow", "update-ratios", "weights", "verdicts"] {
            XCTAssertTrue(html.contains(#"<section id="\#(id)">"#), "section \(id)")
        }
        // 4 configurations: the accuracy chart, 4 charts per configuration, 4 legends.
        XCTAssertEqual(count("<svg", in: html), 1 + 4 * 4 + 4)
        XCTAssertEqual(count("</svg>", in: html), 1 + 4 * 4 + 4)
        XCTAssertTrue(html.contains(#"id="accuracy-chart""#))
        for i in 1...4 {
            for kind in ["curves", "gradient", "updates", "weights"] { XCTAssertTrue(html.contains(#"id="\#(kind)-\#(i)""#), "\(kind)-\(i)") }
        }
        XCTAssertTrue(html.contains(#"id="gradient-scale""#))
        // Heat-map cells (8 layers x 6 epochs for model-3 and relu, x 3 for std-10.0) and curves are drawn.
        XCTAssertGreaterThan(count("<rect", in: html), 2 * 8 * 6 + 8 * 3)
        XCTAssertGreaterThan(count("<polyline", in: html), 10)
        XCTAssertTrue(html.contains("the head at the top and the input layer (L1) at the bottom"))
    }

    /// A sweep over depth gets the accuracy-against-depth chart: one line per list entry,
    /// each point the mean over that depth's seeds; a sweep at one depth does not.
    func testDepthChartFollowsEachVariantAcrossDepths() throws {
        XCTAssertNil(section("depth", of: try writeReport().html))
        let store = try SweepStore(path: directory.appendingPathComponent("depth.db").path)
        let accuracy: [String: [Int: [Double]]] = ["relu-he": [3: [0.88, 0.86], 50: [0.10, 0.10]],
                                                   "batchnorm": [3: [0.87, 0.89], 50: [0.84, 0.86]]]
        var records: [StoredTrial] = [], changes: [StoreChange] = []
        for (name, byDepth) in accuracy.sorted(by: { $0.key < $1.key }) {
            for (depth, seeds) in byDepth.sorted(by: { $0.key < $1.key }) {
                for (k, acc) in seeds.enumerated() {
                    let id = "\(name)-\(depth)-\(k)"
                    records.append(StoredTrial(id: id, configID: "\(name)-\(depth)", name: name, ordinal: records.count,
                                               parameters: [Pair("depth", "\(depth)"), Pair("seed", "\(k)")],
                                               swept: [Pair("depth", "\(depth)"), Pair("seed", "\(k)")]))
                    changes += [.start(Self.first(id), worker: "w", host: "h"),
                                .finish(Self.first(id), try TrialOutcome(json: Self.resultJSON(
                                    status: "ok", testAcc: acc, layers: depth + 1, epochs: 1), epochBudget: 1))]
                }
            }
        }
        try store.register(SweepRecord(name: "depth", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: 1),
                           trials: records)
        try store.apply(changes)
        let model = try ReportModel.load(from: store)
        let series = try XCTUnwrap(DepthChart.series(model.configs))
        XCTAssertEqual(Set(series.map(\.name)), ["relu-he", "batchnorm"])
        let bn = try XCTUnwrap(series.first { $0.name == "batchnorm" })
        XCTAssertEqual(bn.points.map(\.depth), [3, 50])
        XCTAssertEqual(bn.points[1].mean, 0.85, accuracy: 1e-12)
        XCTAssertEqual(bn.points[1].seeds, 2)
        let html = ReportPage.render(model)
        let depth = try XCTUnwrap(section("depth", of: html))
        XCTAssertTrue(depth.contains(#"id="depth-chart""#))
        XCTAssertTrue(depth.contains("relu-he, depth 50: 0.100"))
        // Elsewhere a configuration is its name and the depth that tells it from its namesakes.
        XCTAssertEqual(Set(model.configs.map(\.label)), ["relu-he depth=3", "relu-he depth=50", "batchnorm depth=3", "batchnorm depth=50"])
        XCTAssertTrue(html.contains(##"<a href="#depth">"##))
    }

    func testRankingShowsMeansAndPublishedNumbers() throws {
        let (_, html) = try writeReport()
        let ranking = try XCTUnwrap(section("ranking", of: html))
        // relu first (0.855 ± 0.007 over 2 seeds), with the seed's 0.867 and the later 0.802.
        XCTAssertTrue(ranking.contains("0.855 ± 0.007"), ranking)
        XCTAssertTrue(ranking.contains("0.867"))
        XCTAssertTrue(ranking.contains("0.802"))
        XCTAssertTrue(ranking.contains("0.100"))       // model-3 as published
        XCTAssertTrue(ranking.contains("(Model 3)"))
        XCTAssertTrue(ranking.contains("0.177"))       // std-10.0
        let order = ["relu", "std-10.0", "model-3"].map { ranking.range(of: "<b>\($0)</b>")?.lowerBound }
        XCTAssertTrue(order.allSatisfy { $0 != nil })
        XCTAssertTrue(order[0]! < order[1]! && order[1]! < order[2]!, "best first")
        XCTAssertTrue(ranking.contains("1 failed"))
    }

    func testVerdicts() throws {
        let (_, html) = try writeReport()
        let verdicts = try XCTUnwrap(section("verdicts", of: html))
        func verdict(of trial: String) -> String? {
            guard let row = verdicts.components(separatedBy: "<tr>").first(where: { $0.contains("<code>\(trial)</code>") }),
                  let badge = row.range(of: #"<span class="verdict [a-z]+">([a-z ]+)</span>"#, options: .regularExpression)
            else { return nil }
            return String(row[badge]).replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
        }
        XCTAssertEqual(verdict(of: "a1"), "vanishing")
        XCTAssertEqual(verdict(of: "a2"), "vanishing")
        XCTAssertEqual(verdict(of: "b1"), "healthy")
        XCTAssertEqual(verdict(of: "c1"), "diverged")
        XCTAssertEqual(verdict(of: "d1"), "no data")
        // The thresholds are stated.
        XCTAssertTrue(verdicts.contains("below 1e-2"))
        XCTAssertTrue(verdicts.contains("within 0.05 of ln 10 = 2.3026"))
    }

    func testTheVerdictRules() {
        func epochs(_ losses: [Double?], ratio: Double?) -> [EpochPoint] {
            losses.enumerated().map { i, loss in
                var p = EpochPoint(json: "{}", epoch: i + 1)!
                p.trainLoss = loss
                p.gradRatio = ratio
                return p
            }
        }
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([2.5, 2.31, 2.30, 2.302], ratio: 1e-4)).kind, .vanishing)
        // Only the last three epochs count for the plateau.
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([2.2, 2.30, 2.30, 2.302], ratio: 1e-4)).kind, .vanishing)
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([2.30, 2.30, 2.2, 2.302], ratio: 1e-4)).kind, .healthy)
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([2.30, 2.30, 2.30], ratio: 0.02)).kind, .healthy)
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([2.30, 2.30, 2.30], ratio: nil)).kind, .healthy)
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([1.0, .nan], ratio: 0.5)).kind, .diverged)
        XCTAssertEqual(Verdict.judge(status: .diverged, epochs: []).kind, .diverged)
        XCTAssertEqual(Verdict.judge(status: .failed, epochs: []).kind, .noData)
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: epochs([nil, nil], ratio: 1e-5)).kind, .healthy)
        // Saturated units: whatever the ratio, unless the gradient already vanished.
        var stuck = epochs([2.33, 2.34, 2.33], ratio: 12)
        stuck[2].saturated = 0.95
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: stuck).kind, .saturated)
        stuck[2].saturated = 0.85
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: stuck).kind, .healthy)
        stuck[2].saturated = 0.95
        stuck[2].gradRatio = 1e-5
        XCTAssertEqual(Verdict.judge(status: .ok, epochs: stuck).kind, .vanishing)
        XCTAssertEqual(EpochPoint(json: #"{"saturated":[0.9,1.0,"nan"]}"#, epoch: 1)?.saturated ?? 0, 0.95, accuracy: 1e-12)
    }

    func testNothingIsFetchedAndEveryDataStringIsEscaped() throws {
        let (_, html) = try writeReport()
        XCTAssertFalse(html.contains("http://"))
        XCTAssertFalse(html.contains("https://"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.lowercased().contains("<iframe"))
        XCTAssertFalse(html.lowercased().contains("<img"))
        XCTAssertFalse(html.contains(Self.evilName))
        XCTAssertFalse(html.contains(Self.evilValue))
        XCTAssertFalse(html.contains("report <test>"))
        XCTAssertTrue(html.contains(HTML.escape(Self.evilName)))
        XCTAssertTrue(html.contains("&lt;b&gt;evil&lt;/b&gt; &amp; &quot;quoted&quot; &#39;n&#39; &lt;script&gt;"))
        XCTAssertTrue(html.contains(HTML.escape(Self.evilValue)))
        XCTAssertTrue(html.contains("report &lt;test&gt;"))
        XCTAssertTrue(html.contains("boom &lt;iframe src=&quot;"))
        // Every tag in the page is one the report writes itself.
        let allowed: Set<String> = ["html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "nav", "a",
                                    "section", "table", "thead", "tbody", "tr", "th", "td", "b", "br", "span", "code", "div",
                                    "figure", "figcaption", "ul", "li", "footer", "svg", "rect", "line", "circle",
                                    "polygon", "polyline", "text", "defs", "linearGradient", "stop"]
        let regex = try NSRegularExpression(pattern: #"<([A-Za-z][A-Za-z0-9]*)"#)
        let tags = Set(regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map {
            String(html[Range($0.range(at: 1), in: html)!])
        })
        XCTAssertEqual(tags.subtracting(allowed), [], "unexpected tags")
    }

    /// The gradient heat map keeps the head on the top row when a progressive schedule's
    /// network grows, and leaves layers not yet in use unmeasured.
    func testHeatMapRowsFollowTheHeadAcrossStages() throws {
        let short = try XCTUnwrap(EpochPoint(json: Self.epochJSON(epoch: 1, loss: 2, acc: 0.3, valAcc: 0.3,
                                                                  grads: [1e-3, 1e-2, 1], updates: [1, 1, 1]), epoch: 1))
        let long = try XCTUnwrap(EpochPoint(json: Self.epochJSON(epoch: 2, stage: 2, loss: 2, acc: 0.3, valAcc: 0.3,
                                                                 grads: [1e-4, 1e-3, 1e-2, 1e-1, 1], updates: [1, 1, 1, 1, 1]), epoch: 2))
        let stored = try makeStore().trials()[0]
        let trial = ReportTrial(stored: stored, epochs: [short, long], histograms: [], verdict: Verdict.judge(status: .ok, epochs: [short, long]))
        let config = ReportConfig(configID: "x", label: "x", detail: "", trials: [trial], published: nil, rank: 1)
        let grid = GradientHeatmap.grid(config)
        XCTAssertEqual(grid.rows, 5)
        XCTAssertEqual(grid.epochs, [1, 2])
        XCTAssertEqual(grid.cells[4][0]!, 0, accuracy: 1e-9)      // head, epoch 1
        XCTAssertEqual(grid.cells[0][0]!, -3, accuracy: 1e-9)
        XCTAssertNil(grid.cells[2][0])                             // not in use at epoch 1
        XCTAssertEqual(grid.cells[2][1]!, -2, accuracy: 1e-9)
        let svg = GradientHeatmap.render(grid, scale: GradientHeatmap.Scale([grid]), title: "x", id: "g")
        XCTAssertTrue(svg.contains("not measured"))
        XCTAssertTrue(svg.contains(">head</text>"))
    }

    /// Grid sweeps (no names), a sweep with one trial, an empty sweep, missing values.
    func testRobustToSparseAndUnnamedData() throws {
        let store = try SweepStore(path: directory.appendingPathComponent("grid.db").path)
        try store.register(
            SweepRecord(name: "grid", spec: "", metric: Metric(name: .valAcc, goal: .maximize), maxAttempts: 3),
            trials: [
                StoredTrial(id: "g1", configID: "c1", name: "", ordinal: 0, parameters: [Pair("lr", "0.1"), Pair("depth", "3")],
                            swept: [Pair("lr", "0.1"), Pair("depth", "3")]),
                StoredTrial(id: "g2", configID: "c2", name: "", ordinal: 1, parameters: [Pair("lr", "0.01"), Pair("depth", "3")],
                            swept: [Pair("lr", "0.01"), Pair("depth", "3")]),
                StoredTrial(id: "g3", configID: "c3", name: "", ordinal: 2, parameters: [Pair("lr", "0.001"), Pair("depth", "3")],
                            swept: [Pair("lr", "0.001"), Pair("depth", "3")]),
            ])
        // The store holds only results that pass the schema (whole counts in the histograms);
        // the report's reader of them is lenient all the same (nulls and "nan" strings).
        let lenientResult = #"{"status":"ok","test_acc":0.4,"val_acc":0.41,"epochs":2,"weight_histograms":[{"layer":1,"limit":0,"start":[],"end":[]},{"layer":2,"limit":1,"start":[1,"nan",3],"end":[null,2,1]}]}"#
        XCTAssertEqual(ReportJSON.histograms(lenientResult).map(\.layer), [2])
        XCTAssertEqual(ReportJSON.histograms(lenientResult).first?.start, [1, 0, 3])
        XCTAssertEqual(ReportJSON.histograms(lenientResult).first?.end, [0, 2, 1])
        XCTAssertThrowsError(try TrialOutcome(json: lenientResult, epochBudget: 2), "not a result the store may hold")
        let g1 = #"{"epochs":2,"samples_per_s":100,"seconds":3,"status":"ok","test_acc":0.4,"type":"result","val_acc":0.41,"weight_histograms":[{"layer":1,"limit":0,"start":[],"end":[]},{"layer":2,"limit":1,"start":[1,0,3],"end":[0,2,1]}]}"#
        try store.apply([
            .start(Self.first("g1"), worker: "w", host: "h"),
            // Nulls, NaN strings, empty arrays and a missing validation split.
            .metric(Self.first("g1"), epoch: 1, report: #"{"epoch":1,"train_loss":null,"train_acc":"nan","grad_norm":[null,"nan",0.5],"update_ratio":[],"grad_ratio":null}"#),
            .metric(Self.first("g1"), epoch: 2, report: #"{"epoch":2,"train_loss":1.5,"train_acc":0.4,"grad_norm":[0,1e-3,0.5],"update_ratio":[0,"inf",1e-3],"grad_ratio":0}"#),
            .metric(Self.first("g1"), epoch: 3, report: "not json"),
            .finish(Self.first("g1"), try TrialOutcome(json: g1, epochBudget: 3)),
            .start(Self.first("g2"), worker: "w", host: "h"),
            .metric(Self.first("g2"), epoch: 1, report: #"{"epoch":1,"train_loss":2.3}"#),
            // A second attempt: only its epochs are drawn.
            .endAttempt(Self.first("g2"), .lost, reason: "lost", trial: .queued, message: "attempt 1: lost"),
            .start(TrialAttempt(trialID: "g2", attempt: 2), worker: "w", host: "h"),
            .metric(TrialAttempt(trialID: "g2", attempt: 2), epoch: 1, report: #"{"epoch":1,"train_loss":2.0,"grad_norm":[1,2],"grad_ratio":0.5}"#),
        ])
        let model = try ReportModel.load(from: store)
        XCTAssertEqual(model.configs.map(\.label), ["lr=0.1", "lr=0.01", "lr=0.001"])
        XCTAssertEqual(model.configs[1].trials[0].epochs.map(\.trainLoss), [2.0])
        XCTAssertEqual(model.configs[0].trials[0].epochs.count, 2)
        XCTAssertEqual(model.configs[0].trials[0].histograms.map(\.layer), [2])
        let html = ReportPage.render(model)
        XCTAssertEqual(count("<svg", in: html), 1 + 3 * 4 + 4)
        XCTAssertFalse(html.contains("NaN\""), "no NaN in an attribute")
        XCTAssertFalse(html.contains("inf\""))
        XCTAssertTrue(html.contains("val_acc"))
        XCTAssertTrue(html.contains("no epoch measured"))

        // One trial, nothing swept, still running.
        let single = try SweepStore(path: directory.appendingPathComponent("single.db").path)
        try single.register(SweepRecord(name: "one", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: 1),
                            trials: [StoredTrial(id: "s1", configID: "cs", name: "", ordinal: 0, parameters: [], swept: [])])
        try single.apply([.start(Self.first("s1"), worker: "w", host: "h"),
                          .metric(Self.first("s1"), epoch: 1, report: Self.epochJSON(epoch: 1, loss: 2, acc: 0.3, valAcc: 0.3, grads: [0.1, 1], updates: [0.01, 0.01]))])
        let one = ReportPage.render(try ReportModel.load(from: single))
        XCTAssertEqual(count("<svg", in: one), 1 + 4 + 4)
        XCTAssertTrue(one.contains("config cs"))

        // An empty store.
        let empty = ReportPage.render(ReportModel(sweepName: "empty", metric: Metric(name: .testAcc, goal: .maximize), trials: []))
        XCTAssertEqual(count("<svg", in: empty), 1 + 4)
        XCTAssertTrue(empty.contains("no trials in this sweep"))
        for page in [html, one, empty] {
            XCTAssertFalse(page.contains("nan\""))
            XCTAssertEqual(count("<svg", in: page), count("</svg>", in: page))
        }
    }

    // MARK: - In a browser

    /// Loads the page in headless Chromium: the DOM it builds holds every chart, and the
    /// console reports no error. Skipped when `chromium` is not on PATH (scripts/setup
    /// installs it).
    func testThePageLoadsInChromium() throws {
        guard let chromium = Self.executable(named: "chromium") ?? Self.executable(named: "chromium-browser") else {
            throw XCTSkip("chromium is not on PATH (apt-get install chromium; scripts/setup installs it)")
        }
        let (path, html) = try writeReport()
        let profile = directory.appendingPathComponent("profile").path
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                      "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0"]
        let dump = try Self.run(chromium, common + ["--dump-dom", "file://\(path)"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let dom = dump.stdout
        XCTAssertEqual(count("<svg", in: dom), count("<svg", in: html), "every chart is in the DOM")
        // The browser parsed every element as written: nothing swallowed, nothing invented (an
        // unescaped "<" in a label would add or eat elements).
        for tag in ["section", "tr", "rect", "polyline", "polygon", "circle", "line", "text", "span"] {
            XCTAssertEqual(count("<\(tag)", in: dom), count("<\(tag)", in: html), "<\(tag)> elements")
        }
        for id in ["ranking", "accuracy", "curves", "gradient-flow", "update-ratios", "weights", "verdicts"] {
            XCTAssertTrue(dom.contains(#"id="\#(id)""#), id)
        }
        XCTAssertTrue(dom.contains("vanishing"))
        // Console messages show as INFO:CONSOLE(...) lines; a parse or script error would be one.
        let consoleLines = dump.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        XCTAssertEqual(consoleLines, [], dump.stderr)

        let png = directory.appendingPathComponent("report.png").path
        let shot = try Self.run(chromium, common + ["--hide-scrollbars", "--window-size=1360,3000", "--screenshot=\(png)", "file://\(path)"])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: png)
        XCTAssertGreaterThan((attributes[.size] as? Int) ?? 0, 20_000, "a screenshot with content")
    }

    static func executable(named name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to its end (at most two minutes), its output captured in files.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(program) did not finish in 120 s")
        }
        return (process.terminationStatus,
                (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    private func section(_ id: String, of html: String) -> String? {
        guard let start = html.range(of: #"<section id="\#(id)">"#),
              let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }
}
