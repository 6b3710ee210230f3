import Foundation
import GRDB

/// One epoch of a trial's last attempt, as the report needs it. Any value may be missing:
/// null, absent, or not a number in the stored JSON (NaN travels as the string "nan").
struct EpochPoint {
    var epoch: Int
    var stage: Int?
    var trainLoss: Double?
    var trainAcc: Double?
    var valLoss: Double?
    var valAcc: Double?
    /// Per Dense layer in use, input first and the head last.
    var gradNorm: [Double?]
    var updateRatio: [Double?]
    var gradRatio: Double?
    /// Mean over the hidden layers of the share of activations with a derivative below 0.01.
    var saturated: Double?

    init?(json: String, epoch: Int) {
        guard let o = ReportJSON.object(json) else { return nil }
        self.epoch = ReportJSON.number(o["epoch"]).flatMap { $0.isFinite ? Int($0) : nil } ?? epoch
        stage = ReportJSON.number(o["stage"]).flatMap { $0.isFinite ? Int($0) : nil }
        trainLoss = ReportJSON.number(o["train_loss"])
        trainAcc = ReportJSON.number(o["train_acc"])
        valLoss = ReportJSON.number(o["val_loss"])
        valAcc = ReportJSON.number(o["val_acc"])
        gradNorm = ReportJSON.numbers(o["grad_norm"])
        updateRatio = ReportJSON.numbers(o["update_ratio"])
        gradRatio = ReportJSON.number(o["grad_ratio"])
        saturated = ResultsTable.mean(ReportJSON.numbers(o["saturated"]).compactMap { $0 }.filter(\.isFinite))
    }
}

/// One Dense layer's weight histogram before and after training (`WeightHistogram`).
struct LayerHistogram {
    var layer: Int
    var limit: Double
    var start: [Double]
    var end: [Double]
}

/// A trial with its last attempt's curves, its weight histograms and its verdict.
struct ReportTrial {
    var stored: StoredTrial
    var epochs: [EpochPoint]
    var histograms: [LayerHistogram]
    var verdict: Verdict
    var seed: String? { stored.parameters.first { $0.0 == "seed" }?.1 }
}

/// The repeats of one configuration (same parameters but the seed).
struct ReportConfig {
    var configID: String
    /// The list entry's name, or what varies between configurations for grid and random sweeps.
    var label: String
    /// The swept parameters other than the seed, as `name=value`.
    var detail: String
    var trials: [ReportTrial]
    var published: PublishedResult?
    var rank: Int?

    /// Trials that finished (ok or diverged) and so count for the mean.
    var finished: [ReportTrial] { trials.filter { $0.stored.status == "ok" || $0.stored.status == "diverged" } }
    var testAccuracies: [Double] { finished.compactMap(\.stored.testAcc).filter(\.isFinite) }
    var meanTestAcc: Double? { ResultsTable.mean(testAccuracies) }
    var stdTestAcc: Double? { ResultsTable.standardDeviation(testAccuracies) }

    /// Every status with its count, e.g. "2 ok, 1 failed".
    var statusSummary: String {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for t in trials {
            if counts[t.stored.status] == nil { order.append(t.stored.status) }
            counts[t.stored.status, default: 0] += 1
        }
        return order.map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
    }
}

/// Everything the page shows, read from a store.
struct ReportModel {
    var sweepName: String
    var metric: String
    var goal: String
    /// Best first by the sweep's metric (mean over seeds); unranked configurations last.
    var configs: [ReportConfig]
    var generated: Date

    var trials: [ReportTrial] { configs.flatMap(\.trials) }

    /// Folds trials into configurations (by `configID`, in sweep order) and ranks them.
    init(sweepName: String, metric: String, goal: String, trials: [ReportTrial], generated: Date = Date()) {
        self.sweepName = sweepName
        self.metric = metric
        self.goal = goal
        self.generated = generated
        let groups = ResultsTable.configurations(trials, id: \.stored.configID)
        let labels = Self.labels(groups)
        let configs = groups.enumerated().map { index, members in
            ReportConfig(configID: members[0].stored.configID, label: labels[index].label, detail: labels[index].detail,
                         trials: members, published: PublishedResult.forName(members[0].stored.name), rank: nil)
        }
        let ranked = ResultsTable.rank(configs, by: { c in
            ResultsTable.mean(c.finished.compactMap { $0.stored.metric(metric) }.filter(\.isFinite))
        }, goal: goal)
        self.configs = ranked.map { rank, config in
            var c = config
            c.rank = rank
            return c
        }
    }

    /// Reads the sweep, its trials, the last attempt's epoch reports and the stored results.
    static func load(from store: SweepStore) throws -> ReportModel {
        let sweep = try store.sweep()
        let stored = try store.trials()
        var lastAttempt: [String: Int] = [:]
        var reports: [String: [(attempt: Int, epoch: Int, report: String)]] = [:]
        for m in try store.metrics() {
            lastAttempt[m.trialID] = max(lastAttempt[m.trialID] ?? m.attempt, m.attempt)
            reports[m.trialID, default: []].append((m.attempt, m.epoch, m.report))
        }
        let results = try ReportStoreReader.results(path: store.path)
        let trials = stored.map { t -> ReportTrial in
            let last = lastAttempt[t.id]
            let epochs = (reports[t.id] ?? []).filter { $0.attempt == last }.sorted { $0.epoch < $1.epoch }
                .compactMap { EpochPoint(json: $0.report, epoch: $0.epoch) }
            let histograms = results[t.id].map(ReportJSON.histograms) ?? []
            return ReportTrial(stored: t, epochs: epochs, histograms: histograms,
                               verdict: Verdict.judge(status: t.status, epochs: epochs))
        }
        return ReportModel(sweepName: sweep?.name ?? "(no sweep)", metric: sweep?.metric ?? "test_acc",
                           goal: sweep?.goal ?? "maximize", trials: trials)
    }

