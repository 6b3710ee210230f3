import Foundation

/// The commands of wire protocol v1 (docs/protocol.md), as they appear in frame 1.
public enum Command: String, CaseIterable, Sendable {
    case hello = "HELLO", ready = "READY", task = "TASK", metric = "METRIC", result = "RESULT"
    case fail = "FAIL", ack = "ACK", heartbeat = "HEARTBEAT", cancel = "CANCEL"
    case disconnect = "DISCONNECT", error = "ERROR"
}

/// One protocol message: a command and its body. `MessageCodec` turns it into frames and back.
///
/// Bodies are small Codable structs whose JSON keys are snake_case. Unknown keys are ignored
/// on decoding, so a later version may add optional fields without breaking v1 peers.
public enum Message: Equatable, Sendable {
    /// worker → coordinator: (re)register; `current` names a trial still in training.
    case hello(HelloBody)
    /// worker → coordinator: give me a trial.
    case ready
    /// coordinator → worker: train this trial.
    case task(TaskBody)
    /// worker → coordinator: one epoch's report.
    case metric(MetricBody)
    /// worker → coordinator: the trial's final result.
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
    /// coordinator → worker: your last message was malformed.
    case error(ErrorBody)

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
        }
    }

    /// The trial attempt a message is about, if any (handy for logs and stale-message checks).
    public var trialAttempt: TrialAttempt? {
        switch self {
        case .task(let b): TrialAttempt(trialID: b.trialID, attempt: b.attempt)
        case .metric(let b): TrialAttempt(trialID: b.trialID, attempt: b.attempt)
        case .result(let b): TrialAttempt(trialID: b.trialID, attempt: b.attempt)
        case .fail(let b): TrialAttempt(trialID: b.trialID, attempt: b.attempt)
        case .ack(let t), .cancel(let t): t
        case .hello(let b): b.current
        case .ready, .heartbeat, .disconnect, .error: nil
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

public struct HelloBody: Codable, Equatable, Sendable {
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

    enum CodingKeys: String, CodingKey {
        case workerID = "worker_id", host, cores, pid, version, current
    }
}

public struct TaskBody: Codable, Equatable, Sendable {
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

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt, parameters, threads }

    /// One `key=value`, encoded as a two-string JSON array to keep the order of a trial's list.
    public struct Parameter: Codable, Equatable, Sendable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            var array = try decoder.unkeyedContainer()
            guard array.count == 2 else {
                throw DecodingError.typeMismatch([String].self, .init(
                    codingPath: decoder.codingPath, debugDescription: "expected [key, value]"))
            }
            key = try array.decode(String.self)
            value = try array.decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var array = encoder.unkeyedContainer()
            try array.encode(key)
            try array.encode(value)
        }
    }
}

public struct MetricBody: Codable, Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    /// One epoch report, passed through as JSON (the coordinator stores `epoch.jsonText`).
    public var epoch: JSONObject

    public init(trialID: String, attempt: Int, epoch: JSONObject) {
        self.trialID = trialID
        self.attempt = attempt
        self.epoch = epoch
    }

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt, epoch }
}

public struct ResultBody: Codable, Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    /// The final result, passed through as JSON like `MetricBody.epoch`.
    public var result: JSONObject

    public init(trialID: String, attempt: Int, result: JSONObject) {
        self.trialID = trialID
        self.attempt = attempt
        self.result = result
    }

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt, result }
}

public struct FailBody: Codable, Equatable, Sendable {
    public var trialID: String
    public var attempt: Int
    public var reason: String

    public init(trialID: String, attempt: Int, reason: String) {
        self.trialID = trialID
        self.attempt = attempt
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case trialID = "trial_id", attempt, reason }
}

public struct DisconnectBody: Codable, Equatable, Sendable {
    /// From the coordinator: the sweep is finished, exit with status 0.
    public static let done = "done"
    /// From the coordinator: it does not know this worker (e.g. it restarted); send HELLO again.
    public static let unknown = "unknown"

    /// `done` or `unknown` from the coordinator; free text from a leaving worker.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

public struct ErrorBody: Codable, Equatable, Sendable {
    /// What was wrong, usually a `ProtocolError` description.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

// MARK: - Raw JSON

/// A JSON object carried through the protocol without interpreting it (epoch reports, results).
public typealias JSONObject = [String: JSONValue]

/// Any JSON value, so SweepCore can carry MLPKit's reports without depending on their types.
///
/// Numbers are Doubles: integers are exact up to 2^53. JSON has no NaN or infinity; they travel
/// as the strings "nan", "inf" and "-inf", as in the worker's JSON-lines output.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // The decoder cannot say which kind comes next, so try them, most common first.
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode(JSONObject.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n) where n.isNaN: try container.encode("nan")
        case .number(let n) where n.isInfinite: try container.encode(n > 0 ? "inf" : "-inf")
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Converts any Encodable that encodes as a JSON object, e.g. an `EpochReport`.
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try JSONDecoder().decode(JSONObject.self, from: encoder.encode(value))
    }

    /// Reads the object back as a Decodable type, e.g. the coordinator reading an `EpochReport`.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(type, from: JSONEncoder().encode(self))
    }

    /// Compact JSON text with sorted keys (deterministic), e.g. for storing in a database.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Cannot fail: JSONValue encodes every value, non-finite numbers included.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
