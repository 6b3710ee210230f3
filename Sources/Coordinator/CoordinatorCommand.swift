import ArgumentParser
import Foundation
import SweepSchema
import SweepFile
import SweepReport
import SweepRules
import SweepStorage
import SweepWire

/// `coordinator`: runs sweeps, hands trials to workers over ZeroMQ, keeps every result.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run hyper-parameter sweeps across workers, losing nothing when machines die.",
        version: vgsweepVersion,
        subcommands: [RunCommand.self, ServeCommand.self, StatusCommand.self, ResultsCommand.self, ReportCommand.self,
                      PromoteCommand.self, KeygenCommand.self])
}

/// Every status `coordinator` exits with, in one place (the README has the same table).
enum ExitStatus: Int32 {
    /// The sweep ran to its end (failed trials included), or the command did what it was asked.
    case ok = 0
    /// Anything that stopped it with a message: storage, every local worker gone, I/O.
    case error = 1
    /// A bad command line or sweep file: an unknown option, an impossible value, a spec mistake
    /// (ArgumentParser's `ValidationError`; sysexits' EX_USAGE).
    case usage = 64
    /// `coordinator run` stopped by SIGINT (128 + 2), after stopping its local workers.
    case interrupted = 130
    /// `coordinator run` stopped by SIGTERM (128 + 15), after stopping its local workers.
    case terminated = 143
}

extension ExitCode {
    init(_ status: ExitStatus) { self.init(status.rawValue) }
}

/// Options shared by `run` and `serve`. Numbers are parsed `.unconditional`, so that
/// `--liveness -1` reaches `validate()` and is refused by name instead of ArgumentParser
/// taking `-1` for an option ("Missing value").
struct ServeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seconds between heartbeats.")
    var heartbeat: Double = 1

    @Option(parsing: .unconditional, help: "Heartbeats a worker may miss before it is presumed lost.")
    var liveness: Int = 3

    @Option(parsing: .unconditional, help: "Strikes (failed attempts; losses once per worker) before a trial is marked failed.")
    var maxAttempts: Int = 3

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds without an epoch report before a trial's lease is taken back (grows to 10x its slowest epoch).",
                               valueName: "seconds"))
    var progressTimeout: Double = 1800

    @Option(parsing: .unconditional, help: ArgumentHelp("After a restart, seconds the interrupted trials wait for their workers to come back (default: 40; `run` on loopback: 0, its workers died with it).",
                               valueName: "seconds"))
    var adoptGrace: Double?

    static let defaultAdoptGrace = 40.0

    func validate() throws {
        guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds") }
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard progressTimeout > 0, progressTimeout.isFinite else { throw ValidationError("--progress-timeout must be a positive number of seconds") }
        if let adoptGrace, !(adoptGrace >= 0 && adoptGrace.isFinite) { throw ValidationError("--adopt-grace must be zero or more seconds") }
    }

    func server(endpoint: String) -> CoordinatorServer.Options {
        var options = CoordinatorServer.Options(endpoint: endpoint)
        options.rules.heartbeatInterval = heartbeat
        options.rules.liveness = liveness
        options.rules.maxAttempts = maxAttempts
        options.rules.progressTimeout = progressTimeout
        options.rules.adoptionGrace = adoptGrace ?? Self.defaultAdoptGrace
        return options
    }
}

/// The sweep file and what the command line changes in it; shared by `run` and `serve`.
struct SweepArguments: ParsableArguments {
    @Argument(help: "The sweep file (YAML).")
    var spec: String

    @Argument(help: ArgumentHelp("name=value settings fixed for every trial, over the file's.",
                                 valueName: "name=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Run only these entries of a list sweep, comma-separated.", valueName: "names"))
    var only: String?

    @Option(parsing: .unconditional, help: "Seeds per configuration, over the file's `repeats`.")
    var repeats: Int?

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    var entries: [String] { only.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [] }

    /// What changes the file, as typed: recorded with the file's text in the database.
    var changes: [String] {
        overrides + (only.map { ["--only", $0] } ?? []) + (repeats.map { ["--repeats", "\($0)"] } ?? [])
    }
}

/// A sweep opened: its store, and what the rules need from its file.
struct OpenSweep {
    let store: SweepStore
    let spec: SweepSpec
    /// Random and bayes sweeps make their trials as workers ask.
    let source: SpecTrialSource?

