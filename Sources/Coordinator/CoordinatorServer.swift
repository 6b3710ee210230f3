import Foundation
import SweepCore

/// The coordinator's poll loop: one ROUTER socket owned by this thread, a poll with a
/// timeout, heartbeats on the data socket, explicit state per worker (the ZeroMQ Guide's
/// Paranoid Pirate queue and Majordomo broker), and the store as the source of truth.
///
/// Each turn reads every waiting message, collects the resulting store changes, commits them
/// in one transaction, and only then sends what depends on them (tasks and
/// acknowledgements): a result a worker was told is stored, is stored.
final class CoordinatorServer {
    struct Options {
        var endpoint: String
        var heartbeatInterval = 1.0
        var liveness = 3
        var maxAttempts = 3
        /// BLAS threads each trial gets; 0 keeps each trial's own `threads`.
        var threadsPerTrial = 0
        var showProgress = true
    }

    private let options: Options
    private let store: SweepStore
    private let sweep: SweepRecord
    private let context: ZMQContext
    private let socket: ZMQSocket
    /// The endpoint actually bound (with the port filled in when asked for `:*`).
    let endpoint: String

    private var queue: TrialQueue
    private var running: [String: (attempt: Int, identity: [UInt8])] = [:]
    private var failures: [String: Int]
    private var finished: Set<String> = []
    private var failedCount = 0
    private var workers = WorkerRegistry()
    private var changes: [StoreChange] = []
    private var afterCommit: [([UInt8], Message)] = []
    private var progress = ProgressLine()
    private var best: (id: String, value: Double)?
    /// Durations of the trials finished in this run, for the ETA.
    private var trialSeconds = RunningMean()

    /// Counters for the overhead benchmark and the logs.
    private(set) var dispatched = 0
    private(set) var metricsStored = 0
    private(set) var malformedFrames = 0

