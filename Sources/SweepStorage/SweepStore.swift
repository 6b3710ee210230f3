import Foundation
import GRDB
import SweepRules
import SweepSchema
import SweepWire

/// The coordinator's durable state: the sweep, its trials, every attempt and every epoch's
/// report, in one SQLite file (WAL mode, `synchronous=FULL` on the writer: every commit is
/// fsynced).
///
/// The rules (`SweepMachine`) decide; the store writes their `StoreChange`s down, a turn at a
/// time, and the coordinator acknowledges nothing before `apply` returns. One coordinator
/// writes a file at a time (`StoreLock`); `coordinator status`, `results` and `report` may
/// read it from other processes meanwhile, which WAL allows.
public final class SweepStore {
    public let path: String
    private let pool: DatabasePool
    /// Held while this store may write (nil for a reading store).
    private let lock: StoreLock?

    /// Opens (or creates) the store for writing: takes the file's lock, refuses an SQLite file
    /// that is not a vgsweep store, and brings the schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        lock = try StoreLock(database: path)
        do {
            // Look before opening the pool: opening it switches the file to WAL, which must not
            // happen to somebody else's database.
            if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0 {
                var look = Configuration()
                look.readonly = true
                let tables = try DatabaseQueue(path: path, configuration: look).read {
                    try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                if !tables.isEmpty && !tables.contains("grdb_migrations") { throw StoreError.notASweepStore(path) }
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
            // Not in `prepareDatabase`: DatabasePool sets `synchronous = NORMAL` when it switches the
            // writer to WAL, after that hook. The writer connection lives as long as the pool, so
            // setting it here once holds for every commit: each one is fsynced before `apply` returns.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.storage(path: path, error: error)
        }
    }

    /// Opens an existing store for reading only (status, results and report from a second shell).
    public init(readingFrom path: String) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noDatabase(path) }
        self.path = path
        lock = nil
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
            let tables = try pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
            guard tables.contains("grdb_migrations"), tables.contains("sweep") else { throw StoreError.notASweepStore(path) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.storage(path: path, error: error)
        }
    }

    /// `PRAGMA synchronous` on the writer connection: 2 = FULL (what the store relies on).
    public func synchronousSetting() throws(StoreError) -> Int {
        try access { try pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 } }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE sweep (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    name TEXT NOT NULL, spec TEXT NOT NULL, metric TEXT NOT NULL, goal TEXT NOT NULL,
                    max_attempts INTEGER NOT NULL, created REAL NOT NULL);
                CREATE TABLE trial (
                    id TEXT PRIMARY KEY, config_id TEXT NOT NULL, name TEXT NOT NULL, ordinal INTEGER NOT NULL,
                    parameters TEXT NOT NULL, swept TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0,
                    worker TEXT, host TEXT, started REAL, finished REAL, seconds REAL,
                    test_acc REAL, val_acc REAL, test_loss REAL, train_loss REAL, epochs INTEGER,
                    samples_per_s REAL, message TEXT, result TEXT);
                CREATE INDEX trial_status ON trial(status, ordinal);
                CREATE TABLE attempt (
                    trial_id TEXT NOT NULL REFERENCES trial(id), attempt INTEGER NOT NULL,
                    worker TEXT NOT NULL, host TEXT NOT NULL, started REAL NOT NULL, ended REAL,
                    outcome TEXT, reason TEXT, PRIMARY KEY (trial_id, attempt));
                CREATE TABLE metric (
                    trial_id TEXT NOT NULL, attempt INTEGER NOT NULL, epoch INTEGER NOT NULL,
                    report TEXT NOT NULL, PRIMARY KEY (trial_id, attempt, epoch));
                """)
        }
        m.registerMigration("v2: the key of the worker of each attempt") { db in
            try db.execute(sql: "ALTER TABLE attempt ADD COLUMN key TEXT")
        }
        return m
    }

    /// Runs a database access, naming this file in any error it throws.
    private func access<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch let error as StoreError { throw error } catch {
            throw StoreError.storage(path: path, error: error)
        }
    }

    // MARK: - The sweep and its trials

    /// Records the sweep (once) and adds the trials it does not hold yet: re-running a spec
    /// never duplicates a trial, finished or not. Returns how many were new.
    @discardableResult
    public func register(_ sweep: SweepRecord, trials: [StoredTrial]) throws(StoreError) -> Int {
        try access {
            try pool.write { db in
                if let existing = try SweepRecord.fetchOne(db), existing.name != sweep.name {
                    throw StoreError.otherSweep(path: path, existing: existing.name, requested: sweep.name)
                }
                try sweep.insert(db, onConflict: .ignore)
                var added = 0
                for t in trials {
                    try t.insert(db, onConflict: .ignore)
                    added += db.changesCount
                }
                return added
            }
        }
    }

    public func sweep() throws(StoreError) -> SweepRecord? {
        try access { try pool.read { try SweepRecord.fetchOne($0) } }
    }

    /// Every trial with its attempts, and for a running one the epochs stored for its open
    /// attempt: what `SweepMachine` is rebuilt from after a restart.
    /// `withReports`: also every epoch report of each trial's last attempt, in epoch order (for
    /// the `early_terminate` rules, which judge a trial against the others' epochs).
    public func recoveredTrials(withReports: Bool = false) throws(StoreError) -> [RecoveredTrial] {
        try access {
            try pool.read { db in
                let metric = try SweepRecord.fetchOne(db)?.metric ?? .testAcc
                let trials = try StoredTrial.order(Column("ordinal")).fetchAll(db)
                var history: [String: [RecoveredTrial.PastAttempt]] = [:]
                for a in try AttemptRecord.order(Column("trial_id"), Column("attempt")).fetchAll(db) {
                    history[a.trialID, default: []].append(.init(attempt: a.attempt, worker: a.identity, outcome: a.outcome, reason: a.reason))
                }
                var epochs: [String: Set<Int>] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT m.trial_id, m.epoch FROM metric m JOIN trial t ON t.id = m.trial_id
                    WHERE t.status = 'running' AND m.attempt = t.attempts
                    """) { epochs[row["trial_id"], default: []].insert(row["epoch"]) }
                var reports: [String: [String]] = [:]
                if withReports {
                    for row in try Row.fetchAll(db, sql: """
                        SELECT m.trial_id, m.report FROM metric m JOIN trial t ON t.id = m.trial_id
                        WHERE m.attempt = t.attempts ORDER BY m.trial_id, m.epoch
                        """) { reports[row["trial_id"], default: []].append(row["report"]) }
                }
                return trials.map { t in
                    let pairs = t.parameters.map { ($0.name, $0.value) }
                    return RecoveredTrial(
                        id: t.id, parameters: t.parameters.map { TaskBody.Parameter($0.name, $0.value) },
                        epochBudget: epochBudget(of: pairs) ?? 0, status: t.status, attempts: t.attempts,
                        history: history[t.id] ?? [], storedEpochs: epochs[t.id] ?? [], objective: t.metric(metric),
                        reports: reports[t.id] ?? [])
                }
            }
        }
    }

    // MARK: - Writes, batched per poll-loop turn

    /// Applies `changes` in one transaction: the coordinator collects a turn's changes and
    /// sends its acknowledgements and tasks only after this returns. Throws naming the file
    /// (a full disk, a lost lock...); then nothing of the turn was stored.
    public func apply(_ changes: [StoreChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try access {
            try pool.write { db in
                // Each statement is compiled once per connection and reused (GRDB's statement cache).
                func run(_ sql: String, _ arguments: StatementArguments) throws {
                    try db.cachedStatement(sql: sql).execute(arguments: arguments)
                }
                for change in changes {
                    switch change {
                    case .start(let a, let worker, let host):
                        try run("""
                            INSERT OR REPLACE INTO attempt (trial_id, attempt, worker, key, host, started) VALUES (?, ?, ?, ?, ?, ?)
                            """, [a.trialID, a.attempt, worker.name, worker.key, host, now])
                        try run("""
                            UPDATE trial SET status = 'running', attempts = ?, worker = ?, host = ?, started = COALESCE(started, ?)
                            WHERE id = ?
                            """, [a.attempt, worker.name, host, now, a.trialID])
                    case .adopt(let a, let worker, let host):
                        try run("""
                            UPDATE attempt SET ended = NULL, outcome = NULL, reason = NULL, worker = ?, key = ?, host = ?
                            WHERE trial_id = ? AND attempt = ?
                            """, [worker.name, worker.key, host, a.trialID, a.attempt])
                        try run("UPDATE trial SET status = 'running', worker = ?, host = ? WHERE id = ?", [worker.name, host, a.trialID])
                    case .metric(let a, let epoch, let report):
                        try run("INSERT OR IGNORE INTO metric (trial_id, attempt, epoch, report) VALUES (?, ?, ?, ?)",
                                [a.trialID, a.attempt, epoch, report])
                    case .finish(let a, let outcome):
                        let r = outcome.result
                        let status: TrialStatus = r.status == .diverged ? .diverged : .ok
                        try run("UPDATE attempt SET ended = ?, outcome = ?, reason = ? WHERE trial_id = ? AND attempt = ?",
                                [now, status.rawValue, r.message, a.trialID, a.attempt])
                        try run("""
                            UPDATE trial SET status = ?, finished = ?, seconds = ?, test_acc = ?, val_acc = ?, test_loss = ?,
                                train_loss = ?, epochs = ?, samples_per_s = ?, message = ?, result = ?
                            WHERE id = ?
                            """, [status.rawValue, now, r.seconds, r.testAcc, r.valAcc, r.testLoss, r.trainLoss, r.epochs,
                                  r.samplesPerS, r.message, outcome.json, a.trialID])
                    case .endAttempt(let a, let outcome, let reason, let trial, let message):
                        try run("UPDATE attempt SET ended = ?, outcome = ?, reason = ? WHERE trial_id = ? AND attempt = ?",
                                [now, outcome.rawValue, reason, a.trialID, a.attempt])
                        try run("""
                            UPDATE trial SET status = ?, worker = NULL, host = NULL, message = ?, finished = ? WHERE id = ?
                            """, [trial.rawValue, message, trial == .failed ? now : nil, a.trialID])
                    case .interrupt(let a):
                        try run("""
                            UPDATE attempt SET ended = ?, outcome = 'interrupted', reason = 'coordinator restarted'
                            WHERE trial_id = ? AND attempt = ?
                            """, [now, a.trialID, a.attempt])
                        try run("UPDATE trial SET status = 'queued', worker = NULL, host = NULL WHERE id = ?", [a.trialID])
                    case .stop(let a, let reason, let last):
                        try run("UPDATE attempt SET ended = ?, outcome = 'stopped', reason = ? WHERE trial_id = ? AND attempt = ?",
                                [now, reason, a.trialID, a.attempt])
                        try run("""
                            UPDATE trial SET status = 'stopped', finished = ?, epochs = ?, val_acc = ?, train_loss = ?,
                                message = ?, worker = NULL, host = NULL
                            WHERE id = ?
                            """, [now, last.epoch, last.valAcc, last.trainLoss, reason, a.trialID])
                    case .create(let t, let ordinal):
                        try StoredTrial(id: t.id, configID: t.configID, name: "", ordinal: ordinal,
                                        parameters: t.parameters.map { Pair($0.key, $0.value) },
                                        swept: t.swept.map { Pair($0.key, $0.value) }).insert(db)
                    }
                }
            }
        }
    }

    // MARK: - Reading results

    public func counts() throws(StoreError) -> StatusCounts {
        try access {
            try pool.read { db in
                var c = StatusCounts()
                for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM trial GROUP BY status") {
                    let n: Int = row["n"]
                    switch row["status"] as TrialStatus? {
                    case .queued?: c.queued = n
                    case .running?: c.running = n
                    case .failed?: c.failed = n
                    case .stopped?: c.stopped = n
                    case .ok?, .diverged?, nil: c.done += n
                    }
                }
                c.meanSeconds = try Double.fetchOne(db, sql: "SELECT AVG(seconds) FROM trial WHERE status IN ('ok', 'diverged')")
                return c
            }
        }
    }

    public func trials() throws(StoreError) -> [StoredTrial] {
        try access { try pool.read { try StoredTrial.order(Column("ordinal")).fetchAll($0) } }
    }

    /// Every stored epoch report, in trial, attempt then epoch order.
    public func metrics() throws(StoreError) -> [MetricRecord] {
        try access { try pool.read { try MetricRecord.order(Column("trial_id"), Column("attempt"), Column("epoch")).fetchAll($0) } }
    }

    /// Every attempt: which worker ran which trial and how it ended.
    public func attempts() throws(StoreError) -> [AttemptRecord] {
        try access { try pool.read { try AttemptRecord.order(Column("trial_id"), Column("attempt")).fetchAll($0) } }
    }

    public func metricCount() throws(StoreError) -> Int {
        try access { try pool.read { try MetricRecord.fetchCount($0) } }
    }
}

/// What the store cannot do, naming the file.
public enum StoreError: Error, CustomStringConvertible {
    case noDatabase(String)
    case notASweepStore(String)
    case otherSweep(path: String, existing: String, requested: String)
    /// Another coordinator holds the file (its host and pid, as it wrote them).
    case held(path: String, holder: String)
    /// SQLite or the file system failed (a full disk, a read-only file...).
    case storage(path: String, error: any Error)

    public var description: String {
        switch self {
        case .noDatabase(let path): return "\(path): no such database"
        case .notASweepStore(let path): return "\(path) is an SQLite database but not a vgsweep store; nothing was changed in it. Use another --db file (or, with run, another --out folder)"
        case .otherSweep(let path, let existing, let requested):
            return "\(path) holds the sweep '\(existing)', not '\(requested)'; use another --db file (or, with run, another --out folder)"
        case .held(let path, let holder):
            return "\(path) is in use by another coordinator (\(holder)); stop it first, or use another --db file (or, with run, another --out folder)"
        case .storage(let path, let error):
            if let e = error as? DatabaseError { return "\(path): \(e.message ?? "SQLite error \(e.resultCode)")" }
            return "\(path): \(error)"
        }
    }
}