    /// The rules' settings the file decides: the metric (and its target), `early_terminate`.
    func configure(_ options: inout CoordinatorServer.Options) {
        options.rules.metric = spec.metric
        options.rules.stopping = spec.stopping
        options.source = source
    }
}

/// Loads the spec, applies the command line, expands it and registers the trials the database
/// does not hold yet (grid and list sweeps; random and bayes ones make theirs as they go).
func openSweep(_ arguments: SweepArguments, database: String, maxAttempts: Int) throws -> OpenSweep {
    let path = arguments.spec
    let spec: SweepSpec, trials: [Trial], source: SpecTrialSource?
    do {
        spec = try SweepSpec.load(path: path).overriding(arguments.overrides, repeats: arguments.repeats)
        if spec.method == .random || spec.method == .bayes {
            source = try SpecTrialSource(spec: spec)
            trials = []
        } else {
            source = nil
            trials = try spec.trials(only: arguments.entries)
        }
    } catch {
        throw refusal("\(error)")
    }
    let store = try SweepStore(path: database)
    var yaml = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    if !arguments.changes.isEmpty { yaml += "\n# command line: \(arguments.changes.joined(separator: " "))\n" }
    let added = try store.register(
        SweepRecord(name: spec.name, spec: yaml, metric: spec.metric, maxAttempts: maxAttempts),
        trials: trials.map {
            StoredTrial(id: $0.id, configID: $0.configId, name: $0.name, ordinal: $0.ordinal,
                        parameters: $0.pairs.map { Pair($0.name, $0.value) }, swept: $0.swept.map { Pair($0.name, $0.value) })
        })
    for notice in spec.notices + idleStoppingNotices(spec, trials: trials, source: source) { CoordinatorServer.log(notice) }
    if let source {
        let budget = source.budget == Int.max ? "no run_cap: until stopped" : "up to \(source.budget)"
        CoordinatorServer.log("\(path): \(spec.method.rawValue) sweep, trials made as workers ask (\(budget)), in \(database)")
    } else {
        CoordinatorServer.log("\(path): \(trials.count) trial(s), \(added) new in \(database)")
    }
    return OpenSweep(store: store, spec: spec, source: source)
}

/// A notice for each `early_terminate` rule that cannot stop a trial of this sweep before its
/// last epoch, judged from its trials, or from its first 32 samples for a random or bayes sweep.
func idleStoppingNotices(_ spec: SweepSpec, trials: [Trial], source: SpecTrialSource?) -> [String] {
    guard !spec.stopping.isEmpty else { return [] }
    var seen = trials, count = trials.count
    if let source, var sampler = try? spec.sampler() {
        count = source.budget
        for _ in 0..<32 { guard let next = try? sampler.next() else { break }; seen += next }
    }
    let longest = seen.compactMap { epochBudget(of: $0.pairs.map { ($0.name, $0.value) }) }.max() ?? 0
    return spec.stopping.compactMap { $0.idleReason(longestTrial: longest, trials: count) }
        .map { "\(spec.file): early_terminate: \($0)" }
}

/// CURVE keys, shared by `run` and `serve`: on by default wherever other hosts can connect.
struct KeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("This coordinator's secret certificate (coordinator keygen): CURVE encryption and keyed workers.",
                               valueName: "PATH.key_secret"))
    var key: String?

    @Option(help: ArgumentHelp("The folder of the workers' public certificates (*.key) allowed in; read at each connection.",
                               valueName: "dir"))
    var authorized: String?

    @Flag(help: "Serve plain text, unauthenticated, on an address other hosts can reach.")
    var insecure = false

    /// Called from the command's `validate()`, which knows the bind address.
    func check(bind: String) throws {
        if let problem = Endpoint.problem(with: bind, binding: true) { throw ValidationError("--bind \(bind): \(problem)") }
        guard (key == nil) == (authorized == nil) else { throw ValidationError("--key and --authorized go together") }
        if key == nil && !insecure && !Endpoint.isLoopback(bind) {
            throw ValidationError("--bind \(bind) is reachable from other hosts: give --key and --authorized (coordinator keygen), or --insecure to serve plain text on purpose")
        }
        if let authorized {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: authorized, isDirectory: &folder), folder.boolValue else {
                throw ValidationError("--authorized \(authorized) is not a folder")
            }
        }
    }

    /// The server's certificate and folder, when keys were given. Read before the sweep's
    /// database is opened, so that a wrong key file leaves nothing behind.
    func security() throws -> CoordinatorServer.Security? {
        guard let key, let authorized else { return nil }
        let certificate: CurveCertificate
        do { certificate = try CurveCertificate.readSecret(key) } catch { throw refusal("--key \(error)") }
        return CoordinatorServer.Security(certificate: certificate, authorized: authorized)
    }
}

