import Foundation
import SweepRules
import SweepSchema
import SweepStorage
import SweepWire

/// The coordinator's poll loop: one ROUTER socket owned by this thread, a poll with a
/// timeout (the ZeroMQ Guide's Paranoid Pirate queue). It decides nothing: every message
/// and every tick goes to the `SweepMachine`, whose store changes are committed in one
/// transaction per turn before any of the turn's messages is sent. A result a worker was
/// told is stored, is stored; a turn whose commit fails sends nothing and stops the loop.
final class CoordinatorServer {
    struct Options {
        var endpoint: String
        var rules = SweepMachine.Settings()
        /// Seconds to keep answering DISCONNECT done after the sweep ended, so that a worker
        /// joining late learns it is over.
        var linger = 0.0
        var showProgress = true
        /// CURVE with ZAP: the coordinator's key pair and the folder of authorised worker keys.
        var security: Security?
        /// Random and bayes sweeps: where new trials come from.
        var source: (any TrialSource)?
    }

    struct Security {
        var certificate: CurveCertificate
        var authorized: String
        /// Keys let in besides the folder's: `run`'s local workers.
        var alsoAdmitted: Set<String> = []
    }

    private let options: Options
    private let store: SweepStore
    private let sweep: SweepRecord
    private let context: ZMQContext
    private let socket: ZMQSocket
    /// Admits only authorised keys, when the server runs CURVE.
    private let zap: ZAPHandler?
    /// The ROUTER's handshakes, when it runs CURVE: a plain-text client or a wrong server key
    /// never reaches ZAP, and would otherwise leave no trace here.
    private let monitor: SocketMonitor?
    private var failedHandshakes = 0
    /// The endpoint actually bound (with the port filled in when asked for `:*`).
    let endpoint: String

    private var machine: SweepMachine
    private var effects = Effects()
    private var progress = ProgressLine()
    private var best: (id: String, value: Double)?
    /// Durations of the trials finished in this run, for the ETA.
    private var trialSeconds = RunningMean()
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    /// Counters for the logs and the tests.
    private(set) var malformedFrames = 0

    init(store: SweepStore, options: Options) throws {
        self.options = options
        self.store = store
        guard let sweep = try store.sweep() else { throw CoordinatorError.noSweep(store.path) }
        self.sweep = sweep
        started = clock.now
        let trials = try store.recoveredTrials(withReports: !options.rules.stopping.isEmpty)
        machine = SweepMachine(trials: trials, settings: options.rules, source: options.source, now: 0, effects: &effects)
        let interrupted = effects.changes.count
        try store.apply(effects.changes)
        effects.removeAll()
        if interrupted > 0 {
            Self.log("\(interrupted) trial(s) interrupted by a previous run wait \(Int(options.rules.adoptionGrace)) s for their workers")
        }
        let context = try ZMQContext()
        self.context = context
        // The handler must be there before the server socket binds.
        zap = try options.security.map { security in
            try ZAPHandler(context: context, directory: security.authorized, alsoAdmitting: security.alsoAdmitted) {
                CoordinatorServer.log($0)
            }
        }
        socket = try ZMQSocket(context: context, type: .router)
        if let security = options.security {
            try socket.setCurveServer(security.certificate)
            try socket.setZAPDomain("vgsweep")
        }
        try socket.setLinger(milliseconds: 100)
        // A peer that connects and never finishes its handshake is cut after 10 s (libzmq: 30).
        try socket.setHandshakeInterval(milliseconds: 10_000)
        try socket.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        try socket.setRouterMandatory(true)
        try socket.setRouterHandover(true)
        monitor = options.security == nil ? nil : try SocketMonitor(watching: socket, context: context)
        try socket.bind(options.endpoint)
        endpoint = try socket.lastEndpoint
        for t in try store.trials() where t.status.hasResult { noteBest(t.id, t.metric(sweep.metric)) }
    }

