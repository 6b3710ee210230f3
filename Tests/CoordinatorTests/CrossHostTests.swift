import Foundation
import SweepStorage
import XCTest

/// Issue 10, section 2: keyed sweeps across hosts, each host a network namespace
/// (`NetworkNamespaces`): the coordinator on host A (10.77.1.1:5555, CURVE, `--authorized`),
/// workers on the other hosts. A host cut off by iptables or a worker frozen by SIGSTOP comes
/// back without any trial counted twice or lost; unlisted, plain-text and removed keys get no
/// work; and the wire of a keyed sweep carries no protocol text, where a plain one does.
final class CrossHostTests: XCTestCase {
    private var networks: [NetworkNamespaces] = []

    override func tearDown() {
        for net in networks {
            net.tearDown()
            XCTAssertEqual(net.remaining, [], "namespaces left behind")
        }
        networks = []
        super.tearDown()
    }

    private func hosts(_ names: [String]) throws -> NetworkNamespaces {
        let net = try NetworkNamespaces(hosts: names)
        networks.append(net)
        return net
    }

    // MARK: - A host cut off

    /// Host B is cut off silently (iptables DROP in and out) two epochs into a trial, for 3 s
    /// (five times the 0.6 s liveness), then healed. B's lease is lost meanwhile; the sweep
    /// completes, each trial counted once from an attempt with every epoch stored, and B trains
    /// again after the heal.
    func testAHostCutOffForLongerThanTheLivenessComesBackAndNothingCountsTwice() throws {
        let net = try hosts(["A", "B", "C"])
        let (count, epochs) = (16, 8)
        let sweep = try CrossHostSweep(net, spec: simulatedSweep(count: count, epochs: epochs))
        let coordinator = try sweep.startCoordinator()
        guard sweep.waitFor("the coordinator to listen", until: { sweep.log("coordinator").contains("listening on") }) else { return }
        try sweep.startWorker(on: "B", key: sweep.keygen("b", authorize: true))
        try sweep.startWorker(on: "C", key: sweep.keygen("c", authorize: true))

        var held: AttemptRecord?
        guard sweep.waitFor("host B to be two epochs into a trial", until: {
            held = sweep.openAttempt(on: "B", epochsAtLeast: 2)
            return held != nil
        }), let held else { return }
        try net.cut("B")
        Thread.sleep(forTimeInterval: 3)
        let atHeal = try sweep.store().attempts()
        XCTAssertEqual(atHeal.first { $0.trialID == held.trialID && $0.attempt == held.attempt }?.outcome, .lost,
                       "B's lease outlived 3 s of silence: \(describe(atHeal))\n\(sweep.logs())")
        let linesBeforeHeal = sweep.lines("worker-B").count
        try net.heal("B")
        let healedAt = Date().timeIntervalSince1970

        XCTAssertEqual(sweep.waitForExit(coordinator, timeout: 60), 0, sweep.logs())
        for w in sweep.workers { XCTAssertEqual(sweep.waitForExit(w, timeout: 15), 0, sweep.logs()) }
        let store = try sweep.store()
        try assertEveryTrialOnce(store, trials: count, epochs: epochs, logs: sweep.logs())
        XCTAssertTrue(sweep.log("worker-B").contains("coordinator silent for"), "B never noticed the cut:\n\(sweep.log("worker-B"))")
        try assertTrainedAgain("B", sweep, store: store, since: healedAt, linesBefore: linesBeforeHeal)
    }

    // MARK: - A worker frozen

