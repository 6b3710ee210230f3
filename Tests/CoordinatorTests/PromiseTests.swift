import Foundation
import SweepSchema
import SweepStorage
import SweepWire
import XCTest

/// The coordinator's promise against real processes on loopback, under what a cluster does to
/// it: a peer that forges results, a coordinator SIGKILLed while its workers back off, a second
/// coordinator on the same database, a disk that fills up, and a worker written from
/// docs/protocol.md alone (Python). Whatever happens, every trial is counted once, from the
/// attempt of the worker that ran it, with every epoch of that attempt stored.
final class PromiseTests: XCTestCase {
    // MARK: - Forged results

    /// A registered stranger sends RESULTs with val_acc 0.999 for the attempt the real worker
    /// is training, for a trial still queued and for a trial outside the sweep: each gets ERROR,
    /// and the sweep ends with the real worker's results only, its attempts untouched.
    func testForgedResultsAreRefused() throws {
        let epochs = 6
        let cluster = try Cluster(spec: simulatedSweep(count: 4, epochs: epochs))
        let coordinator = try cluster.startCoordinator()
        let worker = try cluster.startWorker(simulate: 0.2)
        guard waitFor("the real worker's first trial", cluster, until: { cluster.runningCount() == 1 }) else { return }
        let before = try cluster.store().trials()
        let leased = try XCTUnwrap(before.first { $0.status == .running })
        // The last queued trial: the one handed out last, so surely still queued when forged.
        let queued = try XCTUnwrap(before.last { $0.status == .queued && $0.attempts == 0 })

        let forger = try HandPeer(endpoint: cluster.endpoint, workerID: "forger")
        let forged = try JSONPayload(text: #"{"epochs":\#(epochs),"samples_per_s":1000,"seconds":1.2,"status":"ok","test_acc":0.999,"#
            + #""test_loss":0.001,"train_loss":0.001,"type":"result","val_acc":0.999}"#)
        let targets: [(what: String, attempt: TrialAttempt, refusal: String)] = [
            ("the attempt leased to the real worker", TrialAttempt(trialID: leased.id, attempt: leased.attempts),
             "RESULT for trial \(leased.id) attempt \(leased.attempts), which this worker does not hold"),
            ("a queued trial never handed out", TrialAttempt(trialID: queued.id, attempt: 1),
             "RESULT for trial \(queued.id) attempt 1, which this worker does not hold"),
            ("a trial not in the sweep", TrialAttempt(trialID: "f0f0f0f0f0f0", attempt: 1),
             "RESULT for trial f0f0f0f0f0f0, which is not in this sweep"),
        ]
        let forgedAt = Date().timeIntervalSince1970
        for target in targets {
            // HELLO each time: a peer silent for 0.6 s is dropped, and would get DISCONNECT instead.
            try forger.hello()
            try forger.send(.result(ResultBody(trialID: target.attempt.trialID, attempt: target.attempt.attempt, result: forged)))
            let reply = try forger.next(timeout: 10)
            guard case .error(let body)? = reply else {
                XCTFail("RESULT for \(target.what): expected ERROR, got \(reply.map { "\($0)" } ?? "nothing in 10 s")")
                continue
            }
            XCTAssertEqual(body.reason, target.refusal, target.what)
        }

        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 60), 0, logs(cluster))
        XCTAssertEqual(cluster.waitForExit(worker, timeout: 10), 0, logs(cluster))
        let store = try cluster.store()
        try assertEveryTrialOnce(store, trials: 4, epochs: epochs)
        for t in try store.trials() {
            XCTAssertNotEqual(t.valAcc, 0.999, "trial \(t.id) took the forged val_acc")
            XCTAssertNotEqual(t.testAcc, 0.999, "trial \(t.id) took the forged test_acc")
            XCTAssertFalse((t.result ?? "").contains("0.999"), "trial \(t.id) stored the forged result: \(t.result ?? "")")
        }
        let attempts = try store.attempts()
        XCTAssertEqual(attempts.count, 4, "one attempt per trial, all the real worker's: \(describe(attempts))")
        XCTAssertEqual(Set(attempts.map(\.worker)).count, 1, describe(attempts))
        XCTAssertFalse(attempts.contains { $0.worker == "forger" }, describe(attempts))
        XCTAssertFalse(attempts.contains { $0.outcome == .cancelled }, describe(attempts))
        // The attempt the forger aimed at ran on to its own end, after the forgery.
        let aimedAt = try XCTUnwrap(attempts.first { $0.trialID == leased.id && $0.attempt == leased.attempts })
        XCTAssertEqual(aimedAt.outcome, .ok)
        XCTAssertGreaterThan(aimedAt.ended ?? 0, forgedAt, "the real worker's attempt ended before the forgery: the test proved less")
    }

    // MARK: - A coordinator killed twice

    /// Two workers, ten trials; the coordinator is SIGKILLed while trials run and restarted on
    /// the same database only once both workers log that they are backing off (the second
    /// time, once both have backed off twice: they are asleep for 2 s when it starts). Every trial is
    /// counted once, from an attempt whose every epoch is stored; a trial running at a kill is
    /// counted from that attempt (its worker carried on with it: a restart costs no work).
    func testACoordinatorKilledTwiceAndRestartedDuringBackOffLosesNothing() throws {
        let (count, epochs) = (10, 5)
        let cluster = try Cluster(spec: simulatedSweep(count: count, epochs: epochs))
        // The workers come back after 1, 2 or 4 s of back-off: the grace must outlast that.
        let grace = ["--adopt-grace", "20"]
        var coordinator = try cluster.startCoordinator(extra: grace)
        for _ in 0..<2 { try cluster.startWorker(simulate: 0.2) }
        var finished = 0
        /// The attempt each trial was running at a kill: its worker carries on with it.
        var runningAtKill: [String: Int] = [:]
        for outage in 1...2 {
            guard waitFor("trials to finish and run before kill \(outage)", cluster, until: {
                cluster.finishedCount() >= finished + 2 && cluster.runningCount() >= 1
            }) else { return }
            let reconnects = (0..<2).map { reconnections(cluster, worker: $0) }
            kill(coordinator.processIdentifier, SIGKILL)
            _ = cluster.waitForExit(coordinator, timeout: 10)
            for t in try cluster.store().trials() where t.status == .running { runningAtKill[t.id] = t.attempts }
            guard waitFor("both workers to back off \(outage) time(s)", cluster, until: {
                (0..<2).allSatisfy { reconnections(cluster, worker: $0) >= reconnects[$0] + outage }
            }) else { return }
            finished = cluster.finishedCount()
            XCTAssertLessThan(finished, count, "the sweep ended before kill \(outage) took effect")
            let log = "coordinator-after-kill-\(outage)"
            coordinator = try cluster.startCoordinator(extra: grace, log: log)
            guard waitFor("the restarted coordinator to listen", cluster, until: { cluster.log(log).contains("listening on") }) else { return }
            XCTAssertTrue(cluster.log(log).contains("wait 20 s for their workers"), cluster.log(log))
        }
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 90), 0, logs(cluster))
        for w in cluster.workers { XCTAssertEqual(cluster.waitForExit(w, timeout: 15), 0, logs(cluster)) }
        let store = try cluster.store()
        let counted = try assertEveryTrialOnce(store, trials: count, epochs: epochs, logs: logs(cluster))
        // A restart costs no work: what was running at a kill is counted from that same attempt.
        let attempts = try store.attempts()
        for (trialID, attempt) in runningAtKill.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(counted[trialID]?.attempt, attempt,
                           "trial \(trialID) was running attempt \(attempt) at a kill, and ran again: "
                           + describe(attempts.filter { $0.trialID == trialID }) + "\n" + logs(cluster))
        }
    }

    // MARK: - One coordinator per database

    /// A second `coordinator serve` on the database of a running sweep exits non-zero at once,
    /// naming the file and the first coordinator's host and pid; the first serves on to the end.
    /// Issue 9, item 8: a worker that joins just after the sweep ended learns it is done
    /// (`serve --linger`) and exits 0, instead of waiting forever.
    func testAWorkerJoiningJustAfterTheEndIsToldItIsDone() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 2))
        let coordinator = try cluster.startCoordinator(extra: ["--linger", "20"])
        try cluster.startWorker()
        cluster.wait("the sweep to finish") { cluster.finishedCount() == 1 }
        XCTAssertEqual(cluster.waitForExit(cluster.workers[0], timeout: 10), 0)
        XCTAssertTrue(coordinator.isRunning, "lingering")
        let started = Date()
        let late = try cluster.startWorker()
        XCTAssertEqual(cluster.waitForExit(late, timeout: 10), 0, cluster.log("worker1"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(cluster.log("worker1").contains("sweep done"), cluster.log("worker1"))
        kill(coordinator.processIdentifier, SIGTERM)
        _ = cluster.waitForExit(coordinator, timeout: 10)
        XCTAssertEqual(try cluster.store().attempts().count, 1, "the late worker trained nothing")
    }

    func testASecondCoordinatorOnTheSameDatabaseExitsAndTheFirstCompletes() throws {
        let epochs = 4
        let cluster = try Cluster(spec: simulatedSweep(count: 4, epochs: epochs))
        let first = try cluster.startCoordinator()
        let worker = try cluster.startWorker(simulate: 0.15)
        guard waitFor("a trial to run", cluster, until: { cluster.runningCount() >= 1 }) else { return }
        let started = Date()
        let rival = try cluster.startRivalCoordinator()
        defer { if rival.isRunning { kill(rival.processIdentifier, SIGKILL) } }
        let status = cluster.waitForExit(rival, timeout: 20)
        let seconds = Date().timeIntervalSince(started)
        let log = cluster.log("rival")
        XCTAssertNotNil(status)
        XCTAssertNotEqual(status, 0, log)
        XCTAssertLessThan(seconds, 5, "the rival took \(seconds) s to give up")
        XCTAssertTrue(log.contains("\(cluster.db) is in use by another coordinator"), log)
        XCTAssertTrue(log.contains("(\(ProcessInfo.processInfo.hostName) pid \(first.processIdentifier))"), log)
        XCTAssertFalse(log.contains("listening on"), log)
        XCTAssertTrue(first.isRunning, "the first coordinator stopped when the rival came: \(logs(cluster))")

        XCTAssertEqual(cluster.waitForExit(first, timeout: 60), 0, logs(cluster))
        XCTAssertEqual(cluster.waitForExit(worker, timeout: 10), 0, logs(cluster))
        let store = try cluster.store()
        try assertEveryTrialOnce(store, trials: 4, epochs: epochs)
        let attempts = try store.attempts()
        XCTAssertEqual(attempts.count, 4, "the rival disturbed the sweep: \(describe(attempts))")
    }

    // MARK: - A full disk

    /// The database on a 600 KiB tmpfs that a filler file fills up while trials run: the
    /// coordinator exits non-zero saying it cannot store, naming the file. With the filler gone
    /// and the coordinator started again on the same file, the sweep completes: each trial
    /// counted once with every epoch of its counted attempt, and each trial that was running
    /// at the failure counted from that same attempt (its worker kept what it had not had
    /// acknowledged through the outage).
    func testAFullDiskStopsTheCoordinatorAndARestartResumes() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to mount a 600 KiB tmpfs for the database; running as uid \(getuid())")
        }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("full-disk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try shell(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", mountPoint])
        guard mount.status == 0 else {
            try? FileManager.default.removeItem(atPath: mountPoint)
            throw XCTSkip("cannot mount a tmpfs at \(mountPoint) (mount exited \(mount.status): \(mount.output))")
        }
        addTeardownBlock { unmountTmpfs(mountPoint) }
        let db = mountPoint + "/sweep.db"
        let filler = mountPoint + "/filler"

        let (count, epochs) = (6, 3)
        let cluster = try Cluster(spec: simulatedSweep(count: count, epochs: epochs))
        let grace = ["--adopt-grace", "20"]
        var coordinator = try cluster.startCoordinator(extra: grace, database: db)
        for _ in 0..<2 { try cluster.startWorker(simulate: 0.3) }
        guard waitFor("trials to finish and run", cluster, until: {
            let trials = storedTrials(db)
            return trials.filter { $0.status == .ok }.count >= 2 && trials.contains { $0.status == .running }
        }) else { return }

        let filled = fill(filler)
        XCTAssertEqual(filled.errno, ENOSPC, "filling \(filler) stopped on \(String(cString: strerror(filled.errno)))")
        let status = cluster.waitForExit(coordinator, timeout: 30)
        let log = cluster.log("coordinator")
        XCTAssertNotNil(status, "the coordinator went on with a full disk: \(logs(cluster))")
        XCTAssertNotEqual(status, 0, log)
        XCTAssertTrue(log.contains("cannot store"), log)
        XCTAssertTrue(log.contains(db), log)
        if status == nil { return }

        try FileManager.default.removeItem(atPath: filler)
        // A real outage: the workers notice the silence and back off, holding what is unacknowledged.
        guard waitFor("both workers to notice the outage", cluster, until: {
            (0..<2).allSatisfy { reconnections(cluster, worker: $0) >= 1 }
        }) else { return }
        let atFailure = storedTrials(db)
        XCTAssertLessThan(atFailure.filter { $0.status == .ok }.count, count, "the sweep ended before the disk filled up")
        let running = atFailure.filter { $0.status == .running }.map { TrialAttempt(trialID: $0.id, attempt: $0.attempts) }
        coordinator = try cluster.startCoordinator(extra: grace, database: db, log: "coordinator-after-full-disk")
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 60), 0, logs(cluster))
        for w in cluster.workers { XCTAssertEqual(cluster.waitForExit(w, timeout: 15), 0, logs(cluster)) }

        let store = try SweepStore(readingFrom: db)
        let counted = try assertEveryTrialOnce(store, trials: count, epochs: epochs, logs: logs(cluster))
        let attempts = try store.attempts()
        for r in running {
            XCTAssertEqual(counted[r.trialID]?.attempt, r.attempt,
                           "trial \(r.trialID) was running attempt \(r.attempt) when the disk filled up, and ran again: "
                           + describe(attempts.filter { $0.trialID == r.trialID }) + "\n" + logs(cluster))
        }
    }

    // MARK: - A worker in another language

    /// A worker written from docs/protocol.md in Python (pyzmq): HELLO, READY, the TASK, a
    /// METRIC per epoch and the RESULT (resending what MISSING asks for), then ACK and
    /// DISCONNECT done. The coordinator counts its result and stores its reports as sent.
    func testAPythonWorkerSpeakingTheDocumentedProtocolIsCounted() throws {
        let probe = try shell(["python3", "-c", "import zmq; print(zmq.__version__)"])
        guard probe.status == 0 else {
            throw XCTSkip("python3 with pyzmq is not available (pip install pyzmq): \(probe.output)")
        }
        let epochs = 3
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: epochs))
        let script = cluster.directory.appendingPathComponent("pyworker.py").path
        try pythonWorker.write(toFile: script, atomically: true, encoding: .utf8)
        let coordinator = try cluster.startCoordinator()

        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script, cluster.endpoint, vgsweepVersion]
        let logPath = cluster.directory.appendingPathComponent("python.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        python.standardOutput = logFile
        python.standardError = logFile
        try python.run()
        defer { if python.isRunning { kill(python.processIdentifier, SIGKILL) } }

        XCTAssertEqual(cluster.waitForExit(python, timeout: 60), 0, logs(cluster))
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 30), 0, logs(cluster))
        let store = try cluster.store()
        try assertEveryTrialOnce(store, trials: 1, epochs: epochs, logs: logs(cluster))
        let trial = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(trial.testAcc, 0.7)
        XCTAssertEqual(trial.valAcc, 0.65)
        XCTAssertEqual(trial.result, pythonResult(epochs: epochs))
        XCTAssertEqual(try store.attempts().map(\.worker), ["py-worker"])
        XCTAssertEqual(try store.metrics().map(\.report), (1...epochs).map(pythonReport))
        let log = cluster.log("python")
        for step in ["got TASK", "sent METRIC", "sent RESULT", "got ACK", "got DISCONNECT"] {
            XCTAssertTrue(log.contains(step), "no '\(step)' in the Python worker's log:\n\(log)")
        }
    }

    // MARK: - Helpers

    /// Each trial once and ok, counted from exactly one attempt (ok or diverged) whose epochs
    /// 1...epochs are all stored. Returns the counted attempt of each trial.
    @discardableResult
    private func assertEveryTrialOnce(_ store: SweepStore, trials count: Int, epochs: Int, logs: String = "",
                                      file: StaticString = #filePath, line: UInt = #line) throws -> [String: AttemptRecord] {
        let trials = try store.trials(), attempts = try store.attempts(), metrics = try store.metrics()
        XCTAssertEqual(trials.count, count, file: file, line: line)
        XCTAssertEqual(Set(trials.map(\.id)).count, count, file: file, line: line)
        XCTAssertEqual(trials.filter { $0.status == .ok }.count, count,
                       trials.map { "\($0.id) \($0.status): \($0.message ?? "")" }.joined(separator: "\n") + "\n" + logs,
                       file: file, line: line)
        var counted: [String: AttemptRecord] = [:]
        for t in trials {
            let history = attempts.filter { $0.trialID == t.id }
            let results = history.filter { $0.outcome == .ok || $0.outcome == .diverged }
            XCTAssertEqual(results.count, 1, "trial \(t.id) counted \(results.count) times: \(describe(history))", file: file, line: line)
            guard let result = results.first else { continue }
            counted[t.id] = result
            XCTAssertEqual(t.epochs, epochs, "trial \(t.id)", file: file, line: line)
            let stored = metrics.filter { $0.trialID == t.id && $0.attempt == result.attempt }.map(\.epoch)
            XCTAssertEqual(stored, Array(1...epochs), "epochs stored for trial \(t.id)'s counted attempt \(result.attempt); "
                           + "attempts: \(describe(history))", file: file, line: line)
        }
        return counted
    }

    /// Polls `condition` every 50 ms; false (and a failure showing every log) after `timeout` s.
    private func waitFor(_ what: String, _ cluster: Cluster, timeout: Double = 30,
                         file: StaticString = #filePath, line: UInt = #line, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("timed out after \(timeout) s waiting for \(what)\n\(logs(cluster))", file: file, line: line)
        return false
    }
}

