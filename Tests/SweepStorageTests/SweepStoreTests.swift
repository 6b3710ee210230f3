import Foundation
import GRDB
import SweepRules
import SweepSchema
import SweepStorage
import SweepWire
import XCTest

/// The SQLite store: what `apply` writes for each `StoreChange`, what it gives back after a
/// restart, its durability setting, its lock, and the files it refuses.
final class SweepStoreTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String = "sweep.db") -> String { directory.appendingPathComponent(name).path }

    private func sweep(maxAttempts: Int = 3) -> SweepRecord {
        SweepRecord(name: "s", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: maxAttempts)
    }

    private func trial(_ id: String, ordinal: Int, epochs: Int = 4) -> StoredTrial {
        StoredTrial(id: id, configID: "c-\(id)", name: "n", ordinal: ordinal,
                    parameters: [Pair("epochs", "\(epochs)"), Pair("seed", "\(ordinal)")], swept: [Pair("seed", "\(ordinal)")])
    }

    private func attempt(_ trialID: String, _ attempt: Int) -> TrialAttempt { TrialAttempt(trialID: trialID, attempt: attempt) }

    /// A schema-valid result of `epochs` epochs.
    static func result(status: String = "ok", testAcc: Double = 0.5, epochs: Int) -> String {
        #"{"epochs":\#(epochs),"samples_per_s":100,"seconds":2.5,"status":"\#(status)","test_acc":\#(testAcc),"type":"result"}"#
    }

    /// A store error's description (fails the test when `body` throws something else, or nothing).
    private func storeError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> StoreError? {
        do {
            try body()
            XCTFail("no error", file: file, line: line)
        } catch let error as StoreError {
            return error
        } catch {
            XCTFail("not a StoreError: \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: - Durability

    /// GRDB's DatabasePool sets `synchronous = NORMAL` when it switches to WAL; the store must
    /// put FULL back on the writer connection, or an acknowledged result could be lost.
    func testTheWriterCommitsWithSynchronousFull() throws {
        var store: SweepStore? = try SweepStore(path: path())
        XCTAssertEqual(try store!.synchronousSetting(), 2, "PRAGMA synchronous on the writer: 2 = FULL")
        // Still so after some writes, and for a store opened again on the same file.
        try store!.register(sweep(), trials: [trial("t1", ordinal: 0)])
        try store!.apply([.start(attempt("t1", 1), worker: "w", host: "h"),
                          .metric(attempt("t1", 1), epoch: 1, report: #"{"epoch":1}"#)])
        XCTAssertEqual(try store!.synchronousSetting(), 2)
        store = nil
        XCTAssertEqual(try SweepStore(path: path()).synchronousSetting(), 2)
    }

    // MARK: - Writes

    /// The statements `apply` caches are reused across turns, and every change is written.
    func testApplyRunsEveryChangeAcrossTurns() throws {
        let store = try SweepStore(path: path())
        try store.register(sweep(maxAttempts: 2), trials: (1...3).map { trial("t\($0)", ordinal: $0) })
        for turn in 1...3 {
            try store.apply([.start(attempt("t\(turn)", 1), worker: "w", host: "h")]
                            + (1...4).map { .metric(attempt("t\(turn)", 1), epoch: $0, report: #"{"epoch":\#($0)}"#) })
        }
        try store.apply([.finish(attempt("t1", 1), try TrialOutcome(json: #"{"status":"ok","test_acc":0.5,"epochs":4,"samples_per_s":10,"seconds":1,"type":"result"}"#, epochBudget: 4)),
                         .endAttempt(attempt("t2", 1), .failed, reason: "boom", trial: .queued, message: "attempt 1: boom"),
                         .endAttempt(attempt("t3", 1), .lost, reason: "gone", trial: .failed, message: "attempt 1: gone")])
        XCTAssertEqual(try store.metricCount(), 12)
        let trials = try store.trials()
        XCTAssertEqual(trials.map(\.status), [.ok, .queued, .failed])
        XCTAssertEqual(trials[0].testAcc, 0.5)
        XCTAssertEqual(trials[0].epochs, 4)
        XCTAssertEqual(trials[1].message, "attempt 1: boom")
        XCTAssertEqual(trials[2].message, "attempt 1: gone")
        XCTAssertEqual(try store.attempts().map(\.outcome), [.ok, .failed, .lost])
        XCTAssertEqual(try store.counts(), StatusCounts(done: 1, running: 0, queued: 1, failed: 1, meanSeconds: 1))
    }

    /// The typed columns are stored as their raw values (what `status`, the CSVs and other
    /// readers of the file see) and read back as the enums.
    func testTypedColumnsAreStoredAsRawValues() throws {
        let store = try SweepStore(path: path())
        try store.register(SweepRecord(name: "s", spec: "x: 1", metric: Metric(name: .valAcc, goal: .minimize), maxAttempts: 2),
                           trials: (1...5).map { trial("t\($0)", ordinal: $0) })
        try store.apply([
            .start(attempt("t1", 1), worker: "w", host: "h"),
            .finish(attempt("t1", 1), try TrialOutcome(json: Self.result(epochs: 4), epochBudget: 4)),
            .start(attempt("t2", 1), worker: "w", host: "h"),
            .finish(attempt("t2", 1), try TrialOutcome(json: Self.result(status: "diverged", epochs: 2), epochBudget: 4)),
            .start(attempt("t3", 1), worker: "w", host: "h"),
            .start(attempt("t4", 1), worker: "w", host: "h"),
            .endAttempt(attempt("t4", 1), .failed, reason: "no", trial: .failed, message: "attempt 1: no"),
        ])
        let trials = try store.trials()
        XCTAssertEqual(trials.map(\.status), [.ok, .diverged, .running, .failed, .queued])
        XCTAssertEqual(try store.attempts().map(\.outcome), [.ok, .diverged, nil, .failed])
        let sweep = try XCTUnwrap(store.sweep())
        XCTAssertEqual(sweep.metric, .valAcc)
        XCTAssertEqual(sweep.goal, .minimize)
        XCTAssertEqual(sweep.ranking, Metric(name: .valAcc, goal: .minimize))
        XCTAssertEqual(sweep.maxAttempts, 2)
        XCTAssertEqual(trials[0].parameters, [Pair("epochs", "4"), Pair("seed", "1")])
        XCTAssertEqual(trials[0].swept, [Pair("seed", "1")])
        XCTAssertEqual(try store.counts(), StatusCounts(done: 2, running: 1, queued: 1, failed: 1, meanSeconds: 2.5))

        let raw = try DatabaseQueue(path: path(), configuration: { var c = Configuration(); c.readonly = true; return c }())
        try raw.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT status FROM trial ORDER BY ordinal"),
                           ["ok", "diverged", "running", "failed", "queued"])
            XCTAssertEqual(try String?.fetchAll(db, sql: "SELECT outcome FROM attempt ORDER BY trial_id"),
                           ["ok", "diverged", nil, "failed"])
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT metric || ' ' || goal FROM sweep"), "val_acc minimize")
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT parameters FROM trial WHERE id = 't1'"), #"[["epochs","4"],["seed","1"]]"#)
        }
    }

    /// A replayed METRIC and a repeated registration change nothing; another sweep is refused.
    func testReplaysAndReregistrationChangeNothing() throws {
        let store = try SweepStore(path: path())
        XCTAssertEqual(try store.register(sweep(), trials: [trial("t1", ordinal: 0), trial("t2", ordinal: 1)]), 2)
        XCTAssertEqual(try store.register(sweep(), trials: [trial("t1", ordinal: 0), trial("t3", ordinal: 2)]), 1)
        XCTAssertEqual(try store.trials().map(\.id), ["t1", "t2", "t3"])
        try store.apply([.start(attempt("t1", 1), worker: "w", host: "h"), .metric(attempt("t1", 1), epoch: 1, report: "first")])
        try store.apply([.metric(attempt("t1", 1), epoch: 1, report: "again")])
        let metrics = try store.metrics()
        XCTAssertEqual(metrics.map { [$0.trialID, "\($0.attempt)", "\($0.epoch)", $0.report] }, [["t1", "1", "1", "first"]])
        let other = SweepRecord(name: "other", spec: "", metric: Metric(), maxAttempts: 3)
        let error = storeError { try store.register(other, trials: []) }
        XCTAssertEqual(error?.description, "\(path()) holds the sweep 's', not 'other'; use another --db file (or, with run, another --out folder)")
    }

    /// `.endAttempt` ends the attempt row with its outcome and reason, and moves the trial to
    /// the status the rules chose (queued again, or failed for good with a finish time).
    func testEndAttemptWritesTheOutcomeAndTheTrialsStatus() throws {
        let store = try SweepStore(path: path())
        try store.register(sweep(), trials: [trial("t1", ordinal: 0), trial("t2", ordinal: 1)])
        try store.apply([.start(attempt("t1", 1), worker: "w1", host: "h1"), .start(attempt("t2", 1), worker: "w2", host: "h2")])
        let before = Date().timeIntervalSince1970
        try store.apply([.endAttempt(attempt("t1", 1), .failed, reason: "out of memory", trial: .queued,
                                     message: "attempt 1: out of memory"),
                         .endAttempt(attempt("t2", 1), .lost, reason: "worker went silent", trial: .failed,
                                     message: "attempt 1: worker went silent")])
        let after = Date().timeIntervalSince1970
        let attempts = try store.attempts()
        XCTAssertEqual(attempts.map(\.outcome), [.failed, .lost])
        XCTAssertEqual(attempts.map(\.reason), ["out of memory", "worker went silent"])
        XCTAssertEqual(attempts.map(\.worker), ["w1", "w2"])
        for a in attempts {
            let ended = try XCTUnwrap(a.ended)
            XCTAssertTrue((before - 1...after + 1).contains(ended), "\(ended)")
            XCTAssertGreaterThanOrEqual(ended, a.started)
        }
        let trials = try store.trials()
        XCTAssertEqual(trials.map(\.status), [.queued, .failed])
        XCTAssertEqual(trials.map(\.message), ["attempt 1: out of memory", "attempt 1: worker went silent"])
        XCTAssertEqual(trials.map(\.worker), [nil, nil])
        XCTAssertEqual(trials.map(\.host), [nil, nil])
        XCTAssertEqual(trials.map(\.attempts), [1, 1])
        XCTAssertNil(trials[0].finished, "a queued trial has not finished")
        XCTAssertNotNil(trials[1].finished, "a trial failed for good has")
        XCTAssertNil(trials[1].testAcc)

        // The next attempt starts afresh; the first keeps its outcome.
        try store.apply([.start(attempt("t1", 2), worker: "w3", host: "h3")])
        XCTAssertEqual(try store.attempts().filter { $0.trialID == "t1" }.map(\.outcome), [.failed, nil])
        let t1 = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(t1.status, .running)
        XCTAssertEqual(t1.attempts, 2)
        XCTAssertEqual(t1.worker, "w3")
        XCTAssertEqual(t1.host, "h3")
    }

    /// `.interrupt` ends the running attempt `interrupted` and queues its trial; `.adopt`
    /// reopens that very attempt for the worker that brings it back.
    func testInterruptAndAdopt() throws {
        let store = try SweepStore(path: path())
        try store.register(sweep(), trials: [trial("t1", ordinal: 0)])
        try store.apply([.start(attempt("t1", 1), worker: "w1", host: "h1"),
                         .metric(attempt("t1", 1), epoch: 1, report: "{}")])
        try store.apply([.interrupt(attempt("t1", 1))])
        var a = try XCTUnwrap(store.attempts().first)
        XCTAssertEqual(a.outcome, .interrupted)
        XCTAssertEqual(a.reason, "coordinator restarted")
        XCTAssertNotNil(a.ended)
        XCTAssertEqual(a.worker, "w1")
        var t = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(t.status, .queued)
        XCTAssertNil(t.worker)
        XCTAssertNil(t.host)
        XCTAssertEqual(t.attempts, 1)
        XCTAssertEqual(try store.counts().queued, 1)
        // An interrupted attempt does not count against the retries.
        XCTAssertFalse(try XCTUnwrap(a.outcome).countsAgainstRetries)

        try store.apply([.adopt(attempt("t1", 1), worker: "w1", host: "h1-again")])
        a = try XCTUnwrap(store.attempts().first)
        XCTAssertEqual(try store.attempts().count, 1, "the same attempt, not a new one")
        XCTAssertNil(a.outcome)
        XCTAssertNil(a.reason)
        XCTAssertNil(a.ended)
        XCTAssertEqual(a.worker, "w1")
        XCTAssertEqual(a.host, "h1-again")
        t = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(t.status, .running)
        XCTAssertEqual(t.worker, "w1")
        XCTAssertEqual(t.host, "h1-again")
        XCTAssertEqual(t.attempts, 1)
        XCTAssertEqual(try store.metrics().count, 1, "its stored epochs stay")

        // And it finishes as any attempt does.
        try store.apply([.metric(attempt("t1", 1), epoch: 2, report: "{}"),
                         .finish(attempt("t1", 1), try TrialOutcome(json: Self.result(testAcc: 0.7, epochs: 2), epochBudget: 4))])
        XCTAssertEqual(try store.attempts().map(\.outcome), [.ok])
        t = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(t.status, .ok)
        XCTAssertEqual(t.testAcc, 0.7)
        XCTAssertEqual(t.result, Self.result(testAcc: 0.7, epochs: 2))
    }

    // MARK: - After a restart

    /// `recoveredTrials()` gives every trial with its whole history, and for a running trial
    /// the epochs stored for its current attempt only.
    /// A trial made on demand (random and bayes sweeps) is registered by the turn that makes
    /// it, and comes back after a restart with its objective once finished.
    func testACreatedTrialIsStoredAndRecoveredWithItsObjective() throws {
        var store: SweepStore? = try SweepStore(path: path())
        try store!.register(sweep(), trials: [])
        let new = NewTrial(id: "n0", configID: "c0", parameters: [.init("epochs", "1"), .init("seed", "7")],
                           swept: [.init("seed", "7")], epochBudget: 1)
        try store!.apply([.create(new, ordinal: 0), .start(attempt("n0", 1), worker: "w", host: "h"),
                          .metric(attempt("n0", 1), epoch: 1, report: "{}"),
                          .finish(attempt("n0", 1), try TrialOutcome(json: Self.result(epochs: 1), epochBudget: 1))])
        store = nil
        store = try SweepStore(path: path())
        let trial = try XCTUnwrap(try store!.trials().first)
        XCTAssertEqual([trial.id, trial.configID], ["n0", "c0"])
        XCTAssertEqual(trial.ordinal, 0)
        XCTAssertEqual(trial.swept, [Pair("seed", "7")])
        let recovered = try XCTUnwrap(try store!.recoveredTrials().first)
        XCTAssertEqual(recovered.parameters, new.parameters)
        XCTAssertEqual(recovered.status, .ok)
        XCTAssertNotNil(recovered.objective)
        XCTAssertEqual(recovered.objective, trial.metric(try store!.sweep()!.metric))
    }

    func testRecoveredTrialsCarryTheirHistoryAndTheOpenAttemptsEpochs() throws {
        var store: SweepStore? = try SweepStore(path: path())
        try store!.register(sweep(), trials: [trial("t1", ordinal: 0, epochs: 5), trial("t2", ordinal: 1, epochs: 3),
                                               trial("t3", ordinal: 2, epochs: 2), trial("t4", ordinal: 3, epochs: 6)])
        try store!.apply([
            // t1: attempt 1 lost after 3 epochs, attempt 2 running with 2 epochs stored.
            .start(attempt("t1", 1), worker: "w1", host: "h"),
            .metric(attempt("t1", 1), epoch: 1, report: "{}"),
            .metric(attempt("t1", 1), epoch: 2, report: "{}"),
            .metric(attempt("t1", 1), epoch: 3, report: "{}"),
            .endAttempt(attempt("t1", 1), .lost, reason: "worker went silent", trial: .queued, message: "attempt 1: worker went silent"),
            .start(attempt("t1", 2), worker: "w2", host: "h"),
            .metric(attempt("t1", 2), epoch: 1, report: "{}"),
            .metric(attempt("t1", 2), epoch: 4, report: "{}"),
            // t2: failed once, then finished.
            .start(attempt("t2", 1), worker: "w1", host: "h"),
            .endAttempt(attempt("t2", 1), .failed, reason: "boom", trial: .queued, message: "attempt 1: boom"),
            .start(attempt("t2", 2), worker: "w2", host: "h"),
            .metric(attempt("t2", 2), epoch: 1, report: "{}"),
            .finish(attempt("t2", 2), try TrialOutcome(json: Self.result(epochs: 1), epochBudget: 3)),
            // t4: running, nothing stored yet.
            .start(attempt("t4", 1), worker: "w3", host: "h"),
        ])
        store = nil   // the coordinator dies
        store = try SweepStore(path: path())
        let recovered = try store!.recoveredTrials()
        XCTAssertEqual(recovered.map(\.id), ["t1", "t2", "t3", "t4"])
        XCTAssertEqual(recovered.map(\.status), [.running, .ok, .queued, .running])
        XCTAssertEqual(recovered.map(\.attempts), [2, 2, 0, 1])
        XCTAssertEqual(recovered.map(\.epochBudget), [5, 3, 2, 6])
        XCTAssertEqual(recovered[0].parameters, [TaskBody.Parameter("epochs", "5"), TaskBody.Parameter("seed", "0")])
        XCTAssertEqual(recovered[0].history, [
            .init(attempt: 1, worker: "w1", outcome: .lost, reason: "worker went silent"),
            .init(attempt: 2, worker: "w2", outcome: nil, reason: nil),
        ])
        XCTAssertEqual(recovered[1].history, [
            .init(attempt: 1, worker: "w1", outcome: .failed, reason: "boom"),
            .init(attempt: 2, worker: "w2", outcome: .ok, reason: nil),
        ])
        XCTAssertEqual(recovered[2].history, [])
        XCTAssertEqual(recovered[3].history, [.init(attempt: 1, worker: "w3", outcome: nil, reason: nil)])
        // Only the open attempt's epochs, and only for running trials.
        XCTAssertEqual(recovered.map(\.storedEpochs), [[1, 4], [], [], []])

        // Interrupted and queued again, a trial no longer reports stored epochs.
        try store!.apply([.interrupt(attempt("t1", 2))])
        let again = try store!.recoveredTrials()
        XCTAssertEqual(again[0].status, .queued)
        XCTAssertEqual(again[0].storedEpochs, [])
        XCTAssertEqual(again[0].history.last, .init(attempt: 2, worker: "w2", outcome: .interrupted, reason: "coordinator restarted"))
        // Adopted, it is running again with the same attempt's epochs.
        try store!.apply([.adopt(attempt("t1", 2), worker: "w2", host: "h")])
        XCTAssertEqual(try store!.recoveredTrials()[0].storedEpochs, [1, 4])
        XCTAssertEqual(try store!.recoveredTrials()[0].history.last, .init(attempt: 2, worker: "w2", outcome: nil, reason: nil))
    }

    // MARK: - One coordinator per file

    /// A second writing store on the same file is refused with the holder's host and pid;
    /// once the first is released, a new one opens.
    func testASecondWriterIsRefusedUntilTheFirstIsReleased() throws {
        var first: SweepStore? = try SweepStore(path: path())
        try first!.register(sweep(), trials: [trial("t1", ordinal: 0)])
        let error = storeError { _ = try SweepStore(path: path()) }
        guard case .held(let heldPath, let holder)? = error else { return XCTFail("not .held: \(String(describing: error))") }
        XCTAssertEqual(heldPath, path())
        let expectedHolder = "\(ProcessInfo.processInfo.hostName) pid \(getpid())"
        XCTAssertEqual(holder, expectedHolder)
        let description = try XCTUnwrap(error?.description)
        XCTAssertTrue(description.contains(path()), description)
        XCTAssertTrue(description.contains("(\(expectedHolder))"), description)
        XCTAssertEqual(description, "\(path()) is in use by another coordinator (\(expectedHolder)); stop it first, or use another --db file (or, with run, another --out folder)")
        // Readers are not writers: they may open the file meanwhile.
        XCTAssertEqual(try SweepStore(readingFrom: path()).trials().map(\.id), ["t1"])
        // The refused store left the first one working.
        try first!.apply([.start(attempt("t1", 1), worker: "w", host: "h")])

        first = nil
        let second = try SweepStore(path: path())
        XCTAssertEqual(try second.trials().map(\.status), [.running])
        // And it holds the file in turn.
        guard case .held? = storeError({ _ = try SweepStore(path: path()) }) else { return XCTFail("the second store does not hold the file") }
    }

    /// The lock file says who holds it; another process trying the lock is refused too.
    func testTheLockFileNamesItsHolder() throws {
        let store = try SweepStore(path: path())
        let text = try String(contentsOfFile: path() + ".lock", encoding: .utf8)
        XCTAssertEqual(text, "\(ProcessInfo.processInfo.hostName) pid \(getpid())\n")
        // flock(1) in another process cannot take it while the store lives.
        guard let flock = ["/usr/bin/flock", "/bin/flock"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("flock(1) is not installed")
        }
        func tryLock() throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: flock)
            p.arguments = ["--nonblock", "--exclusive", path() + ".lock", "true"]
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        try withExtendedLifetime(store) {
            XCTAssertNotEqual(try tryLock(), 0, "the lock is held")
        }
    }

    // MARK: - Files that are not stores

    /// An SQLite file of something else is refused, by writers and readers, and left exactly
    /// as it was (same bytes, still in rollback-journal mode, no WAL file beside it).
    func testAnotherSQLiteFileIsRefusedAndLeftUnchanged() throws {
        // One copy for the writer, one for the reader, so that each is judged on its own.
        for (name, open) in [("notes.db", { (p: String) in _ = try SweepStore(path: p) }),
                             ("notes-read.db", { (p: String) in _ = try SweepStore(readingFrom: p) })] {
            let notes = path(name)
            do {
                let queue = try DatabaseQueue(path: notes)
                try queue.write { db in
                    try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
                    try db.execute(sql: "INSERT INTO notes (text) VALUES ('keep me'), ('and me')")
                }
                try queue.close()
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: notes))
            let filesBefore = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))

            let error = storeError { try open(notes) }
            guard case .notASweepStore(let refused)? = error else {
                XCTFail("\(name): not .notASweepStore: \(String(describing: error))")
                continue
            }
            XCTAssertEqual(refused, notes)
            XCTAssertEqual(error?.description,
                           "\(notes) is an SQLite database but not a vgsweep store; nothing was changed in it. Use another --db file (or, with run, another --out folder)")

            let after = try Data(contentsOf: URL(fileURLWithPath: notes))
            XCTAssertEqual(after.count, before.count, name)
            let firstDifference = zip(before, after).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            XCTAssertTrue(after == before, "\(name) changed: first differing byte at \(firstDifference ?? -1)")
            // No WAL or shared-memory file left beside it (the lock file is the store's own).
            let added = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)).subtracting(filesBefore)
            XCTAssertTrue(added.isSubset(of: ["\(name).lock"]), "\(name): \(added.sorted())")
            // Its data is still there, and it is still in the journal mode it was made with.
            let queue = try DatabaseQueue(path: notes, configuration: { var c = Configuration(); c.readonly = true; return c }())
            XCTAssertEqual(try queue.read { try String.fetchAll($0, sql: "SELECT text FROM notes ORDER BY id") }, ["keep me", "and me"])
            XCTAssertEqual(try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "delete", name)
            try queue.close()
        }
    }

    /// A file that is not SQLite at all: refused naming the file, and not overwritten.
    func testAFileThatIsNotSQLiteIsRefusedNamingIt() throws {
        let text = path("notes.txt")
        let content = Data(String(repeating: "not a database\n", count: 100).utf8)
        try content.write(to: URL(fileURLWithPath: text))
        for open in [{ _ = try SweepStore(path: text) }, { _ = try SweepStore(readingFrom: text) }] {
            let error = storeError(open)
            XCTAssertTrue(error?.description.hasPrefix(text) ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: text)), content)
    }

    // MARK: - Errors name the file

    func testAMissingFileIsNamed() throws {
        let missing = path("nowhere.db")
        let error = storeError { _ = try SweepStore(readingFrom: missing) }
        guard case .noDatabase(let named)? = error else { return XCTFail("not .noDatabase: \(String(describing: error))") }
        XCTAssertEqual(named, missing)
        XCTAssertEqual(error?.description, "\(missing): no such database")
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "reading does not create it")

        // A writer in a folder that does not exist: the error names the file.
        let deep = directory.appendingPathComponent("no/such/folder/sweep.db").path
        let writer = storeError { _ = try SweepStore(path: deep) }
        guard case .storage(let storagePath, _)? = writer else { return XCTFail("not .storage: \(String(describing: writer))") }
        XCTAssertEqual(storagePath, deep)
        XCTAssertTrue(writer?.description.hasPrefix(deep) ?? false, "\(String(describing: writer))")
    }

    /// A write to a store opened for reading fails naming the file (SQLite's read-only error),
    /// and nothing is written.
    func testWritesThroughAReadOnlyStoreNameTheFile() throws {
        let writer = try SweepStore(path: path())
        try writer.register(sweep(), trials: [trial("t1", ordinal: 0)])
        let reader = try SweepStore(readingFrom: path())
        let error = storeError { try reader.apply([.start(self.attempt("t1", 1), worker: "w", host: "h")]) }
        guard case .storage(let named, _)? = error else { return XCTFail("not .storage: \(String(describing: error))") }
        XCTAssertEqual(named, path())
        let description = try XCTUnwrap(error?.description)
        XCTAssertTrue(description.hasPrefix("\(path()): "), description)
        XCTAssertTrue(description.lowercased().contains("readonly") || description.lowercased().contains("read-only"), description)
        XCTAssertEqual(try writer.trials().map(\.status), [.queued])
        XCTAssertEqual(try writer.attempts(), [])
    }

    /// A file the process may not write: the writer's error names it. As another user, mode
    /// 0444 stops the writes; root writes whatever the mode says, so as root the file lies on a
    /// small tmpfs remounted read-only.
    func testAReadOnlyFileIsNamed() throws {
        let folder = directory.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("sweep.db").path
        let root = geteuid() == 0
        if root {
            guard Self.mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", folder.path]) else {
                throw XCTSkip("cannot mount a tmpfs at \(folder.path), and root writes read-only files")
            }
        }
        defer { if root { XCTAssertTrue(Self.mount([folder.path], program: "/bin/umount"), "unmount \(folder.path)") } }
        var store: SweepStore? = try SweepStore(path: file)
        try store!.register(sweep(), trials: [trial("t1", ordinal: 0)])
        store = nil
        if root {
            XCTAssertTrue(Self.mount(["-o", "remount,ro", folder.path]), "remount read-only")
        } else {
            for f in [file, file + "-wal", file + "-shm", file + ".lock"] where FileManager.default.fileExists(atPath: f) {
                try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: f)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        }
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }
        let error = storeError {
            let s = try SweepStore(path: file)
            try s.apply([.start(self.attempt("t1", 1), worker: "w", host: "h")])
        }
        XCTAssertTrue(error?.description.hasPrefix(file) ?? false, "\(String(describing: error))")
    }

    /// Runs mount (or umount) and says whether it worked.
    private static func mount(_ arguments: [String], program: String = "/bin/mount") -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
