import SweepFile
import SweepSchema
import XCTest
@testable import Coordinator

/// An `early_terminate` rule that cannot stop a trial before its last epoch is said so when
/// the sweep opens (W&B's stops nothing, silently), and a rule that can is not.
final class IdleStoppingTests: XCTestCase {
    private func notices(_ yaml: String) throws -> [String] {
        let spec = try SweepSpec.parse(yaml: yaml, file: "s.yaml")
        let random = spec.method == .random || spec.method == .bayes
        let source = random ? try SpecTrialSource(spec: spec) : nil
        return idleStoppingNotices(spec, trials: random ? [] : try spec.trials(), source: source)
    }

    private func grid(_ rule: String, epochs: String = "{value: 3}", seeds: Int = 8) -> String {
        """
        method: grid
        metric: {name: val_loss}
        early_terminate: \(rule)
        parameters:
          epochs: \(epochs)
          seed: {values: [\((1...seeds).map(String.init).joined(separator: ", "))]}
        """
    }

    func testARuleThatJudgesPastEveryTrialsEndIsNoticed() throws {
        XCTAssertEqual(try notices(grid("{type: hyperband, min_iter: 50}")), [
            "s.yaml: early_terminate: hyperband can stop a trial at epoch 50 at the earliest, and no trial trains more than 3 epoch(s): it will stop nothing; lower min_iter",
        ])
        // Brackets int(27 / 3^i), i = 1, 2: 3 and 9; a 3-epoch trial is judged at its last epoch only.
        XCTAssertEqual(try notices(grid("{type: hyperband, max_iter: 27, s: 2}")).first?.contains("at epoch 3 at the earliest"), true)
        XCTAssertEqual(try notices(grid("{type: hyperband, max_iter: 27, s: 2}", epochs: "{value: 4}")), [])
        XCTAssertEqual(try notices(grid("{type: asha, grace_period: 3}")).first?.contains("lower grace_period or max_t"), true)
        XCTAssertEqual(try notices(grid("{type: asha}")), [])          // first rung at epoch 1
        // vanishing: minIter 5 + patience 3 - 1 = epoch 7.
        XCTAssertEqual(try notices(grid("{type: vanishing}", epochs: "{value: 7}")).first?.contains("at epoch 7 at the earliest"), true)
        XCTAssertEqual(try notices(grid("{type: vanishing}", epochs: "{values: [7, 8]}")), [])
        XCTAssertEqual(try notices(grid("{type: saturated, min_iter: 1, patience: 1}", epochs: "{value: 2}")), [])
        XCTAssertEqual(try notices(grid("{type: median, n_warmup_steps: 3}")).first?.contains("lower n_warmup_steps"), true)
    }

    func testAMedianRuleWithoutEnoughTrialsToStartIsNoticed() throws {
        XCTAssertEqual(try notices(grid("{type: median}", epochs: "{value: 10}", seeds: 5)), [
            "s.yaml: early_terminate: median waits for 5 finished trial(s) before it judges any, and the sweep has 5: it will stop nothing; lower n_startup_trials",
        ])
        XCTAssertEqual(try notices(grid("{type: median}", epochs: "{value: 10}", seeds: 6)), [])
    }

    /// A list of rules: each is judged on its own.
    func testEachRuleOfAListIsJudged() throws {
        let found = try notices(grid("[{type: hyperband, min_iter: 3}, {type: vanishing}, {type: asha}]"))
        XCTAssertEqual(found.count, 2, "\(found)")
        XCTAssertTrue(found[0].contains("hyperband") && found[1].contains("vanishing"), "\(found)")
    }

    /// Random and bayes sweeps are judged from their first samples and their run_cap.
    func testRandomAndBayesSweepsAreJudgedFromTheirSamples() throws {
        let bayes = """
            method: bayes
            metric: {name: val_loss}
            run_cap: 20
            early_terminate: {type: hyperband, min_iter: 10}
            parameters:
              epochs: {min: 5, max: 30}
              lr: {min: 0.001, max: 0.1}
            """
        XCTAssertEqual(try notices(bayes), [])
        XCTAssertEqual(try notices(bayes.replacingOccurrences(of: "{min: 5, max: 30}", with: "{min: 2, max: 10}")).count, 1)
        XCTAssertEqual(try notices(bayes.replacingOccurrences(of: "hyperband, min_iter: 10", with: "median")
                                        .replacingOccurrences(of: "run_cap: 20", with: "run_cap: 4")).count, 1)
    }

    /// The sweep files this project ships stop what they say they stop.
    func testTheShippedSweepsHaveNoIdleRule() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sweeps")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".yaml") {
            let yaml = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(try notices(yaml), [], file)
        }
    }
}
