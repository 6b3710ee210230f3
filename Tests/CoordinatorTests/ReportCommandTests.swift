import Foundation
import SweepRules
import SweepSchema
import SweepStorage
import SweepWire
import XCTest
@testable import Coordinator

/// `coordinator report` as a subcommand: it reads the store and writes report.html (the page
/// itself is tested in SweepReportTests).
final class ReportCommandTests: XCTestCase {
    func testReportCommandWritesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("sweep.db").path
        do {
            let store = try SweepStore(path: db)
            try store.register(SweepRecord(name: "r", spec: "", metric: Metric(name: .testAcc, goal: .maximize), maxAttempts: 1),
                               trials: [StoredTrial(id: "t1", configID: "c1", name: "relu", ordinal: 0,
                                                    parameters: [Pair("seed", "1")], swept: [Pair("seed", "1")])])
            let attempt = TrialAttempt(trialID: "t1", attempt: 1)
            try store.apply([.start(attempt, worker: "w", host: "h"),
                             .metric(attempt, epoch: 1, report: #"{"epoch":1,"train_loss":1.5,"grad_norm":[0.1,1],"grad_ratio":0.1}"#),
                             .finish(attempt, try TrialOutcome(json: PromoteTests.resultJSON(status: "ok", testAcc: 0.8, epochs: 1),
                                                               epochBudget: 1))])
        }
        let out = directory.appendingPathComponent("cli").path
        // While a coordinator holds the file, too: the report only reads it.
        let holder = try SweepStore(path: db)
        let command = try ReportCommand.parse(["--db", db, "--out", out])
        try command.run()
        withExtendedLifetime(holder) {}
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.html"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains(#"<section id="ranking">"#))
        XCTAssertTrue(html.contains("0.800"))
        XCTAssertTrue(CoordinatorCommand.configuration.subcommands.contains { ObjectIdentifier($0) == ObjectIdentifier(ReportCommand.self) })
    }
}
