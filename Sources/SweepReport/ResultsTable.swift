import Foundation
import SweepSchema
import SweepStorage

/// The ranked results as CSV, for pandas and spreadsheets: one row per trial (or, grouped,
/// per configuration over its seeds), best first by the sweep's metric and goal.
public enum ResultsTable {
    public static let finalMetrics = Metric.Name.allCases

    /// Header, then one row per trial: rank, id, every parameter, status, attempts, host,
    /// seconds, the final metrics and epochs. Unranked trials (not finished) come last with
    /// an empty rank.
    public static func trials(_ trials: [StoredTrial], metric: Metric) -> String {
        let names = parameterNames(trials)
        var lines = [csvLine(["rank", "trial_id", "config_id", "name"] + names +
                             ["status", "attempts", "host", "seconds"] + finalMetrics.map(\.rawValue) + ["epochs_done", "message"])]
        for (rank, t) in rankTrials(trials, metric: metric) {
            let values = Dictionary(t.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            var fields: [String] = [rank.map(String.init) ?? "", t.id, t.configID, t.name]
            fields += names.map { values[$0] ?? "" }
            fields += [t.status.rawValue, String(t.attempts), t.host ?? "", number(t.seconds)]
            fields += finalMetrics.map { number(t.metric($0)) }
            fields += [t.epochs.map(String.init) ?? "", t.message ?? ""]  // epochs_done
            lines.append(csvLine(fields))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Repeats of one configuration (same parameters but the seed) folded into mean and
    /// sample standard deviation of each final metric, over the finished ones.
    public static func grouped(_ trials: [StoredTrial], metric: Metric) -> String {
        let names = parameterNames(trials).filter { $0 != "seed" }
        let stats = finalMetrics.flatMap { ["\($0.rawValue)_mean", "\($0.rawValue)_std"] }
        var rows: [(key: Double?, fields: [String])] = []
        for members in configurations(trials, id: \.configID) {
            let id = members[0].configID
            let finished = members.filter { $0.status.hasResult }
            let values = Dictionary(members[0].parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            var fields = [id, members[0].name] + names.map { values[$0] ?? "" }
            fields += [String(members.count), String(finished.count)]
            for m in finalMetrics {
                let xs = finished.compactMap { $0.metric(m) }
                fields += [number(mean(xs)), number(standardDeviation(xs))]
            }
            fields.append(number(mean(finished.compactMap(\.seconds))))
            rows.append((mean(finished.compactMap { $0.metric(metric.name) }), fields))
        }
        let ranked = rank(rows, by: \.key, goal: metric.goal)
        var lines = [csvLine(["rank", "config_id", "name"] + names + ["trials", "finished"] + stats + ["seconds_mean"])]
        for (r, row) in ranked { lines.append(csvLine([r.map(String.init) ?? ""] + row.fields)) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every per-epoch metric in long format: one row per trial, attempt, epoch, metric and
    /// layer (empty for whole-network metrics).
    public static func metrics(_ rows: [MetricRecord]) -> String {
        var lines = [csvLine(["trial_id", "attempt", "epoch", "metric", "layer", "value"])]
        for row in rows {
            // Reports that do not decode with the schema are left out (the coordinator checks
            // a METRIC's syntax, not its fields).
            guard let r = try? SchemaCoding.decode(EpochReport.self, from: row.report) else { continue }
            let prefix = [row.trialID, String(row.attempt), String(row.epoch)]
            let scalars: [(String, Double?)] = [
                ("grad_ratio", r.gradRatio), ("lr", Double(r.lr)), ("samples_per_s", r.samplesPerS), ("stage", Double(r.stage)),
                ("train_acc", r.trainAcc), ("train_loss", r.trainLoss), ("val_acc", r.valAcc), ("val_loss", r.valLoss),
            ]
            let layers: [(String, [Double])] = [
                ("dead", r.dead), ("grad_norm", r.gradNorm), ("saturated", r.saturated), ("update_ratio", r.updateRatio),
                ("weight_norm", r.weightNorm), ("weight_std", r.weightStd),
            ]
            var fields: [(String, [String])] = scalars.compactMap { key, v in v.map { (key, ["", number($0)]) } }
            for (key, values) in layers {
                for (layer, v) in values.enumerated() { fields.append((key, [String(layer + 1), number(v)])) }
            }
            // Metric names in alphabetical order, layers in order within each.
            for (key, rest) in fields.enumerated().sorted(by: { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }).map(\.element) {
                lines.append(csvLine(prefix + [key] + rest))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Pieces

    public static func rankTrials(_ trials: [StoredTrial], metric: Metric) -> [(Int?, StoredTrial)] {
        rank(trials, by: { $0.status.hasResult ? $0.metric(metric.name) : nil }, goal: metric.goal)
    }

    /// The repeats of each configuration (items sharing a configuration id), in the order
    /// each configuration first appears.
    public static func configurations<T>(_ items: [T], id: (T) -> String) -> [[T]] {
        var order: [String] = []
        var groups: [String: [T]] = [:]
        for item in items {
            let key = id(item)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(item)
        }
        return order.map { groups[$0]! }
    }

    /// Sorts best first; items without a value keep their order at the end, unranked.
    public static func rank<T>(_ items: [T], by key: (T) -> Double?, goal: Metric.Goal) -> [(Int?, T)] {
        let keyed = items.enumerated().map { (index: $0.offset, key: key($0.element).flatMap { $0.isFinite ? $0 : nil }, item: $0.element) }
        let ranked = keyed.filter { $0.key != nil }.sorted {
            $0.key! == $1.key! ? $0.index < $1.index : (goal == .minimize ? $0.key! < $1.key! : $0.key! > $1.key!)
        }
        let unranked = keyed.filter { $0.key == nil }
        return ranked.enumerated().map { (Optional($0.offset + 1), $0.element.item) } + unranked.map { (nil, $0.item) }
    }

    /// Parameter names in canonical order, as the trials carry them.
    public static func parameterNames(_ trials: [StoredTrial]) -> [String] {
        trials.first?.parameters.map(\.name) ?? []
    }

    public static func number(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return String(format: "%.6g", x)
    }

    public static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }

    public static func standardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count > 1, let m = mean(xs) else { return xs.count == 1 ? 0 : nil }
        return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
    }

    public static func csvLine(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
    }
}
