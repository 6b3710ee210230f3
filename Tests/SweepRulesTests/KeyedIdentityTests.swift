import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// With CURVE keys a worker is its key (and its name, which tells apart the processes sharing
/// a key); the routing id only says where to answer. Each test is an attack, or a reconnect
/// that must not look like one.
final class KeyedIdentityTests: XCTestCase {
    let alice = "A1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    let mallory = "M1mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"

    /// Mallory is authorised, names herself after Alice's worker and claims its trial on a
    /// connection of her own: refused, nothing changes.
    func testAnotherKeyCannotFinishAWorkersLeaseUnderItsName() throws {
        var h = Harness()
        h.hello("w1", key: alice)
        h.say("w1", .ready, key: alice)
        let task = try XCTUnwrap(h.tasks(to: "w1").first)
        _ = h.take()
        h.hello("m", name: "w1", key: mallory)
        for e in 1...3 { h.metric("m", task.trialID, epoch: e, key: mallory) }
        h.result("m", task.trialID, key: mallory)
        XCTAssertEqual(h.changes, [], "mallory's messages changed the store")
        XCTAssertEqual(h.errors(to: "m").count, 4)
        XCTAssertEqual(h.machine.lease(of: task.trialID)?.peer, PeerID("w1"))
        // Alice's own result still counts.
        for e in 1...3 { h.metric("w1", task.trialID, epoch: e, key: alice) }
        h.result("w1", task.trialID, key: alice)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: task.trialID, attempt: 1)])
    }

    /// Mallory takes Alice's routing id (ROUTER handover gives her the connection): Alice's
    /// registration is dropped, Mallory gets nothing of it, and Alice, back on a new
    /// connection, takes her trial back and finishes it.
    func testATakenOverRoutingIDGivesNothingAwayAndTheWorkerTakesItsTrialBack() throws {
        var h = Harness()
        h.hello("w1", key: alice)
        h.say("w1", .ready, key: alice)
        let task = try XCTUnwrap(h.tasks(to: "w1").first)
        h.metric("w1", task.trialID, epoch: 1, key: alice)
        _ = h.take()
        h.result("w1", task.trialID, key: mallory)
        XCTAssertFalse(h.changes.contains { if case .finish = $0 { true } else { false } })
        XCTAssertEqual(h.messages(to: "w1"), [.disconnect(DisconnectBody(reason: DisconnectBody.unknown))])
        XCTAssertNil(h.machine.lease(of: task.trialID))
        _ = h.take()
        h.hello("w1-again", name: "w1", key: alice, current: TrialAttempt(trialID: task.trialID, attempt: 1))
        XCTAssertEqual(h.changes, [.adopt(TrialAttempt(trialID: task.trialID, attempt: 1),
                                          worker: WorkerIdentity(name: "w1", key: alice), host: "host-w1-again")])
        for e in 2...3 { h.metric("w1-again", task.trialID, epoch: e, key: alice) }
        h.result("w1-again", task.trialID, key: alice)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: task.trialID, attempt: 1)])
    }

    /// The same worker on a new connection (a new socket, a routing id libzmq chose) keeps its
    /// lease: no loss, no strike; its old connection is forgotten.
    func testAWorkerReconnectingOnAnotherConnectionKeepsItsLease() throws {
        var h = Harness()
        h.hello("c1", name: "w1", key: alice)
        h.say("c1", .ready, key: alice)
        let task = try XCTUnwrap(h.tasks(to: "c1").first)
        h.metric("c1", task.trialID, epoch: 1, key: alice)
        _ = h.take()
        h.hello("c2", name: "w1", key: alice, current: TrialAttempt(trialID: task.trialID, attempt: 1))
        XCTAssertEqual(h.changes, [])
        XCTAssertEqual(h.machine.lease(of: task.trialID)?.peer, PeerID("c2"))
        XCTAssertEqual(h.machine.workerCount, 1)
        h.say("c1", .heartbeat, key: alice)
        XCTAssertEqual(h.messages(to: "c1"), [.disconnect(DisconnectBody(reason: DisconnectBody.unknown))])
        for e in 2...3 { h.metric("c2", task.trialID, epoch: e, key: alice) }
        h.result("c2", task.trialID, key: alice)
        XCTAssertEqual(h.finishes, [TrialAttempt(trialID: task.trialID, attempt: 1)])
    }

    /// After a restart, only the key that ran an interrupted attempt may take it back, even
    /// under the right name.
    func testOnlyTheKeyThatRanAnInterruptedAttemptMayTakeItBack() {
        let ran = WorkerIdentity(name: "w1", key: alice)
        var h = Harness(trials: [Harness.trial("t1", status: .running, attempts: 1,
                                               history: [.init(attempt: 1, worker: ran, outcome: nil, reason: nil)])])
        _ = h.take()
        let attempt = TrialAttempt(trialID: "t1", attempt: 1)
        h.hello("m", name: "w1", key: mallory, current: attempt)
        XCTAssertEqual(h.changes, [])
        XCTAssertEqual(h.messages(to: "m"), [.cancel(attempt)])
        h.hello("w1", name: "w1", current: attempt)   // no key at all
        XCTAssertEqual(h.changes, [])
        h.hello("a", name: "w1", key: alice, current: attempt)
        XCTAssertEqual(h.changes, [.adopt(attempt, worker: ran, host: "host-a")])
    }

    /// Workers sharing one key (a Slurm array given one certificate) are told apart by name:
    /// one cannot finish the other's trial.
    func testWorkersSharingAKeyAreStillTwoWorkers() throws {
        var h = Harness()
        h.hello("w1", key: alice)
        h.say("w1", .ready, key: alice)
        h.hello("w2", key: alice)
        h.say("w2", .ready, key: alice)
        let one = try XCTUnwrap(h.tasks(to: "w1").first), two = try XCTUnwrap(h.tasks(to: "w2").first)
        XCTAssertNotEqual(one.trialID, two.trialID)
        XCTAssertEqual(h.machine.workerCount, 2)
        _ = h.take()
        h.result("w2", one.trialID, key: alice)
        XCTAssertEqual(h.finishes, [])
        XCTAssertEqual(h.errors(to: "w2").count, 1)
    }
}
