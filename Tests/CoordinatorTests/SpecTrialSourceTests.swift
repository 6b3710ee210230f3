import SweepFile
import SweepRules
import SweepWire
import XCTest
@testable import Coordinator

/// The trials of random and bayes sweep files, made one at a time from the history alone.
final class SpecTrialSourceTests: XCTestCase {
    private func source(_ yaml: String) throws -> (SpecTrialSource, SweepSpec) {
        let spec = try SweepSpec.parse(yaml: yaml, file: "test.yaml")
        return (try SpecTrialSource(spec: spec), spec)
    }

    /// Makes trials until the source says no more, each finished with `objective`.
    private func run(_ source: SpecTrialSource, objective: ([TaskBody.Parameter]) -> Double) -> [SourcedTrial] {
        var history: [SourcedTrial] = []
        while history.count < source.budget, let new = source.next(after: history) {
            history.append(SourcedTrial(id: new.id, parameters: new.parameters, objective: objective(new.parameters)))
        }
        return history
    }

    func testARandomSourceGivesTheFilesSamplesInOrderAndSkipsRepeatedOnes() throws {
        let (source, spec) = try source("""
            method: random
            run_cap: 6
            parameters:
              epochs: {value: 1}
              lr: {min: 0.001, max: 0.1, distribution: log_uniform_values}
            """)
        let made = run(source) { _ in 0 }
        XCTAssertEqual(made.map(\.id), try (0..<6).map { try spec.sample($0)[0].id })
        // Two values only: two trials, then nothing more to offer.
        let (small, _) = try self.source("""
            method: random
            run_cap: 5
            parameters:
              epochs: {value: 1}
              activation: {values: [relu, tanh]}
            """)
        XCTAssertEqual(run(small) { _ in 0 }.count, 2)
    }

    func testRepeatsAreMadeOneAfterTheOther() throws {
        let (source, _) = try source("""
            method: bayes
            run_cap: 3
            repeats: 2
            metric: {name: val_acc, goal: maximize}
            parameters:
              epochs: {value: 1}
              lr: {min: 0.001, max: 0.1, distribution: log_uniform_values}
            """)
        XCTAssertEqual(source.budget, 6)
        let made = run(source) { _ in 0.5 }
        XCTAssertEqual(made.count, 6)
        for pair in stride(from: 0, to: 6, by: 2) {
            let lr = made[pair].parameters.filter { $0.key == "lr" }, lr2 = made[pair + 1].parameters.filter { $0.key == "lr" }
            XCTAssertEqual(lr, lr2, "the repeats of one configuration share it")
            XCTAssertNotEqual(made[pair].id, made[pair + 1].id)
        }
    }

    /// Bayes: deterministic in its history, and it learns: on an objective that rewards one
    /// activation and an lr near 0.01, TPE's suggestions after the 10 random ones choose that
    /// activation far more often than random sampling does (17 of 30 against 10 for this seed).
    func testABayesSourceIsDeterministicAndFollowsTheObjective() throws {
        let yaml = """
            method: bayes
            run_cap: 40
            random_seed: 3
            metric: {name: val_acc, goal: maximize}
            parameters:
              epochs: {value: 1}
              activation: {values: [relu, tanh, sigmoid, elu]}
              lr: {min: 0.0001, max: 1, distribution: log_uniform_values}
            """
        func objective(_ p: [TaskBody.Parameter]) -> Double {
            let lr = Double(p.first { $0.key == "lr" }!.value)!
            return (p.contains(TaskBody.Parameter("activation", "elu")) ? 0.5 : 0) + 0.5 / (1 + abs(log10(lr) + 2))
        }
        let (bayes, _) = try source(yaml)
        let first = run(bayes, objective: objective), second = run(bayes, objective: objective)
        XCTAssertEqual(first.map(\.id), second.map(\.id), "the same history gives the same trials")
        XCTAssertEqual(Set(first.map(\.id)).count, 40)
        let (random, _) = try source(yaml.replacingOccurrences(of: "method: bayes", with: "method: random"))
        let sampled = run(random, objective: objective)
        func elu(_ trials: [SourcedTrial]) -> Int { trials.dropFirst(10).filter { $0.parameters.contains(TaskBody.Parameter("activation", "elu")) }.count }
        XCTAssertGreaterThan(elu(first), elu(sampled) + 4, "TPE \(elu(first)) of 30, random \(elu(sampled))")
        XCTAssertGreaterThan(first.compactMap(\.objective).max()!, sampled.compactMap(\.objective).max()!)
    }

    /// A log-normal parameter is searched through its quantile: what TPE suggests maps back.
    func testANormalLawMapsToItsQuantileAndBack() throws {
        let (source, _) = try source("""
            method: bayes
            run_cap: 15
            metric: {name: val_acc, goal: maximize}
            parameters:
              epochs: {value: 1}
              width: {distribution: q_log_normal, mu: 4.852, sigma: 0.3, q: 8}
            """)
        let made = run(source) { p in -abs(Double(p.first { $0.key == "width" }!.value)! - 100) }
        XCTAssertEqual(made.count, 15)
        for t in made {
            let width = Int(t.parameters.first { $0.key == "width" }!.value)!
            XCTAssertEqual(width % 8, 0, "quantized to q")
        }
        XCTAssertEqual(SpecTrialSource.normalCDF(0), 0.5, accuracy: 1e-15)
        XCTAssertEqual(SpecTrialSource.normalCDF(1.959964), 0.975, accuracy: 1e-6)
    }
}
