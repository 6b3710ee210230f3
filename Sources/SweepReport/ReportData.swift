import Foundation
import SweepSchema
import SweepStorage

/// One epoch of a trial's last attempt, as the report needs it: the stored report decoded
/// as MLPKit's `EpochReport` (the schema every reader shares). Values the charts cannot draw
/// (NaN, infinities) are kept and skipped where drawn.
public struct EpochPoint {
    public var epoch: Int
    public var stage: Int?
    public var trainLoss: Double?
    public var trainAcc: Double?
    public var valLoss: Double?
    public var valAcc: Double?
    /// Per Dense layer in use, input first and the head last.
    public var gradNorm: [Double?]
    public var updateRatio: [Double?]
    public var gradRatio: Double?
    /// Mean over the hidden layers of the share of activations with a derivative below 0.01.
    public var saturated: Double?

    /// An epoch with nothing measured (tests build curves from it).
    public init(epoch: Int) {
        self.epoch = epoch
        gradNorm = []
        updateRatio = []
    }

    public init(_ report: EpochReport) {
        epoch = report.epoch
        stage = report.stage
        trainLoss = report.trainLoss
        trainAcc = report.trainAcc
        valLoss = report.valLoss
        valAcc = report.valAcc
        gradNorm = report.gradNorm
        updateRatio = report.updateRatio
        gradRatio = report.gradRatio
        saturated = ResultsTable.mean(report.saturated.filter(\.isFinite))
    }

    /// The stored report decoded with the schema; nil when it does not decode.
    public init?(json: String) {
        guard let report = try? SchemaCoding.decode(EpochReport.self, from: json) else { return nil }
        self.init(report)
    }
}

/// One Dense layer's weight histogram before and after training (`WeightHistogram`).
public struct LayerHistogram {
    public var layer: Int
    public var limit: Double
    public var start: [Double]
    public var end: [Double]
}

/// A trial with its last attempt's curves, its weight histograms and its verdict.
public struct ReportTrial {
    public var stored: StoredTrial
    public var epochs: [EpochPoint]
    public var histograms: [LayerHistogram]
    public var verdict: Verdict
    public var seed: String? { stored.parameters.first { $0.name == "seed" }?.value }
}

/// The repeats of one configuration (same parameters but the seed).
public struct ReportConfig {
    public var configID: String
    /// The list entry's name, or what varies between configurations for grid and random sweeps.
    public var label: String
    /// The swept parameters other than the seed, as `name=value`.
    public var detail: String
    public var trials: [ReportTrial]
    public var published: PublishedResult?
    public var rank: Int?

    /// Trials that finished (ok or diverged) and so count for the mean.
    public var finished: [ReportTrial] { trials.filter { $0.stored.status.hasResult } }
    public var testAccuracies: [Double] { finished.compactMap(\.stored.testAcc).filter(\.isFinite) }
    public var meanTestAcc: Double? { ResultsTable.mean(testAccuracies) }
    public var stdTestAcc: Double? { ResultsTable.standardDeviation(testAccuracies) }

    /// Every status with its count, e.g. "2 ok, 1 failed".
    public var statusSummary: String {
        var order: [TrialStatus] = []
        var counts: [TrialStatus: Int] = [:]
        for t in trials {
            if counts[t.stored.status] == nil { order.append(t.stored.status) }
            counts[t.stored.status, default: 0] += 1
        }
        return order.map { "\(counts[$0]!) \($0.rawValue)" }.joined(separator: ", ")
    }
}

/// Everything the page shows, read from a store.
public struct ReportModel {
    public var sweepName: String
    public var metric: Metric
    /// Best first by the sweep's metric (mean over seeds); unranked configurations last.
    public var configs: [ReportConfig]
    public var generated: Date

    public var trials: [ReportTrial] { configs.flatMap(\.trials) }

    /// Folds trials into configurations (by `configID`, in sweep order) and ranks them.
    public init(sweepName: String, metric: Metric, trials: [ReportTrial], generated: Date = Date()) {
        self.sweepName = sweepName
        self.metric = metric
        self.generated = generated
        let groups = ResultsTable.configurations(trials, id: \.stored.configID)
        let labels = Self.labels(groups)
        let configs = groups.enumerated().map { index, members in
            ReportConfig(configID: members[0].stored.configID, label: labels[index].label, detail: labels[index].detail,
                         trials: members, published: PublishedResult.forName(members[0].stored.name), rank: nil)
        }
        let ranked = ResultsTable.rank(configs, by: { c in
            ResultsTable.mean(c.finished.compactMap { $0.stored.metric(metric.name) }.filter(\.isFinite))
        }, goal: metric.goal)
        self.configs = ranked.map { rank, config in
            var c = config
            c.rank = rank
            return c
        }
    }

