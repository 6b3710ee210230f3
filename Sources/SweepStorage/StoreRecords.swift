import Foundation
import GRDB
import SweepRules
import SweepSchema

extension TrialStatus: DatabaseValueConvertible {}
extension AttemptOutcome: DatabaseValueConvertible {}
extension Metric.Name: DatabaseValueConvertible {}
extension Metric.Goal: DatabaseValueConvertible {}

/// One `name=value` of a trial, stored (inside a JSON list) as the two-string array
/// `["name", "value"]`, which keeps a trial's order.
public struct Pair: Codable, Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        name = try c.decode(String.self)
        value = try c.decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(name)
        try c.encode(value)
    }
}

/// The sweep as stored (table `sweep`, one row): enough to rank results and to refuse mixing
/// two sweeps in one file.
public struct SweepRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sweep"
    public var id = 1
    public var name: String
    /// The sweep file's text, with the command line's changes appended as a comment.
    public var spec: String
    public var metric: Metric.Name
    public var goal: Metric.Goal
    public var maxAttempts: Int
    public var created: Double

    public init(name: String, spec: String, metric: Metric, maxAttempts: Int, created: Double = Date().timeIntervalSince1970) {
        self.name = name
        self.spec = spec
        self.metric = metric.name
        self.goal = metric.goal
        self.maxAttempts = maxAttempts
        self.created = created
    }

    /// What the sweep ranks by, in the spec's own type.
    public var ranking: Metric { Metric(name: metric, goal: goal) }

    enum CodingKeys: String, CodingKey {
        case id, name, spec, metric, goal, maxAttempts = "max_attempts", created
    }
}

/// A trial (table `trial`): what the spec made of it, and how it went.
public struct StoredTrial: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trial"
    public var id: String
    public var configID: String
    public var name: String
    public var ordinal: Int
    public var parameters: [Pair]
    /// The parameters the sweep varies (the rest are fixed for every trial).
    public var swept: [Pair]
    public var status: TrialStatus = .queued
    /// Attempts started.
    public var attempts = 0
    public var worker: String?
    public var host: String?
    public var started: Double?
    public var finished: Double?
    public var seconds: Double?
    public var testAcc: Double?, valAcc: Double?, testLoss: Double?, trainLoss: Double?
    public var epochs: Int?
    public var samplesPerS: Double?
    public var message: String?
    /// The result object as the worker sent it.
    public var result: String?

    public init(id: String, configID: String, name: String, ordinal: Int, parameters: [Pair], swept: [Pair]) {
        self.id = id
        self.configID = configID
        self.name = name
        self.ordinal = ordinal
        self.parameters = parameters
        self.swept = swept
    }

    public func metric(_ name: Metric.Name) -> Double? {
        switch name {
        case .testAcc: testAcc
        case .valAcc: valAcc
        case .testLoss: testLoss
        case .trainLoss: trainLoss
        // Not columns of their own: read from the stored result (nil for results without them).
        case .valLoss: storedResult?.valLoss
        case .trainAcc: storedResult?.trainAcc
        }
    }

    /// `result` decoded; nil when there is none or it does not decode.
    private var storedResult: TrialResult? {
        result.flatMap { try? SchemaCoding.decode(TrialResult.self, from: $0) }
    }

    enum CodingKeys: String, CodingKey {
        case id, configID = "config_id", name, ordinal, parameters, swept, status, attempts, worker, host
        case started, finished, seconds, testAcc = "test_acc", valAcc = "val_acc", testLoss = "test_loss"
        case trainLoss = "train_loss", epochs, samplesPerS = "samples_per_s", message, result
    }
}

/// One attempt at a trial (table `attempt`): who ran it and how it ended.
public struct AttemptRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attempt"
    public var trialID: String
    public var attempt: Int
    /// The name the worker gave itself (HELLO's worker_id).
    public var worker: String
    /// Its CURVE public key (Z85), as proved in the handshake; nil on a coordinator without keys.
    public var key: String?
    public var host: String
    public var started: Double
    public var ended: Double?
    /// Nil while the attempt is leased.
    public var outcome: AttemptOutcome?
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case trialID = "trial_id", attempt, worker, key, host, started, ended, outcome, reason
    }

    /// Who ran it, for the lease rules.
    public var identity: WorkerIdentity { WorkerIdentity(name: worker, key: key) }
}

/// One epoch report of one attempt (table `metric`), stored as the worker sent it.
public struct MetricRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "metric"
    public var trialID: String
    public var attempt: Int
    public var epoch: Int
    public var report: String

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt, epoch, report }
}

/// Trials per status, for the live line and `coordinator status`.
public struct StatusCounts: Equatable, Sendable {
    /// Ended with a result (ok or diverged); `stopped` early by a rule are apart.
    public var done = 0, running = 0, queued = 0, failed = 0, stopped = 0
    public var meanSeconds: Double?
    public var total: Int { done + running + queued + failed + stopped }

    public init(done: Int = 0, running: Int = 0, queued: Int = 0, failed: Int = 0, stopped: Int = 0, meanSeconds: Double? = nil) {
        self.done = done
        self.running = running
        self.queued = queued
        self.failed = failed
        self.stopped = stopped
        self.meanSeconds = meanSeconds
    }
}