    /// The worker on host B is SIGSTOPped two epochs into a trial for 10 s, then SIGCONTinued:
    /// its lease is lost meanwhile, the sweep completes with each trial counted once with every
    /// epoch stored, and B trains again after it wakes.
    func testAWorkerStoppedForTenSecondsComesBackAndNothingCountsTwice() throws {
        let net = try hosts(["A", "B", "C"])
        let (count, epochs) = (28, 7)
        let sweep = try CrossHostSweep(net, spec: simulatedSweep(count: count, epochs: epochs))
        let coordinator = try sweep.startCoordinator()
        guard sweep.waitFor("the coordinator to listen", until: { sweep.log("coordinator").contains("listening on") }) else { return }
        let b = try sweep.startWorker(on: "B", key: sweep.keygen("b", authorize: true))
        try sweep.startWorker(on: "C", key: sweep.keygen("c", authorize: true))

        var held: AttemptRecord?
        guard sweep.waitFor("host B to be two epochs into a trial", until: {
            held = sweep.openAttempt(on: "B", epochsAtLeast: 2)
            return held != nil
        }), let held else { return }
        kill(b.processIdentifier, SIGSTOP)
        defer { kill(b.processIdentifier, SIGCONT) }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(processState(b.processIdentifier), "T", "the worker on B is not stopped")
        Thread.sleep(forTimeInterval: 9.8)
        let atWake = try sweep.store().attempts()
        XCTAssertEqual(atWake.first { $0.trialID == held.trialID && $0.attempt == held.attempt }?.outcome, .lost,
                       "B's lease outlived 10 s of silence: \(describe(atWake))\n\(sweep.logs())")
        XCTAssertLessThan(sweep.finishedCount(), count, "the sweep ended while B was stopped: the test proves less")
        let linesBeforeWake = sweep.lines("worker-B").count
        kill(b.processIdentifier, SIGCONT)
        let wokeAt = Date().timeIntervalSince1970

        XCTAssertEqual(sweep.waitForExit(coordinator, timeout: 60), 0, sweep.logs())
        for w in sweep.workers { XCTAssertEqual(sweep.waitForExit(w, timeout: 15), 0, sweep.logs()) }
        let store = try sweep.store()
        try assertEveryTrialOnce(store, trials: count, epochs: epochs, logs: sweep.logs())
        try assertTrainedAgain("B", sweep, store: store, since: wokeAt, linesBefore: linesBeforeWake)
    }

    // MARK: - Keys

    /// Host B's worker has a key not in `--authorized`, host C's has none (plain text): over
    /// 10 s, while the listed worker on host D trains, neither gets a task. Then D's key file
    /// is deleted and D is cut off for 1.5 s: its next connection is refused (the coordinator
    /// logs D's key as not in the folder) and gets nothing. The control: with the file back, D
    /// (restarted) gets work again and the sweep completes, from D's attempts only.
    func testUnlistedPlainAndRemovedKeysGetNoWork() throws {
        let net = try hosts(["A", "B", "C", "D"])
        let (count, epochs) = (20, 4)
        let sweep = try CrossHostSweep(net, spec: simulatedSweep(count: count, epochs: epochs))
        let coordinator = try sweep.startCoordinator()
        guard sweep.waitFor("the coordinator to listen", until: { sweep.log("coordinator").contains("listening on") }) else { return }
        let unlisted = try sweep.keygen("unlisted", authorize: false)
        let listed = try sweep.keygen("listed", authorize: true)
        try sweep.startWorker(on: "B", key: unlisted)
        try sweep.startWorker(on: "C", key: nil)
        // One trial a second, so that D is still busy after the 10 s.
        let d = try sweep.startWorker(on: "D", key: listed, simulate: 0.25)
        Thread.sleep(forTimeInterval: 10)

        var attempts = try sweep.store().attempts()
        let hostB = net["B"].hostName, hostC = net["C"].hostName, hostD = net["D"].hostName
        XCTAssertEqual(attempts.filter { $0.host == hostB || $0.host == hostC }.count, 0,
                       "an unlisted or plain-text worker got a task: \(describe(attempts))")
        XCTAssertEqual(sweep.trialLines("worker-B"), [], sweep.log("worker-B"))
        XCTAssertEqual(sweep.trialLines("worker-C"), [], sweep.log("worker-C"))
        for host in ["B", "C"] {
            XCTAssertTrue(sweep.log("worker-\(host)").contains("cannot reach"),
                          "the worker on \(host) should have tried and heard nothing:\n\(sweep.log("worker-\(host)"))")
        }
        let unlistedKey = try publicKey(unlisted)
        XCTAssertTrue(sweep.log("coordinator").contains("key \(unlistedKey) is not in \(sweep.authorized)"), sweep.log("coordinator"))
        XCTAssertGreaterThan(attempts.filter { $0.host == hostD }.count, 0, "the listed worker got no work: \(sweep.logs())")
        XCTAssertLessThan(sweep.finishedCount(), count, "the sweep is over: nothing left to refuse")

        // D's key leaves the folder; its connection lives on until it is cut off.
        let listedKey = try publicKey(listed)
        let refusal = "key \(listedKey) is not in \(sweep.authorized)"
        XCTAssertFalse(sweep.log("coordinator").contains(refusal), "D refused before its key was removed")
        try FileManager.default.removeItem(atPath: sweep.authorized + "/listed.key")
        try net.cut("D")
        let cutAt = Date().timeIntervalSince1970
        let linesBeforeCut = sweep.lines("worker-D").count
        Thread.sleep(forTimeInterval: 1.5)
        try net.heal("D")
        guard sweep.waitFor("D's next connection to be refused", timeout: 15, until: {
            sweep.log("coordinator").contains(refusal)
        }) else { return }
        Thread.sleep(forTimeInterval: 2)
        attempts = try sweep.store().attempts()
        XCTAssertEqual(attempts.filter { $0.host == hostD && $0.started > cutAt }.count, 0,
                       "D got a task with its key removed: \(describe(attempts))\n\(sweep.logs())")
        XCTAssertEqual(Array(sweep.trialLines("worker-D").dropFirst(sweep.trialLines("worker-D", upTo: linesBeforeCut).count)), [],
                       sweep.log("worker-D"))
        XCTAssertTrue(d.isRunning, "D should be retrying, not gone")
        XCTAssertLessThan(sweep.finishedCount(), count)

        // The control: its key back, D (restarted, fast) gets the rest of the sweep.
        try FileManager.default.copyItem(atPath: listed + ".key", toPath: sweep.authorized + "/listed.key")
        kill(d.processIdentifier, SIGKILL)
        _ = sweep.waitForExit(d, timeout: 10)
        let restartedAt = Date().timeIntervalSince1970
        let again = try sweep.startWorker(on: "D", key: listed, simulate: 0.02, log: "worker-D-again")
        XCTAssertEqual(sweep.waitForExit(coordinator, timeout: 60), 0, sweep.logs())
        XCTAssertEqual(sweep.waitForExit(again, timeout: 15), 0, sweep.logs())
        let store = try sweep.store()
        try assertEveryTrialOnce(store, trials: count, epochs: epochs, logs: sweep.logs())
        attempts = try store.attempts()
        XCTAssertEqual(Set(attempts.map(\.host)), [hostD], describe(attempts))
        XCTAssertGreaterThan(attempts.filter { $0.started > restartedAt }.count, 0, describe(attempts))
    }