    /// Reads the sweep, its trials, the last attempt's epoch reports and the stored results.
    public static func load(from store: SweepStore) throws -> ReportModel {
        let sweep = try store.sweep()
        let stored = try store.trials()
        var lastAttempt: [String: Int] = [:]
        var reports: [String: [(attempt: Int, epoch: Int, report: String)]] = [:]
        for m in try store.metrics() {
            lastAttempt[m.trialID] = max(lastAttempt[m.trialID] ?? m.attempt, m.attempt)
            reports[m.trialID, default: []].append((m.attempt, m.epoch, m.report))
        }
        let trials = stored.map { t -> ReportTrial in
            let last = lastAttempt[t.id]
            let epochs = (reports[t.id] ?? []).filter { $0.attempt == last }.sorted { $0.epoch < $1.epoch }
                .compactMap { EpochPoint(json: $0.report) }
            let histograms = t.result.map(LayerHistogram.all(ofResult:)) ?? []
            return ReportTrial(stored: t, epochs: epochs, histograms: histograms,
                               verdict: Verdict.judge(status: t.status, epochs: epochs))
        }
        return ReportModel(sweepName: sweep?.name ?? "(no sweep)", metric: sweep?.ranking ?? Metric(), trials: trials)
    }

    /// A short label per configuration: its list name when it has one, followed by the swept
    /// parameters that tell apart the configurations of that name (`relu-he depth=50`); for
    /// grid and random sweeps, the swept parameters whose values differ between
    /// configurations, else every swept parameter, else the configuration id.
    public static func labels(_ groups: [[ReportTrial]]) -> [(label: String, detail: String)] {
        let swept = groups.map { members in members[0].stored.swept.filter { $0.name != "seed" } }
        var values: [String: [String: Set<String>]] = [:]
        for (members, pairs) in zip(groups, swept) {
            for pair in pairs { let (k, v) = (pair.name, pair.value); values[members[0].stored.name, default: [:]][k, default: []].insert(v) }
        }
        return zip(groups, swept).map { members, pairs in
            let detail = pairs.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            let name = members[0].stored.name
            let differing = pairs.filter { values[name]![$0.name]!.count > 1 }
            if !name.isEmpty { return (([name] + differing.map { "\($0.name)=\($0.value)" }).joined(separator: " "), detail) }
            if !differing.isEmpty { return (differing.map { "\($0.name)=\($0.value)" }.joined(separator: " "), detail) }
            if !detail.isEmpty { return (detail, detail) }
            return ("config " + members[0].stored.configID, detail)
        }
    }
}

/// The test accuracies docs/study.md quotes for Model 3 and its fixes: the seed's own run
/// (300 epochs, seed 42) and the later edition's (100 epochs). Keyed by the list entry names
/// of sweeps/seed-study.yaml (and "baseline", Model 3 in sweeps/quick.yaml).
public struct PublishedResult: Equatable, Sendable {
    public var seed: Double?
    /// What the figure is of, when it is not "Model 3 + this fix" (e.g. "Model 1").
    public var seedNote: String?
    public var laterEdition: Double?

    public static let byName: [String: PublishedResult] = [
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

    public static func forName(_ name: String) -> PublishedResult? { name.isEmpty ? nil : byName[name] }
}

extension LayerHistogram {
    /// The histograms of a stored result (MLPKit's `TrialResult`), skipping layers with no
    /// range or no counts; none when the result does not decode.
    static func all(ofResult json: String) -> [LayerHistogram] {
        guard let result = try? SchemaCoding.decode(TrialResult.self, from: json) else { return [] }
        return (result.weightHistograms ?? []).compactMap { h in
            guard h.limit.isFinite, h.limit > 0, !(h.start.isEmpty && h.end.isEmpty) else { return nil }
            return LayerHistogram(layer: h.layer, limit: h.limit, start: h.start.map { Double(max($0, 0)) },
                                  end: h.end.map { Double(max($0, 0)) })
        }.sorted { $0.layer < $1.layer }
    }
}