/// A peer driven by hand on a DEALER socket, speaking protocol v1 through SweepWire.
private final class HandPeer {
    let workerID: String
    private let context: ZMQContext
    private let socket: ZMQSocket

    init(endpoint: String, workerID: String) throws {
        self.workerID = workerID
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setRoutingID(Array(workerID.utf8))
        try socket.connect(endpoint)
    }

    deinit { socket.close() }

    func send(_ message: Message) throws { _ = try socket.send(try MessageCodec.encode(message)) }

    func hello() throws {
        try send(.hello(HelloBody(workerID: workerID, host: "test", cores: 1, pid: Int(getpid()))))
    }

    /// The next message other than HEARTBEAT, or nil after `timeout` seconds.
    func next(timeout: Double) throws -> Message? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard try !Poller([socket]).poll(timeoutMilliseconds: 50).isEmpty,
                  let frames = try socket.receive(dontWait: true) else { continue }
            let message = try MessageCodec.decode(frames: frames)
            if message != .heartbeat { return message }
        }
        return nil
    }
}

/// Every log of the cluster (coordinators, workers, rival, Python), for failure messages.
private func logs(_ cluster: Cluster) -> String {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: cluster.directory.path)) ?? []
    return names.filter { $0.hasSuffix(".log") }.sorted().map { name in
        "--- \(name)\n" + ((try? String(contentsOfFile: cluster.directory.appendingPathComponent(name).path, encoding: .utf8)) ?? "")
    }.joined(separator: "\n")
}

