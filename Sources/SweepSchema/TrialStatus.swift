/// Where a trial is in its life. Stored as its raw value in `trial.status`.
///
/// queued -> running -> ok | diverged (a result counted), stopped (an `early_terminate` rule
/// ended it), or back to queued (an attempt failed or was lost) or failed (attempts exhausted).
public enum TrialStatus: String, CaseIterable, Sendable, Codable {
    /// Waiting for a worker.
    case queued
    /// Leased to a worker.
    case running
    /// Finished with a result.
    case ok
    /// Finished: the loss became NaN or infinite; the numbers are those of the last good epoch.
    case diverged
    /// Every attempt failed; `message` lists why.
    case failed
    /// An `early_terminate` rule ended it (`message` names the rule and the epoch); its numbers
    /// are those of its last epoch, and it ranks by them.
    case stopped

    /// Nothing more will happen to it.
    public var isFinished: Bool { self != .queued && self != .running }

    /// It ended with numbers that rank (ok, diverged, or stopped early).
    public var hasResult: Bool { self == .ok || self == .diverged || self == .stopped }
}

/// How one attempt at a trial ended. Stored as its raw value in `attempt.outcome`; an attempt
/// still leased has none.
public enum AttemptOutcome: String, CaseIterable, Sendable, Codable {
    /// Its result counted: the trial is ok.
    case ok
    /// Its result counted: the trial diverged.
    case diverged
    /// The worker said it could not train it, or sent a result that breaks the schema.
    case failed
    /// The worker went silent, left, restarted, or made no progress before the deadline.
    case lost
    /// The coordinator no longer wanted it (another attempt finished the trial).
    case cancelled
    /// The coordinator restarted while it ran; its worker may still bring it back.
    case interrupted
    /// An `early_terminate` rule stopped it: the trial ends `stopped` with its epochs so far.
    case stopped

    /// Failed and lost attempts count against `max_attempts`.
    public var countsAgainstRetries: Bool { self == .failed || self == .lost }
}