/// A mistake in a file the user named (a sweep file, a key): "Error: ..." and status 64,
/// without the usage text, which would bury the file, line and field the message names.
func refusal(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode(.usage)
}

/// Makes the folder an `option` (`--out`) names, if need be; a file in its place, or a parent
/// that cannot hold it, is refused with the option, the path and the system's reason.
func makeFolder(_ path: String, for option: String) throws {
    var folder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &folder) {
        guard folder.boolValue else { throw refusal("\(option) \(path) is a file, not a folder") }
        return
    }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
        // Foundation's error prints as a dump of its user info; mkdir(2) says why in words.
        let reason = mkdir(path, 0o755) == 0 ? "\(error)" : String(cString: strerror(errno))
        throw refusal("\(option) \(path): cannot make the folder (\(reason))")
    }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a sweep to workers on other hosts (worker --connect tcp://THIS-HOST:PORT).")

    @OptionGroup var sweep: SweepArguments

    @Option(help: "Where workers connect, e.g. tcp://*:5555.")
    var bind: String = "tcp://*:5555"

    @OptionGroup var keys: KeyOptions

    func validate() throws {
        guard linger >= 0, linger.isFinite else { throw ValidationError("--linger must be zero or more seconds") }
        try keys.check(bind: bind)
    }

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to keep telling workers that join after the end that the sweep is done.",
                               valueName: "seconds"))
    var linger: Double = 30

    @Option(help: "The SQLite file holding the sweep's state; a restart on the same file resumes.")
    var db: String

    @OptionGroup var serve: ServeOptions

    func run() throws {
        let security = try keys.security()
        let opened = try openSweep(sweep, database: db, maxAttempts: serve.maxAttempts)
        var options = serve.server(endpoint: bind)
        opened.configure(&options)
        options.linger = linger
        options.security = security
        try CoordinatorServer(store: opened.store, options: options).run()
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a sweep's progress.")

    @Option(help: "The sweep's SQLite file.")
    var db: String

    func run() throws {
        let store = try SweepStore(readingFrom: db)
        guard let sweep = try store.sweep() else { throw refusal("\(db) holds no sweep") }
        let counts = try store.counts()
        let trials = try store.trials()
        let best = ResultsTable.rankTrials(trials, metric: sweep.ranking).first.flatMap { rank, t in
            rank == nil ? nil : t.metric(sweep.metric).map { (t.id, $0) }
        }
        print("sweep '\(sweep.name)' (\(db))")
        print(ProgressLine.text(counts, best: best, metric: sweep.metric, workers: 0))
        for t in trials where t.status == .running { print("  running \(t.id) on \(t.host ?? "?"), attempt \(t.attempts)") }
        for t in trials where t.status == .failed { print("  failed  \(t.id): \(t.message ?? "")") }
    }
}

struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results", abstract: "Print the ranked results as CSV.")

    @Option(help: "The sweep's SQLite file.")
    var db: String

    @Flag(help: "Fold repeats of a configuration (its seeds) into mean and standard deviation.")
    var group = false

    @Flag(help: "Every per-epoch metric in long format instead.")
    var metrics = false

    func run() throws {
        let store = try SweepStore(readingFrom: db)
        guard let sweep = try store.sweep() else { throw refusal("\(db) holds no sweep") }
        if metrics {
            print(ResultsTable.metrics(try store.metrics()), terminator: "")
        } else if group {
            print(ResultsTable.grouped(try store.trials(), metric: sweep.ranking), terminator: "")
        } else {
            print(ResultsTable.trials(try store.trials(), metric: sweep.ranking), terminator: "")
        }
    }
}
