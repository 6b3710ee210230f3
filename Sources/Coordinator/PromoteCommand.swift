import ArgumentParser
import Foundation
import SweepSchema
import SweepFile
import SweepReport
import SweepStorage
import SweepWire

/// `coordinator promote`: a search ranks configurations on one seed each, and the winner of
/// one seed is often luck. This writes the best configurations of a finished sweep as a `list`
/// sweep with `repeats`, ready for `coordinator run`, so the rerun over more seeds is one
/// command rather than copying parameters by hand. A promoted configuration's first seed is
/// the trial that was already run: same parameters, same id.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Write the best configurations of a sweep as a new sweep file, to rerun them over more seeds.")

    @Option(help: "The sweep's SQLite file.")
    var db: String

    @Option(parsing: .unconditional, help: "How many configurations, best first by the sweep's metric (mean over seeds).")
    var top: Int = 3

    @Option(parsing: .unconditional, help: "Seeds per configuration in the new sweep.")
    var repeats: Int = 3

    @Option(help: "Where to write the sweep file (default: standard output).")
    var output: String?

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let store = try SweepStore(readingFrom: db)
        guard let sweep = try store.sweep() else { throw refusal("\(db) holds no sweep") }
        let file = try Self.promote(try store.trials(), sweep: sweep, top: top, repeats: repeats, source: db)
        if let output {
            try file.yaml.write(toFile: output, atomically: true, encoding: .utf8)
            CoordinatorServer.log("wrote \(output): \(file.entries.count) configuration(s) x \(repeats) seed(s)")
        } else {
            print(file.yaml, terminator: "")
        }
    }

    /// The `top` configurations with a finished trial, ranked by the mean of the sweep's
    /// metric over their seeds, each as an entry holding its swept parameters but the seed.
    static func promote(_ trials: [StoredTrial], sweep: SweepRecord, top: Int, repeats: Int,
                        source: String) throws -> ListSweepFile {
        let finished = { (members: [StoredTrial]) in members.filter { $0.status == .ok } }
        let ranked = ResultsTable.rank(ResultsTable.configurations(trials, id: \.configID), by: { members in
            ResultsTable.mean(finished(members).compactMap { $0.metric(sweep.metric) }.filter(\.isFinite))
        }, goal: sweep.goal).filter { $0.0 != nil }.prefix(top)
        guard !ranked.isEmpty else { throw ValidationError("\(source) has no finished trial to promote") }
        let entries = ranked.map { rank, members in
            let values = finished(members).compactMap { $0.metric(sweep.metric) }
            let mean = ResultsTable.mean(values) ?? .nan
            let label = members[0].name.isEmpty ? "top-\(rank!)" : members[0].name
            return ListSweepFile.Entry(
                name: label, parameters: members[0].swept.filter { $0.name != "seed" }.map { ($0.name, $0.value) },
                comment: "rank \(rank!) in '\(sweep.name)', \(sweep.metric.rawValue) \(String(format: "%.4f", mean)) over \(values.count) seed(s), configuration \(members[0].configID)")
        }
        return ListSweepFile(name: "\(sweep.name)-top\(entries.count)",
                             description: "the best \(entries.count) of '\(sweep.name)' by \(sweep.metric.rawValue), over \(repeats) seeds",
                             metric: sweep.ranking, repeats: repeats, entries: Array(entries))
    }
}