    // MARK: - The wire

    /// tcpdump on host A's interface during a keyed sweep (coordinator on A, worker on B): the
    /// capture holds encrypted CurveZMQ MESSAGEs and none of the protocol's text (signature,
    /// command frames, body and payload keys). The same capture of an `--insecure` sweep holds
    /// all of it: the control, so that the search can fail.
    func testAKeyedSweepShowsNoProtocolTextOnTheWireAndAPlainOneDoes() throws {
        guard let tcpdump = NetworkNamespaces.tool("tcpdump") else { throw XCTSkip("no tcpdump") }
        let net = try hosts(["A", "B"])
        func frame(_ command: String) -> [UInt8] { [0x01, UInt8(command.utf8.count)] + Array(command.utf8) }
        let protocolText: [(String, [UInt8])] = [("signature VGS1", Array("VGS1".utf8))]
            + ["HELLO", "READY", "TASK", "METRIC", "RESULT"].map { ("command frame \($0)", frame($0)) }
            + ["\"trial_id\"", "\"worker_id\"", "\"val_acc\"", "\"train_loss\""].map { ("text \($0)", Array($0.utf8)) }
        let alsoForbidden: [(String, [UInt8])] = ["ACK", "HEARTBEAT", "DISCONNECT"].map { ("command frame \($0)", frame($0)) }

        var captures: [Bool: [UInt8]] = [:]
        for keyed in [true, false] {
            let sweep = try CrossHostSweep(net, spec: simulatedSweep(count: 3, epochs: 3), keyed: keyed)
            let pcap = sweep.cluster.directory.appendingPathComponent("capture.pcap").path
            // -Z root: Debian's tcpdump otherwise writes as user tcpdump, who cannot write here.
            let capture = try net.launch(tcpdump, ["-i", net["A"].interface, "-U", "-Z", "root", "-w", pcap, "tcp port \(sweep.port)"],
                                         on: "A", log: sweep.cluster.directory.appendingPathComponent("tcpdump.log"))
            guard sweep.waitFor("tcpdump to capture", until: { sweep.log("tcpdump").contains("listening on") }) else { return }
            let coordinator = try sweep.startCoordinator()
            let worker = try sweep.startWorker(on: "B", key: keyed ? sweep.keygen("b", authorize: true) : nil)
            XCTAssertEqual(sweep.waitForExit(coordinator, timeout: 30), 0, sweep.logs())
            XCTAssertEqual(sweep.waitForExit(worker, timeout: 15), 0, sweep.logs())
            XCTAssertEqual(try sweep.store().trials().filter { $0.status == .ok }.count, 3, sweep.logs())
            kill(capture.processIdentifier, SIGINT)
            XCTAssertEqual(sweep.waitForExit(capture, timeout: 10), 0, sweep.log("tcpdump"))
            captures[keyed] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: pcap)))
        }
        let keyed = try XCTUnwrap(captures[true]), plain = try XCTUnwrap(captures[false])
        // The keyed capture saw the sweep: a CURVE greeting and an encrypted MESSAGE per message.
        XCTAssertTrue(contains(keyed, Array("CURVE".utf8)), "no CURVE greeting in \(keyed.count) bytes")
        let messages = occurrences(keyed, [0x07] + Array("MESSAGE".utf8))
        XCTAssertGreaterThanOrEqual(messages, 20, "the keyed capture missed the sweep: \(messages) CurveZMQ MESSAGEs")
        for (what, needle) in protocolText + alsoForbidden {
            XCTAssertFalse(contains(keyed, needle), "the keyed capture shows \(what)")
        }
        for (what, needle) in protocolText {
            XCTAssertTrue(contains(plain, needle), "the plain-text capture (the control) lacks \(what)")
        }
    }

    // MARK: - Helpers

    /// `host` trained after `time`: its log names a trial after line `linesBefore`, and the store
    /// has an attempt of it started then that counted.
    private func assertTrainedAgain(_ host: String, _ sweep: CrossHostSweep, store: SweepStore, since time: Double,
                                    linesBefore: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let log = "worker-\(host)"
        let later = sweep.trialLines(log).dropFirst(sweep.trialLines(log, upTo: linesBefore).count)
        XCTAssertFalse(later.isEmpty, "\(host) named no trial after it came back:\n\(sweep.log(log))", file: file, line: line)
        let attempts = try store.attempts()
        let hostName = sweep.net[host].hostName
        XCTAssertTrue(attempts.contains { $0.host == hostName && $0.started > time && $0.outcome == .ok },
                      "no counted attempt by \(host) after it came back: \(describe(attempts))", file: file, line: line)
    }

    /// Each trial once and ok, counted from exactly one attempt (ok) whose epochs 1...epochs
    /// are all stored.
    private func assertEveryTrialOnce(_ store: SweepStore, trials count: Int, epochs: Int, logs: String,
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let trials = try store.trials(), attempts = try store.attempts(), metrics = try store.metrics()
        XCTAssertEqual(trials.count, count, file: file, line: line)
        XCTAssertEqual(Set(trials.map(\.id)).count, count, file: file, line: line)
        XCTAssertEqual(trials.filter { $0.status == .ok }.count, count,
                       trials.map { "\($0.id) \($0.status): \($0.message ?? "")" }.joined(separator: "\n") + "\n" + logs,
                       file: file, line: line)
        for t in trials {
            let history = attempts.filter { $0.trialID == t.id }
            let counted = history.filter { $0.outcome == .ok || $0.outcome == .diverged }
            XCTAssertEqual(counted.count, 1, "trial \(t.id) counted \(counted.count) times: \(describe(history))", file: file, line: line)
            guard let result = counted.first else { continue }
            XCTAssertEqual(result.outcome, .ok, file: file, line: line)
            XCTAssertEqual(t.epochs, epochs, "trial \(t.id)", file: file, line: line)
            let stored = metrics.filter { $0.trialID == t.id && $0.attempt == result.attempt }.map(\.epoch).sorted()
            XCTAssertEqual(stored, Array(1...epochs), "epochs stored for trial \(t.id)'s counted attempt \(result.attempt); "
                           + "attempts: \(describe(history))", file: file, line: line)
        }
    }
}

