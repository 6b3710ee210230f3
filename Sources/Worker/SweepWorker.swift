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
final class SweepWorker {
    struct Options {
        var endpoint: String
        var heartbeatInterval = 1.0
        var liveness = 3
        var backoff = Backoff()
        /// Train nothing; report `epochs` synthetic epochs this many seconds apart.
        var simulateEpochSeconds: Double?
        var dataDirectory: String?
    }

    private let options: Options
    private let context: ZMQContext
    private let identity: HelloBody
    private var socket: ZMQSocket?
    /// Rung by the trial thread whenever it posts an event (see `TrialRunner.Wake`).
    private let bell: ZMQSocket
    private static let bellEndpoint = "inproc://trial-runner-bell"
    private var heartbeat: Heartbeat
    private var backoff: Backoff
    private var runner: TrialRunner?
    private var unacknowledged: [TrialAttempt: Message] = [:]
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
        identity = HelloBody(workerID: "\(host)-\(pid)-\(suffix)", host: host,
                             cores: ProcessInfo.processInfo.activeProcessorCount, pid: pid)
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

    /// Runs until the coordinator says the sweep is done; returns the exit status.
    func run() throws -> Int32 {
        log("worker \(identity.workerID) connecting to \(options.endpoint)")
        try connect()
        while true {
            let timeout = min(100, heartbeat.millisecondsToNextSend())
            let readable = try Poller([bell] + (socket.map { [$0] } ?? [])).poll(timeoutMilliseconds: timeout)
            while try bell.receive(dontWait: true) != nil {}
            if readable.contains(1), let status = try receiveAll() { return status }
            try forwardRunnerEvents()
            try askForWorkIfIdle()
            let now = Date()
            if heartbeat.isExpired(at: now) {
                let delay = backoff.take()
                log("coordinator silent for \(heartbeat.interval * Double(heartbeat.liveness)) s; reconnecting in \(delay) s")
                Thread.sleep(forTimeInterval: delay)
                try connect()
            } else if heartbeat.shouldSend(at: now) {
                try send(.heartbeat)
            }
        }
    }

    // MARK: - Connection

    /// A fresh socket, then HELLO (with the trial still training, if any), the results not
    /// yet acknowledged, and READY when idle.
    private func connect() throws {
        socket?.close()
        let s = try ZMQSocket(context: context, type: .dealer)
        try s.setRoutingID(Array(identity.workerID.utf8))
        try s.setLinger(milliseconds: 0)
        try s.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        try s.connect(options.endpoint)
        socket = s
        heartbeat = Heartbeat(interval: options.heartbeatInterval, liveness: options.liveness)
        try register()
    }

    private func register() throws {
        var hello = identity
        hello.current = runner.flatMap { $0.isFinished ? nil : $0.task }
        try send(.hello(hello))
        for message in unacknowledged.values { try send(message) }
        askedForWork = false
    }

    // MARK: - Messages from the coordinator

    /// Handles every waiting message; returns an exit status when the worker should stop.
    private func receiveAll() throws -> Int32? {
        while let frames = try socket?.receive(dontWait: true) {
            heartbeat.heard()
            backoff.reset()
            let message: Message
            do { message = try MessageCodec.decode(frames: frames) } catch {
                log("dropped a malformed message from the coordinator: \(error)")
                continue
            }
            switch message {
            case .task(let task):
                try start(task)
            case .cancel(let attempt):
                if runner?.task == attempt { runner?.cancel() }
            case .ack(let attempt):
                unacknowledged[attempt] = nil
            case .disconnect(let body) where body.reason == DisconnectBody.done:
                runner?.cancel()
                log("sweep done")
                return 0
            case .disconnect(let body) where body.reason == DisconnectBody.unknown:
                try register()
            case .disconnect(let body):
                runner?.cancel()
                log("the coordinator sent this worker away: \(body.reason)")
                return 2
            case .error(let body):
                log("coordinator reports an error: \(body.reason)")
            case .missing, .heartbeat, .hello, .ready, .metric, .result, .fail:
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
            var pairs = task.pairs
            if task.threads > 0 { pairs.append(("threads", String(task.threads))) }
            try config.apply(pairs)
        } catch {
            try finish(attempt, .fail(FailBody(trialID: task.trialID, attempt: task.attempt, reason: "\(error)")))
            return
        }
        log("trial \(task.trialID) attempt \(task.attempt)")
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

    private func askForWorkIfIdle() throws {
        let idle = runner.map { $0.isFinished && $0.drainIsEmpty } ?? true
        if idle && !askedForWork {
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
}