    /// Seconds since this server started: the machine's clock.
    private var now: Double {
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Serves until every trial is finished, then lingers `options.linger` seconds telling
    /// late workers so. `check` runs every turn and may throw to stop (`run` uses it to
    /// notice that its local workers all died). A storage error stops the loop (thrown).
    func run(check: () throws -> Void = {}) throws {
        Self.log("sweep '\(sweep.name)': \(machine.queuedCount) trial(s) to run, \(machine.finishedCount) already finished; listening on \(endpoint)")
        let poller = Poller([socket] + (monitor.map { [$0.socket] } ?? []))
        while !machine.isDone {
            _ = try poller.poll(timeoutMilliseconds: 100)
            try turn()
            try check()
        }
        showProgress(force: true)
        let end = now + options.linger
        while now < end {
            _ = try poller.poll(timeoutMilliseconds: max(1, min(100, Int((end - now) * 1000))))
            try turn()
        }
        zap?.stop()
        monitor?.close()
    }

    /// One turn of the loop: read what waits, let the machine decide, commit, then send.
    func turn() throws {
        var received = 0
        let at = now
        while received < 10_000, let inbound = try socket.receiveMessage(dontWait: true, maxParts: ProtocolLimits.maxRoutedParts) {
            received += 1
            handle(inbound, at: at)
        }
        machine.handle(.tick(at: now), into: &effects)
        try commitAndSend()
        try noteHandshakes()
        showProgress()
    }

    /// Logs handshakes that broke off (ZAP logs its own refusals), the first ten and then
    /// every hundredth.
    private func noteHandshakes() throws {
        for case .failed(let detail, _) in try monitor?.events() ?? [] {
            failedHandshakes += 1
            if failedHandshakes <= 10 || failedHandshakes % 100 == 0 {
                Self.log("a client failed the CURVE handshake (#\(failedHandshakes)): \(detail); a worker without --key, or with the wrong --server-key")
            }
        }
    }

    private func handle(_ inbound: InboundMessage, at now: Double) {
        do {
            let (identity, message) = try MessageCodec.decode(routed: inbound)
            machine.handle(.message(PeerID(identity), message, key: inbound.userID, at: now), into: &effects)
        } catch {
            malformedFrames += 1
            if malformedFrames <= 10 || malformedFrames % 1000 == 0 {
                Self.log("dropped malformed message #\(malformedFrames): \(error)")
            }
            if !error.identity.isEmpty {
                effects.messages.append((PeerID(error.identity), .error(ErrorBody(reason: error.description))))
            }
        }
    }

    /// Commits the turn's changes, then sends its messages. A send to a vanished peer is an
    /// event of its own, whose changes are committed before anything more is sent.
    private func commitAndSend() throws {
        while !effects.isEmpty {
            do { try store.apply(effects.changes) } catch {
                throw CoordinatorError.storage(error)
            }
            for note in effects.notes { Self.log(note) }
            for (trialID, outcome) in effects.finished {
                noteBest(trialID, outcome.value(of: sweep.metric))
                trialSeconds.add(outcome.result.seconds)
            }
            let messages = effects.messages
            effects.removeAll()
            for (peer, message) in messages {
                do {
                    _ = try socket.send(try MessageCodec.encode(message, to: peer.bytes), dontWait: true)
                } catch let error as TransportError where error.kind == .hostUnreachable {
                    machine.handle(.unreachable(peer, at: now), into: &effects)
                } catch {
                    Self.log("send to \(peer) failed: \(error)")
                }
            }
        }
    }

    // MARK: - Progress

    private func noteBest(_ id: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        if best.map({ sweep.ranking.isBetter(value, than: $0.value) }) ?? true { best = (id, value) }
    }

    private func showProgress(force: Bool = false) {
        guard options.showProgress else { return }
        let counts = StatusCounts(done: machine.finishedCount - machine.failedCount - machine.stoppedCount, running: machine.runningCount,
                                  queued: machine.queuedCount, failed: machine.failedCount, stopped: machine.stoppedCount,
                                  meanSeconds: trialSeconds.mean)
        let (best, metric, workers) = (best, sweep.metric, machine.workerCount)
        progress.show(counts: counts, force: force) { ProgressLine.text(counts, best: best, metric: metric, workers: workers) }
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data("[coordinator] \(text)\n".utf8))
    }
}

enum CoordinatorError: Error, CustomStringConvertible {
    case noSweep(String)
    /// The store could not commit a turn: nothing of it was acknowledged.
    case storage(StoreError)

    var description: String {
        switch self {
        case .noSweep(let path): return "\(path) holds no sweep"
        case .storage(let error):
            return "cannot store the sweep's progress: \(error). Nothing unstored was acknowledged; "
                + "free the space or fix the file and start the coordinator again on the same --db to resume"
        }
    }
}

/// A mean kept as a sum and a count.
struct RunningMean {
    private var sum = 0.0, count = 0
    mutating func add(_ x: Double) { if x.isFinite { sum += x; count += 1 } }
    var mean: Double? { count > 0 ? sum / Double(count) : nil }
}
