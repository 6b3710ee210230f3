import Foundation
import SweepStorage
import XCTest

/// `early_terminate` and trials made on demand, with real processes.
final class EarlyStoppingTests: XCTestCase {
    /// A random sweep of 12 trials (made as the two workers ask) with W&B's hyperband
    /// (brackets 1, 3, 9): simulated trials report a constant val_acc each, so a trial worse
    /// than a bracket's threshold stops; the sweep still ends with every trial
    /// finished, the stopped ones with their epochs so far and the rule in their message.
    func testAHyperbandSweepStopsTrialsAndEndsWithEveryTrialAccountedFor() throws {
        let cluster = try Cluster(spec: """
            method: random
            run_cap: 12
            metric: {name: val_acc, goal: maximize}
            parameters:
              epochs: {value: 9}
              seed: {min: 1, max: 1000000}
            early_terminate: {type: hyperband, min_iter: 1, eta: 3}
            """)
        let coordinator = try cluster.startCoordinator()
        for _ in 0..<2 { try cluster.startWorker(simulate: 0.05) }
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 90), 0, cluster.log("coordinator"))
        let store = try cluster.store()
        let trials = try store.trials()
        XCTAssertEqual(trials.count, 12, "run_cap bounds the trials made")
        XCTAssertEqual(Set(trials.map(\.ordinal)), Set(0..<12))
        let stopped = trials.filter { $0.status == .stopped }, ok = trials.filter { $0.status == .ok }
        XCTAssertEqual(stopped.count + ok.count, 12, "\(trials.map(\.status))")
        XCTAssertGreaterThan(stopped.count, 0, "hyperband stopped nothing")
        XCTAssertGreaterThan(ok.count, 0)
        for t in stopped {
            XCTAssertTrue(t.message?.hasPrefix("hyperband") ?? false, t.message ?? "no message")
            // Judged at a bracket it has passed (W&B judges a run again as others report).
            XCTAssertTrue((1..<9).contains(t.epochs ?? 0), "stopped after its last epoch: \(t.epochs ?? 0)")
            XCTAssertEqual(try store.metrics().filter { $0.trialID == t.id }.count, t.epochs, "its epochs are kept")
            XCTAssertLessThan(t.valAcc ?? 1, ok.map { $0.valAcc ?? 0 }.max() ?? 0)
        }
        for t in ok { XCTAssertEqual(t.epochs, 9) }
        let attempts = try store.attempts()
        XCTAssertEqual(attempts.filter { $0.outcome == .stopped }.count, stopped.count)
        XCTAssertTrue(cluster.log("coordinator").contains("stopped"), cluster.log("coordinator"))
        // The CSV says so too.
        let csv = try Cluster.runToEnd("coordinator", ["results", "--db", cluster.db]).stdout
        XCTAssertEqual(csv.components(separatedBy: ",stopped,").count - 1, stopped.count, csv)
    }

    /// The vanishing rule on real training: the study's Model 3 (7 sigmoid layers, std 0.05)
    /// stops at epoch 7 (min_iter 5, patience 3); a ReLU network with He init is left alone.
    func testTheVanishingRuleStopsModel3AndLeavesAHealthyNetworkAlone() throws {
        let cluster = try Cluster(spec: """
            name: vanishing
            method: grid
            metric: {name: val_acc, goal: maximize}
            parameters:
              epochs: {value: 10}
              train_limit: {value: 2000}
              activation: {values: [sigmoid, relu]}
              init: {values: [normal, he_normal]}
            early_terminate: {type: vanishing}
            """)
        let out = cluster.directory.appendingPathComponent("out").path
        let run = try Cluster.runToEnd("coordinator", ["run", cluster.spec, "--local-workers", "2", "--out", out], timeout: 180)
        XCTAssertEqual(run.status, 0, run.stderr)
        let trials = try SweepStore(readingFrom: out + "/sweep.db").trials()
        func trial(_ activation: String, _ initializer: String) throws -> StoredTrial {
            try XCTUnwrap(trials.first { t in
                t.swept.contains(Pair("activation", activation)) && t.swept.contains(Pair("init", initializer))
            })
        }
        let model3 = try trial("sigmoid", "normal"), healthy = try trial("relu", "he_normal")
        XCTAssertEqual(model3.status, .stopped, model3.message ?? "")
        XCTAssertEqual(model3.epochs, 7)
        XCTAssertTrue(model3.message?.hasPrefix("vanishing") ?? false, model3.message ?? "")
        XCTAssertEqual(healthy.status, .ok, healthy.message ?? "")
        XCTAssertEqual(healthy.epochs, 10)
        XCTAssertTrue(run.stdout.contains("stopped"), run.stdout)
    }
}

/// W&B's own example sweep files (sweeps/wandb-*.yaml), run as they are with simulated workers.
final class WandBFileRunTests: XCTestCase {
    static func file(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("sweeps/\(name)"), encoding: .utf8)
    }

    /// The grid + hyperband file: 540 trials of 27 epochs, every one finished.
    func testTheGridHyperbandFileRunsToItsEnd() throws {
        let cluster = try Cluster(spec: try Self.file("wandb-grid-hyperband.yaml"))
        let coordinator = try cluster.startCoordinator()
        for _ in 0..<2 { try cluster.startWorker(simulate: 0) }
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 240), 0, cluster.log("coordinator"))
        let trials = try cluster.store().trials()
        XCTAssertEqual(trials.count, 5 * 6 * 6 * 3)
        XCTAssertTrue(trials.allSatisfy { $0.status == .ok || $0.status == .stopped }, "\(Set(trials.map(\.status)))")
        XCTAssertTrue(cluster.log("coordinator").contains("program"), "the notice for W&B's ignored keys")
    }

    /// The bayes + hyperband file has no run_cap: it runs until stopped. Its trials are made as
    /// workers ask (TPE after 10), hyperband stops some, and a restarted coordinator carries on
    /// numbering where it stopped.
    func testTheBayesHyperbandFileMakesTrialsAsItGoesAndCarriesOnAfterARestart() throws {
        let cluster = try Cluster(spec: try Self.file("wandb-bayes-hyperband.yaml"))
        let coordinator = try cluster.startCoordinator()
        for _ in 0..<2 { try cluster.startWorker(simulate: 0.002) }
        cluster.wait("30 trials", timeout: 60) { ((try? cluster.store().trials().count) ?? 0) >= 30 }
        kill(coordinator.processIdentifier, SIGKILL)
        _ = cluster.waitForExit(coordinator, timeout: 10)
        let before = try cluster.store().trials()
        XCTAssertEqual(before.map(\.ordinal).sorted(), Array(0..<before.count), "ordinals in order, none skipped")
        XCTAssertEqual(Set(before.map(\.id)).count, before.count)
        XCTAssertTrue(before.contains { $0.status == .stopped }, "hyperband stopped nothing: \(Set(before.map(\.status)))")
        let restarted = try cluster.startCoordinator()
        cluster.wait("more trials after the restart", timeout: 60) { ((try? cluster.store().trials().count) ?? 0) >= before.count + 10 }
        kill(restarted.processIdentifier, SIGKILL)
        let after = try cluster.store().trials()
        XCTAssertEqual(after.map(\.ordinal).sorted(), Array(0..<after.count))
        XCTAssertEqual(Set(after.map(\.id)).count, after.count, "a trial made twice")
    }
}
