import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// Random and bayes sweeps: trials made one at a time as workers ask, by a `TrialSource`
/// that sees every earlier trial's objective.
final class TrialSourceTests: XCTestCase {
    /// Makes trial k with seed k, and records every history it was shown.
    final class Counter: TrialSource, @unchecked Sendable {
        let budget: Int
        /// Stops offering after this many (nil: up to the budget).
        let offers: Int?
        var seen: [[SourcedTrial]] = []

        init(budget: Int, offers: Int? = nil) {
            self.budget = budget
            self.offers = offers
        }

        func next(after history: [SourcedTrial]) -> NewTrial? {
            seen.append(history)
            if let offers, history.count >= offers { return nil }
            let k = history.count
            let parameters = [TaskBody.Parameter("epochs", "3"), .init("seed", "\(k)")]
            return NewTrial(id: "s\(k)", configID: "c", parameters: parameters, swept: [.init("seed", "\(k)")], epochBudget: 3)
        }
    }

    func testTrialsAreMadeAsWorkersAskAndTheBudgetBoundsThem() throws {
        let source = Counter(budget: 3)
        var h = Harness(trials: [], source: source)
        XCTAssertFalse(h.machine.isDone)
        XCTAssertEqual(h.machine.queuedCount, 3)
        XCTAssertTrue(source.seen.isEmpty, "nothing is made before a worker asks")
        let first = try XCTUnwrap(h.join("w1"))
        XCTAssertEqual(first.trialID, "s0")
        XCTAssertEqual(Array(h.changes.prefix(2)), [
            .create(NewTrial(id: "s0", configID: "c", parameters: first.parameters, swept: [.init("seed", "0")], epochBudget: 3), ordinal: 0),
            .start(TrialAttempt(trialID: "s0", attempt: 1), worker: "w1", host: "host-w1"),
        ])
        XCTAssertEqual(h.machine.queuedCount, 2)
        for _ in 0..<3 {
            let task = try XCTUnwrap(h.tasks(to: "w1").last)
            _ = h.take()
            h.train("w1", task)
            h.say("w1", .ready)
        }
        XCTAssertTrue(h.machine.isDone)
        XCTAssertEqual(source.seen.count, 3, "the budget is spent: the source is not asked again")
        XCTAssertTrue(h.messages(to: "w1").contains(.disconnect(DisconnectBody(reason: DisconnectBody.done))))
    }

    /// The source sees each trial in order of creation: finished ones with the metric's value
    /// (val_acc here), the others pending (nil), a trial failed for good as NaN.
    func testTheSourceSeesObjectivesAndPendingTrials() throws {
        let source = Counter(budget: 4)
        var settings = Harness.settings
        settings.metric = Metric(name: .valAcc)
        settings.maxAttempts = 1
        var h = Harness(trials: [], settings: settings, source: source)
        let a = try XCTUnwrap(h.join("a"))
        let b = try XCTUnwrap(h.join("b"))
        for e in 1...3 { h.metric("a", a.trialID, epoch: e) }
        h.result("a", a.trialID, valAcc: 0.75)
        h.say("a", .ready)
        XCTAssertEqual(source.seen.last?.map(\.id), ["s0", "s1"])
        XCTAssertEqual(source.seen.last?.first?.objective, 0.75)
        XCTAssertEqual(source.seen.last?[1].objective, nil, "b's trial was still pending when a asked")
        h.say("b", .fail(FailBody(trialID: b.trialID, attempt: 1, reason: "no")))
        h.say("b", .ready)
        XCTAssertEqual(source.seen.last?.map(\.id), ["s0", "s1", "s2"])
        XCTAssertTrue(source.seen.last?[1].objective?.isNaN ?? false, "a failed trial is NaN")
        XCTAssertNil(source.seen.last?[2].objective)
    }

    /// A source that runs out ends the sweep once the trials it made are finished.
    func testAnExhaustedSourceEndsTheSweep() throws {
        let source = Counter(budget: 10, offers: 1)
        var h = Harness(trials: [], source: source)
        let task = try XCTUnwrap(h.join("w"))
        h.join("v")
        XCTAssertEqual(h.tasks(to: "v"), [])
        XCTAssertFalse(h.machine.isDone)
        h.train("w", task)
        XCTAssertTrue(h.machine.isDone)
        XCTAssertTrue(h.messages(to: "v").contains(.disconnect(DisconnectBody(reason: DisconnectBody.done))))
    }

    /// After a restart the source is shown the trials the store holds, and carries on.
    func testARestartCarriesOnTheSameSequence() throws {
        let source = Counter(budget: 3)
        let recovered = [
            RecoveredTrial(id: "s0", parameters: [.init("epochs", "3"), .init("seed", "0")], epochBudget: 3, status: .ok,
                           attempts: 1, objective: 0.5),
            RecoveredTrial(id: "s1", parameters: [.init("epochs", "3"), .init("seed", "1")], epochBudget: 3, status: .queued, attempts: 0),
        ]
        var h = Harness(trials: recovered, source: source)
        XCTAssertEqual(h.join("w")?.trialID, "s1", "a queued trial goes before a new one")
        h.join("v")
        XCTAssertEqual(h.tasks(to: "v").first?.trialID, "s2")
        XCTAssertEqual(source.seen.last?.map(\.id), ["s0", "s1"])
        XCTAssertEqual(source.seen.last?.first?.objective, 0.5)
    }

    /// W&B's `metric.target`: once a trial reaches it nothing more is handed out (queued and
    /// unmade trials stay so), and the sweep ends when the trials running finish.
    func testReachingTheTargetEndsTheSweepOnceTheRunningTrialsFinish() throws {
        var settings = Harness.settings
        settings.metric = Metric(name: .valAcc, goal: .maximize, target: 0.9)
        var h = Harness(count: 4, epochs: 3, settings: settings)
        let a = try XCTUnwrap(h.join("a")), b = try XCTUnwrap(h.join("b"))
        for e in 1...3 { h.metric("a", a.trialID, epoch: e) }
        h.result("a", a.trialID, valAcc: 0.95)
        XCTAssertTrue(h.machine.targetReached)
        XCTAssertFalse(h.machine.isDone, "b still trains")
        _ = h.take()
        h.say("a", .ready)
        XCTAssertEqual(h.tasks(to: "a"), [], "nothing more is handed out")
        h.train("b", b)
        XCTAssertTrue(h.machine.isDone)
        XCTAssertEqual(h.machine.status(of: "t3"), .queued)
        XCTAssertTrue(h.messages(to: "a").contains(.disconnect(DisconnectBody(reason: DisconnectBody.done))))
        // A restart remembers it.
        let again = Harness(trials: [Harness.trial("t1", status: .ok, attempts: 1), Harness.trial("t2")].map { t in
            var t = t
            if t.id == "t1" { t.objective = 0.95 }
            return t
        }, settings: settings)
        XCTAssertTrue(again.machine.targetReached)
        XCTAssertTrue(again.machine.isDone)
    }
}
