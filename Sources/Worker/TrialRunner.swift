import Foundation
import MLPKit
import SweepWire
import Synchronization

/// Trains one trial on its own thread, so the socket thread keeps heartbeating; the two talk
/// only through this object's locked event list and cancel flag.
final class TrialRunner: Sendable {
    enum Event: Sendable {
        /// An epoch report as JSON text, with its epoch number for the METRIC body.
        case epoch(Int, JSONPayload)
        case result(JSONPayload)
        case failure(String)
    }

    let task: TrialAttempt
    private let events = Mutex<[Event]>([])
    private let cancelled = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Where the runner rings when it posts, so the socket thread wakes at once instead of
    /// at its next poll timeout (which cost up to 100 ms per trial).
    struct Wake: Sendable {
        let context: ZMQContext
        let endpoint: String
    }

    /// Starts training `config` (already validated) on a new thread.
    init(task: TrialAttempt, config: TrialConfig, mode: Mode, wake: Wake) {
        self.task = task
        let thread = Thread { [self] in
            // A PUSH socket of this thread's own: sockets never cross threads.
            let bell = try? ZMQSocket(context: wake.context, type: .push)
            try? bell?.connect(wake.endpoint)
            let ring = { _ = try? bell?.send([[1]], dontWait: true) }
            switch mode {
            case .train(let data): self.train(config, data: data, ring: ring)
            case .simulate(let epochSeconds): self.simulate(config, epochSeconds: epochSeconds, ring: ring)
            }
            self.finished.store(true, ordering: .releasing)
            ring()
            bell?.close()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    enum Mode: Sendable {
        case train(@Sendable () throws -> FashionMNIST)
        /// Trains nothing: reports `epochs` synthetic epochs, `epochSeconds` apart (tests and
        /// the coordinator's overhead benchmark).
        case simulate(epochSeconds: Double)
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// True once the last event has been posted.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// No event waits to be taken.
    var drainIsEmpty: Bool { events.withLock { $0.isEmpty } }

    /// Takes the events posted since the last call.
    func drain() -> [Event] {
        events.withLock { e in defer { e.removeAll() }; return e }
    }

    private func post(_ event: Event, _ ring: () -> Void) {
        events.withLock { $0.append(event) }
        ring()
    }

    private func train(_ config: TrialConfig, data load: @Sendable () throws -> FashionMNIST, ring: () -> Void) {
        let data: FashionMNIST
        do { data = try load() } catch {
            post(.failure("data: \(error)"), ring)
            return
        }
        let trainer = Trainer(config: config, train: data.train, test: data.test)
        // Encoding cannot fail in practice: NaN and infinities are written as strings.
        let result = trainer.run(onEpoch: { report in
            if let payload = try? JSONPayload(encoding: report) { post(.epoch(report.epoch, payload), ring) }
        }, shouldStop: { cancelled.load(ordering: .relaxed) })
        do { post(.result(try JSONPayload(encoding: result)), ring) } catch {
            post(.failure("cannot encode the result: \(error)"), ring)
        }
    }

    private func simulate(_ config: TrialConfig, epochSeconds: Double, ring: () -> Void) {
        let score = Simulated.score(task.trialID)
        let total = config.plan.totalEpochs
        var done = 0
        for epoch in 1...max(total, 1) {
            if cancelled.load(ordering: .relaxed) { break }
            if epochSeconds > 0 { Thread.sleep(forTimeInterval: epochSeconds) }
            let report = Simulated.epoch(epoch, score: score, lr: config.lr, layers: config.architecture.depth + 1)
            do { post(.epoch(epoch, try JSONPayload(encoding: report)), ring) } catch {
                return post(.failure("cannot encode a simulated epoch report: \(error)"), ring)
            }
            done = epoch
        }
        let stopped = cancelled.load(ordering: .relaxed)
        let result = Simulated.result(stopped ? .cancelled : .ok, epochs: done, score: score,
                                      seconds: epochSeconds * Double(done))
        do { post(.result(try JSONPayload(encoding: result)), ring) } catch {
            post(.failure("cannot encode the simulated result: \(error)"), ring)
        }
    }
}

/// The reports of `--simulate-epoch-seconds`: MLPKit's own `EpochReport` and `TrialResult`,
/// so they travel and are stored exactly like trained ones. The numbers are synthetic and
/// deterministic: every accuracy is a stable pseudo-score from the trial id (so rankings are
/// checkable), the train loss of epoch e is 1/e.
enum Simulated {
    /// In [0, 1), from the trial id alone.
    static func score(_ trialID: String) -> Double {
        Double(trialID.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 1000 }) / 1000
    }

    static func epoch(_ epoch: Int, score: Double, lr: Float, layers: Int) -> EpochReport {
        // The first layer's gradient a tenth of the head's, the rest in between.
        let n = max(layers, 2)
        let gradNorm = (0..<n).map { 0.01 * pow(10, Double($0) / Double(n - 1)) }
        return EpochReport(epoch: epoch, lr: lr, trainLoss: 1 / Double(epoch), trainAcc: score, valLoss: 1 - score,
                           valAcc: score, samplesPerS: 0, gradNorm: gradNorm,
                           weightNorm: Array(repeating: 1, count: n), weightStd: Array(repeating: 0.05, count: n),
                           updateRatio: Array(repeating: 1e-3, count: n), saturated: Array(repeating: 0, count: n - 1),
                           dead: Array(repeating: 0, count: n - 1), gradRatio: gradNorm[0] / gradNorm[n - 1])
    }

    static func result(_ status: TrialResult.Status, epochs: Int, score: Double, seconds: Double) -> TrialResult {
        TrialResult(status: status, testAcc: score, testLoss: 1 - score, valAcc: score,
                    trainLoss: epochs > 0 ? 1 / Double(epochs) : nil, samplesPerS: 0, epochs: epochs, seconds: seconds)
    }
}
