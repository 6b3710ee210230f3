import Collections
import SweepSchema
import SweepWire

/// The coordinator's rules as one value: which worker holds which trial (its lease), what a
/// message from a worker may change, when an attempt is lost, retried or failed for good, and
/// when the sweep is done. No sockets and no SQLite: given an `Event`, it updates itself and
/// appends to `Effects` the store changes to commit and the messages to send after the
/// commit. The coordinator's poll loop only carries them out.
///
/// The rules (docs/architecture.md has them as a table, with the test of each):
/// - A METRIC, RESULT or FAIL counts only from the peer holding that attempt's lease. The same
///   peer's superseded attempt is answered ACK (RESULT, FAIL) or CANCEL (METRIC) and changes
///   nothing; anything else gets ERROR and changes nothing; an unregistered peer gets
///   DISCONNECT unknown.
/// - A trial id outside the sweep is refused; a RESULT must pass `TrialOutcome`'s schema and
///   a METRIC's epoch must be within the trial's budget.
/// - A RESULT counts only once every epoch it claims is stored: otherwise MISSING names the
///   epochs to resend, and nothing changes.
/// - A HELLO without `current` (or with another trial) from a peer holding a lease gives the
///   lease back; a READY from it too.
/// - A lease is lost when its peer is silent for `liveness` heartbeats, leaves, cannot be
///   reached, or sends no METRIC for `progressDeadline` (heartbeats alone do not keep it).
/// - A lost or failed attempt sends the trial back to the front of the queue, until
///   `maxAttempts` strikes fail it for good. Every FAIL is a strike; a loss is a strike once
///   per worker, so one client leaving over and over cannot fail a trial by itself.
/// - After a restart the trials that were running wait `adoptionGrace` seconds for their
///   workers to come back and say (HELLO `current`, or the attempt's RESULT) they still have
///   them, before they are handed out again.
/// - Every event is replay-safe: the same message twice changes nothing the second time.
public struct SweepMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Seconds between heartbeats to each worker.
        public var heartbeatInterval = 1.0
        /// Heartbeat intervals a worker may stay silent before it is presumed lost.
        public var liveness = 3
        /// Strikes (see the type's rules) before a trial is failed for good.
        public var maxAttempts = 3
        /// A lease with no METRIC (or RESULT) for this long is lost, whatever the heartbeats
        /// say; after its first epochs the bound grows to `progressFactor` times the longest
        /// wait between two of its reports, so a slow trial is never cut for being slow.
        public var progressTimeout = 1800.0
        public var progressFactor = 10.0
        /// How long trials interrupted by a restart wait for their workers to come back.
        public var adoptionGrace = 40.0
        /// BLAS threads each TASK asks for; 0 keeps each trial's own `threads`.
        public var threadsPerTrial = 0
        /// The worker version accepted in HELLO.
        public var version = vgsweepVersion
        /// What the sweep ranks by: the objective a `TrialSource` is told, the value the
        /// `stopping` rules compare.
        public var metric = Metric()
        /// The sweep file's `early_terminate` rules (none: every trial runs to its end).
        public var stopping: [StoppingRule] = []

        public init() {}
    }

    /// What happens to the machine.
    public enum Event: Sendable {
        /// A well-formed message from the connection `PeerID`; `key` is the public key that
        /// connection proved in its CURVE handshake (nil without keys).
        case message(PeerID, Message, key: String? = nil, at: Double)
        /// A send to this peer failed: its connection is gone.
        case unreachable(PeerID, at: Double)
        /// Time passes: heartbeats, expiries, deadlines, the end of the adoption grace.
        case tick(at: Double)
    }

    public let settings: Settings
    private var trials: [String: Trial] = [:]
    /// Trials waiting for a worker, in sweep order; a retried one goes to the front.
    private var queue: Deque<String> = []
    /// Trials interrupted by a restart, waiting for their workers until `graceEnds`.
    private var awaitingAdoption: OrderedSet<String> = []
    private var graceEnds: Double
    private var leases: [String: Lease] = [:]
    private var peers: [PeerID: Peer] = [:]
    /// Peers that sent READY, in order; entries that are no longer ready are skipped.
    private var ready: Deque<PeerID> = []
    /// Who held each attempt started or recovered: tells a superseded attempt of the same
    /// peer (answered quietly) from a forged one (refused).
    private var holders: [TrialAttempt: WorkerIdentity] = [:]
    private var lastTick = -Double.infinity
    public private(set) var finishedCount = 0
    public private(set) var failedCount = 0
    /// Finished trials an `early_terminate` rule stopped (counted in `finishedCount` too).
    public private(set) var stoppedCount = 0
    /// Makes the trials of random and bayes sweeps as workers ask (nil: every trial exists).
    private let source: (any TrialSource)?
    /// Every trial in order of creation, as the source sees them; `sourced[id]` is its index.
    private var history: [SourcedTrial] = []
    private var sourced: [String: Int] = [:]
    /// The source said it has nothing more to offer.
    private var sourceExhausted = false
    /// Decides which trials an `early_terminate` rule stops, from every trial's epochs.
    private var judge: StoppingJudge
    /// A trial reached the metric's `target`: nothing more is handed out, and the sweep ends
    /// once the trials running finish (the others stay queued).
    public private(set) var targetReached = false

    /// A machine for the trials of a store, as the store holds them (a fresh sweep, or one
    /// whose coordinator died): trials that were running end `interrupted` and wait for their
    /// workers for `adoptionGrace`.
    public init(trials recovered: [RecoveredTrial], settings: Settings = Settings(), source: (any TrialSource)? = nil,
                now: Double, effects: inout Effects) {
        self.settings = settings
        self.source = source
        judge = StoppingJudge(rules: settings.stopping, metric: settings.metric)
        graceEnds = now + settings.adoptionGrace
        for r in recovered {
            if source != nil {
                sourced[r.id] = history.count
                history.append(SourcedTrial(id: r.id, parameters: r.parameters,
                                            objective: r.status.isFinished ? r.objective ?? .nan : nil))
            }
            var trial = Trial(parameters: r.parameters, budget: r.epochBudget, status: r.status, attempts: r.attempts)
            for past in r.history {
                holders[TrialAttempt(trialID: r.id, attempt: past.attempt)] = past.worker
                if let outcome = past.outcome, outcome.countsAgainstRetries {
                    trial.strike(outcome, worker: past.worker, attempt: past.attempt, reason: past.reason ?? outcome.rawValue)
                }
            }
            switch r.status {
            case .queued:
                queue.append(r.id)
            case .running:
                trial.status = .queued
                if let open = r.history.last(where: { $0.attempt == r.attempts }) {
                    trial.adoptable = Adoptable(attempt: r.attempts, worker: open.worker, epochs: r.storedEpochs, progress: nil)
                    effects.changes.append(.interrupt(TrialAttempt(trialID: r.id, attempt: r.attempts)))
                    awaitingAdoption.append(r.id)
                } else {
                    queue.append(r.id)
                }
            case .ok, .diverged:
                finishedCount += 1
            case .stopped:
                finishedCount += 1
                stoppedCount += 1
            case .failed:
                finishedCount += 1
                failedCount += 1
            }
            trials[r.id] = trial
            if judge.isActive { replay(r) }
            if r.status.hasResult, let value = r.objective, settings.metric.reachesTarget(value) { targetReached = true }
        }
    }

    /// Gives the judge what a trial did before the restart: its last attempt's epochs (in trial
    /// order, each trial's in epoch order: ASHA's rungs may fill in another order than they did
    /// live), then how it ended.
    private mutating func replay(_ r: RecoveredTrial) {
        for text in r.reports {
            guard let report = try? SchemaCoding.decode(EpochReport.self, from: text) else { continue }
            _ = judge.observe(StoppingJudge.Epoch(trialID: r.id, report: report, metric: settings.metric, budget: r.epochBudget))
        }
        switch r.status {
        case .ok: judge.finish(r.id, epochs: r.reports.count)
        case .diverged, .stopped: judge.end(r.id, afterEpoch: r.reports.count)
        case .failed: judge.end(r.id, afterEpoch: nil)
        case .queued, .running: break
        }
    }

    // MARK: - What the coordinator shows

    /// Every trial has finished (with a result, or failed for good) and no more will be made;
    /// or the metric's target was reached and nothing runs any more.
    public var isDone: Bool { (finishedCount == trials.count && !canCreate) || (targetReached && leases.isEmpty) }
    public var runningCount: Int { leases.count }
    /// Trials waiting for a worker, with those a source has yet to make.
    public var queuedCount: Int { trials.count - finishedCount - leases.count + (canCreate ? source!.budget - trials.count : 0) }
    /// A source may still make trials.
    private var canCreate: Bool { source.map { !sourceExhausted && trials.count < $0.budget } ?? false }
    public var workerCount: Int { peers.count }
    public var registeredPeers: [PeerID] { Array(peers.keys) }
    public func lease(of trialID: String) -> (attempt: Int, peer: PeerID)? {
        leases[trialID].map { ($0.attempt, $0.peer) }
    }
    public func status(of trialID: String) -> TrialStatus? { trials[trialID]?.status }

    // MARK: - Events

    public mutating func handle(_ event: Event, into effects: inout Effects) {
        switch event {
        case .message(let peer, let message, let key, let now): receive(message, from: peer, key: key, at: now, &effects)
        case .unreachable(let peer, let now): drop(peer, reason: "worker unreachable", at: now, &effects)
        case .tick(let now): tick(now, &effects)
        }
    }

    private mutating func receive(_ message: Message, from id: PeerID, key: String?, at now: Double, _ effects: inout Effects) {
        if isDone {
            // The sweep is over: whoever speaks is told so, and nothing changes.
            if case .disconnect = message { return }
            send(.disconnect(DisconnectBody(reason: DisconnectBody.done)), to: id, at: now, &effects)
            return
        }
        if let peer = peers[id], peer.identity.key != key {
            // The routing id now belongs to a connection with another key (a client took it
            // over): whoever registered it is gone from here, and this one has to register.
            effects.notes.append("connection \(id) of worker \(peer.identity) now speaks with another key: dropped")
            drop(id, reason: "its connection was taken over by another key", at: now, &effects)
        }
        if case .hello(let hello) = message {
            return welcome(id, WorkerIdentity(name: hello.workerID, key: key), hello, at: now, &effects)
        }
        guard peers[id] != nil else {
            if case .disconnect = message { return }
            // A worker of a previous coordinator, or a stranger: introduce yourself first.
            send(.disconnect(DisconnectBody(reason: DisconnectBody.unknown)), to: id, at: now, &effects)
            return
        }
        peers[id]!.lastHeard = now
        switch message {
        case .ready:
            if let held = peers[id]!.lease {
                lose(held, reason: "worker asked for work while holding it", cancel: false, at: now, &effects)
            }
            if !peers[id]!.ready {
                peers[id]!.ready = true
                ready.append(id)
            }
            dispatch(at: now, &effects)
        case .metric(let m):
            metric(m, from: id, at: now, &effects)
        case .result(let r):
            result(r, from: id, at: now, &effects)
        case .fail(let f):
            fail(f, from: id, at: now, &effects)
        case .heartbeat:
            break
        case .disconnect(let d):
            drop(id, reason: "worker left: \(d.reason)", at: now, &effects)
        case .hello, .task, .ack, .cancel, .error, .missing:
            send(.error(ErrorBody(reason: "unexpected \(message.command.rawValue) from a worker")), to: id, at: now, &effects)
        }
    }

    /// A worker (re)introduces itself. The same identity on another connection is the same
    /// worker reconnected: its state moves to this one. A lease it holds survives only if
    /// `current` names it; a trial it still trains after a restart is adopted if its lease is
    /// free and the attempt was this worker's.
    private mutating func welcome(_ id: PeerID, _ identity: WorkerIdentity, _ hello: HelloBody, at now: Double,
                                  _ effects: inout Effects) {
        if let registered = peers[id], registered.identity != identity {
            drop(id, reason: "its connection now speaks for worker \(identity)", at: now, &effects)
        }
        if let (old, peer) = peers.first(where: { $0.key != id && $0.value.identity == identity }) {
            peers[old] = nil
            peers[id] = Peer(identity: identity, hello: peer.hello, lastHeard: now, lastSent: peer.lastSent,
                             lease: peer.lease, ready: false)
            if let held = peer.lease { leases[held]?.peer = id }
        }
        guard hello.version == settings.version else {
            drop(id, reason: "worker of another version", at: now, &effects)
            effects.notes.append("refused worker \(hello.workerID): version \(hello.version), coordinator \(settings.version)")
            send(.disconnect(DisconnectBody(reason: "version mismatch: worker \(hello.version), coordinator \(settings.version)")),
                 to: id, at: now, &effects)
            return
        }
        var kept: String?
        if let held = peers[id]?.lease {
            if let current = hello.current, current.trialID == held, leases[held]?.attempt == current.attempt {
                kept = held
            } else {
                lose(held, reason: "worker re-registered without it", cancel: false, at: now, &effects)
            }
        }
        if peers[id] == nil { effects.notes.append("worker \(identity) joined (\(hello.host), \(hello.cores) cores)") }
        peers[id] = Peer(identity: identity, hello: hello, lastHeard: now, lastSent: peers[id]?.lastSent ?? -.infinity, lease: kept, ready: false)
        if let current = hello.current, kept == nil {
            if holds(current, id, at: now, &effects) {
                effects.notes.append("adopted trial \(current.trialID) attempt \(current.attempt) from \(hello.workerID)")
            } else {
                send(.cancel(current), to: id, at: now, &effects)
            }
        }
    }

    private mutating func metric(_ m: MetricBody, from id: PeerID, at now: Double, _ effects: inout Effects) {
        let attempt = TrialAttempt(trialID: m.trialID, attempt: m.attempt)
        // The hot path (tens of thousands a second): look up only what is needed, copy nothing.
        guard let budget = trials[m.trialID]?.budget else {
            return refuse("METRIC for trial \(m.trialID), which is not in this sweep", id, now, &effects)
        }
        guard holds(attempt, id, at: now, &effects) else {
            if holders[attempt] == peers[id]?.identity {
                send(.cancel(attempt), to: id, at: now, &effects)   // its own superseded attempt: stop training it
            } else {
                refuse("METRIC for trial \(m.trialID) attempt \(m.attempt), which this worker does not hold", id, now, &effects)
            }
            return
        }
        guard (1...max(budget, 1)).contains(m.epoch) else {
            return refuse("METRIC epoch \(m.epoch) is outside trial \(m.trialID)'s budget 1...\(budget)", id, now, &effects)
        }
        guard leases[m.trialID]!.record(epoch: m.epoch, at: now) else { return }   // a replay
        effects.changes.append(.metric(attempt, epoch: m.epoch, report: m.report.text))
        if judge.isActive { showJudge(m, budget: budget, at: now, &effects) }
    }

    /// Shows the judge a stored epoch; a rule that says stop ends the trial `stopped`. Decoding
    /// the report costs more than the rest of a METRIC, so it happens only with rules.
    private mutating func showJudge(_ m: MetricBody, budget: Int, at now: Double, _ effects: inout Effects) {
        guard let report = try? SchemaCoding.decode(EpochReport.self, from: m.report.text) else { return }
        let epoch = StoppingJudge.Epoch(trialID: m.trialID, report: report, metric: settings.metric, budget: budget)
        guard let decision = judge.observe(epoch) else { return }
        let last = LastEpoch(epoch: leases[m.trialID]!.epochs.max() ?? m.epoch, valAcc: report.valAcc,
                             trainLoss: report.trainLoss)
        stop(m.trialID, reason: decision.reason, last: last, objective: epoch.value, at: now, &effects)
    }

    private mutating func result(_ r: ResultBody, from id: PeerID, at now: Double, _ effects: inout Effects) {
        let attempt = TrialAttempt(trialID: r.trialID, attempt: r.attempt)
        guard let trial = trials[r.trialID] else { return refuse("RESULT for trial \(r.trialID), which is not in this sweep", id, now, &effects) }
        guard holds(attempt, id, at: now, &effects) else { return answerStale(attempt, "RESULT", id, now, &effects) }
        let outcome: TrialOutcome
        do { outcome = try TrialOutcome(json: r.result.text, epochBudget: trial.budget) } catch {
            end(r.trialID, .failed, reason: "invalid result: \(error)", at: now, &effects)
            return send(.ack(attempt), to: id, at: now, &effects)
        }
        guard outcome.status != .cancelled else {
            end(r.trialID, .lost, reason: "the worker cancelled it", at: now, &effects)
            return send(.ack(attempt), to: id, at: now, &effects)
        }
        let stored = leases[r.trialID]!.epochs
        let missing = outcome.result.epochs > 0 ? (1...outcome.result.epochs).filter { !stored.contains($0) } : []
        guard missing.isEmpty else {
            leases[r.trialID]!.progressed(at: now)
            return send(.missing(MissingBody(trialID: r.trialID, attempt: r.attempt, epochs: missing)), to: id, at: now, &effects)
        }
        leases[r.trialID] = nil
        peers[id]?.lease = nil
        trials[r.trialID]!.status = outcome.status == .diverged ? .diverged : .ok
        trials[r.trialID]!.adoptable = nil
        finishedCount += 1
        if judge.isActive {
            if outcome.status == .diverged {
                judge.end(r.trialID, afterEpoch: outcome.result.epochs)
            } else {
                judge.finish(r.trialID, epochs: outcome.result.epochs)
            }
        }
        effects.changes.append(.finish(attempt, outcome))
        effects.finished.append((r.trialID, outcome))
        let value = outcome.value(of: settings.metric.name)
        tellSource(r.trialID, value)
        if !targetReached, let value, settings.metric.reachesTarget(value) {
            targetReached = true
            effects.notes.append("trial \(r.trialID) reached the target \(settings.metric.name.rawValue) \(value): no more trials are handed out")
        }
        send(.ack(attempt), to: id, at: now, &effects)
        finishIfDone(at: now, &effects)
    }

    private mutating func fail(_ f: FailBody, from id: PeerID, at now: Double, _ effects: inout Effects) {
        let attempt = TrialAttempt(trialID: f.trialID, attempt: f.attempt)
        guard trials[f.trialID] != nil else { return refuse("FAIL for trial \(f.trialID), which is not in this sweep", id, now, &effects) }
        guard holds(attempt, id, at: now, &effects) else { return answerStale(attempt, "FAIL", id, now, &effects) }
        end(f.trialID, .failed, reason: f.reason, at: now, &effects)
        send(.ack(attempt), to: id, at: now, &effects)
    }

    /// A RESULT or FAIL of an attempt the peer does not hold: its own superseded attempt is
    /// acknowledged so that it stops resending; anyone else's is refused.
    private mutating func answerStale(_ attempt: TrialAttempt, _ command: String, _ id: PeerID, _ now: Double,
                                      _ effects: inout Effects) {
        if holders[attempt] == peers[id]?.identity {
            send(.ack(attempt), to: id, at: now, &effects)
        } else {
            refuse("\(command) for trial \(attempt.trialID) attempt \(attempt.attempt), which this worker does not hold",
                   id, now, &effects)
        }
    }

    /// True when `id` holds `attempt`'s lease, adopting it first when it is the attempt a
    /// restart interrupted and `id` is the worker that ran it.
    private mutating func holds(_ attempt: TrialAttempt, _ id: PeerID, at now: Double, _ effects: inout Effects) -> Bool {
        if let holder = leases[attempt.trialID].map({ ($0.peer, $0.attempt) }) { return holder == (id, attempt.attempt) }
        guard let trial = trials[attempt.trialID], let adoptable = trial.adoptable, !trial.status.isFinished,
              adoptable.attempt == attempt.attempt, adoptable.attempt == trial.attempts,
              let peer = peers[id], peer.identity == adoptable.worker, peer.lease == nil else { return false }
        awaitingAdoption.remove(attempt.trialID)
        if let index = queue.firstIndex(of: attempt.trialID) { queue.remove(at: index) }
        trials[attempt.trialID]!.status = .running
        trials[attempt.trialID]!.adoptable = nil
        var lease = Lease(attempt: attempt.attempt, peer: id, started: now, epochs: adoptable.epochs)
        if let progress = adoptable.progress {
            // Taken back after a cut: the deadline runs on from where it was, so going silent
            // for a moment never buys a lease new time.
            lease.lastProgress = progress.last
            lease.longestWait = progress.longestWait
        }
        leases[attempt.trialID] = lease
        peers[id]!.lease = attempt.trialID
        if peers[id]!.ready { peers[id]!.ready = false }
        effects.changes.append(.adopt(attempt, worker: peer.identity, host: peer.hello.host))
        return true
    }

    // MARK: - Time

    private mutating func tick(_ now: Double, _ effects: inout Effects) {
        // Every event already keeps its own peer's state; the sweep over all peers and leases
        // runs at most 50 times a second, or the poll loop would spend its time here.
        guard now - lastTick >= min(0.02, settings.heartbeatInterval / 4) else { return }
        lastTick = now
        let silence = settings.heartbeatInterval * Double(settings.liveness)
        for (id, peer) in peers where now - peer.lastHeard > silence {
            effects.notes.append("worker \(peer.identity) silent for \(secondsText(silence)) s: presumed lost")
            drop(id, reason: "worker went silent for \(secondsText(silence)) s", at: now, &effects)
        }
        for trialID in Array(leases.keys) {
            // Re-read: a loss above may have handed this trial out again already.
            guard let lease = leases[trialID] else { continue }
            let deadline = lease.deadline(settings)
            if now - lease.lastProgress > deadline {
                let reason = "no progress for \(Int(deadline)) s"
                effects.notes.append("trial \(trialID) attempt \(lease.attempt): \(reason); lease taken back")
                lose(trialID, reason: reason, cancel: true, at: now, &effects)
            }
        }
        if !awaitingAdoption.isEmpty, now >= graceEnds {
            // Their workers did not come back: hand them out again, first.
            for trialID in awaitingAdoption.reversed() where leases[trialID] == nil { queue.prepend(trialID) }
            awaitingAdoption.removeAll()
        }
        dispatch(at: now, &effects)
        if isDone { return }
        for (id, peer) in peers where now - peer.lastSent >= settings.heartbeatInterval {
            send(.heartbeat, to: id, at: now, &effects)
        }
    }

    // MARK: - Leases

    /// Hands queued trials to the peers waiting for one, in the order they asked.
    private mutating func dispatch(at now: Double, _ effects: inout Effects) {
        while !targetReached, let id = ready.first, !queue.isEmpty || create(&effects) {
            ready.removeFirst()
            guard let peer = peers[id], peer.ready, peer.lease == nil else { continue }
            let trialID = queue.removeFirst()
            let attempt = trials[trialID]!.attempts + 1
            trials[trialID]!.attempts = attempt
            trials[trialID]!.status = .running
            trials[trialID]!.adoptable = nil
            let lease = TrialAttempt(trialID: trialID, attempt: attempt)
            leases[trialID] = Lease(attempt: attempt, peer: id, started: now)
            holders[lease] = peer.identity
            peers[id]!.lease = trialID
            peers[id]!.ready = false
            effects.changes.append(.start(lease, worker: peer.identity, host: peer.hello.host))
            send(.task(TaskBody(trialID: trialID, attempt: attempt, parameters: trials[trialID]!.parameters,
                                threads: settings.threadsPerTrial)), to: id, at: now, &effects)
        }
    }

    /// Asks the source for a trial and queues it; false when it has none (then the sweep may be
    /// done: everyone is told once the last trial finishes).
    private mutating func create(_ effects: inout Effects) -> Bool {
        guard let source, canCreate else { return false }
        guard let new = source.next(after: history), trials[new.id] == nil else {
            sourceExhausted = true
            effects.notes.append("the sweep's search has no more trials to suggest (\(trials.count) made)")
            return false
        }
        trials[new.id] = Trial(parameters: new.parameters, budget: new.epochBudget, status: .queued, attempts: 0)
        sourced[new.id] = history.count
        effects.changes.append(.create(new, ordinal: history.count))
        history.append(SourcedTrial(id: new.id, parameters: new.parameters, objective: nil))
        queue.append(new.id)
        return true
    }

    /// A trial made by the source has ended: the source sees its objective from now on.
    private mutating func tellSource(_ trialID: String, _ objective: Double?) {
        guard let index = sourced[trialID] else { return }
        history[index].objective = objective ?? .nan
    }

    /// The peer is gone (silent, left, unreachable, another version): its lease is lost.
    /// The attempt stays adoptable by its worker while the trial waits in the queue: a worker
    /// cut off for a while takes its trial back when it returns, if nobody else has.
    private mutating func drop(_ id: PeerID, reason: String, at now: Double, _ effects: inout Effects) {
        guard let peer = peers.removeValue(forKey: id) else { return }
        guard let held = peer.lease, let lease = leases[held] else { return }
        let adoptable = Adoptable(attempt: lease.attempt, worker: peer.identity, epochs: lease.epochs,
                                  progress: (lease.lastProgress, lease.longestWait))
        lose(held, reason: reason, cancel: false, at: now, &effects)
        if trials[held]?.status == .queued { trials[held]!.adoptable = adoptable }
    }

    /// Takes a lease back without a result; the peer is told to stop when it is still there.
    private mutating func lose(_ trialID: String, reason: String, cancel: Bool, at now: Double, _ effects: inout Effects) {
        guard let lease = leases[trialID] else { return }
        if cancel, peers[lease.peer] != nil {
            send(.cancel(TrialAttempt(trialID: trialID, attempt: lease.attempt)), to: lease.peer, at: now, &effects)
        }
        end(trialID, .lost, reason: reason, at: now, &effects)
    }

    /// Ends the lease of `trialID` with a failed or lost attempt: a strike, then the front of
    /// the queue, or `failed` for good.
    private mutating func end(_ trialID: String, _ outcome: AttemptOutcome, reason: String, at now: Double,
                              _ effects: inout Effects) {
        guard let lease = leases.removeValue(forKey: trialID) else { return }
        peers[lease.peer]?.lease = nil
        let attempt = TrialAttempt(trialID: trialID, attempt: lease.attempt)
        let worker = holders[attempt] ?? WorkerIdentity(name: "")
        trials[trialID]!.strike(outcome, worker: worker, attempt: lease.attempt, reason: reason)
        let exhausted = trials[trialID]!.strikes >= settings.maxAttempts
        trials[trialID]!.status = exhausted ? .failed : .queued
        effects.changes.append(.endAttempt(attempt, outcome, reason: reason, trial: exhausted ? .failed : .queued,
                                           message: trials[trialID]!.message))
        if exhausted {
            finishedCount += 1
            failedCount += 1
            tellSource(trialID, nil)
            judge.end(trialID, afterEpoch: nil)
            effects.notes.append("trial \(trialID) failed after \(trials[trialID]!.strikes) strikes; last: \(reason)")
            finishIfDone(at: now, &effects)
        } else {
            queue.prepend(trialID)
            dispatch(at: now, &effects)
        }
    }

    /// An `early_terminate` rule ended `trialID`: the trial ends `stopped` with its last
    /// epoch's numbers (`objective` is the metric's among them), and its worker is told to stop.
    /// The worker's RESULT for it (cancelled) is then acknowledged as a superseded attempt.
    private mutating func stop(_ trialID: String, reason: String, last: LastEpoch, objective: Double?, at now: Double,
                               _ effects: inout Effects) {
        guard let lease = leases.removeValue(forKey: trialID) else { return }
        peers[lease.peer]?.lease = nil
        let attempt = TrialAttempt(trialID: trialID, attempt: lease.attempt)
        trials[trialID]!.status = .stopped
        trials[trialID]!.adoptable = nil
        finishedCount += 1
        stoppedCount += 1
        effects.changes.append(.stop(attempt, reason: reason, last: last))
        effects.notes.append("trial \(trialID) stopped: \(reason)")
        if peers[lease.peer] != nil { send(.cancel(attempt), to: lease.peer, at: now, &effects) }
        tellSource(trialID, objective)
        finishIfDone(at: now, &effects)
    }

    private mutating func finishIfDone(at now: Double, _ effects: inout Effects) {
        guard isDone else { return }
        for id in peers.keys.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            send(.disconnect(DisconnectBody(reason: DisconnectBody.done)), to: id, at: now, &effects)
        }
    }

    // MARK: - Sending

    private mutating func refuse(_ reason: String, _ id: PeerID, _ now: Double, _ effects: inout Effects) {
        send(.error(ErrorBody(reason: reason)), to: id, at: now, &effects)
    }

    private mutating func send(_ message: Message, to id: PeerID, at now: Double, _ effects: inout Effects) {
        peers[id]?.lastSent = now
        effects.messages.append((id, message))
    }

}

