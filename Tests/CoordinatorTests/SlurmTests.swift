import Foundation
import SweepSchema
import XCTest

/// deploy/slurm-workers.sbatch and deploy/slurm-sweep.sbatch run for real, on a single-node
/// Slurm (munged, slurmctld, slurmd) that each test starts in a private folder and stops
/// again (proctrack/linuxproc and task/none: no cgroups needed). Root only; skipped where the
/// daemons do not come up.
final class SlurmTests: XCTestCase {
    /// A keyed `coordinator serve` started here, and a 2-task job array of workers from
    /// slurm-workers.sbatch (its arguments go to `worker`, simulated epochs included).
    func testAJobArrayOfWorkersFinishesAKeyedSweep() throws {
        let slurm = try LocalSlurm.start()
        defer { slurm.stop() }
        let cluster = try Cluster(spec: simulatedSweep(count: 6, epochs: 3))
        let authorized = cluster.directory.appendingPathComponent("authorized").path
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        let server = try cluster.keygen("coordinator"), worker = try cluster.keygen("worker")
        try FileManager.default.copyItem(atPath: worker + ".key", toPath: authorized + "/worker.key")
        // On all interfaces, as for workers on other nodes; they connect to this host's name.
        // --linger 20: an array task that starts after the end is still told it is done.
        try cluster.startCoordinator(extra: ["--bind", "tcp://*:\(cluster.port)", "--linger", "20",
                                             "--key", server + ".key_secret", "--authorized", authorized])
        let job = try slurm.sbatch(["--array=1-2", "--output", cluster.directory.path + "/array-%a.out",
                                    deployFile("slurm-workers.sbatch"),
                                    "--connect", "tcp://\(LocalSlurm.host):\(cluster.port)",
                                    "--key", worker + ".key_secret", "--server-key", server + ".key",
                                    "--simulate-epoch-seconds", "0.1", "--give-up-after", "30"] + cluster.heartbeat,
                                   in: cluster.directory, timeout: 45)
        let outputs = (1...2).map { slurm.read(cluster.directory.appendingPathComponent("array-\($0).out").path) }
        XCTAssertEqual(job.status, 0, "sbatch --wait: \(job.stderr)\n\(outputs.joined(separator: "\n"))\n\(cluster.log("coordinator"))")
        let trials = try cluster.store().trials(), attempts = try cluster.store().attempts()
        XCTAssertEqual(trials.count, 6)
        XCTAssertEqual(trials.filter { $0.status == .ok }.count, 6, cluster.log("coordinator"))
        for trial in trials {
            XCTAssertEqual(attempts.filter { $0.trialID == trial.id && $0.outcome == .ok }.count, 1,
                           "trial \(trial.id) counted once: \(attempts.filter { $0.trialID == trial.id })")
        }
    }

    /// slurm-sweep.sbatch runs a whole sweep in its allocation (coordinator, keys, two
    /// workers, results) and exits 0; name=value and serve options (--linger 1: the job ends
    /// a second after the sweep) reach the coordinator, `--` options the workers, and the
    /// job's keys are gone afterwards.
    func testOneSweepInOneAllocation() throws {
        let slurm = try LocalSlurm.start()
        defer { slurm.stop() }
        let directory = slurm.directory.appendingPathComponent("sweep")
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let spec = directory.appendingPathComponent("tiny-study.yaml").path
        try simulatedSweep(count: 6, epochs: 3).write(toFile: spec, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("results").path
        let job = try slurm.sbatch(["--output", directory.path + "/job.out", deployFile("slurm-sweep.sbatch"),
                                    spec, "epochs=2", "--linger", "1", "--out", out, "--", "--simulate-epoch-seconds", "0.1"],
                                   in: directory, environment: ["TMPDIR": temporary.path], timeout: 45)
        let output = slurm.read(directory.path + "/job.out")
        XCTAssertEqual(job.status, 0, "sbatch --wait: \(job.stderr)\n\(output)")
        let csv = slurm.read(out + "/results.csv").split(separator: "\n").map { csvFields(String($0)) }
        guard let header = csv.first, let status = header.firstIndex(of: "status"), let epochs = header.firstIndex(of: "epochs_done"),
              let id = header.firstIndex(of: "trial_id") else { return XCTFail("no results.csv header\n\(output)") }
        let rows = csv.dropFirst().map { $0 + Array(repeating: "", count: max(0, header.count - $0.count)) }
        XCTAssertEqual(rows.count, 6, output)
        XCTAssertEqual(Set(rows.map { $0[id] }).count, 6)
        XCTAssertEqual(rows.filter { $0[status] == "ok" }.count, 6, output)
        XCTAssertEqual(rows.filter { $0[epochs] == "2" }.count, 6, "epochs=2 over the file's 3")
        for file in ["metrics.csv", "report.html", "sweep.db"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [], "the job's keys are removed")
    }
}

/// A single-node Slurm of our own: a private munged (own key and socket), slurmctld and
/// slurmd on free ports, every file in one temporary folder, handed to each program through
/// SLURM_CONF (so /etc/slurm and /etc/munge play no part).
final class LocalSlurm {
    let directory: URL
    let conf: String
    /// The environment of sbatch and the other clients: jobs inherit it (VGSWEEP_BIN included).
    let environment: [String: String]
    private var daemons: [(name: String, pidFile: String)] = []