    /// A short label per configuration: its list name when it has one, followed by the swept
    /// parameters that tell apart the configurations of that name (`relu-he depth=50`); for
    /// grid and random sweeps, the swept parameters whose values differ between
    /// configurations, else every swept parameter, else the configuration id.
    static func labels(_ groups: [[ReportTrial]]) -> [(label: String, detail: String)] {
        let swept = groups.map { members in members[0].stored.swept.filter { $0.0 != "seed" } }
        var values: [String: [String: Set<String>]] = [:]
        for (members, pairs) in zip(groups, swept) {
            for (k, v) in pairs { values[members[0].stored.name, default: [:]][k, default: []].insert(v) }
        }
        return zip(groups, swept).map { members, pairs in
            let detail = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            let name = members[0].stored.name
            let differing = pairs.filter { values[name]![$0.0]!.count > 1 }
            if !name.isEmpty { return (([name] + differing.map { "\($0.0)=\($0.1)" }).joined(separator: " "), detail) }
            if !differing.isEmpty { return (differing.map { "\($0.0)=\($0.1)" }.joined(separator: " "), detail) }
            if !detail.isEmpty { return (detail, detail) }
            return ("config " + members[0].stored.configID, detail)
        }
    }
}

/// The test accuracies docs/study.md quotes for Model 3 and its fixes: the seed's own run
/// (300 epochs, seed 42) and the later edition's (100 epochs). Keyed by the list entry names
/// of sweeps/seed-study.yaml (and "baseline", Model 3 in sweeps/quick.yaml).
struct PublishedResult: Equatable {
    var seed: Double?
    /// What the figure is of, when it is not "Model 3 + this fix" (e.g. "Model 1").
    var seedNote: String?
    var laterEdition: Double?

    static let byName: [String: PublishedResult] = [
        "model-1": PublishedResult(seed: 0.71, seedNote: "Model 1", laterEdition: nil),
        "model-2": PublishedResult(seed: 0.10, seedNote: "Model 2", laterEdition: nil),
        "model-3": PublishedResult(seed: 0.100, seedNote: "Model 3", laterEdition: nil),
        "baseline": PublishedResult(seed: 0.100, seedNote: "Model 3", laterEdition: nil),
        "std-1.0": PublishedResult(seed: 0.779, seedNote: nil, laterEdition: 0.734),
        "std-10.0": PublishedResult(seed: 0.177, seedNote: nil, laterEdition: nil),
        "relu": PublishedResult(seed: 0.867, seedNote: nil, laterEdition: 0.802),
        "adam": PublishedResult(seed: 0.855, seedNote: nil, laterEdition: 0.859),
        "batchnorm": PublishedResult(seed: 0.875, seedNote: nil, laterEdition: 0.872),
        "standardize": PublishedResult(seed: 0.857, seedNote: nil, laterEdition: 0.845),
        "skip": PublishedResult(seed: 0.803, seedNote: nil, laterEdition: 0.680),
        "train-some-layers": PublishedResult(seed: 0.807, seedNote: nil, laterEdition: 0.761),
    ]

    static func forName(_ name: String) -> PublishedResult? { name.isEmpty ? nil : byName[name] }
}

/// Reads what `SweepStore` does not hand out: each trial's stored result JSON (for the weight
/// histograms). The store's pool is private, so this opens its own read-only pool on the
/// same file; WAL lets it read while the coordinator holds the writer.
enum ReportStoreReader {
    static func results(path: String) throws -> [String: String] {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try pool.read { db in
            var results: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, result FROM trial WHERE result IS NOT NULL") {
                results[row["id"]] = row["result"]
            }
            return results
        }
    }
}

/// Lenient reading of the stored JSON: numbers may be null, absent, or the strings "nan",
/// "inf" and "-inf" (how the worker writes non-finite numbers).
enum ReportJSON {
    static func object(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let n as NSNumber:
            return n.doubleValue
        case let s as String:
            switch s.lowercased() {
            case "nan": return .nan
            case "inf", "+inf", "infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            default: return Double(s)
            }
        default:
            return nil
        }
    }

    static func numbers(_ value: Any?) -> [Double?] {
        (value as? [Any])?.map { number($0) } ?? []
    }

    /// The result's `weight_histograms`, skipping entries that are not well formed.
    static func histograms(_ resultJSON: String) -> [LayerHistogram] {
        guard let o = object(resultJSON), let list = o["weight_histograms"] as? [Any] else { return [] }
        return list.compactMap { item in
            guard let h = item as? [String: Any],
                  let layer = number(h["layer"]).flatMap({ $0.isFinite ? Int($0) : nil }),
                  let limit = number(h["limit"]), limit.isFinite, limit > 0 else { return nil }
            let start = numbers(h["start"]).map { $0.flatMap { $0.isFinite ? max($0, 0) : nil } ?? 0 }
            let end = numbers(h["end"]).map { $0.flatMap { $0.isFinite ? max($0, 0) : nil } ?? 0 }
            guard !start.isEmpty || !end.isEmpty else { return nil }
            return LayerHistogram(layer: layer, limit: limit, start: start, end: end)
        }.sorted { $0.layer < $1.layer }
    }
}