/// How many times worker `index` has logged a back-off: "coordinator silent ...; reconnecting
/// in N s" when the coordinator goes quiet, "cannot reach ...; retrying in N s" while it stays away.
private func reconnections(_ cluster: Cluster, worker index: Int) -> Int {
    cluster.log("worker\(index)").split(separator: "\n").filter { $0.contains("; reconnecting in ") || $0.contains("; retrying in ") }.count
}

private func describe(_ attempts: [AttemptRecord]) -> String {
    attempts.map { "\($0.trialID)#\($0.attempt) by \($0.worker): \($0.outcome?.rawValue ?? "open") \($0.reason ?? "")" }
        .joined(separator: "; ")
}

/// The trials of the store at `path`, or none while it cannot be read.
private func storedTrials(_ path: String) -> [StoredTrial] {
    (try? SweepStore(readingFrom: path).trials()) ?? []
}

/// Runs a program found on PATH; its exit status and its output (stdout and stderr together).
private func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

/// Writes `path` until its file system is full; the bytes written and the errno that stopped it.
private func fill(_ path: String) -> (bytes: Int, errno: Int32) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return (0, errno) }
    defer { close(fd) }
    let chunk = [UInt8](repeating: 0xA5, count: 1 << 16)
    var (total, size) = (0, chunk.count)
    while true {
        let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
        if n > 0 { total += n; continue }
        let code = n < 0 ? errno : ENOSPC
        if code == EINTR { continue }
        guard code == ENOSPC else { return (total, code) }
        // Full for this size: try smaller writes down to one byte, so no page is left over.
        if size == 1 { return (total, ENOSPC) }
        size /= 2
    }
}