// MARK: - The machine's parts

/// The connection a message came from, and where its answers go: the ROUTER's routing id.
/// It says where, not who: a client chooses its routing id, and a new connection may take
/// one over (ROUTER handover). Who is the `WorkerIdentity` the connection registered with.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { bytes = Array(text.utf8) }
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// What one event asks of the world. The coordinator commits `changes`, then sends
/// `messages` in order; `notes` are log lines for people; `finished` lists the trials that
/// got their result (for the live line).
public struct Effects: Sendable {
    public var changes: [StoreChange] = []
    public var messages: [(PeerID, Message)] = []
    public var notes: [String] = []
    public var finished: [(trialID: String, outcome: TrialOutcome)] = []

    public init() {}

    public var isEmpty: Bool { changes.isEmpty && messages.isEmpty && notes.isEmpty && finished.isEmpty }

    public mutating func removeAll() {
        changes.removeAll(keepingCapacity: true)
        messages.removeAll(keepingCapacity: true)
        notes.removeAll(keepingCapacity: true)
        finished.removeAll(keepingCapacity: true)
    }
}

/// One trial's state; the machine keys them by id.
struct Trial: Sendable {
    let parameters: [TaskBody.Parameter]
    let budget: Int
    var status: TrialStatus
    /// Attempts started; the next is `attempts + 1`.
    var attempts: Int
    /// Counted against `maxAttempts`: every failure, and each worker's first loss.
    var strikes = 0
    var lostBy: Set<WorkerIdentity> = []
    /// "attempt N: reason" of each failed or lost attempt.
    var reasons: [String] = []
    /// The attempt a restart interrupted, while its worker may still bring it back.
    var adoptable: Adoptable?

