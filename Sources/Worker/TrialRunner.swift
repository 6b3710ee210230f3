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
        // A stable pseudo-accuracy from the trial id, so rankings are checkable.
        let score = Double(task.trialID.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 1000 }) / 1000
        for epoch in 1...config.epochs {
            if cancelled.load(ordering: .relaxed) { break }
            if epochSeconds > 0 { Thread.sleep(forTimeInterval: epochSeconds) }
            let report = #"{"epoch":\#(epoch),"grad_norm":[0.01,0.1],"train_loss":\#(1 / Double(epoch)),"type":"epoch","val_acc":\#(score)}"#
            post(.epoch(epoch, JSONPayload(simulated: report)), ring)
        }
        let status = cancelled.load(ordering: .relaxed) ? "cancelled" : "ok"
        let result = #"{"epochs":\#(config.epochs),"samples_per_s":0,"seconds":\#(epochSeconds * Double(config.epochs)),"status":"\#(status)","#
            + #""test_acc":\#(score),"test_loss":\#(1 - score),"train_loss":\#(1 - score),"type":"result","val_acc":\#(score)}"#
        post(.result(JSONPayload(simulated: result)), ring)
    }
}

private extension JSONPayload {
    /// The simulated reports are written by hand from finite numbers, so they are valid JSON.
    init(simulated text: String) {
        do { try self.init(text: text) } catch { preconditionFailure("simulated report \(text): \(error)") }
    }
}
