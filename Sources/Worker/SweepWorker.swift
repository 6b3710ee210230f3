import Foundation
import MLPKit
import SweepWire
import Synchronization

/// `worker --connect`: one DEALER socket owned by this thread, a poll loop with a timeout,
/// heartbeats both ways and a reconnect with back-off when the coordinator goes silent (the
/// ZeroMQ Guide's Paranoid Pirate worker). Training runs on a `TrialRunner` thread.
///
/// Nothing is lost across a coordinator restart: a result stays in `unacknowledged` until
/// the coordinator confirms it stored it, and is sent again after every reconnect; HELLO
/// says which trial is still training so the new coordinator adopts it instead of rerunning it.
/// A result counts only with every epoch of its attempt stored, so the epoch reports stay in
/// `reports` until that ACK too: a METRIC sent while the coordinator was away is sent again
/// when it answers the RESULT with MISSING.
final class SweepWorker {
    struct Options {
        var endpoint: String
        var heartbeatInterval = 1.0
        var liveness = 3
        var backoff = Backoff()
        /// Exit with `ExitStatus.unreachable` after this many seconds without a word from any
        /// coordinator; nil waits for ever.
        var giveUpAfter: Double?
        /// Train nothing; report `epochs` synthetic epochs this many seconds apart.
        var simulateEpochSeconds: Double?
        var dataDirectory: String?
        /// CURVE: this worker's key pair and the coordinator's public key.
        var curve: (certificate: CurveCertificate, serverKey: String)?
    }

    private let options: Options
    private let context: ZMQContext
    private let identity: HelloBody
    /// The cores this worker was given: in HELLO, and the BLAS threads of a trial setting none.
    private let allowance: CoreAllowance
    private var socket: ZMQSocket?
    /// The handshakes of `socket`: how this worker learns that the coordinator refused its key.
    private var monitor: SocketMonitor?
    /// What the last handshake said, so that each change is logged once.
    private var handshake: SocketMonitor.Event?
    /// Rung by the trial thread whenever it posts an event (see `TrialRunner.Wake`).
    private let bell: ZMQSocket
    private static let bellEndpoint = "inproc://trial-runner-bell"
    private var heartbeat: Heartbeat
    private var backoff: Backoff
    private var runner: TrialRunner?
    private var unacknowledged: [TrialAttempt: Message] = [:]
    /// The epoch reports of the attempt in training and of every attempt in `unacknowledged`,
    /// by epoch, for a MISSING; dropped on that attempt's ACK (or a CANCEL once it is finished).
    private var reports: [TrialAttempt: [Int: JSONPayload]] = [:]
    /// When this worker last heard from any coordinator (its start, before the first word).
    private var lastHeard = Date()
    /// Whether the coordinator has said anything since the last (re)connection.
    private var heardSinceConnect = false
    private var askedForWork = false
    private let data: @Sendable () throws -> FashionMNIST

    init(_ options: Options) throws {
        self.options = options
        context = try ZMQContext()
        bell = try ZMQSocket(context: context, type: .pull)
        try bell.bind(Self.bellEndpoint)
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        allowance = CoreAllowance.current()
        identity = HelloBody(workerID: "\(host)-\(pid)-\(suffix)", host: host, cores: allowance.cores, pid: pid)
        heartbeat = Heartbeat(interval: options.heartbeatInterval, liveness: options.liveness)
        backoff = options.backoff
        let directory = options.dataDirectory
        let cache = Mutex<FashionMNIST?>(nil)
        data = {
            try cache.withLock { loaded in
                if let loaded { return loaded }
                let set = try FashionMNIST.load(directory: directory)
                loaded = set
                return set
            }
        }
    }

