import Foundation
import XCTest
@testable import Coordinator
import SweepCore

/// The store's durability setting, and METRIC/RESULT payloads from the wire to the store.
final class StoreAndWireTests: XCTestCase {
    /// GRDB's DatabasePool sets `synchronous = NORMAL` when it switches to WAL; the store must
    /// put FULL back on the writer connection, or an acknowledged result could be lost.
    func testTheWriterCommitsWithSynchronousFull() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sweep.db").path
        let store = try SweepStore(path: path)
        XCTAssertEqual(try store.synchronousSetting(), 2, "PRAGMA synchronous on the writer: 2 = FULL")
        // Still so after some writes, and for a store opened again on the same file.
        try store.register(SweepRecord(name: "s", spec: "", metric: "test_acc", goal: "maximize", maxAttempts: 3),
                           trials: [TrialRecord(id: "t1", configID: "c", name: "n", ordinal: 0, parameters: [("seed", "1")], swept: [])])
        try store.apply([.start(trial: "t1", attempt: 1, worker: "w", host: "h"),
                         .metric(trial: "t1", attempt: 1, epoch: 1, report: #"{"epoch":1}"#)])
        XCTAssertEqual(try store.synchronousSetting(), 2)
        XCTAssertEqual(try SweepStore(path: path).synchronousSetting(), 2)
    }

    /// The statements `apply` caches are reused across turns and connections see the results.
    func testApplyRunsEveryChangeAcrossTurns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SweepStore(path: directory.appendingPathComponent("sweep.db").path)
        try store.register(SweepRecord(name: "s", spec: "", metric: "test_acc", goal: "maximize", maxAttempts: 2),
                           trials: (1...3).map { TrialRecord(id: "t\($0)", configID: "c", name: "n", ordinal: $0,
                                                            parameters: [("seed", "\($0)")], swept: []) })
        for turn in 1...3 {
            try store.apply([.start(trial: "t\(turn)", attempt: 1, worker: "w", host: "h")]
                            + (1...4).map { .metric(trial: "t\(turn)", attempt: 1, epoch: $0, report: #"{"epoch":\#($0)}"#) })
        }
        try store.apply([.finish(trial: "t1", attempt: 1, outcome: TrialOutcome(json: #"{"status":"ok","test_acc":0.5,"epochs":4}"#)!),
                         .attemptFailed(trial: "t2", attempt: 1, reason: "boom", outcome: "failed", maxAttempts: 2),
                         .attemptFailed(trial: "t3", attempt: 1, reason: "gone", outcome: "lost", maxAttempts: 1)])
        XCTAssertEqual(try store.metricCount(), 12)
        let trials = try store.trials()
        XCTAssertEqual(trials.map(\.status), ["ok", "queued", "failed"])
        XCTAssertEqual(trials[0].testAcc, 0.5)
        XCTAssertEqual(trials[0].epochs, 4)
        XCTAssertEqual(trials[1].message, "attempt 1: boom")
        XCTAssertEqual(trials[2].message, "attempt 1: gone")
    }

    func testTrialQueueRemove() {
        var queue = TrialQueue((1...5).map { .init(id: "t\($0)", parameters: [], attempts: 0) })
        XCTAssertEqual(queue.pop()?.id, "t1")
        XCTAssertNil(queue.remove("t1"))          // popped already
        XCTAssertNil(queue.remove("nope"))
        XCTAssertEqual(queue.remove("t3")?.id, "t3")
        XCTAssertNil(queue.remove("t3"))
        queue.pushFront(.init(id: "t1", parameters: [], attempts: 1))
        XCTAssertEqual(queue.count, 4)
        XCTAssertEqual(queue.remove("t1")?.attempts, 1)
        XCTAssertEqual([queue.pop(), queue.pop(), queue.pop(), queue.pop()].map { $0?.id }, ["t2", "t4", "t5", nil])
        XCTAssertTrue(queue.isEmpty)
    }

    /// A hand-driven worker against the real coordinator: the METRIC payload is stored byte for
    /// byte, the RESULT payload is read once for its numbers, and a malformed payload is
    /// answered with an ERROR naming frame 3 without ending anything.
    func testPayloadsAreStoredAsSent() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 2))
        let coordinator = try cluster.startCoordinator()
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setRoutingID(Array("hand-worker".utf8))
        try socket.connect(cluster.endpoint)
        defer { socket.close() }

        func send(_ message: Message) throws { _ = try socket.send(try MessageCodec.encode(message)) }
        func receive(until wanted: (Message) -> Bool) throws -> Message {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                guard try !Poller([socket]).poll(timeoutMilliseconds: 100).isEmpty else { continue }
                while let frames = try socket.receive(dontWait: true) {
                    let message = try MessageCodec.decode(frames: frames)
                    if case .heartbeat = message { try send(.heartbeat) }
                    if wanted(message) { return message }
                }
            }
            XCTFail("nothing wanted came\n\(cluster.log("coordinator"))")
            throw CancellationError()
        }

        try send(.hello(HelloBody(workerID: "hand-worker", host: "test", cores: 1, pid: 1)))
        try send(.ready)
        guard case .task(let task) = try receive(until: { if case .task = $0 { true } else { false } }) else { return }

        let reports = [#" {"epoch": 1, "note": "ünï \"q\" \u00e9", "x": [1.5e-3, null]}"#, #"{"epoch":2,"train_loss":"nan"}"#]
        for (k, text) in reports.enumerated() {
            try send(.metric(MetricBody(trialID: task.trialID, attempt: task.attempt, epoch: k + 1, report: try JSONPayload(text: text))))
        }
        // A payload that is not JSON: ERROR naming frame 3, and nothing stored.
        _ = try socket.send([ProtocolLimits.signature, Array("METRIC".utf8),
                             Array(#"{"trial_id":"\#(task.trialID)","attempt":\#(task.attempt),"epoch":3}"#.utf8),
                             Array(#"{"epoch":3,"#.utf8)])
        guard case .error(let error) = try receive(until: { if case .error = $0 { true } else { false } }) else { return }
        XCTAssertTrue(error.reason.hasPrefix("frame 3: METRIC payload is not valid JSON"), error.reason)

        let result = #"{"epochs":2,"seconds":0.5,"status":"ok","test_acc":0.75,"type":"result","val_acc":0.5}"#
        try send(.result(ResultBody(trialID: task.trialID, attempt: task.attempt, result: try JSONPayload(text: result))))
        let ack = try receive(until: { if case .ack = $0 { true } else { false } })
        XCTAssertEqual(ack, .ack(TrialAttempt(trialID: task.trialID, attempt: task.attempt)))
        try send(.ready)
        _ = try receive(until: { $0 == .disconnect(DisconnectBody(reason: DisconnectBody.done)) })
        XCTAssertEqual(cluster.waitForExit(coordinator), 0)

        let store = try cluster.store()
        XCTAssertEqual(try store.metrics().map(\.report), reports)
        XCTAssertEqual(try store.metrics().map(\.epoch), [1, 2])
        let trial = try XCTUnwrap(store.trials().first)
        XCTAssertEqual(trial.status, "ok")
        XCTAssertEqual(trial.testAcc, 0.75)
        XCTAssertEqual(trial.epochs, 2)
        XCTAssertTrue(cluster.log("coordinator").contains("frame 3: METRIC payload"))
    }

    /// A worker of another version is sent away with the reason, before it gets any work.
    func testAWorkerOfAnotherVersionIsRefused() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 1))
        let coordinator = try cluster.startCoordinator()
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.connect(cluster.endpoint)
        defer { socket.close() }
        _ = try socket.send(try MessageCodec.encode(.hello(HelloBody(workerID: "old", host: "test", cores: 1, pid: 1, version: "0.0.1"))))
        _ = try socket.send(try MessageCodec.encode(.ready))
        var reply: Message?
        let deadline = Date().addingTimeInterval(20)
        while reply == nil && Date() < deadline {
            if try !Poller([socket]).poll(timeoutMilliseconds: 100).isEmpty, let frames = try socket.receive(dontWait: true) {
                let message = try MessageCodec.decode(frames: frames)
                if case .heartbeat = message { continue }
                reply = message
            }
        }
        guard case .disconnect(let body) = reply else { return XCTFail("expected DISCONNECT, got \(String(describing: reply))") }
        XCTAssertEqual(body.reason, "version mismatch: worker 0.0.1, coordinator \(vgsweepVersion)")
        XCTAssertEqual(cluster.runningCount(), 0)
    }
}
