import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// A `SweepMachine` driven by hand: peers that say things at chosen times, and what the
/// machine answered, so that each rule's test reads as a short dialogue.
struct Harness {
    var machine: SweepMachine
    var now = 0.0
    /// Everything the machine asked for since the last `take()`.
    var effects = Effects()

    init(trials: [RecoveredTrial], settings: SweepMachine.Settings = Harness.settings, source: (any TrialSource)? = nil) {
        var effects = Effects()
        machine = SweepMachine(trials: trials, settings: settings, source: source, now: 0, effects: &effects)
        self.effects = effects
    }

    /// Three trials of 3 epochs, none started.
    init(count: Int = 3, epochs: Int = 3, settings: SweepMachine.Settings = Harness.settings) {
        self.init(trials: (1...count).map { Harness.trial("t\($0)", epochs: epochs) }, settings: settings)
    }

    static var settings: SweepMachine.Settings {
        var s = SweepMachine.Settings()
        s.heartbeatInterval = 1
        s.liveness = 3
        s.maxAttempts = 3
        s.progressTimeout = 60
        s.adoptionGrace = 30
        return s
    }

    static func trial(_ id: String, epochs: Int = 3, status: TrialStatus = .queued, attempts: Int = 0,
                      history: [RecoveredTrial.PastAttempt] = [], stored: Set<Int> = []) -> RecoveredTrial {
        RecoveredTrial(id: id, parameters: [.init("epochs", "\(epochs)")], epochBudget: epochs, status: status,
                       attempts: attempts, history: history, storedEpochs: stored)
    }

    // MARK: Saying things

    /// `peer` is the connection (routing id); `key` the CURVE key it proved, if any.
    mutating func say(_ peer: String, _ message: Message, key: String? = nil) {
        machine.handle(.message(PeerID(peer), message, key: key, at: now), into: &effects)
    }

    /// HELLO from connection `peer`, by the worker named `name` (the connection's own name
    /// unless told otherwise).
    mutating func hello(_ peer: String, name: String? = nil, key: String? = nil, current: TrialAttempt? = nil,
                        version: String = vgsweepVersion) {
        say(peer, .hello(HelloBody(workerID: name ?? peer, host: "host-\(peer)", cores: 2, pid: 1, version: version,
                                   current: current)), key: key)
    }

    /// HELLO then READY: returns the TASK it got, if any.
    @discardableResult
    mutating func join(_ peer: String) -> TaskBody? {
        hello(peer)
        say(peer, .ready)
        return tasks(to: peer).last
    }

    mutating func metric(_ peer: String, _ trial: String, attempt: Int = 1, epoch: Int, key: String? = nil) {
        say(peer, .metric(MetricBody(trialID: trial, attempt: attempt, epoch: epoch,
                                     report: try! JSONPayload(text: #"{"epoch":\#(epoch),"type":"epoch"}"#))), key: key)
    }

    mutating func result(_ peer: String, _ trial: String, attempt: Int = 1, epochs: Int = 3, status: String = "ok",
                         valAcc: Double = 0.5, key: String? = nil) {
        let json = #"{"epochs":\#(epochs),"samples_per_s":1000,"seconds":2.5,"status":"\#(status)","test_acc":0.5,"#
            + #""test_loss":1.0,"train_loss":1.0,"type":"result","val_acc":\#(valAcc)}"#
        say(peer, .result(ResultBody(trialID: trial, attempt: attempt, result: try! JSONPayload(text: json))), key: key)
    }

    /// Every epoch report, then the result: a trial trained well.
    mutating func train(_ peer: String, _ task: TaskBody, epochs: Int = 3) {
        for e in 1...epochs { metric(peer, task.trialID, attempt: task.attempt, epoch: e) }
        result(peer, task.trialID, attempt: task.attempt, epochs: epochs)
    }

    mutating func tick(after seconds: Double) {
        now += seconds
        machine.handle(.tick(at: now), into: &effects)
    }

    // MARK: Reading the answers

    /// The effects so far, cleared.
    mutating func take() -> Effects {
        defer { effects.removeAll() }
        return effects
    }

    func messages(to peer: String) -> [Message] {
        effects.messages.filter { $0.0 == PeerID(peer) }.map(\.1)
    }

    func tasks(to peer: String) -> [TaskBody] {
        messages(to: peer).compactMap { if case .task(let t) = $0 { t } else { nil } }
    }

    func errors(to peer: String) -> [String] {
        messages(to: peer).compactMap { if case .error(let e) = $0 { e.reason } else { nil } }
    }

    var changes: [StoreChange] { effects.changes }

    var finishes: [TrialAttempt] {
        effects.changes.compactMap { if case .finish(let a, _) = $0 { a } else { nil } }
    }
}
