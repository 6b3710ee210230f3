import ArgumentParser
import Foundation
import SweepSchema
import SweepFile
import SweepReport
import SweepStorage
import SweepWire

/// `coordinator run`: the embedded default. A coordinator and N worker processes on this
/// machine, the sweep run to the end, the CSVs written and the ranking printed.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a sweep on this machine with local worker processes.")

    @OptionGroup var sweep: SweepArguments

    @Option(help: "Worker processes to start (default: one per core).")
    var localWorkers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Directory for sweep.db, results.csv, metrics.csv and report.html.")
    var out: String = "out"

    @Option(help: "The SQLite file (default OUT/sweep.db); a rerun on the same file resumes.")
    var db: String?

    @Option(help: "Also accept remote workers here, e.g. tcp://*:5555 (default: loopback only).")
    var bind: String = "tcp://127.0.0.1:*"

    @Option(help: "BLAS threads per trial (default: the cores split between the local workers).")
    var threads: Int?

    @OptionGroup var serve: ServeOptions

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let database = db ?? (out as NSString).appendingPathComponent("sweep.db")
        let store = try openSweep(sweep, database: database, maxAttempts: serve.maxAttempts)
        var options = serve.server(endpoint: bind)
        // Split the cores between the workers: two processes with two BLAS threads each on
        // two cores lose 25-40 % (docs/performance.md).
        options.rules.threadsPerTrial = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(localWorkers, 1))
        let server = try CoordinatorServer(store: store, options: options)
        let workers = try LocalWorkers(count: localWorkers, endpoint: server.endpoint,
                                       heartbeat: serve.heartbeat, liveness: serve.liveness)
        defer { workers.stop() }
        try server.run(check: workers.checkAlive)
        workers.wait(seconds: 5)
        try writeResults(store, to: out)
    }
}

/// Writes results.csv and metrics.csv and prints the ranking.
func writeResults(_ store: SweepStore, to directory: String) throws {
    guard let sweep = try store.sweep() else { return }
    let trials = try store.trials()
    let results = ResultsTable.trials(trials, metric: sweep.ranking)
    let resultsPath = (directory as NSString).appendingPathComponent("results.csv")
    let metricsPath = (directory as NSString).appendingPathComponent("metrics.csv")
    try results.write(toFile: resultsPath, atomically: true, encoding: .utf8)
    try ResultsTable.metrics(try store.metrics()).write(toFile: metricsPath, atomically: true, encoding: .utf8)
    print(RankingText.render(trials, metric: sweep.ranking))
    print("wrote \(resultsPath) and \(metricsPath)")
    ReportWriter.writeAfterRun(store, to: directory)
}
