import MLPKit
import XCTest
@testable import SweepFile

/// `coordinator run SPEC name=value --only names`: the command line over the file.
final class SweepSpecOverrideTests: XCTestCase {
    let study = """
        name: study
        method: list
        repeats: 2
        parameters:
          epochs: {value: 100}
          lr: {values: [0.01, 0.1]}
        trials:
          - name: base
            parameters: {}
          - name: fast
            parameters: {epochs: 5, batch_size: 64}
          - name: adam
            parameters: {optimizer: adam, epochs: 50}
        """

    private func trials(_ arguments: [String], only: [String] = []) throws -> [Trial] {
        try SweepSpec.parse(yaml: study, file: "s.yaml").overriding(arguments).trials(only: only)
    }

    private func values(_ trials: [Trial], _ name: String) -> [String] {
        trials.map { trial in trial.pairs.first { $0.name == name }!.value }
    }

    func testAnOverrideWinsOverValuesAndEntries() throws {
        XCTAssertEqual(try trials([]).count, 3 * 2 * 2)
        let changed = try trials(["epochs=300", "lr=0.05"])
        XCTAssertEqual(changed.count, 3 * 2)
        XCTAssertEqual(Set(values(changed, "epochs")), ["300"])
        XCTAssertEqual(Set(values(changed, "lr")), ["0.05"])
        XCTAssertEqual(values(changed, "optimizer").filter { $0 == "adam" }.count, 2)
    }

    func testUnchangedTrialsKeepTheirIds() throws {
        let plain = try trials([])
        let same = try trials(["epochs=100"]).filter { $0.name == "base" }
        XCTAssertEqual(same.count, 4)
        for trial in same { XCTAssertTrue(plain.contains { $0.id == trial.id }, "\(trial.name) got a new id") }
    }

    func testRepeatsOverTheFile() throws {
        let one = try SweepSpec.parse(yaml: study, file: "s.yaml").overriding(["epochs=300"], repeats: 1).trials(only: ["adam"])
        XCTAssertEqual(one.map(\.config.seed), [42, 42])
        XCTAssertEqual(one.map(\.config.lr), [0.01, 0.1])
        XCTAssertThrowsError(try SweepSpec.parse(yaml: study, file: "s.yaml").overriding([], repeats: 0))
    }

    func testOnlyKeepsTheNamedEntries() throws {
        let picked = try trials(["epochs=300"], only: ["fast", "base"])
        XCTAssertEqual(Set(picked.map(\.name)), ["base", "fast"])
        let all = try trials(["epochs=300"])
        for trial in picked { XCTAssertEqual(all.first { $0.id == trial.id }?.ordinal, trial.ordinal) }
        XCTAssertEqual(picked.count, 8)
        XCTAssertEqual(Set(values(picked, "epochs")), ["300"])
    }

    func testMistakesNameTheArgument() {
        func refused(_ arguments: [String], only: [String] = [], field: String, contains text: String,
                     line: UInt = #line) {
            XCTAssertThrowsError(try trials(arguments, only: only), line: line) { error in
                guard let error = error as? SpecError else { return XCTFail("\(error)", line: line) }
                XCTAssertEqual(error.file, "command line", line: line)
                XCTAssertEqual(error.field, field, line: line)
                XCTAssertTrue(error.message.contains(text), error.description, line: line)
            }
        }
        refused(["epochz=300"], field: "epochz=300", contains: "did you mean 'epochs'?")
        refused(["epochs"], field: "epochs", contains: "name=value")
        refused(["activation=relux"], field: "activation=relux", contains: "activation takes")
        refused([], only: ["fats"], field: "--only", contains: "no entry 'fats'; it has base, fast, adam")
    }

    func testOnlyNeedsAListSweep() {
        let grid = "name: g\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.2]}\n"
        XCTAssertThrowsError(try SweepSpec.parse(yaml: grid, file: "g.yaml").trials(only: ["x"])) { error in
            XCTAssertEqual((error as? SpecError)?.description, "command line: --only: selects entries of a list sweep; g.yaml is a grid sweep")
        }
    }
}