/// One sweep across `NetworkNamespaces` hosts: the coordinator on host A at
/// tcp://10.77.1.1:5555, keyed (`--key`, `--authorized`) or `--insecure`, with fast timings;
/// its workers on other hosts, simulated. Files (spec, database, keys, logs) live in a `Cluster`'s folder.
private final class CrossHostSweep {
    let net: NetworkNamespaces
    let cluster: Cluster
    let keyed: Bool
    /// The coordinator's own port: each run has its own namespaces, so a fixed one is free.
    let port = 5555
    let authorized: String
    /// The base path of the coordinator's key pair.
    let server: String?
    private(set) var workers: [Process] = []
    var endpoint: String { "tcp://\(net["A"].address):\(port)" }
    let heartbeat = ["--heartbeat", "0.2", "--liveness", "3"]

    init(_ net: NetworkNamespaces, spec: String, keyed: Bool = true) throws {
        self.net = net
        self.keyed = keyed
        cluster = try Cluster(spec: spec)
        authorized = cluster.directory.appendingPathComponent("authorized").path
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        if keyed { server = try cluster.keygen("coordinator") } else { server = nil }
    }

    /// A key pair NAME.key(_secret); with `authorize`, its public half copied into `authorized`.
    func keygen(_ name: String, authorize: Bool) throws -> String {
        let base = try cluster.keygen(name)
        if authorize { try FileManager.default.copyItem(atPath: base + ".key", toPath: authorized + "/\(name).key") }
        return base
    }