    /// Runs until the coordinator says the sweep is done, sends this worker away, or (with
    /// `giveUpAfter`) cannot be reached; returns the exit status.
    func run() throws -> ExitStatus {
        log("worker \(identity.workerID) (\(allowance)) connecting to \(options.endpoint)")
        if let problem = HostLookup.problem(options.endpoint) {
            log("\(problem); retrying, in case it appears")
        }
        try connect()
        while true {
            let timeout = min(100, heartbeat.millisecondsToNextSend())
            let sockets = [bell] + (socket.map { [$0] } ?? []) + (monitor.map { [$0.socket] } ?? [])
            let readable = try Poller(sockets).poll(timeoutMilliseconds: timeout)
            while try bell.receive(dontWait: true) != nil {}
            if readable.contains(2) { try noteHandshakes() }
            if readable.contains(1), let status = try receiveAll() { return status }
            try forwardRunnerEvents()
            try askForWorkIfIdle()
            let now = Date()
            if let status = giveUpIfSilent(at: now) { return status }
            if heartbeat.isExpired(at: now) {
                let delay = backoff.take()
                if heardSinceConnect {
                    log("coordinator silent for \(secondsText(heartbeat.interval * Double(heartbeat.liveness))) s; reconnecting in \(secondsText(delay)) s")
                } else {
                    log("cannot reach \(options.endpoint) (no answer for \(secondsText(now.timeIntervalSince(lastHeard))) s); retrying in \(secondsText(delay)) s")
                }
                // Close first: left open, the socket would reconnect by itself while we sleep,
                // deliver the HELLO it holds, and the coordinator would take the silence that
                // follows for a death. Sleep no longer than the time left before giving up.
                disconnect()
                let left = options.giveUpAfter.map { $0 - now.timeIntervalSince(lastHeard) } ?? delay
                Thread.sleep(forTimeInterval: max(0, min(delay, left)))
                if let status = giveUpIfSilent(at: Date()) { return status }
                try connect()
            } else if heartbeat.shouldSend(at: now) {
                try send(.heartbeat)
            }
        }
    }

    /// `ExitStatus.unreachable` once no coordinator has said anything for `giveUpAfter` seconds.
    private func giveUpIfSilent(at now: Date) -> ExitStatus? {
        guard let limit = options.giveUpAfter else { return nil }
        let silence = now.timeIntervalSince(lastHeard)
        guard silence >= limit else { return nil }
        runner?.cancel()
        let what = heardSinceConnect ? "no word from the coordinator at \(options.endpoint)" : "cannot reach \(options.endpoint)"
        log("\(what) (no answer for \(secondsText(silence)) s); giving up (--give-up-after \(secondsText(limit)))")
        return .unreachable
    }

    // MARK: - Connection

    /// A fresh socket, then HELLO (with the trial still training, if any), the results not
    /// yet acknowledged, and READY when idle.
    private func connect() throws {
        disconnect()
        let s = try ZMQSocket(context: context, type: .dealer)
        try s.setRoutingID(Array(identity.workerID.utf8))
        try s.setLinger(milliseconds: 0)
        try s.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        // libzmq would reconnect a refused handshake every 100 ms by itself; this worker
        // reconnects on its own back-off instead (a key may be authorised later).
        try s.setReconnectInterval(milliseconds: Int(options.heartbeatInterval * Double(options.liveness) * 1000))
        if let curve = options.curve { try s.setCurveClient(curve.certificate, serverKey: curve.serverKey) }
        monitor = try SocketMonitor(watching: s, context: context)
        try s.connect(options.endpoint)
        socket = s
        heardSinceConnect = false
        heartbeat = Heartbeat(interval: options.heartbeatInterval, liveness: options.liveness)
        try register()
    }

    private func disconnect() {
        socket?.close()
        socket = nil
        monitor?.close()
        monitor = nil
    }