    init(store: SweepStore, options: Options) throws {
        self.options = options
        self.store = store
        guard let sweep = try store.sweep() else { throw CoordinatorError.noSweep(store.path) }
        self.sweep = sweep
        let requeued = try store.requeueInterrupted()
        if requeued > 0 { Self.log("\(requeued) trial(s) interrupted by a previous run are queued again") }
        let trials = try store.trials()
        let attempts = Dictionary(uniqueKeysWithValues: trials.map { ($0.id, $0.attempts) })
        queue = TrialQueue(try store.queued().map { .init(id: $0.id, parameters: $0.parameters, attempts: attempts[$0.id] ?? 0) })
        failures = try store.failureCounts()
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .router)
        try socket.setLinger(milliseconds: 100)
        try socket.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        try socket.setRouterMandatory(true)
        try socket.setRouterHandover(true)
        try socket.bind(options.endpoint)
        endpoint = try socket.lastEndpoint
        for t in trials where ["ok", "diverged", "failed"].contains(t.status) {
            finished.insert(t.id)
            if t.status == "failed" { failedCount += 1 }
            noteBest(t.id, t.metric(sweep.metric))
        }
    }

    var isDone: Bool { queue.isEmpty && running.isEmpty }

    /// Serves until every trial is finished, then tells the workers so and returns.
    /// `check` runs every turn and may throw to stop (`run` uses it to notice that its local
    /// workers all died).
    func run(check: () throws -> Void = {}) throws {
        Self.log("sweep '\(sweep.name)': \(queue.count) trial(s) to run, \(finished.count) already finished; listening on \(endpoint)")
        let poller = Poller([socket])
        while !isDone {
            _ = try poller.poll(timeoutMilliseconds: 100)
            try turn()
            try check()
        }
        try store.apply(changes)
        changes.removeAll()
        flushAfterCommit()
        for identity in workers.peers.keys { send(.disconnect(DisconnectBody(reason: DisconnectBody.done)), to: identity) }
        showProgress(force: true)
    }

    /// One turn of the loop: read, commit, send, dispatch, heartbeat.
    func turn() throws {
        var received = 0
        while received < 10_000, let frames = try socket.receive(dontWait: true) {
            received += 1
            handle(frames)
        }
        let now = Date()
        for identity in workers.expired(at: now) {
            Self.log("worker \(workers[identity]?.hello.workerID ?? "?") silent for \(options.heartbeatInterval * Double(options.liveness)) s: presumed lost")
            dropWorker(identity, reason: "worker went silent")
        }
        dispatch()
        try store.apply(changes)
        changes.removeAll()
        flushAfterCommit()
        for identity in workers.needingHeartbeat(at: now) { send(.heartbeat, to: identity) }
        showProgress()
    }

    // MARK: - Messages

    private func handle(_ frames: [[UInt8]]) {
        let identity: [UInt8], message: Message
        do {
            (identity, message) = try MessageCodec.decode(routed: frames)
        } catch {
            malformedFrames += 1
            if malformedFrames <= 10 || malformedFrames % 1000 == 0 {
                Self.log("dropped malformed message #\(malformedFrames): \(error)")
            }
            if !error.identity.isEmpty { send(.error(ErrorBody(reason: error.description)), to: error.identity) }
            return
        }
        if case .hello(let hello) = message { return welcome(identity, hello) }
        guard var peer = workers[identity] else {
            // A worker of a previous coordinator run, or a stranger: ask it to introduce itself.
            send(.disconnect(DisconnectBody(reason: DisconnectBody.unknown)), to: identity)
            return
        }
        peer.heartbeat.heard()
        workers[identity] = peer
        switch message {
        case .ready:
            if case .busy(let attempt) = peer.state, running[attempt.trialID]?.attempt == attempt.attempt {
                attemptFailed(attempt, reason: "worker asked for work while training it", outcome: "lost")
            }
            workers[identity]?.state = .ready
        case .metric(let m):
            // The report is stored as it came: its syntax is checked, its values never read.
            changes.append(.metric(trial: m.trialID, attempt: m.attempt, epoch: m.epoch, report: m.report.text))
            metricsStored += 1
            // Metrics of a superseded attempt are kept, but its worker can stop.
            if !isCurrent(m.trialID, m.attempt, identity) {
                send(.cancel(TrialAttempt(trialID: m.trialID, attempt: m.attempt)), to: identity)
            }
        case .result(let r):
            let attempt = TrialAttempt(trialID: r.trialID, attempt: r.attempt)
            if case .busy(attempt) = peer.state { workers[identity]?.state = .idle }
            if let outcome = TrialOutcome(json: r.result.text), outcome.status != "cancelled" {
                finish(attempt, outcome)
            } else if isCurrent(r.trialID, r.attempt, identity) {
                attemptFailed(attempt, reason: "worker returned no usable result", outcome: "failed")
            }
            afterCommit.append((identity, .ack(attempt)))
        case .fail(let f):
            let attempt = TrialAttempt(trialID: f.trialID, attempt: f.attempt)
            if case .busy(attempt) = peer.state { workers[identity]?.state = .idle }
            if isCurrent(f.trialID, f.attempt, identity) {
                attemptFailed(attempt, reason: f.reason, outcome: "failed")
            }
            afterCommit.append((identity, .ack(attempt)))
        case .disconnect(let d):
            Self.log("worker \(peer.hello.workerID) left: \(d.reason)")
            dropWorker(identity, reason: "worker left: \(d.reason)")
        case .heartbeat:
            break
        case .hello, .task, .ack, .cancel, .error:
            send(.error(ErrorBody(reason: "unexpected \(message.command.rawValue) from a worker")), to: identity)
        }
    }

    /// A worker (re)introduces itself; when it says it is still training a trial, the trial
    /// is adopted (a restarted coordinator loses no work) unless it is finished or taken.
    private func welcome(_ identity: [UInt8], _ hello: HelloBody) {
        guard hello.version == vgsweepVersion else {
            // Another build may speak another dialect of the protocol: refuse it in plain words.
            Self.log("refused worker \(hello.workerID): version \(hello.version), coordinator \(vgsweepVersion)")
            send(.disconnect(DisconnectBody(reason: "version mismatch: worker \(hello.version), coordinator \(vgsweepVersion)")), to: identity)
            return
        }
        var peer = Peer(identity: identity, hello: hello, state: .idle,
                        heartbeat: Heartbeat(interval: options.heartbeatInterval, liveness: options.liveness))
        if workers[identity] == nil { Self.log("worker \(hello.workerID) joined (\(hello.host), \(hello.cores) cores)") }
        if let current = hello.current {
            if isCurrent(current.trialID, current.attempt, identity) {
                peer.state = .busy(current)
            } else if !finished.contains(current.trialID), running[current.trialID] == nil,
                      let entry = queue.remove(current.trialID) {
                running[current.trialID] = (current.attempt, identity)
                changes.append(.reattach(trial: entry.id, attempt: current.attempt, worker: hello.workerID, host: hello.host))
                peer.state = .busy(current)
                Self.log("adopted trial \(current.trialID) attempt \(current.attempt) from \(hello.workerID)")
            } else {
                send(.cancel(current), to: identity)
            }
        }
        workers[identity] = peer
    }

    private func isCurrent(_ trialID: String, _ attempt: Int, _ identity: [UInt8]) -> Bool {
        guard let r = running[trialID] else { return false }
        return r.attempt == attempt && r.identity == identity
    }

    // MARK: - Trials

    private func dispatch() {
        for identity in workers.ready {
            guard let entry = queue.pop(), let peer = workers[identity] else { break }
            let attempt = entry.attempts + 1
            running[entry.id] = (attempt, identity)
            workers[identity]?.state = .busy(TrialAttempt(trialID: entry.id, attempt: attempt))
            changes.append(.start(trial: entry.id, attempt: attempt, worker: peer.hello.workerID, host: peer.hello.host))
            let task = TaskBody(trialID: entry.id, attempt: attempt,
                                parameters: entry.parameters.map { .init($0.0, $0.1) }, threads: options.threadsPerTrial)
            afterCommit.append((identity, .task(task)))
            dispatched += 1
        }
    }

    private func finish(_ attempt: TrialAttempt, _ outcome: TrialOutcome) {
        guard !finished.contains(attempt.trialID) else { return }   // a late or duplicate result
        finished.insert(attempt.trialID)
        if let other = running.removeValue(forKey: attempt.trialID), other.attempt != attempt.attempt {
            send(.cancel(TrialAttempt(trialID: attempt.trialID, attempt: other.attempt)), to: other.identity)
            workers[other.identity]?.state = .idle
        }
        _ = queue.remove(attempt.trialID)
        changes.append(.finish(trial: attempt.trialID, attempt: attempt.attempt, outcome: outcome))
        noteBest(attempt.trialID, metric(outcome))
        if let seconds = outcome.seconds { trialSeconds.add(seconds) }
    }

    /// Counts a failed or lost attempt; the trial goes back to the front of the queue, or is
    /// failed for good after `maxAttempts`.
    private func attemptFailed(_ attempt: TrialAttempt, reason: String, outcome: String) {
        guard let r = running[attempt.trialID], r.attempt == attempt.attempt else { return }
        running[attempt.trialID] = nil
        changes.append(.attemptFailed(trial: attempt.trialID, attempt: attempt.attempt, reason: reason,
                                      outcome: outcome, maxAttempts: options.maxAttempts))
        failures[attempt.trialID, default: 0] += 1
        if failures[attempt.trialID]! >= options.maxAttempts {
            finished.insert(attempt.trialID)
            failedCount += 1
            Self.log("trial \(attempt.trialID) failed \(options.maxAttempts) times; last: \(reason)")
        } else if let parameters = try? store.parameters(of: attempt.trialID) {
            queue.pushFront(.init(id: attempt.trialID, parameters: parameters, attempts: attempt.attempt))
        }
    }

    private func dropWorker(_ identity: [UInt8], reason: String) {
        guard let peer = workers.remove(identity) else { return }
        if case .busy(let attempt) = peer.state { attemptFailed(attempt, reason: reason, outcome: "lost") }
    }

    // MARK: - Sending

    private func flushAfterCommit() {
        for (identity, message) in afterCommit { send(message, to: identity) }
        afterCommit.removeAll()
    }

    private func send(_ message: Message, to identity: [UInt8]) {
        do {
            _ = try socket.send(try MessageCodec.encode(message, to: identity), dontWait: true)
            if workers[identity] != nil { workers[identity]?.heartbeat.sent() }
        } catch let error as TransportError where error.kind == .hostUnreachable {
            dropWorker(identity, reason: "worker unreachable")
        } catch {
            Self.log("send failed: \(error)")
        }
    }

    // MARK: - Progress

    private func metric(_ outcome: TrialOutcome) -> Double? {
        switch sweep.metric {
        case "test_acc": return outcome.testAcc
        case "val_acc": return outcome.valAcc
        case "test_loss": return outcome.testLoss
        case "train_loss": return outcome.trainLoss
        default: return nil
        }
    }

    private func noteBest(_ id: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        let better = best.map { sweep.goal == "minimize" ? value < $0.value : value > $0.value } ?? true
        if better { best = (id, value) }
    }

    private func showProgress(force: Bool = false) {
        guard options.showProgress else { return }
        var counts = StatusCounts()
        counts.done = finished.count - failedCount
        counts.failed = failedCount
        counts.running = running.count
        counts.queued = queue.count
        counts.meanSeconds = trialSeconds.mean
        let (best, metric, workers) = (best, sweep.metric, workers.count)
        progress.show(counts: counts, force: force) { ProgressLine.text(counts, best: best, metric: metric, workers: workers) }
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data("[coordinator] \(text)\n".utf8))
    }
}

enum CoordinatorError: Error, CustomStringConvertible {
    case noSweep(String)
    var description: String {
        switch self {
        case .noSweep(let path): return "\(path) holds no sweep"
        }
    }
}

/// A mean kept as a sum and a count.
struct RunningMean {
    private var sum = 0.0, count = 0
    mutating func add(_ x: Double) { if x.isFinite { sum += x; count += 1 } }
    var mean: Double? { count > 0 ? sum / Double(count) : nil }
}
