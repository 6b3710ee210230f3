import Foundation
import MLPKit
import SweepFile
import SweepRules
import SweepSchema
import SweepStorage
import SweepWire
import XCTest
@testable import Coordinator

/// `coordinator promote`: the best configurations of a finished search, written as a list
/// sweep that reads back to the very trials that won, plus more seeds.
final class PromoteTests: XCTestCase {
    func testTheWinnersComeBackAsTheSameTrialsWithMoreSeeds() throws {
        let search = try SweepSpec.parse(yaml: """
            name: search
            method: random
            count: 6
            metric: {name: val_acc, goal: maximize}
            parameters:
              lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
              activation: {values: [relu, tanh]}
              stage_groups: {value: "3,4"}
              norm: {value: none}
              skip: {value: ~}
            """, file: "search.yaml").trials()
        XCTAssertEqual(search.count, 6)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("promote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SweepStore(path: directory.appendingPathComponent("sweep.db").path)
        try store.register(
            SweepRecord(name: "search", spec: "", metric: Metric(name: .valAcc, goal: .maximize), maxAttempts: 1),
            trials: search.map {
                StoredTrial(id: $0.id, configID: $0.configId, name: $0.name, ordinal: $0.ordinal,
                            parameters: $0.pairs.map { Pair($0.name, $0.value) }, swept: $0.swept.map { Pair($0.name, $0.value) })
            })
        // Trial k scores 0.5 + k/100, except trial 5, which diverged: the best are 4, 3, 2.
        var changes: [StoreChange] = []
        for (k, trial) in search.enumerated() {
            let attempt = TrialAttempt(trialID: trial.id, attempt: 1)
            changes.append(.start(attempt, worker: "w", host: "h"))
            let status = k == 5 ? "diverged" : "ok"
            let budget = try XCTUnwrap(epochBudget(of: trial.pairs.map { ($0.name, $0.value) }))
            changes.append(.finish(attempt, try TrialOutcome(json: Self.resultJSON(
                status: status, testAcc: k == 5 ? 0.99 : 0.5 + Double(k) / 100, epochs: 1), epochBudget: budget)))
        }
        try store.apply(changes)

        let file = try PromoteCommand.promote(try store.trials(), sweep: try XCTUnwrap(store.sweep()), top: 3, repeats: 2,
                                              source: "sweep.db")
        let yaml = file.yaml
        XCTAssertTrue(yaml.hasPrefix("# top-1: rank 1 in 'search', val_acc 0.5400 over 1 seed(s)"), yaml)
        let rerun = try SweepSpec.parse(yaml: yaml, file: "top.yaml")
        XCTAssertEqual(rerun.method, .list)
        XCTAssertEqual(rerun.repeats, 2)
        let trials = try rerun.trials()
        XCTAssertEqual(trials.map(\.name), ["top-1", "top-1", "top-2", "top-2", "top-3", "top-3"])
        // The first seed of each is the search's own trial; the second is new.
        XCTAssertEqual(trials.filter { $0.config.seed == 42 }.map(\.id), [search[4].id, search[3].id, search[2].id])
        XCTAssertEqual(trials.filter { $0.config.seed == 43 }.map(\.configId), [search[4].configId, search[3].configId, search[2].configId])
        XCTAssertEqual(trials[0].config.stageGroups, [3, 4])
    }

    func testNothingFinishedIsAnError() throws {
        let record = SweepRecord(name: "s", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: 1)
        XCTAssertThrowsError(try PromoteCommand.promote([], sweep: record, top: 3, repeats: 3, source: "x.db")) { error in
            XCTAssertTrue("\(error)".contains("x.db has no finished trial"), "\(error)")
        }
    }

    /// A schema-valid result whose val_acc is its test_acc.
    static func resultJSON(status: String, testAcc: Double, epochs: Int) -> String {
        #"{"epochs":\#(epochs),"samples_per_s":51000,"seconds":12.5,"status":"\#(status)","test_acc":\#(testAcc),"#
            + #""test_loss":1.1,"train_loss":1.0,"type":"result","val_acc":\#(testAcc)}"#
    }
}