    @discardableResult
    func startCoordinator() throws -> Process {
        let security = server.map { ["--key", $0 + ".key_secret", "--authorized", authorized] } ?? ["--insecure"]
        return try net.launch(program("coordinator"),
                              ["serve", cluster.spec, "--bind", endpoint, "--db", cluster.db] + heartbeat
                                  + ["--adopt-grace", "2", "--linger", "0.5"] + security,
                              on: "A", log: logURL("coordinator"), stdout: FileHandle.nullDevice)
    }

    /// A simulated worker on `host` with key pair `key` (nil: plain text), logging to `log`.log
    /// (default worker-HOST).
    @discardableResult
    func startWorker(on host: String, key: String?, simulate: Double = 0.1, log: String? = nil) throws -> Process {
        var arguments = ["--connect", endpoint] + heartbeat + ["--simulate-epoch-seconds", String(simulate)]
        if let key, let server { arguments += ["--key", key + ".key_secret", "--server-key", server + ".key"] }
        let p = try net.launch(program("worker"), arguments, on: host, log: logURL(log ?? "worker-\(host)"), stdout: FileHandle.nullDevice)
        workers.append(p)
        return p
    }

    private func program(_ name: String) -> String { Cluster.buildFolder.appendingPathComponent(name).path }
    private func logURL(_ name: String) -> URL { cluster.directory.appendingPathComponent("\(name).log") }

    func log(_ name: String) -> String { cluster.log(name) }
    /// The complete lines of log `name`.
    func lines(_ name: String) -> [Substring] { Array(log(name).split(separator: "\n", omittingEmptySubsequences: false).dropLast()) }

    /// The "[worker] trial ID attempt N" lines of log `name` (among its first `upTo` lines).
    func trialLines(_ name: String, upTo count: Int? = nil) -> [String] {
        let all = lines(name)
        return all.prefix(count ?? all.count).filter { $0.hasPrefix("[worker] trial ") && $0.contains(" attempt ") }.map(String.init)
    }

    func store() throws -> SweepStore { try cluster.store() }
    func finishedCount() -> Int { cluster.finishedCount() }

    /// The attempt `host` is training with at least `epochs` of its epochs stored.
    func openAttempt(on host: String, epochsAtLeast epochs: Int) -> AttemptRecord? {
        guard let store = try? store(), let attempts = try? store.attempts(), let metrics = try? store.metrics() else { return nil }
        return attempts.first { a in
            a.host == net[host].hostName && a.outcome == nil
                && metrics.filter { $0.trialID == a.trialID && $0.attempt == a.attempt }.count >= epochs
        }
    }

    /// Every log of the sweep, for failure messages.
    func logs() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cluster.directory.path)) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().map { "--- \($0)\n" + log(String($0.dropLast(4))) }.joined(separator: "\n")
    }

    /// Polls `condition` every 50 ms; false (and a failure showing every log) after `timeout` s.
    func waitFor(_ what: String, timeout: Double = 30, file: StaticString = #filePath, line: UInt = #line,
                 until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("timed out after \(timeout) s waiting for \(what)\n\(logs())", file: file, line: line)
        return false
    }

    func waitForExit(_ p: Process, timeout: Double, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        cluster.waitForExit(p, timeout: timeout, file: file, line: line)
    }
}

/// The public key (Z85) of the key pair at `base`, as its .key file gives it.
private func publicKey(_ base: String) throws -> String {
    let text = try String(contentsOfFile: base + ".key", encoding: .utf8)
    guard let line = text.split(separator: "\n").first(where: { $0.contains("public-key") }),
          let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close else {
        throw NetworkNamespaces.Failure("no public-key in \(base).key")
    }
    return String(line[line.index(after: open)..<close])
}

/// The state letter of /proc/PID/stat (R, S, T...).
private func processState(_ pid: Int32) -> String {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return "?" }
    return String(stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1))
}

private func describe(_ attempts: [AttemptRecord]) -> String {
    attempts.map { "\($0.trialID)#\($0.attempt) by \($0.worker) on \($0.host): \($0.outcome?.rawValue ?? "open") \($0.reason ?? "")" }
        .joined(separator: "; ")
}

private func occurrences(_ haystack: [UInt8], _ needle: [UInt8]) -> Int {
    guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
    var n = 0, i = 0
    let first = needle[0], last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { n += 1; i += needle.count } else { i += 1 }
    }
    return n
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool { occurrences(haystack, needle) > 0 }
