import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// Each rule of `SweepMachine`, as a dialogue with made-up workers (docs/architecture.md
/// lists the rules with the test that checks each).
final class SweepMachineTests: XCTestCase {
    // MARK: - Leases and results

    func testATrialGoesToTheFirstReadyWorkerAndItsResultCounts() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        XCTAssertEqual(task.trialID, "t1")
        XCTAssertEqual(task.attempt, 1)
        XCTAssertTrue(h.changes.contains(.start(TrialAttempt(trialID: "t1", attempt: 1), worker: "a", host: "host-a")))
        _ = h.take()
        h.train("a", task)
        XCTAssertEqual(h.changes.filter { if case .metric = $0 { true } else { false } }.count, 3)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t1", attempt: 1)])
        XCTAssertEqual(h.messages(to: "a"), [.ack(TrialAttempt(trialID: "t1", attempt: 1))])
        XCTAssertEqual(h.machine.status(of: "t1"), .ok)
        XCTAssertEqual(h.machine.finishedCount, 1)
    }

    func testAResultForAnotherWorkersLeaseIsRefusedAndChangesNothing() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        h.hello("forger")
        _ = h.take()
        h.result("forger", task.trialID, attempt: task.attempt, valAcc: 0.999)
        h.say("forger", .fail(FailBody(trialID: task.trialID, attempt: task.attempt, reason: "nope")))
        h.metric("forger", task.trialID, attempt: task.attempt, epoch: 1)
        XCTAssertTrue(h.changes.isEmpty, "\(h.changes)")
        XCTAssertEqual(h.errors(to: "forger").count, 3)
        XCTAssertTrue(h.messages(to: "a").isEmpty, "the real worker is not cancelled")
        XCTAssertEqual(h.machine.lease(of: "t1")?.peer, PeerID("a"))
        h.train("a", task)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t1", attempt: 1)])
    }

    func testAResultForAQueuedTrialNeverHandedOutIsRefused() {
        var h = Harness()
        h.hello("forger")
        _ = h.take()
        h.result("forger", "t2", attempt: 1)
        h.result("forger", "t2", attempt: 0)
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.errors(to: "forger").count, 2)
        XCTAssertEqual(h.machine.status(of: "t2"), .queued)
        XCTAssertEqual(h.machine.finishedCount, 0)
    }

    func testAnIDOutsideTheSweepIsRefused() {
        var h = Harness()
        h.hello("forger")
        _ = h.take()
        h.result("forger", "not-in-the-sweep", attempt: 1)
        h.metric("forger", "not-in-the-sweep", epoch: 1)
        h.say("forger", .fail(FailBody(trialID: "not-in-the-sweep", attempt: 1, reason: "x")))
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.errors(to: "forger").count, 3)
        XCTAssertTrue(h.errors(to: "forger")[0].contains("not in this sweep"), h.errors(to: "forger")[0])
        XCTAssertEqual(h.machine.finishedCount, 0)
    }

    func testAnUnregisteredPeerIsAskedToIntroduceItselfAndChangesNothing() {
        var h = Harness()
        h.result("stranger", "t1")
        h.say("stranger", .ready)
        h.say("stranger", .heartbeat)
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.messages(to: "stranger"), Array(repeating: .disconnect(DisconnectBody(reason: DisconnectBody.unknown)), count: 3))
        XCTAssertEqual(h.machine.workerCount, 0)
    }

    func testAResultThatBreaksTheSchemaFailsTheAttemptWithTheReason() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        for e in 1...3 { h.metric("a", task.trialID, epoch: e) }
        _ = h.take()
        h.result("a", task.trialID, valAcc: -5)
        XCTAssertTrue(h.finishes.isEmpty)
        guard case .endAttempt(let attempt, .failed, let reason, .queued, _)? = h.changes.first else {
            return XCTFail("\(h.changes)")
        }
        XCTAssertEqual(attempt, TrialAttempt(trialID: "t1", attempt: 1))
        XCTAssertTrue(reason.contains("val_acc"), reason)
        XCTAssertEqual(h.messages(to: "a"), [.ack(attempt)], "acknowledged, so the worker stops resending it")
        XCTAssertEqual(h.machine.status(of: "t1"), .queued)
    }

    func testAResultClaimingMoreEpochsThanTheBudgetIsRefused() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        _ = h.take()
        h.result("a", task.trialID, epochs: 4)
        guard case .endAttempt(_, .failed, let reason, _, _)? = h.changes.first else { return XCTFail("\(h.changes)") }
        XCTAssertTrue(reason.contains("epochs"), reason)
    }

    func testAMetricOutsideTheBudgetIsRefused() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        _ = h.take()
        h.metric("a", task.trialID, epoch: 4)
        h.metric("a", task.trialID, epoch: 0)
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.errors(to: "a").count, 2)
        XCTAssertEqual(h.machine.lease(of: "t1")?.peer, PeerID("a"), "a bad report does not cost the lease")
    }

    func testAResultIsCountedOnlyWithEveryEpochStored() throws {
        var h = Harness()
        let task = try XCTUnwrap(h.join("a"))
        h.metric("a", task.trialID, epoch: 2)
        _ = h.take()
        h.result("a", task.trialID)
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.messages(to: "a"), [.missing(MissingBody(trialID: "t1", attempt: 1, epochs: [1, 3]))])
        _ = h.take()
        h.metric("a", task.trialID, epoch: 3)
        h.metric("a", task.trialID, epoch: 1)
        h.result("a", task.trialID)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t1", attempt: 1)])
    }

    // MARK: - Superseded attempts and replays

    func testASupersededAttemptOfTheSamePeerIsAcknowledgedOrCancelledAndIgnored() throws {
        var h = Harness(count: 1)
        let first = try XCTUnwrap(h.join("a"))
        h.say("a", .disconnect(DisconnectBody(reason: "bye")))
        let second = try XCTUnwrap(h.join("b"))
        XCTAssertEqual(second.attempt, 2)
        h.hello("a")
        _ = h.take()
        h.metric("a", first.trialID, attempt: 1, epoch: 1)
        h.result("a", first.trialID, attempt: 1)
        h.say("a", .fail(FailBody(trialID: first.trialID, attempt: 1, reason: "late")))
        XCTAssertTrue(h.changes.isEmpty, "\(h.changes)")
        let attempt1 = TrialAttempt(trialID: "t1", attempt: 1)
        XCTAssertEqual(h.messages(to: "a"), [.cancel(attempt1), .ack(attempt1), .ack(attempt1)])
        XCTAssertEqual(h.machine.lease(of: "t1")?.peer, PeerID("b"))
    }

    func testTheSameEventTwiceChangesNothingTheSecondTime() throws {
        var h = Harness(count: 2)
        let task = try XCTUnwrap(h.join("a"))
        h.metric("a", task.trialID, epoch: 1)
        _ = h.take()
        h.metric("a", task.trialID, epoch: 1)
        XCTAssertTrue(h.changes.isEmpty)
        h.metric("a", task.trialID, epoch: 2)
        h.metric("a", task.trialID, epoch: 3)
        h.result("a", task.trialID)
        XCTAssertEqual(h.finishes.count, 1)
        _ = h.take()
        h.result("a", task.trialID)
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.messages(to: "a"), [.ack(TrialAttempt(trialID: "t1", attempt: 1))])
        // A FAIL twice: one strike.
        _ = h.take()
        h.say("a", .ready)
        let next = try XCTUnwrap(h.tasks(to: "a").first)
        h.say("a", .fail(FailBody(trialID: next.trialID, attempt: next.attempt, reason: "boom")))
        h.say("a", .fail(FailBody(trialID: next.trialID, attempt: next.attempt, reason: "boom")))
        XCTAssertEqual(h.changes.filter { if case .endAttempt = $0 { true } else { false } }.count, 1)
    }

    // MARK: - Re-registration

    func testAHelloWithoutCurrentGivesTheLeaseBack() throws {
        // Issue 9, item 2: a worker's old socket said HELLO and READY to a new coordinator,
        // which leased a trial to it; then its fresh socket said HELLO without `current`.
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        _ = h.take()
        h.hello("a")
        guard case .endAttempt(TrialAttempt(trialID: task.trialID, attempt: 1), .lost, _, .queued, _)? = h.changes.first else {
            return XCTFail("\(h.changes)")
        }
        XCTAssertNil(h.machine.lease(of: "t1"))
        _ = h.take()
        h.say("a", .ready)
        XCTAssertEqual(h.tasks(to: "a").first?.attempt, 2, "handed out again, not left hanging")
    }

    func testAHelloNamingTheLeaseKeepsIt() throws {
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        _ = h.take()
        h.hello("a", current: TrialAttempt(trialID: task.trialID, attempt: task.attempt))
        XCTAssertTrue(h.changes.isEmpty)
        XCTAssertEqual(h.machine.lease(of: "t1")?.peer, PeerID("a"))
    }

    func testAHelloNamingAnAttemptItNeverHeldIsCancelled() throws {
        var h = Harness(count: 2)
        _ = try XCTUnwrap(h.join("a"))
        h.hello("b", current: TrialAttempt(trialID: "t1", attempt: 1))
        h.hello("c", current: TrialAttempt(trialID: "t2", attempt: 1))
        XCTAssertTrue(h.messages(to: "b").contains(.cancel(TrialAttempt(trialID: "t1", attempt: 1))))
        XCTAssertTrue(h.messages(to: "c").contains(.cancel(TrialAttempt(trialID: "t2", attempt: 1))))
        XCTAssertEqual(h.machine.lease(of: "t1")?.peer, PeerID("a"))
        XCTAssertNil(h.machine.lease(of: "t2"))
    }

    func testAReadyWhileHoldingALeaseGivesItBack() throws {
        var h = Harness(count: 1)
        _ = try XCTUnwrap(h.join("a"))
        _ = h.take()
        h.say("a", .ready)
        XCTAssertTrue(h.changes.contains { if case .endAttempt(_, .lost, _, _, _) = $0 { true } else { false } })
        XCTAssertEqual(h.tasks(to: "a").first?.attempt, 2)
    }

    func testAWorkerOfAnotherVersionIsSentAway() {
        var h = Harness()
        h.hello("old", version: "0.0.1")
        guard case .disconnect(let body)? = h.messages(to: "old").first else { return XCTFail() }
        XCTAssertTrue(body.reason.contains("version mismatch"))
        XCTAssertEqual(h.machine.workerCount, 0)
    }

    // MARK: - Losing a lease

    func testHeartbeatsAloneDoNotKeepALease() throws {
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        h.metric("a", task.trialID, epoch: 1)
        _ = h.take()
        for _ in 0..<59 { h.tick(after: 1); h.say("a", .heartbeat) }
        XCTAssertNotNil(h.machine.lease(of: "t1"), "within the timeout")
        for _ in 0..<2 { h.tick(after: 1); h.say("a", .heartbeat) }
        XCTAssertNil(h.machine.lease(of: "t1"))
        XCTAssertTrue(h.messages(to: "a").contains(.cancel(TrialAttempt(trialID: "t1", attempt: 1))))
        XCTAssertTrue(h.changes.contains { if case .endAttempt(_, .lost, let r, .queued, _) = $0 { r.contains("no progress") } else { false } })
    }

    func testTheProgressDeadlineGrowsWithTheSlowestEpoch() throws {
        var settings = Harness.settings
        settings.progressTimeout = 10
        var h = Harness(count: 1, epochs: 5, settings: settings)
        let task = try XCTUnwrap(h.join("a"))
        // Epochs 8 s apart: the deadline becomes 10 x 8 = 80 s.
        for e in 1...2 {
            for _ in 0..<8 { h.tick(after: 1); h.say("a", .heartbeat) }
            h.metric("a", task.trialID, epoch: e)
        }
        for _ in 0..<79 { h.tick(after: 1); h.say("a", .heartbeat) }
        XCTAssertNotNil(h.machine.lease(of: "t1"))
        for _ in 0..<2 { h.tick(after: 1); h.say("a", .heartbeat) }
        XCTAssertNil(h.machine.lease(of: "t1"))
    }

    func testASilentWorkerLosesItsLeaseAndOthersGetTheTrial() throws {
        var h = Harness(count: 1)
        _ = try XCTUnwrap(h.join("a"))
        h.hello("b")
        for _ in 0..<3 { h.tick(after: 1); h.say("b", .heartbeat) }
        XCTAssertNotNil(h.machine.lease(of: "t1"))
        h.tick(after: 0.5)
        XCTAssertNil(h.machine.lease(of: "t1"))
        XCTAssertEqual(h.machine.workerCount, 1)
        h.say("b", .ready)
        XCTAssertEqual(h.tasks(to: "b").first?.attempt, 2)
    }

    func testAWorkerCutOffTakesItsTrialBackIfNobodyElseHas() throws {
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        h.metric("a", task.trialID, epoch: 1)
        h.tick(after: 3.5)
        XCTAssertNil(h.machine.lease(of: "t1"), "lost when silent")
        _ = h.take()
        h.hello("a", current: TrialAttempt(trialID: "t1", attempt: 1))
        XCTAssertEqual(h.changes, [.adopt(TrialAttempt(trialID: "t1", attempt: 1), worker: "a", host: "host-a")])
        h.metric("a", task.trialID, epoch: 2)
        h.metric("a", task.trialID, epoch: 3)
        h.result("a", task.trialID)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t1", attempt: 1)], "epoch 1 was kept from before the cut")
    }

    func testGoingSilentForAMomentBuysALeaseNoTime() throws {
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        h.metric("a", task.trialID, epoch: 1)
        for _ in 0..<50 { h.tick(after: 1); h.say("a", .heartbeat) }
        h.tick(after: 4)                       // silent: lost, adoptable
        h.hello("a", current: TrialAttempt(trialID: "t1", attempt: 1))
        XCTAssertNotNil(h.machine.lease(of: "t1"), "taken back")
        for _ in 0..<7 { h.tick(after: 1); h.say("a", .heartbeat) }
        XCTAssertNil(h.machine.lease(of: "t1"), "the 60 s deadline ran on across the cut")
    }

    func testALeavingOrUnreachableWorkerLosesItsLeaseAtOnce() throws {
        var h = Harness(count: 2)
        _ = try XCTUnwrap(h.join("a"))
        _ = try XCTUnwrap(h.join("b"))
        _ = h.take()
        h.say("a", .disconnect(DisconnectBody(reason: "shutting down")))
        h.machine.handle(.unreachable(PeerID("b"), at: h.now), into: &h.effects)
        let reasons = h.changes.compactMap { if case .endAttempt(_, .lost, let r, _, _) = $0 { r } else { nil } }
        XCTAssertEqual(reasons, ["worker left: shutting down", "worker unreachable"])
        XCTAssertEqual(h.machine.workerCount, 0)
        XCTAssertEqual(h.machine.queuedCount, 2)
    }

    // MARK: - Retries

    func testEveryFailIsAStrikeAndMaxAttemptsFailTheTrial() throws {
        var h = Harness(count: 1)
        h.hello("a")
        for attempt in 1...3 {
            _ = h.take()
            h.say("a", .ready)
            let task = try XCTUnwrap(h.tasks(to: "a").first)
            XCTAssertEqual(task.attempt, attempt)
            h.say("a", .fail(FailBody(trialID: "t1", attempt: attempt, reason: "boom \(attempt)")))
        }
        XCTAssertEqual(h.machine.status(of: "t1"), .failed)
        XCTAssertTrue(h.machine.isDone)
        guard case .endAttempt(_, .failed, _, .failed, let message)? = h.changes.first(where: { if case .endAttempt = $0 { true } else { false } }) else {
            return XCTFail("\(h.changes)")
        }
        XCTAssertEqual(message, "attempt 1: boom 1; attempt 2: boom 2; attempt 3: boom 3")
        XCTAssertTrue(h.messages(to: "a").contains(.disconnect(DisconnectBody(reason: DisconnectBody.done))))
    }

    func testOneClientLeavingOverAndOverCannotFailATrial() throws {
        var h = Harness(count: 1)
        for _ in 1...6 {
            _ = try XCTUnwrap(h.join("mallory"))
            h.say("mallory", .disconnect(DisconnectBody(reason: "ha")))
        }
        XCTAssertEqual(h.machine.status(of: "t1"), .queued, "six losses by one worker are one strike")
        for name in ["x", "y"] {
            _ = try XCTUnwrap(h.join(name))
            h.say(name, .disconnect(DisconnectBody(reason: "crash")))
        }
        XCTAssertEqual(h.machine.status(of: "t1"), .failed, "three workers lost it: failed")
    }

    func testARetryGoesToTheFrontOfTheQueue() throws {
        var h = Harness(count: 3)
        _ = try XCTUnwrap(h.join("a"))
        h.say("a", .fail(FailBody(trialID: "t1", attempt: 1, reason: "x")))
        _ = h.take()
        h.say("a", .ready)
        XCTAssertEqual(h.tasks(to: "a").first.map { TrialAttempt(trialID: $0.trialID, attempt: $0.attempt) },
                       TrialAttempt(trialID: "t1", attempt: 2))
    }

    // MARK: - Restart

    static func interrupted() -> [RecoveredTrial] {
        [Harness.trial("t1", status: .ok, attempts: 1, history: [.init(attempt: 1, worker: "a", outcome: .ok, reason: nil)]),
         Harness.trial("t2", status: .running, attempts: 2,
                       history: [.init(attempt: 1, worker: "c", outcome: .lost, reason: "gone"),
                                 .init(attempt: 2, worker: "a", outcome: nil, reason: nil)], stored: [1]),
         Harness.trial("t3", status: .running, attempts: 1, history: [.init(attempt: 1, worker: "b", outcome: nil, reason: nil)]),
         Harness.trial("t4")]
    }

    func testARestartInterruptsRunningTrialsAndTheirWorkersTakeThemBack() throws {
        var h = Harness(trials: Self.interrupted())
        XCTAssertEqual(h.changes, [.interrupt(TrialAttempt(trialID: "t2", attempt: 2)), .interrupt(TrialAttempt(trialID: "t3", attempt: 1))])
        XCTAssertEqual(h.machine.finishedCount, 1)
        _ = h.take()
        // A still trains t2 attempt 2: adopted, and only what is missing is asked for.
        h.hello("a", current: TrialAttempt(trialID: "t2", attempt: 2))
        XCTAssertEqual(h.changes, [.adopt(TrialAttempt(trialID: "t2", attempt: 2), worker: "a", host: "host-a")])
        _ = h.take()
        h.result("a", "t2", attempt: 2)
        XCTAssertEqual(h.messages(to: "a"), [.missing(MissingBody(trialID: "t2", attempt: 2, epochs: [2, 3]))])
        h.metric("a", "t2", attempt: 2, epoch: 2)
        h.metric("a", "t2", attempt: 2, epoch: 3)
        h.result("a", "t2", attempt: 2)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t2", attempt: 2)])
        // B finished t3 while the coordinator was down: its RESULT alone brings it back.
        _ = h.take()
        h.hello("b")
        for e in 1...3 { h.metric("b", "t3", epoch: e) }
        h.result("b", "t3")
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: "t3", attempt: 1)])
        XCTAssertTrue(h.changes.contains(.adopt(TrialAttempt(trialID: "t3", attempt: 1), worker: "b", host: "host-b")))
    }

    func testOnlyTheWorkerThatRanAnInterruptedAttemptMayTakeItBack() {
        var h = Harness(trials: Self.interrupted())
        _ = h.take()
        h.hello("mallory", current: TrialAttempt(trialID: "t2", attempt: 2))
        h.result("mallory", "t3")
        h.hello("a", current: TrialAttempt(trialID: "t2", attempt: 1))   // an older attempt
        XCTAssertTrue(h.changes.isEmpty, "\(h.changes)")
        XCTAssertTrue(h.messages(to: "mallory").contains(.cancel(TrialAttempt(trialID: "t2", attempt: 2))))
        XCTAssertEqual(h.errors(to: "mallory").count, 1)
        XCTAssertTrue(h.messages(to: "a").contains(.cancel(TrialAttempt(trialID: "t2", attempt: 1))))
    }

    func testInterruptedTrialsWaitForTheirWorkersThenGoFirst() throws {
        var h = Harness(trials: Self.interrupted())
        let first = try XCTUnwrap(h.join("d"))
        XCTAssertEqual(first.trialID, "t4", "the grace keeps t2 and t3 for their workers")
        h.train("d", first)
        _ = h.take()
        h.say("d", .ready)
        XCTAssertTrue(h.tasks(to: "d").isEmpty)
        for _ in 0..<31 { h.tick(after: 1); h.say("d", .heartbeat) }
        XCTAssertEqual(h.tasks(to: "d").map(\.trialID), ["t2"])
        XCTAssertEqual(h.tasks(to: "d").first?.attempt, 3)
    }

    func testAStoredLossCountsAfterARestart() throws {
        // t2's attempt 1 was lost by c before the restart: two more workers losing it fail it.
        var settings = Harness.settings
        settings.adoptionGrace = 0
        var h = Harness(trials: Self.interrupted(), settings: settings)
        h.tick(after: 1)
        for name in ["x", "y"] {
            let task = try XCTUnwrap(h.join(name))
            XCTAssertEqual(task.trialID, "t2")
            h.say(name, .disconnect(DisconnectBody(reason: "crash")))
        }
        XCTAssertEqual(h.machine.status(of: "t2"), .failed)
    }

    // MARK: - The end, heartbeats

    func testTheEndIsToldToEveryWorkerAndToLateComers() throws {
        var h = Harness(count: 1)
        let task = try XCTUnwrap(h.join("a"))
        h.hello("b")
        h.train("a", task)
        XCTAssertTrue(h.machine.isDone)
        let done = Message.disconnect(DisconnectBody(reason: DisconnectBody.done))
        XCTAssertTrue(h.messages(to: "a").contains(done))
        XCTAssertTrue(h.messages(to: "b").contains(done))
        _ = h.take()
        h.hello("late")
        h.say("late", .ready)
        XCTAssertEqual(h.messages(to: "late"), [done, done])
        XCTAssertTrue(h.changes.isEmpty)
    }

    func testIdleWorkersGetHeartbeats() {
        var h = Harness(count: 1)
        h.hello("a")
        h.tick(after: 0.5)
        XCTAssertEqual(h.messages(to: "a"), [.heartbeat], "a new peer at once")
        _ = h.take()
        h.tick(after: 0.5)
        XCTAssertTrue(h.messages(to: "a").isEmpty)
        h.tick(after: 0.6)
        XCTAssertEqual(h.messages(to: "a"), [.heartbeat])
    }
}
