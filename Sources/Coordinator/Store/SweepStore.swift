import Foundation
import GRDB

/// The coordinator's durable state: the sweep, its trials, every attempt and every epoch's
/// metrics, in one SQLite file (WAL mode, `synchronous=FULL` on the writer: every commit is
/// fsynced).
///
/// Every change the coordinator acknowledges to a worker is committed first; a coordinator
/// killed at any moment and started again on the same file resumes from what is here.
/// Writes come from the coordinator's one thread; `coordinator status` and `results` may
/// read from other processes at the same time, which WAL allows.
final class SweepStore {
    let path: String
    private let pool: DatabasePool

    init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
        // Not in `prepareDatabase`: DatabasePool sets `synchronous = NORMAL` when it switches the
        // writer to WAL, after that hook. The writer connection lives as long as the pool, so
        // setting it here once holds for every commit: each one is fsynced before `apply` returns.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(pool)
    }

    /// `PRAGMA synchronous` on the writer connection: 2 = FULL (what the store relies on).
    func synchronousSetting() throws -> Int {
        try pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Opens an existing store for reading only (status and results from a second shell).
    init(readingFrom path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noDatabase(path) }
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
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
        return m
    }

    // MARK: - The sweep and its trials

    /// Records the sweep (once) and adds the trials it does not hold yet: re-running a spec
    /// never duplicates a trial, finished or not. Returns how many were new.
    @discardableResult
    func register(_ sweep: SweepRecord, trials: [TrialRecord]) throws -> Int {
        try pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT name FROM sweep"), existing != sweep.name {
                throw StoreError.otherSweep(path: path, existing: existing, requested: sweep.name)
            }
            try db.execute(sql: """
                INSERT OR IGNORE INTO sweep (id, name, spec, metric, goal, max_attempts, created)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                """, arguments: [sweep.name, sweep.spec, sweep.metric, sweep.goal, sweep.maxAttempts, Date().timeIntervalSince1970])
            var added = 0
            for t in trials {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO trial (id, config_id, name, ordinal, parameters, swept)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [t.id, t.configID, t.name, t.ordinal, encodePairs(t.parameters), encodePairs(t.swept)])
                added += db.changesCount
            }
            return added
        }
    }

    func sweep() throws -> SweepRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sweep").map {
                SweepRecord(name: $0["name"], spec: $0["spec"], metric: $0["metric"], goal: $0["goal"], maxAttempts: $0["max_attempts"])
            }
        }
    }

    /// After a restart: trials that were running are queued again and their open attempts
    /// closed as interrupted (which does not count against `max_attempts`).
    @discardableResult
    func requeueInterrupted() throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE attempt SET ended = ?, outcome = 'interrupted', reason = 'coordinator restarted'
                WHERE outcome IS NULL
                """, arguments: [Date().timeIntervalSince1970])
            try db.execute(sql: "UPDATE trial SET status = 'queued', worker = NULL, host = NULL WHERE status = 'running'")
            return db.changesCount
        }
    }

    /// Queued trials in sweep order, with their parameters.
    func queued() throws -> [QueuedTrial] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, parameters FROM trial WHERE status = 'queued' ORDER BY ordinal").map {
                QueuedTrial(id: $0["id"], parameters: decodePairs($0["parameters"]))
            }
        }
    }

    /// Failed or lost attempts per trial: what counts against `max_attempts`.
    func failureCounts() throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT trial_id, COUNT(*) AS n FROM attempt WHERE outcome IN ('failed', 'lost') GROUP BY trial_id
                """) { counts[row["trial_id"]] = row["n"] }
            return counts
        }
    }

    func parameters(of trialID: String) throws -> [(String, String)]? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT parameters FROM trial WHERE id = ?", arguments: [trialID]).map(decodePairs)
        }
    }

    // MARK: - Writes, batched per poll-loop turn

    /// Applies `changes` in one transaction: the coordinator collects a turn's changes and
    /// sends its acknowledgements and tasks only after this returns.
    func apply(_ changes: [StoreChange]) throws {
        guard !changes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try pool.write { db in
            // Each statement is compiled once per connection and reused (GRDB's statement cache).
            func run(_ sql: String, _ arguments: StatementArguments) throws {
                try db.cachedStatement(sql: sql).execute(arguments: arguments)
            }
            for change in changes {
                switch change {
                case .start(let trial, let attempt, let worker, let host):
                    try run("""
                        INSERT OR REPLACE INTO attempt (trial_id, attempt, worker, host, started) VALUES (?, ?, ?, ?, ?)
                        """, [trial, attempt, worker, host, now])
                    try run("""
                        UPDATE trial SET status = 'running', attempts = ?, worker = ?, host = ?, started = COALESCE(started, ?)
                        WHERE id = ?
                        """, [attempt, worker, host, now, trial])
                case .reattach(let trial, let attempt, let worker, let host):
                    try run("""
                        UPDATE attempt SET ended = NULL, outcome = NULL, reason = NULL, worker = ?, host = ?
                        WHERE trial_id = ? AND attempt = ?
                        """, [worker, host, trial, attempt])
                    try run("UPDATE trial SET status = 'running', worker = ?, host = ? WHERE id = ?", [worker, host, trial])
                case .metric(let trial, let attempt, let epoch, let report):
                    try run("INSERT OR IGNORE INTO metric (trial_id, attempt, epoch, report) VALUES (?, ?, ?, ?)",
                            [trial, attempt, epoch, report])
                case .finish(let trial, let attempt, let outcome):
                    try run("UPDATE attempt SET ended = ?, outcome = ? WHERE trial_id = ? AND attempt = ?",
                            [now, outcome.status, trial, attempt])
                    try run("""
                        UPDATE trial SET status = ?, finished = ?, seconds = ?, test_acc = ?, val_acc = ?, test_loss = ?,
                            train_loss = ?, epochs = ?, samples_per_s = ?, message = ?, result = ?, attempts = MAX(attempts, ?)
                        WHERE id = ? AND status NOT IN ('ok', 'diverged', 'failed')
                        """, [outcome.status, now, outcome.seconds, outcome.testAcc, outcome.valAcc, outcome.testLoss,
                              outcome.trainLoss, outcome.epochs, outcome.samplesPerS, outcome.message, outcome.json,
                              attempt, trial])
                case .attemptFailed(let trial, let attempt, let reason, let outcome, let maxAttempts):
                    try run("""
                        UPDATE attempt SET ended = ?, outcome = ?, reason = ? WHERE trial_id = ? AND attempt = ? AND outcome IS NULL
                        """, [now, outcome, reason, trial, attempt])
                    let failures = try Int.fetchOne(db.cachedStatement(sql: """
                        SELECT COUNT(*) FROM attempt WHERE trial_id = ? AND outcome IN ('failed', 'lost')
                        """), arguments: [trial]) ?? 0
                    let reasons = try String.fetchAll(db.cachedStatement(sql: """
                        SELECT 'attempt ' || attempt || ': ' || reason FROM attempt WHERE trial_id = ? AND outcome IN ('failed', 'lost') ORDER BY attempt
                        """), arguments: [trial]).joined(separator: "; ")
                    let exhausted = failures >= maxAttempts
                    try run("""
                        UPDATE trial SET status = ?, worker = NULL, host = NULL, message = ?, finished = ?
                        WHERE id = ? AND status = 'running'
                        """, [exhausted ? "failed" : "queued", reasons, exhausted ? now : nil, trial])
                }
            }
        }
    }

    // MARK: - Reading results

    func counts() throws -> StatusCounts {
        try pool.read { db in
            var c = StatusCounts()
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM trial GROUP BY status") {
                let n: Int = row["n"]
                switch row["status"] as String {
                case "queued": c.queued = n
                case "running": c.running = n
                case "failed": c.failed = n
                default: c.done += n
                }
            }
            c.meanSeconds = try Double.fetchOne(db, sql: "SELECT AVG(seconds) FROM trial WHERE status IN ('ok', 'diverged')")
            return c
        }
    }

    func trials() throws -> [StoredTrial] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trial ORDER BY ordinal").map(StoredTrial.init(row:))
        }
    }

    /// Every stored epoch report, in trial then epoch order.
    func metrics() throws -> [(trialID: String, attempt: Int, epoch: Int, report: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM metric ORDER BY trial_id, attempt, epoch").map {
                ($0["trial_id"], $0["attempt"], $0["epoch"], $0["report"])
            }
        }
    }

    /// Every attempt: which worker ran which trial and how it ended.
    func attempts() throws -> [(trialID: String, attempt: Int, worker: String, outcome: String?)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempt ORDER BY trial_id, attempt").map {
                ($0["trial_id"], $0["attempt"], $0["worker"], $0["outcome"])
            }
        }
    }

    func metricCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM metric") ?? 0 }
    }
}

enum StoreError: Error, CustomStringConvertible {
    case noDatabase(String)
    case otherSweep(path: String, existing: String, requested: String)

    var description: String {
        switch self {
        case .noDatabase(let path): return "\(path): no such database"
        case .otherSweep(let path, let existing, let requested):
            return "\(path) holds the sweep '\(existing)', not '\(requested)'; use another --db file"
        }
    }
}

func encodePairs(_ pairs: [(String, String)]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: pairs.map { [$0.0, $0.1] })
    return String(decoding: data, as: UTF8.self)
}

func decodePairs(_ text: String) -> [(String, String)] {
    guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String]] else { return [] }
    return array.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
}
