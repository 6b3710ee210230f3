import MLPKit
import SweepRules
import SweepSchema
import SweepWire
import XCTest

/// Random event sequences against the invariants: no trial is lost (each is finished, or
/// leased to a registered worker, or waiting to be handed out) and none is counted twice;
/// then honest workers finish the sweep and every trial ends with exactly one counted result
/// or failed for good.
final class SweepMachinePropertyTests: XCTestCase {
    func testRandomEventSequencesLoseNothingAndCountNothingTwice() throws {
        for seed in 1...300 as ClosedRange<UInt64> {
            try run(seed: seed)
        }
    }

    private func run(seed: UInt64) throws {
        var rng = Xoshiro256(seed: seed)   // a failing sequence replays from its seed
        let trialIDs = (1...4).map { "t\($0)" }
        var recovered = trialIDs.map { Harness.trial($0, epochs: 2) }
        if seed % 3 == 0 {
            // Start some runs from a store a dead coordinator left behind.
            recovered[0] = Harness.trial("t1", epochs: 2, status: .running, attempts: 1,
                                         history: [.init(attempt: 1, worker: WorkerIdentity(name: "p0", key: "key-p0"), outcome: nil, reason: nil)], stored: [1])
        }
        var settings = Harness.settings
        settings.progressTimeout = 5
        settings.adoptionGrace = 3
        var h = Harness(trials: recovered, settings: settings)
        let peers = ["p0", "p1", "p2", "forger"]
        var counted: [String: Int] = [:]
        /// The attempts each peer was handed (what an honest-but-flaky worker would report on).
        var handed: [String: [TrialAttempt]] = [:]

        /// Who each attempt was given to (or adopted by), and the key of the last message: a
        /// result counts only from the key its attempt was given to.
        var givenTo: [TrialAttempt: WorkerIdentity] = [:]
        var lastKey: String?

        func record(_ h: inout Harness) {
            for change in h.effects.changes {
                switch change {
                case .start(let a, let worker, _), .adopt(let a, let worker, _): givenTo[a] = worker
                case .finish(let a, _):
                    counted[a.trialID, default: 0] += 1
                    XCTAssertEqual(givenTo[a]?.key, lastKey, "seed \(seed): \(a) finished by another key")
                default: break
                }
            }
            for (peer, message) in h.effects.messages {
                if case .task(let t) = message { handed[peer.description, default: []].append(TrialAttempt(trialID: t.trialID, attempt: t.attempt)) }
            }
            h.effects.removeAll()
        }

        for step in 0..<400 {
            let peer = peers.randomElement(using: &rng)!
            let known = handed[peer] ?? []
            let someAttempt = known.randomElement(using: &rng)
                ?? TrialAttempt(trialID: trialIDs.randomElement(using: &rng)!, attempt: Int.random(in: 0...3, using: &rng))
            let target = Bool.random(using: &rng) ? someAttempt
                : TrialAttempt(trialID: (trialIDs + ["zz"]).randomElement(using: &rng)!, attempt: Int.random(in: 1...4, using: &rng))
            // Mostly the connection's own key; now and then another's, or none (a connection
            // taken over, a forger), and now and then a HELLO under another peer's name.
            let key: String? = Int.random(in: 0..<10, using: &rng) < 7 ? "key-\(peer)"
                : [nil, "key-forger", "key-p0"].randomElement(using: &rng)!
            let name = Int.random(in: 0..<4, using: &rng) == 0 ? peers.randomElement(using: &rng)! : peer
            lastKey = key
            switch Int.random(in: 0..<13, using: &rng) {
            case 0: h.hello(peer, name: name, key: key)
            case 1: h.hello(peer, name: name, key: key, current: target)
            case 2, 3: h.say(peer, .ready, key: key)
            case 4, 5: h.metric(peer, target.trialID, attempt: target.attempt, epoch: Int.random(in: 0...3, using: &rng), key: key)
            case 6: h.result(peer, target.trialID, attempt: target.attempt, epochs: Int.random(in: 0...3, using: &rng), key: key)
            case 7: h.result(peer, target.trialID, attempt: target.attempt, epochs: 2, valAcc: -1, key: key)
            case 8: h.say(peer, .fail(FailBody(trialID: target.trialID, attempt: target.attempt, reason: "r")), key: key)
            case 9: h.say(peer, .disconnect(DisconnectBody(reason: "bye")), key: key)
            case 10: h.machine.handle(.unreachable(PeerID(peer), at: h.now), into: &h.effects)
            case 11: h.say(peer, .heartbeat, key: key)
            default: h.tick(after: Double.random(in: 0...2.5, using: &rng))
            }
            record(&h)
            try check(h.machine, trialIDs, counted, "seed \(seed) step \(step)")
        }

        // Honest workers finish what is left.
        var rounds = 0
        lastKey = nil
        for peer in ["h1", "h2"] { h.hello(peer); h.say(peer, .ready) }
        while !h.machine.isDone && rounds < 1000 {
            rounds += 1
            let tasks = h.effects.messages.compactMap { m -> (String, TaskBody)? in
                if case .task(let t) = m.1 { (m.0.description, t) } else { nil }
            }
            record(&h)
            for (peer, task) in tasks where ["h1", "h2"].contains(peer) {
                h.train(peer, task, epochs: 2)
                h.say(peer, .ready)
            }
            h.tick(after: 1)
            for peer in ["h1", "h2"] { h.say(peer, .heartbeat) }
            let next = h.effects.messages
            record(&h)
            h.effects.messages = next    // the tasks handed out this round, for the next
            try check(h.machine, trialIDs, counted, "seed \(seed) honest round \(rounds)")
        }
        record(&h)
        XCTAssertTrue(h.machine.isDone, "seed \(seed): the sweep never finished")
        for id in trialIDs {
            let status = h.machine.status(of: id)
            XCTAssertTrue(status == .failed || counted[id] == 1, "seed \(seed): \(id) is \(String(describing: status)), counted \(counted[id] ?? 0) time(s)")
        }
    }

    private func check(_ m: SweepMachine, _ ids: [String], _ counted: [String: Int], _ at: String) throws {
        let peers = Set(m.registeredPeers)
        var finished = 0, leased = 0
        for id in ids {
            let status = try XCTUnwrap(m.status(of: id), at)
            XCTAssertLessThanOrEqual(counted[id] ?? 0, 1, "\(at): \(id) counted twice")
            if status.hasResult { XCTAssertEqual(counted[id] ?? 0, 1, "\(at): \(id) is \(status) without a counted result") }
            if status.isFinished {
                finished += 1
                XCTAssertNil(m.lease(of: id), "\(at): finished \(id) still leased")
            } else if let lease = m.lease(of: id) {
                leased += 1
                XCTAssertEqual(status, .running, "\(at): leased \(id) is \(status)")
                XCTAssertTrue(peers.contains(lease.peer), "\(at): \(id) leased to \(lease.peer), who is gone")
            } else {
                XCTAssertEqual(status, .queued, "\(at): \(id) is \(status) with no lease")
            }
        }
        XCTAssertEqual(m.finishedCount, finished, at)
        XCTAssertEqual(m.runningCount, leased, at)
        XCTAssertEqual(m.queuedCount, ids.count - finished - leased, at)
    }
}