    static let host: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let bytes = name.prefix { $0 != 0 && $0 != CChar(UInt8(ascii: ".")) }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }()

    private init(directory: URL) throws {
        self.directory = directory
        conf = directory.appendingPathComponent("slurm.conf").path
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM") }
        environment["SLURM_CONF"] = conf
        environment["VGSWEEP_BIN"] = Cluster.buildFolder.path
        self.environment = environment
    }

    /// Starts the daemons and waits (20 s at most) for the node to be idle; skips the test
    /// where that cannot be done.
    static func start() throws -> LocalSlurm {
        guard getuid() == 0 else { throw XCTSkip("Slurm tests need root (slurmd runs the jobs as root)") }
        for program in ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/srun", "/usr/bin/sinfo"]
        where !FileManager.default.isExecutableFile(atPath: program) {
            throw XCTSkip("\(program) is missing (Debian: slurmd slurmctld slurm-client munge; scripts/setup --for-tests)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString.prefix(8))")
        let slurm = try LocalSlurm(directory: directory)
        do {
            try slurm.boot()
        } catch {
            slurm.stop()
            throw error
        }
        return slurm
    }

    private func boot() throws {
        let fm = FileManager.default
        for sub in ["munge", "spool", "state", "log"] {
            try fm.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let d = directory.path, munge = d + "/munge"
        // munged wants its key private to root: 1 KiB of randomness, ours alone.
        let key = munge + "/munge.key"
        guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw XCTSkip("no /dev/urandom") }
        _ = fm.createFile(atPath: key, contents: random.readData(ofLength: 1024), attributes: [.posixPermissions: 0o600])
        try random.close()
        try start("munged", "/usr/sbin/munged",
                  ["--force", "--socket=\(munge)/munge.socket", "--key-file=\(key)", "--pid-file=\(munge)/munged.pid",
                   "--log-file=\(d)/log/munged.log", "--seed-file=\(munge)/munged.seed"], pidFile: munge + "/munged.pid")
        try """
            ClusterName=vgsweeptest
            SlurmctldHost=\(Self.host)
            SlurmctldPort=\(try Cluster.freePort())
            SlurmdPort=\(try Cluster.freePort())
            AuthType=auth/munge
            AuthInfo=socket=\(munge)/munge.socket
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SwitchType=switch/none
            MpiDefault=none
            ReturnToService=2
            SlurmUser=root
            SlurmdParameters=config_overrides
            SlurmctldPidFile=\(d)/ctld.pid
            SlurmdPidFile=\(d)/d.pid
            SlurmdSpoolDir=\(d)/spool
            StateSaveLocation=\(d)/state
            SlurmctldLogFile=\(d)/log/ctld.log
            SlurmdLogFile=\(d)/log/d.log
            SchedulerType=sched/backfill
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            NodeName=\(Self.host) CPUs=2 State=UNKNOWN
            PartitionName=debug Nodes=\(Self.host) Default=YES MaxTime=INFINITE State=UP

            """.write(toFile: conf, atomically: true, encoding: .utf8)
        // Both daemonise and write their pid files.
        try start("slurmctld", "/usr/sbin/slurmctld", [], pidFile: d + "/ctld.pid")
        try start("slurmd", "/usr/sbin/slurmd", [], pidFile: d + "/d.pid")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let r = try? run("/usr/bin/sinfo", ["-h", "-o", "%T"], timeout: 5), r.stdout.split(separator: "\n").contains("idle") { return }
            Thread.sleep(forTimeInterval: 0.25)
        }
        throw XCTSkip("the Slurm node was not idle within 20 s\n\(logs())")
    }