    /// Logs what the handshakes say, when it changes: a refused key, a broken handshake, and
    /// the acceptance that follows a refusal.
    private func noteHandshakes() throws {
        for event in try monitor?.events() ?? [] where event != handshake {
            switch event {
            case .accepted:
                if handshake != nil { log("the coordinator at \(options.endpoint) accepted this worker's key") }
            case .refused(let status, _):
                let key = options.curve.map { " \($0.certificate.publicKey)" } ?? ""
                log("the coordinator at \(options.endpoint) refused this worker's key\(key) (ZAP status \(status)): "
                    + "its public certificate must be in the coordinator's --authorized folder; retrying with back-off")
            case .failed(let detail, _):
                log("the handshake with \(options.endpoint) failed: \(detail); retrying with back-off")
            }
            handshake = event
        }
    }

    private func register() throws {
        var hello = identity
        // Not `isFinished`: the runner posts its last event before it says it is finished.
        hello.current = runner.flatMap { isTraining($0.task) ? $0.task : nil }
        try send(.hello(hello))
        for message in unacknowledged.values { try send(message) }
        askedForWork = false
    }

    // MARK: - Messages from the coordinator

    /// Handles every waiting message; returns an exit status when the worker should stop.
    private func receiveAll() throws -> ExitStatus? {
        while let inbound = try socket?.receiveMessage(dontWait: true, maxParts: ProtocolLimits.maxParts) {
            heartbeat.heard()
            lastHeard = Date()
            heardSinceConnect = true
            backoff.reset()
            let message: Message
            do { message = try MessageCodec.decode(inbound) } catch {
                log("dropped a malformed message from the coordinator: \(error)")
                continue
            }
            switch message {
            case .task(let task):
                try start(task)
            case .cancel(let attempt):
                if isTraining(attempt) {
                    runner?.cancel()
                } else if unacknowledged[attempt] != nil {
                    reports[attempt] = nil   // its RESULT/FAIL is still resent, and ACKed as stale
                }
            case .ack(let attempt):
                unacknowledged[attempt] = nil
                if !isTraining(attempt) { reports[attempt] = nil }
            case .missing(let body):
                try resend(body)
            case .disconnect(let body) where body.reason == DisconnectBody.done:
                runner?.cancel()
                log("sweep done")
                return .ok
            case .disconnect(let body) where body.reason == DisconnectBody.unknown:
                try register()
            case .disconnect(let body):
                runner?.cancel()
                log("the coordinator sent this worker away: \(body.reason)")
                return .sentAway
            case .error(let body):
                log("coordinator reports an error: \(body.reason)")
            case .heartbeat, .hello, .ready, .metric, .result, .fail:
                break
            }
        }
        return nil
    }

    private func start(_ task: TaskBody) throws {
        let attempt = TrialAttempt(trialID: task.trialID, attempt: task.attempt)
        if let runner, !runner.isFinished {
            try send(.fail(FailBody(trialID: task.trialID, attempt: task.attempt,
                                    reason: "worker busy with \(runner.task.trialID)")))
            return
        }
        var config = TrialConfig()
        do {
            // The coordinator's --threads first, then the trial's own, then this worker's cores.
            // A trial's numbers are bit-identical for a given thread count, not across counts
            // (OpenBLAS splits its products by thread): set `threads` in the sweep to get the
            // same numbers from workers of different sizes (README, Determinism).
            var pairs = task.pairs
            if task.threads > 0 {
                pairs.append(("threads", String(task.threads)))
            } else if !pairs.contains(where: { $0.0 == "threads" }) {
                pairs.append(("threads", String(min(allowance.cores, 256))))
            }
            try config.apply(pairs)
        } catch {
            try finish(attempt, .fail(FailBody(trialID: task.trialID, attempt: task.attempt, reason: "\(error)")))
            return
        }
        log("trial \(task.trialID) attempt \(task.attempt) (\(config.threads) BLAS thread\(config.threads == 1 ? "" : "s"))")
        let mode: TrialRunner.Mode = options.simulateEpochSeconds.map { .simulate(epochSeconds: $0) } ?? .train(data)
        runner = TrialRunner(task: attempt, config: config, mode: mode,
                             wake: TrialRunner.Wake(context: context, endpoint: Self.bellEndpoint))
    }