/// Unmounts the tmpfs (its users may take a moment to die), then removes its mount point.
private func unmountTmpfs(_ mountPoint: String) {
    for _ in 0..<50 {
        if (try? shell(["umount", mountPoint]))?.status == 0 { break }
        Thread.sleep(forTimeInterval: 0.1)
    }
    if (try? shell(["mountpoint", "-q", mountPoint]))?.status == 0 { _ = try? shell(["umount", "-l", mountPoint]) }
    try? FileManager.default.removeItem(atPath: mountPoint)
}

// MARK: - The Python worker

/// Epoch reports as the Python worker writes them: keys unsorted, spaces after the colons,
/// to show that they are stored as sent.
private func pythonReport(_ epoch: Int) -> String {
    #"{"type": "epoch", "epoch": \#(epoch), "val_acc": 0.5, "train_loss": 1.5}"#
}

private func pythonResult(epochs: Int) -> String {
    #"{"type": "result", "status": "ok", "test_acc": 0.7, "val_acc": 0.65, "test_loss": 0.8, "train_loss": 0.75, "#
        + #""samples_per_s": 0, "epochs": \#(epochs), "seconds": 0.1}"#
}

/// A worker from docs/protocol.md alone: arguments ENDPOINT VERSION; exits 0 after DISCONNECT done.
private let pythonWorker = #"""
import json, os, sys, time
import zmq

