// sweepbench: the coordinator's overhead with many workers that train nothing.
//
//   sweepbench [trials=10000] [epochs=10] [workers=200] [timeout=600] [coordinator=PATH] [keep=1] [legacy=1] [curve=1]
//
// Writes a sweep of `trials` trials (a grid over seed), starts the real `coordinator serve`
// (the binary next to this one) on a fresh database and a free loopback port, and simulates
// `workers` workers in this process (see WorkerSwarm). Measures, from the first TASK to the
// last worker's DISCONNECT{done}, trials/s and METRIC messages/s; then checks with
// `coordinator results` that every trial is stored exactly once with status ok (and every
// metric stored). Exit status: 0 if the checks pass, 1 if not, 2 on a usage error.
// The targets (2,000 trials/s, 20,000 metrics/s with 200 workers) are reported, not enforced.
// `curve=1` runs the coordinator with keys (CURVE and its ZAP handler, `serve --key
// --authorized`) and every simulated worker with one listed key: the cost of encryption.
import Foundation
import SweepWire
#if canImport(Glibc)
import Glibc
#endif

struct Config {
    var trials = 10_000, epochs = 10, workers = 200, timeout = 600.0, keep = false, curve = false
    /// `serve` options beyond the endpoint and database: no lingering after the end (the
    /// measured window closes at the last DISCONNECT done). `legacy=1` passes none, for a
    /// coordinator built before `--linger` existed (the side-by-side comparison).
    var extraArguments = ["--linger", "0"]
    var coordinator = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("coordinator").path

    init(_ arguments: [String]) throws {
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw BenchError("expected key=value, got '\(argument)'") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "trials": trials = try Self.int(key, value, atLeast: 1)
            case "epochs": epochs = try Self.int(key, value, atLeast: 0)
            case "workers": workers = try Self.int(key, value, atLeast: 1)
            case "timeout": timeout = Double(try Self.int(key, value, atLeast: 1))
            case "keep": keep = value == "1" || value == "true"
            case "coordinator": coordinator = value
            case "legacy": if value == "1" || value == "true" { extraArguments = [] }
            case "curve": curve = value == "1" || value == "true"
            default: throw BenchError("unknown option '\(key)' (trials, epochs, workers, timeout, coordinator, keep, legacy, curve)")
            }
        }
    }

    static func int(_ key: String, _ value: String, atLeast minimum: Int) throws -> Int {
        guard let n = Int(value), n >= minimum else { throw BenchError("\(key) must be an integer >= \(minimum)") }
        return n
    }
}

// MARK: - Helpers

/// A free TCP port on 127.0.0.1 (bound to port 0, then released for the coordinator).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard fd >= 0, ok else { throw BenchError("no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`, so that every simulated
/// worker connects at its first attempt (libzmq retries a refused connect only after 100 ms).
func waitForListener(port: Int, while alive: () -> Bool, timeout: Double = 60) throws {
    let deadline = now() + timeout
    while true {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        close(fd)
        if connected { return }
        guard alive(), now() < deadline else { throw BenchError("the coordinator never listened on port \(port)") }
        usleep(20_000)
    }
}

/// CPU time of a process's threads (from /proc), its ZeroMQ I/O threads apart from the rest.
/// Sampled often: an exiting thread's time vanishes from /proc (the coordinator's, at the end).
struct CPUMeter {
    let pid: Int32
    private var start: [Int: Double] = [:], latest: [Int: (zmq: Bool, seconds: Double)] = [:]
    private var lastSample = 0.0

    init(pid: Int32) { self.pid = pid }

    mutating func sample(every interval: Double = 0) {
        guard now() - lastSample >= interval else { return }
        lastSample = now()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
            guard let tid = Int(task), let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            latest[tid] = (stat[stat.index(after: open)..<close].hasPrefix("ZMQbg"), (user + system) / ticks)
        }
    }

    mutating func markStart() {
        sample()
        start = latest.mapValues(\.seconds)
    }

    /// CPU seconds since `markStart`: (main = every thread but ZeroMQ's, zmq).
    func used() -> (main: Double, zmq: Double) {
        var main = 0.0, zmq = 0.0
        for (tid, t) in latest {
            let seconds = t.seconds - (start[tid] ?? 0)
            if t.zmq { zmq += seconds } else { main += seconds }
        }
        return (main, zmq)
    }
}

