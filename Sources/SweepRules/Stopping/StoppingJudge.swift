import SweepSchema

/// The decisions of a sweep's `early_terminate`: given every trial's epochs as they arrive,
/// whether a trial should stop now, which rule says so and why. A pure value (no I/O, no
/// clock, no randomness) that the coordinator's state machine keeps beside its leases.
///
/// How the machine uses it:
/// - `observe(_:)` for each METRIC it stores (after its own checks), with the sweep metric's
///   value at that epoch (`Epoch.value(of:in:)` reads it from an `EpochReport`). A decision
///   means: stop the trial (CANCEL its lease; it is not retried).
/// - `finish(_:epochs:)` when a trial's RESULT counts with status ok: it is a completed trial
///   (Optuna's COMPLETE; the median rule compares against those).
/// - `end(_:afterEpoch:)` when a trial ends otherwise: failed for good, diverged, or stopped
///   (on a restart, for the trials the store says were stopped, with the epoch they were
///   stopped at).
/// - After a restart: a fresh judge fed the stored epochs, results and ends in the order they
///   were stored reaches the same state; trials stored as stopped are `end`ed at their epoch.
///
/// The rules are combined: a trial stops when any rule says so, and the decision is the one of
/// the first rule (in the file's order) that does. Every rule sees every epoch, so each keeps
/// its own record (a rung's values, a bracket's) whatever the others decide.
///
/// Replays and order:
/// - A trial's epochs count in epoch order: an epoch that arrives before an earlier one of the
///   same trial waits for it, then both are judged in order. So a trial's own history never
///   depends on the order its reports arrive in; what it is compared with (other trials'
///   values at a bracket, a rung, the finished trials' median) is what has counted when it is
///   judged, as in W&B, Ray Tune and Optuna.
/// - The first value of an epoch counts; the same epoch again (a resent METRIC, or the next
///   attempt of a trial lost by its worker, which trains from epoch 1 again) changes nothing.
/// - Once stopped, a trial stays stopped: every later `observe` of it returns the same
///   decision, its later epochs count nowhere, and a `finish` of it changes nothing.
/// - A non-finite metric value is no value: it counts in no threshold and is never judged
///   (the median rule's one exception is Optuna's: a trial whose values are all NaN stops).
public struct StoppingJudge: Sendable, Equatable {
    public let rules: [StoppingRule]
    public let metric: Metric
    /// The number of classes: chance-level loss is ln(classes) for the vanishing rule.
    public let classes: Int

    private var trials: [String: TrialRecord] = [:]
    private var engines: [RuleEngine]
    /// Every decision, in the order they were made.
    public private(set) var decisions: [StopDecision] = []

    public init(rules: [StoppingRule], metric: Metric, classes: Int = 10) {
        self.rules = rules
        self.metric = metric
        self.classes = classes
        engines = rules.map { RuleEngine($0, metric: metric, classes: classes) }
    }

    /// False when there are no rules: the machine need not decode epoch reports at all.
    public var isActive: Bool { !rules.isEmpty }

    /// What one epoch report of a trial tells the rules.
    public struct Epoch: Sendable, Equatable {
        public var trialID: String
        /// 1-based, as in `EpochReport.epoch`.
        public var epoch: Int
        /// The sweep metric's value at this epoch; nil when the epoch report does not carry it
        /// (the rules that compare values then skip this epoch).
        public var value: Double?
        /// `grad_ratio`: the first layer's gradient norm over the head's.
        public var gradRatio: Double
        public var trainLoss: Double
        /// `saturated`: each layer's share of saturated units.
        public var saturated: [Double]
        /// The trial's epoch budget, when known: ASHA's `max_t` stops only a trial that would
        /// run past it (a trial ending at its own budget anyway is not stopped).
        public var budget: Int?

        public init(trialID: String, epoch: Int, value: Double?, gradRatio: Double = .nan, trainLoss: Double = .nan,
                    saturated: [Double] = [], budget: Int? = nil) {
            self.trialID = trialID
            self.epoch = epoch
            self.value = value
            self.gradRatio = gradRatio
            self.trainLoss = trainLoss
            self.saturated = saturated
            self.budget = budget
        }

        /// From a worker's epoch report, with the sweep metric's value read from it.
        public init(trialID: String, report: EpochReport, metric: Metric, budget: Int? = nil) {
            self.init(trialID: trialID, epoch: report.epoch, value: Self.value(of: metric.name, in: report),
                      gradRatio: report.gradRatio, trainLoss: report.trainLoss, saturated: report.saturated,
                      budget: budget)
        }

