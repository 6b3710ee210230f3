import XCTest
import SweepReport
import SweepSchema
import SweepStorage

/// val_loss and train_acc rank like the other final metrics: read from the stored result
/// (they have no columns of their own) and shown in results.csv.
final class RankByEveryMetricTests: XCTestCase {
    private func trial(_ id: String, valLoss: Double?, trainAcc: Double?) -> StoredTrial {
        var t = StoredTrial(id: id, configID: "c" + id, name: "", ordinal: 0, parameters: [Pair("depth", "7")], swept: [])
        t.status = .ok
        var json = #"{"type":"result","status":"ok","test_acc":0.5,"epochs":2,"samples_per_s":1,"seconds":1"#
        if let valLoss { json += #","val_loss":\#(valLoss)"# }
        if let trainAcc { json += #","train_acc":\#(trainAcc)"# }
        t.result = json + "}"
        t.testAcc = 0.5
        return t
    }

    func testValLossAndTrainAccRankAndAppearInTheCSV() throws {
        let trials = [trial("a", valLoss: 0.9, trainAcc: 0.6), trial("b", valLoss: 0.4, trainAcc: 0.9),
                      trial("c", valLoss: nil, trainAcc: nil)]
        XCTAssertEqual(trials[0].metric(.valLoss), 0.9)
        XCTAssertEqual(trials[1].metric(.trainAcc), 0.9)
        XCTAssertNil(trials[2].metric(.valLoss), "a result from before val_loss was reported")
        let byLoss = ResultsTable.rankTrials(trials, metric: Metric(name: .valLoss, goal: .minimize))
        XCTAssertEqual(byLoss.map(\.1.id), ["b", "a", "c"])
        XCTAssertEqual(byLoss.map(\.0), [1, 2, nil])
        let byAcc = ResultsTable.rankTrials(trials, metric: Metric(name: .trainAcc, goal: .maximize))
        XCTAssertEqual(byAcc.map(\.1.id), ["b", "a", "c"])
        let csv = ResultsTable.trials(trials, metric: Metric(name: .valLoss, goal: .minimize)).split(separator: "\n")
        let header = csv[0].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.drop { $0 != "test_acc" }.prefix(6)),
                       ["test_acc", "val_acc", "test_loss", "train_loss", "val_loss", "train_acc"])
        let column = header.firstIndex(of: "val_loss")!
        XCTAssertEqual(csv[1].split(separator: ",", omittingEmptySubsequences: false)[column], "0.4")
    }

    func testTheSchemaChecksTheNewNumbers() throws {
        let base = #"{"type":"result","status":"ok","epochs":1,"samples_per_s":1,"seconds":1"#
        let ok = try TrialOutcome(json: base + #","val_loss":0.3,"train_acc":0.75}"#, epochBudget: 1)
        XCTAssertEqual(ok.value(of: .valLoss), 0.3)
        XCTAssertEqual(ok.value(of: .trainAcc), 0.75)
        XCTAssertThrowsError(try TrialOutcome(json: base + #","train_acc":1.5}"#, epochBudget: 1)) {
            XCTAssertEqual(($0 as? SchemaError)?.field, "train_acc")
        }
        XCTAssertThrowsError(try TrialOutcome(json: base + #","val_loss":-1}"#, epochBudget: 1)) {
            XCTAssertEqual(($0 as? SchemaError)?.field, "val_loss")
        }
    }
}
