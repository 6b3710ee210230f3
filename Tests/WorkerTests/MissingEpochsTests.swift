import Foundation
import SweepWire
import XCTest

/// A real `worker` process (simulated trials) against a fake coordinator made of one ROUTER
/// socket: what the worker keeps, and what it answers to MISSING.
final class MissingEpochsTests: XCTestCase {
    private var context: ZMQContext!
    private var router: ZMQSocket!
    private var worker: Process!
    private var identity: [UInt8] = []
    private var logFile: URL!

    override func setUpWithError() throws {
        context = try ZMQContext()
        router = try ZMQSocket(context: context, type: .router)
        try router.setLinger(milliseconds: 0)
        try router.bind("tcp://127.0.0.1:*")
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        worker = Process()
        worker.executableURL = WorkerTrainTests.workerURL
        // A long liveness: the fake coordinator does not heartbeat.
        worker.arguments = ["--connect", try router.lastEndpoint, "--heartbeat", "1", "--liveness", "60",
                            "--simulate-epoch-seconds", "0"]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = try FileHandle(forWritingTo: logFile)
        try worker.run()
    }

    override func tearDown() {
        if let worker, worker.isRunning { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() }
        router?.close()
        if let logFile { try? FileManager.default.removeItem(at: logFile) }
    }

    private var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The next message from the worker other than HEARTBEAT and READY (nil after `timeout`).
    private func next(timeout: Double = 10) throws -> Message? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            _ = try Poller([router]).poll(timeoutMilliseconds: 50)
            while let frames = try router.receive(dontWait: true) {
                let (id, message) = try MessageCodec.decode(routed: frames)
                identity = id
                switch message {
                case .heartbeat, .ready: continue
                default: return message
                }
            }
        }
        return nil
    }

    private func send(_ message: Message) throws {
        _ = try router.send(try MessageCodec.encode(message, to: identity))
    }

    private func epochs(of messages: [Message?]) -> [Int] {
        messages.compactMap { if case .metric(let m)? = $0 { m.epoch } else { nil } }
    }

    func testMissingEpochsAreResentThenTheResultAndLostOnesFailTheAttempt() throws {
        guard case .hello = try next() else { return XCTFail("no HELLO; log:\n\(log)") }
        let attempt = TrialAttempt(trialID: "t1", attempt: 1)
        try send(.task(TaskBody(trialID: "t1", attempt: 1, parameters: [.init("epochs", "3")], threads: 1)))

        // The trial as it ran: METRIC 1...3 (MLPKit's EpochReport), then RESULT (its TrialResult).
        let run = try (0..<4).map { _ in try next() }
        XCTAssertEqual(epochs(of: run), [1, 2, 3], "\(run)")
        guard case .metric(let first)? = run[0], case .result(let result)? = run[3] else { return XCTFail("\(run)") }
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.report.text.utf8)) as? [String: Any])
        for key in ["type", "epoch", "stage", "lr", "train_loss", "train_acc", "val_acc", "samples_per_s", "grad_norm",
                    "weight_norm", "weight_std", "update_ratio", "saturated", "dead", "grad_ratio"] {
            XCTAssertNotNil(report[key], "simulated epoch report lacks \(key): \(first.report.text)")
        }
        XCTAssertEqual(report["train_loss"] as? Double, 1)
        let final = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.result.text.utf8)) as? [String: Any])
        XCTAssertEqual(final["status"] as? String, "ok")
        XCTAssertEqual(final["epochs"] as? Int, 3)
        XCTAssertEqual(final["test_acc"] as? Double, final["val_acc"] as? Double)
        XCTAssertEqual(final["test_acc"] as? Double, report["val_acc"] as? Double, "one score per trial id")

        // MISSING epochs it kept: those METRICs again, in order, then the same RESULT.
        try send(.missing(MissingBody(trialID: "t1", attempt: 1, epochs: [1, 3])))
        let resent = try (0..<3).map { _ in try next() }
        XCTAssertEqual(epochs(of: resent), [1, 3], "\(resent)")
        XCTAssertEqual(resent[0], run[0])
        XCTAssertEqual(resent[1], run[2])
        XCTAssertEqual(resent[2], run[3])

        // An epoch it never had: the attempt fails, and the FAIL is said again until ACKed.
        try send(.missing(MissingBody(trialID: "t1", attempt: 1, epochs: [2, 7, 8, 9])))
        let fail = Message.fail(FailBody(trialID: "t1", attempt: 1, reason: "epochs 7-9 lost by the worker"))
        XCTAssertEqual(try next(), fail)
        try send(.missing(MissingBody(trialID: "t1", attempt: 1, epochs: [2])))
        XCTAssertEqual(try next(), fail)

        // Once ACKed, the attempt is forgotten, epochs included: MISSING gets no answer.
        try send(.ack(attempt))
        try send(.missing(MissingBody(trialID: "t1", attempt: 1, epochs: [1])))
        XCTAssertNil(try next(timeout: 1))

        try send(.disconnect(DisconnectBody(reason: DisconnectBody.done)))
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0, log)
    }

    /// After a reconnection the unacknowledged RESULT is sent again; its epochs stay kept.
    func testUnacknowledgedResultIsResentAfterRegistrationWithItsEpochsKept() throws {
        guard case .hello = try next() else { return XCTFail("no HELLO; log:\n\(log)") }
        try send(.task(TaskBody(trialID: "t2", attempt: 4, parameters: [.init("epochs", "2")], threads: 1)))
        let run = try (0..<3).map { _ in try next() }
        XCTAssertEqual(epochs(of: run), [1, 2], "\(run)")
        // "I do not know you": HELLO again, then the RESULT it still holds.
        try send(.disconnect(DisconnectBody(reason: DisconnectBody.unknown)))
        guard case .hello(let hello)? = try next() else { return XCTFail("no second HELLO") }
        XCTAssertNil(hello.current, "the trial is finished")
        XCTAssertEqual(try next(), run[2])
        try send(.missing(MissingBody(trialID: "t2", attempt: 4, epochs: [2])))
        XCTAssertEqual(try next(), run[1])
        XCTAssertEqual(try next(), run[2])
        // A CANCEL of the finished attempt drops its epochs; its RESULT is still there to ACK.
        try send(.cancel(TrialAttempt(trialID: "t2", attempt: 4)))
        try send(.missing(MissingBody(trialID: "t2", attempt: 4, epochs: [1])))
        XCTAssertEqual(try next(), .fail(FailBody(trialID: "t2", attempt: 4, reason: "epochs 1 lost by the worker")))
        try send(.ack(TrialAttempt(trialID: "t2", attempt: 4)))
        try send(.disconnect(DisconnectBody(reason: DisconnectBody.done)))
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0, log)
    }
}
