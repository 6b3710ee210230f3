import Foundation
import GRDB

/// The sweep as stored: enough to rank results and to refuse mixing two sweeps in one file.
struct SweepRecord: Equatable {
    var name: String
    var spec: String
    var metric: String
    var goal: String
    var maxAttempts: Int
}

/// A trial as registered from the spec.
struct TrialRecord {
    var id: String
    var configID: String
    var name: String
    var ordinal: Int
    var parameters: [(String, String)]
    var swept: [(String, String)]
}

struct QueuedTrial {
    var id: String
    var parameters: [(String, String)]
}

/// The final numbers of a trial as a worker reported them.
struct TrialOutcome {
    var status: String
    var testAcc: Double?, valAcc: Double?, testLoss: Double?, trainLoss: Double?
    var epochs: Int?
    var seconds: Double?
    var samplesPerS: Double?
    var message: String?
    /// The result object as received, kept whole.
    var json: String

    /// Reads a worker's result object; nil when it is not one.
    init?(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let status = object["status"] as? String else { return nil }
        self.status = status
        testAcc = object["test_acc"] as? Double
        valAcc = object["val_acc"] as? Double
        testLoss = object["test_loss"] as? Double
        trainLoss = object["train_loss"] as? Double
        epochs = object["epochs"] as? Int
        seconds = object["seconds"] as? Double
        samplesPerS = object["samples_per_s"] as? Double
        message = object["message"] as? String
        self.json = json
    }
}

/// One change to the store; a poll-loop turn applies its changes in one transaction.
enum StoreChange {
    case start(trial: String, attempt: Int, worker: String, host: String)
    case reattach(trial: String, attempt: Int, worker: String, host: String)
    case metric(trial: String, attempt: Int, epoch: Int, report: String)
    case finish(trial: String, attempt: Int, outcome: TrialOutcome)
    /// outcome: "failed" (the worker said so) or "lost" (the worker went silent or left).
    case attemptFailed(trial: String, attempt: Int, reason: String, outcome: String, maxAttempts: Int)
}

struct StatusCounts: Equatable {
    var done = 0, running = 0, queued = 0, failed = 0
    var meanSeconds: Double?
    var total: Int { done + running + queued + failed }
}

/// A trial row as `results` prints it.
struct StoredTrial {
    var id: String, configID: String, name: String, ordinal: Int
    var parameters: [(String, String)]
    var swept: [(String, String)]
    var status: String
    var attempts: Int
    var host: String?
    var seconds: Double?
    var testAcc: Double?, valAcc: Double?, testLoss: Double?, trainLoss: Double?
    var epochs: Int?
    var message: String?

    init(row: Row) {
        id = row["id"]; configID = row["config_id"]; name = row["name"]; ordinal = row["ordinal"]
        parameters = decodePairs(row["parameters"]); swept = decodePairs(row["swept"])
        status = row["status"]; attempts = row["attempts"]; host = row["host"]; seconds = row["seconds"]
        testAcc = row["test_acc"]; valAcc = row["val_acc"]; testLoss = row["test_loss"]; trainLoss = row["train_loss"]
        epochs = row["epochs"]; message = row["message"]
    }

    func metric(_ name: String) -> Double? {
        switch name {
        case "test_acc": return testAcc
        case "val_acc": return valAcc
        case "test_loss": return testLoss
        case "train_loss": return trainLoss
        default: return nil
        }
    }
}