    /// Runs a daemon that forks into the background, and waits for its pid file.
    private func start(_ name: String, _ program: String, _ arguments: [String], pidFile: String) throws {
        let status = try spawnAndWait(program, arguments, log: directory.path + "/log/\(name).start")
        daemons.append((name, pidFile))
        guard status == 0 else {
            throw XCTSkip("\(name) did not start (wait status \(status)): \(read(directory.path + "/log/\(name).start"))\n\(logs())")
        }
        let deadline = Date().addingTimeInterval(10)
        while pid(pidFile) == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard pid(pidFile) != nil else { throw XCTSkip("\(name) wrote no pid file \(pidFile)\n\(logs())") }
    }

    /// Starts a daemon with `spawn` (not Process, which would wait for ever on the pipe munged
    /// keeps open) and waits for the parent it leaves (10 s at most).
    private func spawnAndWait(_ program: String, _ arguments: [String], log: String) throws -> Int32 {
        let pid: pid_t
        do { pid = try spawn(program, arguments, stdout: log, environment: environment) } catch { throw XCTSkip("\(error)") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(10)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return -1
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return status
    }

    private func pid(_ file: String) -> pid_t? {
        read(file).split(whereSeparator: \.isWhitespace).first.flatMap { pid_t($0) }
    }

    /// `sbatch --wait`: returns when the job (every task of an array) has ended, with its
    /// exit status (an array's highest); cancels it after `timeout` seconds.
    func sbatch(_ arguments: [String], in folder: URL, environment extra: [String: String] = [:], timeout: Double) throws -> Cluster.Run {
        try run("/usr/bin/sbatch", ["--wait"] + arguments, in: folder, environment: extra, timeout: timeout)
    }

    /// Cancels every job of this (private) controller, waits for them to go, then stops the
    /// daemons started here, by the pids in their pid files, and removes the folder.
    func stop() {
        if daemons.contains(where: { $0.name == "slurmctld" }) {
            let jobs = ((try? run("/usr/bin/squeue", ["-h", "-o", "%A"], timeout: 5))?.stdout ?? "")
                .split(whereSeparator: \.isWhitespace).map(String.init)
            if !jobs.isEmpty {
                _ = try? run("/usr/bin/scancel", jobs, timeout: 10)
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline, let r = try? run("/usr/bin/squeue", ["-h"], timeout: 5), !r.stdout.isEmpty {
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
        }
        for daemon in daemons.reversed() {
            guard let pid = pid(daemon.pidFile), isRunning(pid, named: daemon.name) else { continue }
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while isRunning(pid, named: daemon.name) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if isRunning(pid, named: daemon.name) { kill(pid, SIGKILL) }
        }
        daemons = []
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether `pid` is alive and still the program we started (not a reused pid).
    private func isRunning(_ pid: pid_t, named name: String) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let comm = read("/proc/\(pid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)
        let state = read("/proc/\(pid)/stat").split(separator: ")").last?.split(separator: " ").first
        return comm == name && state != "Z"
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    private func logs() -> String {
        ["munged", "ctld", "d"].map { "\($0).log:\n" + read(directory.path + "/log/\($0).log").suffix(2000) }.joined(separator: "\n")
    }

    /// Runs `program` to its end with this Slurm's environment; output through files, as a
    /// daemon may keep a pipe open.
    func run(_ program: String, _ arguments: [String], in folder: URL? = nil, environment extra: [String: String] = [:],
             timeout: Double) throws -> Cluster.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        process.currentDirectoryURL = folder ?? directory
        let name = UUID().uuidString.prefix(8)
        let outPath = directory.path + "/log/\(name).out", errPath = directory.path + "/log/\(name).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        var timedOut = ""
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            timedOut = "\n(killed after \(timeout) s)"
        }
        return Cluster.Run(status: process.terminationStatus, stdout: read(outPath), stderr: read(errPath) + timedOut)
    }
}

/// The fields of one CSV line; a quoted field may hold commas and doubled quotes.
private func csvFields(_ line: String) -> [String] {
    var fields: [String] = [], field = "", quoted = false, previous: Character?
    for c in line {
        if c == "\"" {
            if !quoted, previous == "\"" { field.append(c) }  // "" inside quotes: one "
            quoted.toggle()
        } else if c == ",", !quoted {
            fields.append(field)
            field = ""
        } else {
            field.append(c)
        }
        previous = c
    }
    return fields + [field]
}
