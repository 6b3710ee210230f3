import Foundation
import MLPKit
import SweepFile
import SweepSchema
import SweepStorage
import SweepWire
import XCTest
@testable import Coordinator

/// METRIC and RESULT payloads from the wire to the store, with a hand-driven worker against
/// the real coordinator. (The store's own tests are in SweepStorageTests.)
final class StoreAndWireTests: XCTestCase {
    /// MLPKit's own reports through `JSONPayload`, non-finite numbers included: what the worker
    /// sends is what the coordinator stores and the report reads.
    func testMLPKitReportsPassThroughJSONPayload() throws {
        let text = #"{"dead":[0],"epoch":1,"grad_norm":[1,2],"grad_ratio":"nan","lr":0.1,"samples_per_s":1000,"saturated":[0.5],"# +
            #""stage":1,"train_acc":0.5,"train_loss":"inf","type":"epoch","update_ratio":[],"weight_norm":[3],"weight_std":[0.5]}"#
        let epoch = try JSONPayload(text: text).decode(as: EpochReport.self)
        XCTAssertEqual(epoch.trainLoss, .infinity)
        XCTAssertTrue(epoch.gradRatio.isNaN)
        XCTAssertEqual(try JSONPayload(encoding: epoch).text, text)
        // A result as the worker encodes it passes the schema the coordinator checks.
        let result = #"{"epochs":2,"message":"train loss is nan","samples_per_s":"nan","seconds":1.5,"status":"diverged","test_acc":0.1,"type":"result"}"#
        let decoded = try JSONPayload(text: result).decode(as: TrialResult.self)
        XCTAssertEqual(decoded.status, .diverged)
        XCTAssertTrue(decoded.samplesPerS.isNaN)
        XCTAssertEqual(try JSONPayload(encoding: decoded).text, result)
        XCTAssertEqual(try TrialOutcome(json: result, epochBudget: 2).result.epochs, 2)
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

        let result = #"{"epochs":2,"samples_per_s":100,"seconds":0.5,"status":"ok","test_acc":0.75,"type":"result","val_acc":0.5}"#
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
        XCTAssertEqual(trial.status, .ok)
        XCTAssertEqual(trial.result, result)
        XCTAssertEqual(try store.attempts().map(\.outcome), [.ok])
        XCTAssertEqual(trial.testAcc, 0.75)
        XCTAssertEqual(trial.epochs, 2)
        XCTAssertTrue(cluster.log("coordinator").contains("frame 3: METRIC payload"))
    }

    /// One coordinator per database: a second one on the same file exits at once with an
    /// error naming the file and the first one's host and pid, and changes nothing.
    func testASecondCoordinatorOnTheSameDatabaseIsRefused() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 2, epochs: 1))
        let coordinator = try cluster.startCoordinator()
        defer { kill(coordinator.processIdentifier, SIGKILL) }
        cluster.wait("the coordinator to listen") { cluster.log("coordinator").contains("listening on") }
        let rival = try cluster.startRivalCoordinator()
        XCTAssertNotEqual(cluster.waitForExit(rival, timeout: 30), 0)
        let log = cluster.log("rival")
        XCTAssertTrue(log.contains("\(cluster.db) is in use by another coordinator (\(ProcessInfo.processInfo.hostName) pid \(coordinator.processIdentifier))"),
                      log)
        XCTAssertTrue(coordinator.isRunning)
        XCTAssertEqual(try cluster.store().trials().map(\.status), [.queued, .queued])
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
