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
        commandName: "run", abstract: "Run a sweep on this machine with local worker processes.",
        discussion: """
        The workers are the `worker` program beside this one; they never outlive this process. \
        Ctrl-C (SIGINT) or SIGTERM stops them and exits 130 or 143; run the same command again \
        to resume.
        """)

    @OptionGroup var sweep: SweepArguments

    @Option(parsing: .unconditional, help: "Worker processes to start (default: one per core).")
    var localWorkers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Directory for sweep.db, results.csv, metrics.csv and report.html.")
    var out: String = "out"

    @Option(help: "The SQLite file (default OUT/sweep.db); a rerun on the same file resumes.")
    var db: String?

    @Option(help: "Also accept remote workers here, e.g. tcp://*:5555 (default: loopback only).")
    var bind: String = Self.loopback

    static let loopback = "tcp://127.0.0.1:*"

    @Option(parsing: .unconditional, help: "BLAS threads per trial (default: the cores split between the local workers).")
    var threads: Int?

    @OptionGroup var serve: ServeOptions

    @OptionGroup var keys: KeyOptions

    func validate() throws {
        guard localWorkers >= 1 else { throw ValidationError("--local-workers must be at least 1") }
        try keys.check(bind: bind)
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let security = try keys.security()
        try makeFolder(out, for: "--out")
        let database = db ?? (out as NSString).appendingPathComponent("sweep.db")
        let opened = try openSweep(sweep, database: database, maxAttempts: serve.maxAttempts)
        let store = opened.store
        let counts = try store.counts()
        guard counts.queued + counts.running > 0 || (opened.source.map { counts.total < $0.budget } ?? false) else {
            // A rerun of a finished sweep: no worker to start (and to wait for, and to stop).
            CoordinatorServer.log("every trial is finished already")
            return try writeResults(store, to: out)
        }
        var options = serve.server(endpoint: bind)
        opened.configure(&options)
        // On loopback every worker of a previous run was one of its local workers, and they
        // die with it: nobody will come back to adopt an interrupted trial, so do not wait.
        if serve.adoptGrace == nil && bind == Self.loopback { options.rules.adoptionGrace = 0 }
        // Split the cores between the workers: two processes with two BLAS threads each on
        // two cores lose 25-40 % (docs/performance.md).
        options.rules.threadsPerTrial = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / localWorkers)
        options.security = security
        // With keys, the local workers get a key pair of their own for this run, admitted
        // beside the --authorized folder and removed at the end.
        let localKeys = try options.security.map { try LocalWorkerKeys(server: $0.certificate) }
        defer { localKeys?.remove() }
        if let localKeys { options.security?.alsoAdmitted = [localKeys.publicKey] }
        let server = try CoordinatorServer(store: store, options: options)
        // From here on SIGINT and SIGTERM stop the loop between two turns (nothing half
        // stored), the workers are stopped, and the exit status says which signal it was.
        let signals = StopSignals()
        let workers = try LocalWorkers(count: localWorkers, endpoint: server.endpoint,
                                       heartbeat: serve.heartbeat, liveness: serve.liveness,
                                       extra: localKeys?.workerArguments ?? [])
        defer { workers.stop() }
        do {
            try server.run(check: {
                if let signal = signals.received { throw StopRequested(signal: signal) }
                try workers.checkAlive()
            })
        } catch {
            // A signal wins over what it caused (workers gone meanwhile, ...).
            guard let stop = (error as? StopRequested) ?? signals.received.map(StopRequested.init) else { throw error }
            try stopped(by: stop, workers)
        }
        workers.wait(seconds: 5)
        if let signal = signals.received { try stopped(by: StopRequested(signal: signal), workers) }
        try writeResults(store, to: out)
    }

    private func stopped(by stop: StopRequested, _ workers: LocalWorkers) throws -> Never {
        CoordinatorServer.log("\(stop): stopping the local workers; run the same command again to resume")
        workers.stop()
        throw ExitCode(stop.status)
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