    init(parameters: [TaskBody.Parameter], budget: Int, status: TrialStatus, attempts: Int) {
        self.parameters = parameters
        self.budget = budget
        self.status = status
        self.attempts = attempts
    }

    var message: String { reasons.joined(separator: "; ") }

    mutating func strike(_ outcome: AttemptOutcome, worker: WorkerIdentity, attempt: Int, reason: String) {
        reasons.append("attempt \(attempt): \(reason)")
        switch outcome {
        case .failed: strikes += 1
        case .lost: if lostBy.insert(worker).inserted { strikes += 1 }
        default: break
        }
    }
}

/// An attempt whose worker may take it back: interrupted by a restart (no `progress` known),
/// or lost when its worker went silent or unreachable.
struct Adoptable: Sendable {
    let attempt: Int
    let worker: WorkerIdentity
    let epochs: Set<Int>
    var progress: (last: Double, longestWait: Double)?
}

struct Lease: Sendable {
    let attempt: Int
    /// Its worker's connection (moves when the worker reconnects on another).
    var peer: PeerID
    var lastProgress: Double
    /// The longest wait so far between the lease's start or a report and the next report.
    var longestWait = 0.0
    /// The epochs of this attempt stored so far.
    var epochs: Set<Int>

    init(attempt: Int, peer: PeerID, started: Double, epochs: Set<Int> = []) {
        self.attempt = attempt
        self.peer = peer
        lastProgress = started
        self.epochs = epochs
    }

    /// Stores `epoch` as received (false if it already was) and counts it as progress.
    mutating func record(epoch: Int, at now: Double) -> Bool {
        guard epochs.insert(epoch).inserted else { return false }
        progressed(at: now)
        return true
    }

    mutating func progressed(at now: Double) {
        longestWait = max(longestWait, now - lastProgress)
        lastProgress = now
    }

    func deadline(_ settings: SweepMachine.Settings) -> Double {
        max(settings.progressTimeout, settings.progressFactor * longestWait)
    }
}

struct Peer: Sendable {
    let identity: WorkerIdentity
    var hello: HelloBody
    var lastHeard: Double
    var lastSent: Double
    /// The trial it holds a lease on.
    var lease: String?
    /// Sent READY and got nothing yet.
    var ready: Bool
}