        /// The metric's value in an epoch report: nil for the metrics only a result has.
        public static func value(of name: Metric.Name, in report: EpochReport) -> Double? {
            switch name {
            case .valAcc: report.valAcc
            case .valLoss: report.valLoss
            case .trainLoss: report.trainLoss
            case .trainAcc: report.trainAcc
            case .testAcc, .testLoss: nil
            }
        }
    }

    // MARK: - Events

    /// Counts a trial's epoch; the trial's stop decision if it is stopped (now, or before:
    /// the same decision every time), nil while it goes on.
    public mutating func observe(_ epoch: Epoch) -> StopDecision? {
        guard epoch.epoch >= 1 else { return nil }
        if let known = trials[epoch.trialID] {
            if case .stopped(let decision) = known.state { return decision }
            if epoch.epoch <= known.counted || known.pending[epoch.epoch] != nil { return nil }   // a replay
            if let last = known.state.lastEpoch, epoch.epoch > last { return nil }   // after its end
        }
        // Out of the dictionary while it changes, so that nothing is copied.
        var record = trials.removeValue(forKey: epoch.trialID) ?? TrialRecord()
        if record.budget == nil { record.budget = epoch.budget }
        record.pending[epoch.epoch] = EpochFacts(epoch)
        let decision = countPending(epoch.trialID, &record)
        trials[epoch.trialID] = record
        return decision
    }

    /// The trial's RESULT counted with status ok after `epochs` epochs: a completed trial.
    public mutating func finish(_ trialID: String, epochs: Int) {
        var record = trials.removeValue(forKey: trialID) ?? TrialRecord()
        defer { trials[trialID] = record }
        guard case .running = record.state else { return }
        record.state = .finished(epochs: epochs)
        record.dropPending(after: epochs)
        for index in engines.indices { engines[index].completed(record) }
    }

    /// The trial ended without completing: failed for good, diverged, or stopped (by this
    /// judge before a restart, or otherwise). It is judged no more, and is no completed trial;
    /// its epochs after `afterEpoch` count nowhere (nil: any epoch of it still to come counts
    /// in the others' thresholds).
    public mutating func end(_ trialID: String, afterEpoch: Int?) {
        var record = trials.removeValue(forKey: trialID) ?? TrialRecord()
        defer { trials[trialID] = record }
        guard case .running = record.state else { return }
        record.state = .ended(afterEpoch: afterEpoch)
        if let afterEpoch { record.dropPending(after: afterEpoch) }
    }

    // MARK: - What it knows

    /// The trial's stop decision, if it was stopped.
    public func decision(of trialID: String) -> StopDecision? {
        if case .stopped(let decision) = trials[trialID]?.state { return decision }
        return nil
    }

    /// The epochs of the trial counted so far (1...n, no gap).
    public func countedEpochs(of trialID: String) -> Int { trials[trialID]?.counted ?? 0 }

    // MARK: - Counting

    /// Counts the trial's waiting epochs that now follow its counted ones without a gap, in
    /// order, judging each while the trial runs; stops at a decision.
    private mutating func countPending(_ trialID: String, _ record: inout TrialRecord) -> StopDecision? {
        while let facts = record.pending.removeValue(forKey: record.counted + 1) {
            record.counted += 1
            let epoch = record.counted
            record.add(epoch, facts, metric: metric)
            let judging = record.state.isRunning
            var first: StopDecision?
            for index in engines.indices {
                let step = Step(trialID: trialID, epoch: epoch, facts: facts, record: record, judging: judging)
                if let reason = engines[index].count(step), first == nil {
                    first = StopDecision(trialID: trialID, epoch: epoch, rule: rules[index], ruleIndex: index, reason: reason)
                }
            }
            if let first {
                record.state = .stopped(first)
                record.pending.removeAll()
                decisions.append(first)
                return first
            }
        }
        return nil
    }
}

/// A stop: the trial, the epoch it was judged at, the rule (and its place in the sweep's
/// list), and a sentence for people naming the rule, the numbers and the epoch.
public struct StopDecision: Sendable, Equatable, CustomStringConvertible {
    public var trialID: String
    public var epoch: Int
    public var rule: StoppingRule
    public var ruleIndex: Int
    public var reason: String

    public init(trialID: String, epoch: Int, rule: StoppingRule, ruleIndex: Int, reason: String) {
        self.trialID = trialID
        self.epoch = epoch
        self.rule = rule
        self.ruleIndex = ruleIndex
        self.reason = reason
    }