endpoint, version = sys.argv[1], sys.argv[2]
context = zmq.Context()
socket = context.socket(zmq.DEALER)
socket.setsockopt(zmq.ROUTING_ID, b"py-worker")
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)
last_sent = 0.0

def send(command, body, payload=None):
    global last_sent
    frames = [b"VGS1", command.encode(), json.dumps(body, sort_keys=True, separators=(",", ":")).encode()]
    if payload is not None:
        frames.append(payload.encode())
    socket.send_multipart(frames)
    last_sent = time.monotonic()
    if command != "HEARTBEAT":
        print("sent", command, json.dumps(body, sort_keys=True), flush=True)

def receive(wanted, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if time.monotonic() - last_sent > 0.1:
            send("HEARTBEAT", {})
        if not socket.poll(50):
            continue
        frames = socket.recv_multipart()
        if len(frames) != 3 or frames[0] != b"VGS1":
            sys.exit("malformed message from the coordinator: %r" % frames)
        command, body = frames[1].decode(), json.loads(frames[2])
        if command == "HEARTBEAT":
            continue
        print("got", command, json.dumps(body, sort_keys=True), flush=True)
        if command in wanted:
            return command, body
        if command == "ERROR":
            sys.exit("the coordinator refused a message: " + body["reason"])
    sys.exit("timed out waiting for " + " or ".join(sorted(wanted)))

def report(epoch):
    return '{"type": "epoch", "epoch": %d, "val_acc": 0.5, "train_loss": 1.5}' % epoch

send("HELLO", {"worker_id": "py-worker", "host": "python", "cores": 1, "pid": os.getpid(), "version": version})
send("READY", {})
_, task = receive({"TASK"})
trial, attempt = task["trial_id"], task["attempt"]
epochs = int(dict(task["parameters"])["epochs"])
result = ('{"type": "result", "status": "ok", "test_acc": 0.7, "val_acc": 0.65, "test_loss": 0.8, "train_loss": 0.75, '
          '"samples_per_s": 0, "epochs": %d, "seconds": 0.1}' % epochs)
for epoch in range(1, epochs + 1):
    send("METRIC", {"trial_id": trial, "attempt": attempt, "epoch": epoch}, report(epoch))
send("RESULT", {"trial_id": trial, "attempt": attempt}, result)
while True:
    command, body = receive({"ACK", "MISSING"})
    if command == "ACK":
        break
    for epoch in body["epochs"]:
        send("METRIC", {"trial_id": trial, "attempt": attempt, "epoch": epoch}, report(epoch))
    send("RESULT", {"trial_id": trial, "attempt": attempt}, result)
if body != {"trial_id": trial, "attempt": attempt}:
    sys.exit("ACK for another attempt: %r" % body)
send("READY", {})
command, body = receive({"DISCONNECT"})
if body.get("reason") != "done":
    sys.exit("DISCONNECT %r" % body)
print("done", flush=True)
"""#
