import Foundation

/// The commands of wire protocol v1 (docs/protocol.md), as they appear in frame 1.
public enum Command: String, CaseIterable, Sendable {
    case hello = "HELLO", ready = "READY", task = "TASK", metric = "METRIC", result = "RESULT"
    case fail = "FAIL", ack = "ACK", heartbeat = "HEARTBEAT", cancel = "CANCEL"
    case disconnect = "DISCONNECT", error = "ERROR", missing = "MISSING"
}

/// One protocol message: a command and its body. `MessageCodec` turns it into frames and back.
///
/// Bodies are small structs written as JSON objects with snake_case keys (`MessageCodec` reads
/// and writes them itself). Unknown keys are ignored on decoding, so a later version may add
/// optional fields without breaking v1 peers. METRIC and RESULT also carry a payload, a JSON
/// object passed through as text (`JSONPayload`).
public enum Message: Equatable, Sendable {
    /// worker → coordinator: (re)register; `current` names a trial still in training.
    case hello(HelloBody)
    /// worker → coordinator: give me a trial.
    case ready
    /// coordinator → worker: train this trial.
    case task(TaskBody)
    /// worker → coordinator: one epoch's report (the payload).
    case metric(MetricBody)
    /// worker → coordinator: the trial's final result (the payload).
    case result(ResultBody)
    /// worker → coordinator: the trial could not be trained.
    case fail(FailBody)
    /// coordinator → worker: the result or failure of this attempt is stored; forget it.
    case ack(TrialAttempt)
    /// both ways: I am alive (any message counts as one).
    case heartbeat
    /// coordinator → worker: stop training this attempt.
    case cancel(TrialAttempt)
    /// both ways: goodbye, see `DisconnectBody` for the reasons.
    case disconnect(DisconnectBody)
    /// coordinator → worker: your last message was malformed, or not yours to send.
    case error(ErrorBody)
    /// coordinator → worker: a RESULT came before these epochs' METRICs; send them, then the
    /// RESULT again (the result counts only with every epoch of its attempt stored).
    case missing(MissingBody)

    public var command: Command {
        switch self {
        case .hello: .hello
        case .ready: .ready
        case .task: .task
        case .metric: .metric
        case .result: .result
        case .fail: .fail
        case .ack: .ack
        case .heartbeat: .heartbeat
        case .cancel: .cancel
        case .disconnect: .disconnect
        case .error: .error
        case .missing: .missing
        }
    }
}

/// One attempt at one trial: a trial is retried under a new attempt number when its worker
/// dies, so late messages of an old attempt can be told apart and ignored.
public struct TrialAttempt: Codable, Equatable, Hashable, Sendable {
    public var trialID: String
    public var attempt: Int

    public init(trialID: String, attempt: Int) {
        self.trialID = trialID
        self.attempt = attempt
    }

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt }
}

public struct HelloBody: Equatable, Sendable {
    /// Stable across the worker's reconnects (and its ZeroMQ routing id).
    public var workerID: String
    public var host: String
    public var cores: Int
    public var pid: Int
    /// The worker program's version (`vgsweepVersion`), not the wire version.
    public var version: String
    /// The attempt this worker is still training, so a restarted coordinator can adopt it.
    public var current: TrialAttempt?

    public init(workerID: String, host: String, cores: Int, pid: Int,
                version: String = vgsweepVersion, current: TrialAttempt? = nil) {
        self.workerID = workerID
        self.host = host
        self.cores = cores
        self.pid = pid
        self.version = version
        self.current = current
    }
}

public struct TaskBody: Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    /// The trial's `key=value` parameters, in order; on the wire `[["key", "value"], ...]`.
    public var parameters: [Parameter]
    /// How many compute threads the worker should use for this trial.
    public var threads: Int

    public init(trialID: String, attempt: Int, parameters: [Parameter], threads: Int) {
        self.trialID = trialID
        self.attempt = attempt
        self.parameters = parameters
        self.threads = threads
    }

    /// The parameters as `(key, value)` pairs, the form `TrialConfig.apply` takes.
    public var pairs: [(String, String)] { parameters.map { ($0.key, $0.value) } }

    /// One `key=value`, encoded as a two-string JSON array to keep the order of a trial's list.
    public struct Parameter: Equatable, Sendable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }
}

/// METRIC: the body holds `trial_id`, `attempt` and `epoch`; the report itself is frame 3.
public struct MetricBody: Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    /// The report's epoch number (1-based), so the coordinator need not parse the report.
    public var epoch: Int
    /// One epoch report (e.g. an `EpochReport`), passed through as JSON text and stored as is.
    public var report: JSONPayload

    public init(trialID: String, attempt: Int, epoch: Int, report: JSONPayload) {
        self.trialID = trialID
        self.attempt = attempt
        self.epoch = epoch
        self.report = report
    }
}

/// RESULT: the body holds `trial_id` and `attempt`; the result itself is frame 3.
public struct ResultBody: Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    /// The final result (e.g. a `TrialResult`), passed through as JSON text.
    public var result: JSONPayload

    public init(trialID: String, attempt: Int, result: JSONPayload) {
        self.trialID = trialID
        self.attempt = attempt
        self.result = result
    }
}

public struct FailBody: Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    public var reason: String

    public init(trialID: String, attempt: Int, reason: String) {
        self.trialID = trialID
        self.attempt = attempt
        self.reason = reason
    }
}

public struct DisconnectBody: Equatable, Sendable {
    /// From the coordinator: the sweep is finished, exit with status 0.
    public static let done = "done"
    /// From the coordinator: it does not know this worker (e.g. it restarted); send HELLO again.
    public static let unknown = "unknown"

    /// `done` or `unknown` from the coordinator; free text from a leaving worker.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

/// MISSING: the epochs of an attempt the coordinator has not stored, ascending.
public struct MissingBody: Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    public var epochs: [Int]

    public init(trialID: String, attempt: Int, epochs: [Int]) {
        self.trialID = trialID
        self.attempt = attempt
        self.epochs = epochs
    }
}

public struct ErrorBody: Equatable, Sendable {
    /// What was wrong, usually a `ProtocolError` description.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
