import SweepSchema
import SweepStorage
/// The ranking as an aligned text table for the terminal: rank, id, what was swept, status
/// and the final metrics.
public enum RankingText {
    public static func render(_ trials: [StoredTrial], metric: Metric, limit: Int = 30) -> String {
        let ranked = ResultsTable.rankTrials(trials, metric: metric)
        let header = ["rank", "trial", "parameters", "status", "test_acc", "val_acc", "test_loss", "epochs", "seconds"]
        var rows = [header]
        for (rank, t) in ranked.prefix(limit) {
            let label = (t.name.isEmpty ? "" : t.name + " ") + t.swept.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            rows.append([rank.map(String.init) ?? "-", t.id, label, t.status.rawValue,
                         ResultsTable.number(t.testAcc), ResultsTable.number(t.valAcc), ResultsTable.number(t.testLoss),
                         t.epochs.map(String.init) ?? "", ResultsTable.number(t.seconds)])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var text = rows.map { row in
            row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
        if ranked.count > limit { text += "\n... \(ranked.count - limit) more in results.csv" }
        return text
    }
}
