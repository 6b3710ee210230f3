import SweepSchema
import SweepWire

/// One change the rules ask the store to make. The coordinator collects a turn's changes,
/// commits them in one transaction, and only then sends the turn's messages: whatever a
/// worker is told was stored, was stored.
///
/// Every decision is already made here (which status a trial takes, what its message says);
/// the store only writes it down.
public enum StoreChange: Equatable, Sendable {
    /// A new attempt leased to a worker: an attempt row, and the trial `running`.
    case start(TrialAttempt, worker: WorkerIdentity, host: String)
    /// An interrupted attempt taken back by the worker still training it after a restart:
    /// the attempt row reopened, the trial `running` again.
    case adopt(TrialAttempt, worker: WorkerIdentity, host: String)
    /// One epoch report, stored as it came.
    case metric(TrialAttempt, epoch: Int, report: String)
    /// The attempt's result counts: the attempt ends with `outcome.status`, the trial takes its
    /// numbers and status (ok or diverged).
    case finish(TrialAttempt, TrialOutcome)
    /// The attempt ended without a result (failed or lost): its row ends with `outcome` and
    /// `reason`; the trial becomes `trial` (queued for another attempt, or failed for good)
    /// with `message` (every counted failure's reason, oldest first).
    case endAttempt(TrialAttempt, AttemptOutcome, reason: String, trial: TrialStatus, message: String)
    /// After a restart: the attempt that was running ends `interrupted`, its trial is queued.
    case interrupt(TrialAttempt)
    /// A trial a `TrialSource` made (random and bayes sweeps), registered queued at `ordinal`.
    case create(NewTrial, ordinal: Int)
    /// An `early_terminate` rule stopped the attempt: it ends `stopped` with `reason`, and the
    /// trial ends `stopped` with the numbers of its last stored epoch.
    case stop(TrialAttempt, reason: String, last: LastEpoch)
}

/// What a stopped trial keeps of its last epoch: the numbers it ranks by.
public struct LastEpoch: Sendable, Equatable {
    public var epoch: Int
    public var valAcc: Double?
    public var trainLoss: Double?

    public init(epoch: Int, valAcc: Double?, trainLoss: Double?) {
        self.epoch = epoch
        self.valAcc = valAcc
        self.trainLoss = trainLoss
    }
}

/// A trial as the store holds it, to rebuild the rules' state after a restart.
public struct RecoveredTrial: Sendable, Equatable {
    public var id: String
    public var parameters: [TaskBody.Parameter]
    /// The most epochs it may run (`TrialConfig.epochBudget`).
    public var epochBudget: Int
    public var status: TrialStatus
    /// Attempts started so far; the next is `attempts + 1`.
    public var attempts: Int
    /// Every attempt row, in order.
    public var history: [PastAttempt]
    /// The epochs stored for the attempt that was running (`status == .running`), so the
    /// worker that brings it back only resends what is missing.
    public var storedEpochs: Set<Int>
    /// The sweep metric's value once finished (nil: none), for a `TrialSource`.
    public var objective: Double?
    /// The epoch reports of its last attempt, in epoch order, when the sweep has
    /// `early_terminate` rules (they judge each trial against the others' epochs).
    public var reports: [String]

    public init(id: String, parameters: [TaskBody.Parameter], epochBudget: Int, status: TrialStatus,
                attempts: Int, history: [PastAttempt] = [], storedEpochs: Set<Int> = [], objective: Double? = nil,
                reports: [String] = []) {
        self.id = id
        self.parameters = parameters
        self.epochBudget = epochBudget
        self.status = status
        self.attempts = attempts
        self.history = history
        self.storedEpochs = storedEpochs
        self.objective = objective
        self.reports = reports
    }

    /// One attempt row: who ran it and how it ended (nil: still open when the coordinator died).
    public struct PastAttempt: Sendable, Equatable {
        public var attempt: Int
        public var worker: WorkerIdentity
        public var outcome: AttemptOutcome?
        public var reason: String?

        public init(attempt: Int, worker: WorkerIdentity, outcome: AttemptOutcome?, reason: String?) {
            self.attempt = attempt
            self.worker = worker
            self.outcome = outcome
            self.reason = reason
        }
    }
}
