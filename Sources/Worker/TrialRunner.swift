import Foundation
import MLPKit
import SweepCore
import Synchronization

/// Trains one trial on its own thread, so the socket thread keeps heartbeating; the two talk
/// only through this object's locked event list and cancel flag.
final class TrialRunner: Sendable {
    enum Event: Sendable {
        case epoch(JSONObject)
        case result(JSONObject)
        case failure(String)
    }

    let task: TrialAttempt
    private let events = Mutex<[Event]>([])
    private let cancelled = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts training `config` (already validated) on a new thread.
    init(task: TrialAttempt, config: TrialConfig, mode: Mode) {
        self.task = task
        let thread = Thread { [self] in
            switch mode {
            case .train(let data): self.train(config, data: data)
            case .simulate(let epochSeconds): self.simulate(config, epochSeconds: epochSeconds)
            }
            self.finished.store(true, ordering: .releasing)
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

    private func post(_ event: Event) { events.withLock { $0.append(event) } }

    private func train(_ config: TrialConfig, data load: @Sendable () throws -> FashionMNIST) {
        let data: FashionMNIST
        do { data = try load() } catch {
            post(.failure("data: \(error)"))
            return
        }
        let trainer = Trainer(config: config, train: data.train, test: data.test)
        let result = trainer.run(onEpoch: { report in post(.epoch(jsonObject(report))) },
                                 shouldStop: { cancelled.load(ordering: .relaxed) })
        post(.result(jsonObject(result)))
    }

    private func simulate(_ config: TrialConfig, epochSeconds: Double) {
        // A stable pseudo-accuracy from the trial id, so rankings are checkable.
        let score = Double(task.trialID.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 1000 }) / 1000
        for epoch in 1...config.epochs {
            if cancelled.load(ordering: .relaxed) { break }
            if epochSeconds > 0 { Thread.sleep(forTimeInterval: epochSeconds) }
            post(.epoch(["type": .string("epoch"), "epoch": .number(Double(epoch)), "train_loss": .number(1 / Double(epoch)),
                         "val_acc": .number(score), "grad_norm": .array([.number(0.01), .number(0.1)])]))
        }
        let status = cancelled.load(ordering: .relaxed) ? "cancelled" : "ok"
        post(.result(["type": .string("result"), "status": .string(status), "test_acc": .number(score),
                      "val_acc": .number(score), "test_loss": .number(1 - score), "train_loss": .number(1 - score),
                      "epochs": .number(Double(config.epochs)), "seconds": .number(epochSeconds * Double(config.epochs)),
                      "samples_per_s": .number(0)]))
    }
}

/// An Encodable value as a JSON object for the wire.
func jsonObject(_ value: some Encodable) -> JSONObject {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(value),
          let object = try? JSONDecoder().decode(JSONObject.self, from: data) else { return [:] }
    return object
}
