import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// `early_terminate` in the machine: a rule's decision ends the trial `stopped`, its worker is
/// told to stop, and nothing of the stopped trial counts afterwards.
final class StoppingMachineTests: XCTestCase {
    /// A full epoch report, as a worker sends it.
    static func report(epoch: Int, gradRatio: Double, trainLoss: Double, valAcc: Double = 0.1) -> String {
        #"{"dead":[0],"epoch":\#(epoch),"grad_norm":[1],"grad_ratio":\#(gradRatio),"lr":0.01,"samples_per_s":1000,"#
            + #""saturated":[0],"stage":1,"train_acc":0.1,"train_loss":\#(trainLoss),"type":"epoch","update_ratio":[0],"#
            + #""val_acc":\#(valAcc),"val_loss":2.3,"weight_norm":[1],"weight_std":[0.05]}"#
    }

    private func say(_ h: inout Harness, _ peer: String, _ task: TaskBody, epoch: Int, gradRatio: Double, trainLoss: Double) {
        h.say(peer, .metric(MetricBody(trialID: task.trialID, attempt: task.attempt, epoch: epoch,
                                       report: try! JSONPayload(text: Self.report(epoch: epoch, gradRatio: gradRatio, trainLoss: trainLoss)))))
    }

    private var settings: SweepMachine.Settings {
        var s = Harness.settings
        s.metric = Metric(name: .valAcc, goal: .maximize)
        s.stopping = [.vanishing(StoppingRule.Vanishing())]
        return s
    }

    /// Model 3's numbers (grad_ratio 6e-6, train loss ln 10) stop it at epoch 7 (min_iter 5,
    /// patience 3); a healthy trial's run to their end.
    func testAVanishingTrialIsStoppedAndAHealthyOneIsNot() throws {
        var h = Harness(count: 2, epochs: 12, settings: settings)
        let sick = try XCTUnwrap(h.join("a")), well = try XCTUnwrap(h.join("b"))
        _ = h.take()
        for e in 1...6 { say(&h, "a", sick, epoch: e, gradRatio: 6e-6, trainLoss: 2.3027) }
        XCTAssertFalse(h.changes.contains { if case .stop = $0 { true } else { false } }, "stopped before epoch 7")
        say(&h, "a", sick, epoch: 7, gradRatio: 6e-6, trainLoss: 2.3027)
        let attempt = TrialAttempt(trialID: sick.trialID, attempt: 1)
        guard case .stop(let stopped, let reason, let last)? = h.changes.last else { return XCTFail("\(h.changes)") }
        XCTAssertEqual(stopped, attempt)
        XCTAssertTrue(reason.contains("vanishing") && reason.contains("7"), reason)
        XCTAssertEqual(last, LastEpoch(epoch: 7, valAcc: 0.1, trainLoss: 2.3027))
        XCTAssertEqual(h.messages(to: "a"), [.cancel(attempt)])
        XCTAssertEqual(h.machine.status(of: sick.trialID), .stopped)
        XCTAssertEqual(h.machine.stoppedCount, 1)
        _ = h.take()
        // What the worker still sends changes nothing: a late epoch is cancelled, its
        // cancelled RESULT acknowledged.
        say(&h, "a", sick, epoch: 8, gradRatio: 6e-6, trainLoss: 2.3027)
        h.result("a", sick.trialID, epochs: 8, status: "cancelled")
        XCTAssertEqual(h.changes, [])
        XCTAssertEqual(h.messages(to: "a"), [.cancel(attempt), .ack(attempt)])
        // The healthy one learns: 12 epochs, counted.
        for e in 1...12 { say(&h, "b", well, epoch: e, gradRatio: 0.05, trainLoss: 2.3 - 0.1 * Double(e)) }
        h.result("b", well.trialID, epochs: 12)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: well.trialID, attempt: 1)])
        XCTAssertTrue(h.machine.isDone)
    }

    /// After a restart the stopped trial stays stopped, and the judge knows the others' epochs.
    func testAStoppedTrialStaysStoppedAfterARestart() throws {
        let reports = (1...7).map { Self.report(epoch: $0, gradRatio: 6e-6, trainLoss: 2.3027) }
        let recovered = [
            RecoveredTrial(id: "t1", parameters: [.init("epochs", "12")], epochBudget: 12, status: .stopped, attempts: 1,
                           history: [.init(attempt: 1, worker: "a", outcome: .stopped, reason: "vanishing")], reports: reports),
            Harness.trial("t2", epochs: 12),
        ]
        var h = Harness(trials: recovered, settings: settings)
        XCTAssertEqual(h.machine.stoppedCount, 1)
        XCTAssertEqual(h.machine.finishedCount, 1)
        XCTAssertEqual(h.join("w")?.trialID, "t2")
    }
}