    // MARK: - Messages to the coordinator

    private func forwardRunnerEvents() throws {
        guard let runner else { return }
        let task = runner.task
        for event in runner.drain() {
            switch event {
            case .epoch(let epoch, let report):
                reports[task, default: [:]][epoch] = report
                try send(.metric(MetricBody(trialID: task.trialID, attempt: task.attempt, epoch: epoch, report: report)))
            case .result(let result):
                try finish(task, .result(ResultBody(trialID: task.trialID, attempt: task.attempt, result: result)))
            case .failure(let reason):
                try finish(task, .fail(FailBody(trialID: task.trialID, attempt: task.attempt, reason: reason)))
            }
        }
    }

    /// Sends a trial's last word and keeps it until acknowledged; the worker is then free.
    private func finish(_ attempt: TrialAttempt, _ message: Message) throws {
        unacknowledged[attempt] = message
        try send(message)
        askedForWork = false
    }

    /// MISSING: the coordinator has the RESULT of `m`'s attempt but not these epochs. Sends
    /// their METRICs in order, then the RESULT again; if any of them is not kept here, the
    /// attempt cannot count: FAIL it instead (kept and resent like any FAIL until ACKed).
    private func resend(_ m: MissingBody) throws {
        let attempt = TrialAttempt(trialID: m.trialID, attempt: m.attempt)
        let name = "trial \(m.trialID) attempt \(m.attempt)"
        guard let last = unacknowledged[attempt] else {
            log("the coordinator misses epochs \(Self.ranges(m.epochs)) of \(name), which this worker has no result for: ignored")
            return
        }
        guard case .result = last else { return try send(last) }   // already given up: say it again
        let kept = reports[attempt] ?? [:]
        let lost = m.epochs.filter { kept[$0] == nil }
        guard lost.isEmpty else {
            let fail = Message.fail(FailBody(trialID: m.trialID, attempt: m.attempt,
                                             reason: "epochs \(Self.ranges(lost)) lost by the worker"))
            log("the coordinator misses epochs \(Self.ranges(m.epochs)) of \(name); \(Self.ranges(lost)) are lost here: FAIL")
            reports[attempt] = nil
            unacknowledged[attempt] = fail
            return try send(fail)
        }
        log("the coordinator misses epochs \(Self.ranges(m.epochs)) of \(name): sending them again, then the result")
        for epoch in Set(m.epochs).sorted() {
            try send(.metric(MetricBody(trialID: m.trialID, attempt: m.attempt, epoch: epoch, report: kept[epoch]!)))
        }
        try send(last)
    }

    /// The runner is still at work on `attempt` (its last word not yet sent).
    private func isTraining(_ attempt: TrialAttempt) -> Bool {
        guard let runner, runner.task == attempt else { return false }
        return unacknowledged[attempt] == nil && !(runner.isFinished && runner.drainIsEmpty)
    }

    /// READY only once every result is acknowledged: the coordinator may still answer one with
    /// MISSING, and a READY from a worker holding a lease gives that lease back.
    private func askForWorkIfIdle() throws {
        let idle = runner.map { $0.isFinished && $0.drainIsEmpty } ?? true
        if idle && unacknowledged.isEmpty && !askedForWork {
            try send(.ready)
            askedForWork = true
        }
    }

    private func send(_ message: Message) throws {
        guard let socket else { return }
        _ = try socket.send(try MessageCodec.encode(message), dontWait: true)
        heartbeat.sent()
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data("[worker] \(text)\n".utf8))
    }

    /// Epoch numbers as ranges, ascending: `1-3, 7`.
    static func ranges(_ epochs: [Int]) -> String {
        var runs: [ClosedRange<Int>] = []
        for e in Set(epochs).sorted() {
            if let last = runs.last, last.upperBound + 1 == e { runs[runs.count - 1] = last.lowerBound...e } else { runs.append(e...e) }
        }
        return runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
    }
}