    public var description: String { "trial \(trialID) stopped at epoch \(epoch): \(reason)" }
}

// MARK: - The judge's parts

/// One epoch as the rules need it.
struct EpochFacts: Sendable, Equatable {
    var value: Double?
    var gradRatio: Double
    var trainLoss: Double
    /// The largest layer's saturated share (NaN when the report has none).
    var maxSaturated: Double

    init(_ epoch: StoppingJudge.Epoch) {
        value = epoch.value
        gradRatio = epoch.gradRatio
        trainLoss = epoch.trainLoss
        maxSaturated = epoch.saturated.max() ?? .nan
    }

    /// Bit for bit, so that an epoch with NaN equals itself (the judge is compared whole).
    static func == (a: Self, b: Self) -> Bool {
        a.value?.bitPattern == b.value?.bitPattern && a.gradRatio.bitPattern == b.gradRatio.bitPattern
            && a.trainLoss.bitPattern == b.trainLoss.bitPattern && a.maxSaturated.bitPattern == b.maxSaturated.bitPattern
    }
}

/// What the judge knows of one trial.
struct TrialRecord: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case running
        case finished(epochs: Int)
        case ended(afterEpoch: Int?)
        case stopped(StopDecision)

        var isRunning: Bool { if case .running = self { true } else { false } }

        /// The last epoch that may still count.
        var lastEpoch: Int? {
            switch self {
            case .running: nil
            case .finished(let epochs): epochs
            case .ended(let afterEpoch): afterEpoch
            case .stopped(let decision): decision.epoch
            }
        }
    }

    var state = State.running
    var budget: Int?
    /// Epochs 1...counted, counted in order.
    var counted = 0
    var history: [Int: EpochFacts] = [:]
    /// Epochs received after a gap, waiting for the earlier ones.
    var pending: [Int: EpochFacts] = [:]
    /// The best finite value over the counted epochs (W&B's history keeps only finite ones).
    var bestFinite: Double?
    /// The best value that is not NaN (Optuna's nanmin / nanmax), and whether any value came.
    var bestNotNaN: Double?
    var sawValue = false

    mutating func add(_ epoch: Int, _ facts: EpochFacts, metric: Metric) {
        history[epoch] = facts
        guard let value = facts.value else { return }
        sawValue = true
        if !value.isNaN, bestNotNaN.map({ metric.isBetter(value, than: $0) }) ?? true { bestNotNaN = value }
        if value.isFinite, bestFinite.map({ metric.isBetter(value, than: $0) }) ?? true { bestFinite = value }
    }

    mutating func dropPending(after epoch: Int) {
        pending = pending.filter { $0.key <= epoch }
    }

    func value(at epoch: Int) -> Double? { history[epoch]?.value }
}

/// A counted epoch, as each rule sees it: `record` already holds it; `judging` is false for an
/// epoch of a trial that has ended (it counts in the rules' records but nobody is judged).
struct Step {
    let trialID: String
    let epoch: Int
    let facts: EpochFacts
    let record: TrialRecord
    let judging: Bool
}

/// One rule with what it has recorded (exactly one of the engines is set; they mutate in
/// place through the optional).
struct RuleEngine: Sendable, Equatable {
    var hyperband: HyperbandEngine?
    var asha: ASHAEngine?
    var median: MedianEngine?
    var vanishing: VanishingEngine?
    var saturated: SaturatedEngine?

    init(_ rule: StoppingRule, metric: Metric, classes: Int) {
        switch rule {
        case .hyperband(let r): hyperband = HyperbandEngine(r, metric: metric)
        case .asha(let r): asha = ASHAEngine(r, metric: metric)
        case .median(let r): median = MedianEngine(r, metric: metric)
        case .vanishing(let r): vanishing = VanishingEngine(r, classes: classes)
        case .saturated(let r): saturated = SaturatedEngine(r)
        }
    }

    /// Records the step; the reason to stop the trial, if it is judged and should stop.
    mutating func count(_ step: Step) -> String? {
        if hyperband != nil { return hyperband!.count(step) }
        if asha != nil { return asha!.count(step) }
        if median != nil { return median!.count(step) }
        if let vanishing { return vanishing.count(step) }
        if let saturated { return saturated.count(step) }
        return nil
    }

    /// The trial completed (its record holds its counted epochs and its final epoch count).
    mutating func completed(_ record: TrialRecord) {
        if median != nil { median!.completed(record) }
    }
}