/// Runs `coordinator ARGS` to the end and returns its standard output.
func capture(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process(), pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError("coordinator \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}

/// CSV rows as field arrays (RFC 4180 quoting, as `coordinator results` writes it).
func csvRows(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
    func unquoted(_ c: Character) {
        switch c {
        case "\"": quoted = true
        case ",": row.append(field); field = ""
        case "\n": row.append(field); rows.append(row); row = []; field = ""
        default: field.append(c)
        }
    }
    var chars = text.makeIterator()
    while let c = chars.next() {
        guard quoted else { unquoted(c); continue }
        guard c == "\"" else { field.append(c); continue }
        quoted = false   // a closing quote, unless doubled
        if let next = chars.next() { if next == "\"" { field.append("\""); quoted = true } else { unquoted(next) } }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

/// What `coordinator results` holds, as a list of problems (empty: all good).
func verify(_ config: Config, database: String) throws -> (problems: [String], metrics: Int) {
    var problems: [String] = []
    let rows = csvRows(try capture(config.coordinator, ["results", "--db", database]))
    guard let header = rows.first, let idColumn = header.firstIndex(of: "trial_id"),
          let statusColumn = header.firstIndex(of: "status"), let seedColumn = header.firstIndex(of: "seed")
    else { return (["results: unexpected header"], 0) }
    let trials = rows.dropFirst()
    let ids = Set(trials.map { $0[idColumn] }), seeds = Set(trials.compactMap { Int($0[seedColumn]) })
    if trials.count != config.trials { problems.append("results lists \(trials.count) trials, expected \(config.trials)") }
    if ids.count != trials.count { problems.append("\(trials.count - ids.count) trial id(s) listed twice") }
    if seeds != Set(1...config.trials) { problems.append("the seeds listed are not exactly 1...\(config.trials)") }
    let notOK = trials.filter { $0[statusColumn] != "ok" }
    if !notOK.isEmpty { problems.append("\(notOK.count) trial(s) not ok, e.g. \(notOK[0][idColumn]): \(notOK[0][statusColumn])") }
    guard config.epochs > 0 else { return (problems, 0) }
    // One train_loss row per stored epoch report.
    let metricRows = csvRows(try capture(config.coordinator, ["results", "--db", database, "--metrics"]))
    let reports = Set(metricRows.dropFirst().filter { $0.count > 3 && $0[3] == "train_loss" }.map { "\($0[0])/\($0[1])/\($0[2])" })
    if reports.count != config.trials * config.epochs {
        problems.append("\(reports.count) epoch reports stored, expected \(config.trials * config.epochs)")
    }
    return (problems, reports.count)
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let sorted = xs.sorted()
    return sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
}

// MARK: - The run

func runBench() throws -> Int32 {
    let config: Config
    do { config = try Config(Array(CommandLine.arguments.dropFirst())) } catch {
        print("sweepbench: \(error)\nusage: sweepbench [trials=10000] [epochs=10] [workers=200] [timeout=600] [coordinator=PATH] [keep=1]")
        return 2
    }
    guard FileManager.default.isExecutableFile(atPath: config.coordinator) else {
        throw BenchError("no coordinator binary at \(config.coordinator) (build it, or pass coordinator=PATH)")
    }
    try WorkerSwarm.selfCheck()

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweepbench-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { if !config.keep { try? FileManager.default.removeItem(at: directory) } }
    let spec = directory.appendingPathComponent("bench.yaml").path
    let database = directory.appendingPathComponent("bench.sqlite").path
    let logPath = directory.appendingPathComponent("coordinator.log").path
    try """
        name: sweepbench-\(config.trials)x\(config.epochs)
        method: grid
        max_trials: \(config.trials)
        parameters:
          epochs: {value: \(max(1, config.epochs))}
          seed: {values: [\((1...config.trials).map(String.init).joined(separator: ", "))]}

        """.write(toFile: spec, atomically: true, encoding: .utf8)

    // Keys are made by `coordinator keygen`, before this process has a ZeroMQ context.
    var keyArguments: [String] = [], curve: (certificate: CurveCertificate, serverKey: String)?
    if config.curve {
        let authorized = directory.appendingPathComponent("authorized").path
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        for name in ["coordinator", "authorized/swarm"] {
            _ = try capture(config.coordinator, ["keygen", directory.appendingPathComponent(name).path])
        }
        let server = directory.appendingPathComponent("coordinator").path
        keyArguments = ["--key", server + ".key_secret", "--authorized", authorized]
        curve = (try CurveCertificate.read(authorized + "/swarm.key_secret"), try CurveCertificate.read(server + ".key").publicKey)
    }

    let port = try freePort(), endpoint = "tcp://127.0.0.1:\(port)"
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let coordinator = Process()
    coordinator.executableURL = URL(fileURLWithPath: config.coordinator)
    coordinator.arguments = ["serve", spec, "--bind", endpoint, "--db", database] + config.extraArguments + keyArguments
    coordinator.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    coordinator.standardOutput = coordinator.standardError
    try coordinator.run()
    defer { if coordinator.isRunning { coordinator.terminate() } }
    try waitForListener(port: port, while: { coordinator.isRunning })
    print("sweepbench: trials=\(config.trials) epochs=\(config.epochs) workers=\(config.workers)\(config.curve ? " curve=1" : ""); coordinator pid \(coordinator.processIdentifier) on \(endpoint)")
    print("  (coordinator log: \(logPath)\(config.keep ? "" : ", removed at exit; keep=1 keeps it"))")

    let context = try ZMQContext()
    let swarm = try WorkerSwarm(context: context, endpoint: endpoint, workers: config.workers, epochs: config.epochs, curve: curve)
    let pid = coordinator.processIdentifier, me = getpid()
    var cpu = (coordinator: CPUMeter(pid: pid), bench: CPUMeter(pid: me))
    swarm.onFirstTask = { cpu.coordinator.markStart(); cpu.bench.markStart() }
    swarm.onTurn = { cpu.coordinator.sample(every: 0.05) }
    let stats: WorkerSwarm.Stats
    do { stats = try swarm.run(timeout: config.timeout, isServing: { coordinator.isRunning }) } catch {
        print("sweepbench: \(error); last coordinator log lines:")
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        print(log.split(separator: "\n").suffix(10).joined(separator: "\n"))
        return 1
    }
    cpu.coordinator.sample()
    cpu.bench.sample()

    let exitBy = now() + 30
    while coordinator.isRunning && now() < exitBy { usleep(10_000) }
    guard !coordinator.isRunning else { throw BenchError("the coordinator did not exit after the sweep") }
    guard coordinator.terminationStatus == 0 else { throw BenchError("the coordinator exited with \(coordinator.terminationStatus)") }

    let (problems, storedMetrics) = try verify(config, database: database)
    let window = (stats.lastDone ?? .nan) - (stats.firstTask ?? .nan)
    let trialRate = Double(config.trials) / window, metricRate = Double(stats.metricsSent) / window
    func busy(_ meter: CPUMeter) -> String {
        let (main, zmq) = meter.used()
        return String(format: "%.0f %% / %.0f %%", 100 * main / window, 100 * zmq / window)
    }
    func line(_ name: String, _ value: String, _ target: String = "", _ verdict: String = "") {
        print(name.padding(toLength: 36, withPad: " ", startingAt: 0) + value.padding(toLength: 20, withPad: " ", startingAt: 0)
              + target.padding(toLength: 12, withPad: " ", startingAt: 0) + verdict)
    }
    print("")
    line("", "measured", "target")
    line("window, first TASK to last done", String(format: "%.3f s", window))
    // Dispatch is judged on runs with at most 1 epoch, ingest on runs with more.
    let dispatchRun = config.epochs <= 1
    line("trials/s", String(format: "%.0f", trialRate), dispatchRun ? ">= 2000" : "", dispatchRun ? (trialRate >= 2000 ? "met" : "MISSED") : "")
    if config.epochs > 0 {
        line("metric messages/s", String(format: "%.0f", metricRate), dispatchRun ? "" : ">= 20000",
             dispatchRun ? "" : (metricRate >= 20_000 ? "met" : "MISSED"))
    }
    line("READY after RESULT -> TASK p50/p99", String(format: "%.1f / %.1f ms", 1000 * percentile(stats.waits, 0.5), 1000 * percentile(stats.waits, 0.99)))
    line("coordinator CPU, main / zmq I/O", busy(cpu.coordinator))
    line("sweepbench CPU, main / zmq I/O", busy(cpu.bench))
    line("tasks / acks / heartbeats", "\(stats.tasks) / \(stats.acks) / \(stats.heartbeats)")
    if stats.duplicateTasks + stats.cancels + stats.reregistered + stats.errors + stats.late > 0 {
        line("dup/cancel/re-HELLO/error/late", "\(stats.duplicateTasks) / \(stats.cancels) / \(stats.reregistered) / \(stats.errors) / \(stats.late)")
    }
    if problems.isEmpty {
        print("check: all \(config.trials) trials stored once with status ok" + (config.epochs > 0 ? ", \(storedMetrics) epoch reports stored" : ""))
        return 0
    }
    for problem in problems { print("check FAILED: \(problem)") }
    return 1
}

do { exit(try runBench()) } catch {
    FileHandle.standardError.write(Data("sweepbench: \(error)\n".utf8))
    exit(1)
}
