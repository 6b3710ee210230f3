import Foundation
import MLPKit
import XCTest
@testable import SweepFile

/// W&B's sweep language as vgsweep reads it: the top-level keys, the metric, bayes, every
/// distribution with W&B's meaning and defaults, probabilities, grid expansion, early_terminate.
final class WandBSweepTests: XCTestCase {
    let file = "sweeps/w.yaml"

    private func parse(_ yaml: String) throws -> SweepSpec {
        try SweepSpec.parse(yaml: yaml, file: file)
    }

    @discardableResult
    private func assertRefused(_ yaml: String, line: Int, column: Int? = nil, field: String, contains text: String,
                               file testFile: StaticString = #filePath, line testLine: UInt = #line) -> SpecError? {
        do {
            let spec = try SweepSpec.parse(yaml: yaml, file: file)
            if spec.method != .bayes && !spec.isUnbounded { _ = try spec.trials() }
            XCTFail("accepted, expected an error at line \(line) for \(field)", file: testFile, line: testLine)
            return nil
        } catch {
            XCTAssertEqual(error.file, file, file: testFile, line: testLine)
            XCTAssertEqual(error.line, line, "\(error)", file: testFile, line: testLine)
            if let column { XCTAssertEqual(error.column, column, "\(error)", file: testFile, line: testLine) }
            XCTAssertEqual(error.field, field, "\(error)", file: testFile, line: testLine)
            XCTAssertTrue(error.message.contains(text), "'\(error.message)' lacks '\(text)'", file: testFile, line: testLine)
            return error
        }
    }

    /// `n` draws of the parameter `name` (defined by `definition`) in a random sweep seeded `seed`.
    private func draws(_ name: String, _ definition: String, n: Int = 2000, seed: Int = 1) throws -> [Double] {
        let spec = try parse("method: random\nrun_cap: \(n)\nrandom_seed: \(seed)\nparameters:\n  \(name): \(definition)\n")
        var sampler = try spec.sampler()
        return try (0..<n).map { _ in
            let trial = try sampler.next()[0]
            return Double(trial.pairs.first { $0.name == name }!.value)!
        }
    }

    private func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
    private func std(_ xs: [Double]) -> Double {
        let m = mean(xs)
        return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
    }

    // MARK: Top-level keys

    func testWandBsKeysForWhatToRunAreIgnoredWithOneNotice() throws {
        let spec = try parse("""
            program: train.py
            command: [python, train.py]
            entity: me
            project: fashion
            description: from W&B
            method: grid
            parameters: {epochs: {value: 2}}
            """)
        XCTAssertEqual(spec.name, "w", "the file's base name without extension")
        XCTAssertEqual(spec.summary, "from W&B")
        XCTAssertEqual(spec.notices.count, 1)
        XCTAssertTrue(spec.notices[0].hasPrefix("sweeps/w.yaml:1:1: program, command, entity, project: ignored: vgsweep trains every trial itself"),
                      spec.notices[0])
        XCTAssertEqual(try spec.trials().count, 1)
        XCTAssertEqual(try parse("name: given\nmethod: grid\n").name, "given")
        XCTAssertEqual(try parse("method: grid\n").notices, [])
    }

    func testRunCapWithCountAsItsAlias() throws {
        let random = "method: random\nparameters:\n  width: {min: 1, max: 1000}\n"
        XCTAssertEqual(try parse("run_cap: 7\n" + random).runCap, 7)
        XCTAssertEqual(try parse("count: 7\n" + random).runCap, 7)
        XCTAssertEqual(try parse("run_cap: 7\ncount: 7\n" + random).trials().count, 7)
        assertRefused("run_cap: 7\ncount: 8\n" + random, line: 2, column: 8, field: "count", contains: "disagrees with run_cap (7)")
        assertRefused("run_cap: 0\n" + random, line: 1, column: 10, field: "run_cap", contains: ">= 1")
        // Without a cap a random sweep draws until stopped, as W&B's; trials() cannot list it.
        let unbounded = try parse(random)
        XCTAssertTrue(unbounded.isUnbounded)
        XCTAssertEqual(unbounded.plannedTrialCount, Int.max)
        XCTAssertTrue(unbounded.notices.contains { $0.contains("run_cap: not given, so the sweep draws trials until it is stopped") })
        XCTAssertEqual(try unbounded.sample(12345).count, 1)
        XCTAssertThrowsError(try unbounded.trials()) { XCTAssertEqual(($0 as? SpecError)?.field, "run_cap") }
        // A grid or list sweep runs its first run_cap configurations (each with its repeats).
        let grid = try parse("method: grid\nrun_cap: 3\nrepeats: 2\nparameters:\n  width: {values: [1, 2, 3, 4, 5]}\n")
        XCTAssertEqual(grid.plannedTrialCount, 6)
        XCTAssertEqual(try grid.trials().map(\.config.architecture.width), [1, 1, 2, 2, 3, 3])
        let list = try parse("method: list\nrun_cap: 1\ntrials: [{name: a}, {name: b}]\n")
        XCTAssertEqual(try list.trials().map(\.name), ["a"])
        assertRefused("method: grid\nrandom_seed: 3\n", line: 2, column: 1, field: "random_seed", contains: "only for method: random or bayes")
    }

    func testWhatIsNotSupportedIsNamedAsSuch() {
        assertRefused("method: custom\n", line: 1, column: 9, field: "method", contains: "method: custom (a custom scheduler) is not supported")
        assertRefused("method: grid\nmetrics: [{name: val_loss}, {name: val_acc}]\n", line: 2, column: 1, field: "metrics",
                      contains: "multi-objective metrics (method: custom) are not supported")
        assertRefused("method: grid\nscheduler: {engine: optuna}\n", line: 2, column: 1, field: "scheduler", contains: "not supported")
        assertRefused("method: grid\nparameters:\n  optimizer:\n    parameters:\n      lr: {value: 0.1}\n", line: 4, column: 5,
                      field: "parameters.optimizer.parameters", contains: "nested parameters are not supported")
        assertRefused("method: random\nrun_cap: 2\nparameters:\n  momentum: {distribution: beta, a: 2, b: 5}\n", line: 4, column: 34,
                      field: "parameters.momentum.a", contains: "W&B's beta distribution, which is not supported")
        assertRefused("method: random\nrun_cap: 2\nparameters:\n  momentum: {distribution: q_beta}\n", line: 4, column: 28,
                      field: "parameters.momentum.distribution", contains: "W&B's q_beta distribution is not supported")
        assertRefused("method: grid\nmetric: {name: val_loss, impute: worst}\n", line: 2, column: 26, field: "metric.impute",
                      contains: "not supported")
    }

    // MARK: Metric

    func testTheGoalDefaultsToMinimizeAsInWandB() throws {
        let loss = try parse("method: grid\nmetric: {name: val_loss}\n")
        XCTAssertEqual(loss.metric, Metric(name: .valLoss, goal: .minimize))
        XCTAssertEqual(loss.notices, [])
        // An accuracy is minimised too (W&B files rely on the default), with a notice.
        let acc = try parse("method: grid\nmetric: {name: train_acc}\n")
        XCTAssertEqual(acc.metric, Metric(name: .trainAcc, goal: .minimize))
        XCTAssertEqual(acc.notices.count, 1)
        XCTAssertTrue(acc.notices[0].hasPrefix("sweeps/w.yaml:2:16: metric.goal: not given, so minimize, as in W&B"), acc.notices[0])
        XCTAssertEqual(try parse("method: grid\nmetric: {name: val_acc, goal: maximize}\n").notices, [])
        // Without a metric at all: test_acc, maximised (vgsweep's default).
        XCTAssertEqual(try parse("method: grid\n").metric, Metric(name: .testAcc, goal: .maximize))
        for name in ["val_loss", "val_acc", "train_loss", "train_acc", "test_loss", "test_acc"] {
            XCTAssertEqual(try parse("method: grid\nmetric: {name: \(name), goal: maximize}\n").metric.name.rawValue, name)
        }
    }

    func testTheTargetIsParsedAndExposed() throws {
        let spec = try parse("method: grid\nmetric: {name: val_acc, goal: maximize, target: 0.9}\n")
        XCTAssertEqual(spec.metric.target, 0.9)
        XCTAssertTrue(spec.metric.reachesTarget(0.91))
        XCTAssertFalse(spec.metric.reachesTarget(0.89))
        let loss = try parse("method: grid\nmetric: {name: val_loss, target: 0.3}\n").metric
        XCTAssertTrue(loss.reachesTarget(0.3))
        XCTAssertFalse(loss.reachesTarget(0.31))
        XCTAssertNil(try parse("method: grid\nmetric: {name: val_loss}\n").metric.target)
        assertRefused("method: grid\nmetric: {name: val_loss, target: high}\n", line: 2, column: 34, field: "metric.target",
                      contains: "expected a number")
        assertRefused("method: grid\nmetric: {goal: minimize}\n", line: 2, column: 9, field: "metric.name", contains: "required")
    }

    // MARK: Bayes

    func testABayesSweepCarriesWhatTPENeeds() throws {
        let spec = try parse("""
            method: bayes
            run_cap: 30
            random_seed: 5
            metric: {name: val_loss, goal: minimize}
            parameters:
              optimizer: {values: [sgd, adam], probabilities: [0.25, 0.75]}
              activation: {values: [relu, tanh]}
              width: {min: 16, max: 256}
              lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
              momentum: {min: 0.5, max: 0.9, distribution: q_uniform, q: 0.1}
              init_std: {distribution: log_normal, mu: -3, sigma: 0.5}
              weight_decay: {min: 0.00001, max: 0.01, distribution: q_log_uniform_values, q: 0.00001}
              lr_gamma: {min: -2, max: 0, distribution: log_uniform}
              epochs: {value: 3}
            """)
        XCTAssertEqual(spec.method, .bayes)
        let space = spec.searchSpace
        XCTAssertEqual(space.runCap, 30)
        XCTAssertEqual(space.randomSeed, 5)
        XCTAssertEqual(space.metric, Metric(name: .valLoss, goal: .minimize))
        XCTAssertEqual(space.constants, [.init("epochs", "3")])
        XCTAssertEqual(space.dimensions.map(\.name), ["optimizer", "activation", "width", "lr", "momentum", "init_std", "weight_decay", "lr_gamma"])
        XCTAssertEqual(space.dimensions.map(\.kind), [
            .categorical(values: ["sgd", "adam"], probabilities: [0.25, 0.75]),
            .categorical(values: ["relu", "tanh"], probabilities: nil),
            .int(low: 16, high: 256),
            .float(low: 0.0001, high: 0.1, log: true, q: nil),
            .float(low: 0.5, high: 0.9, log: false, q: 0.1),
            .normal(mu: -3, sigma: 0.5, log: true, q: nil),
            .float(low: 0.00001, high: 0.01, log: true, q: 0.00001),
            .float(low: exp(-2), high: 1, log: true, q: nil),
        ])
        XCTAssertEqual(space.dimensions.map(\.distribution), [.categorical, .categorical, .intUniform, .logUniformValues, .qUniform, .logNormal,
                                                              .qLogUniformValues, .logUniform])
        XCTAssertThrowsError(try spec.trials()) {
            XCTAssertTrue("\($0)".hasPrefix("sweeps/w.yaml:1:1: method: a bayes sweep's trials are suggested one at a time"), "\($0)")
        }

        // A suggestion becomes trials, quantized and checked.
        let point: [SweepSpec.SearchSpace.Value] = [.index(1), .index(0), .number(100.4), .number(0.003), .number(0.74), .number(0.05),
                                          .number(0.0012345), .number(0.5)]
        let trials = try spec.trials(at: point, sample: 4)
        XCTAssertEqual(trials.count, 1)
        XCTAssertEqual(trials[0].ordinal, 4)
        let c = trials[0].config
        XCTAssertEqual(c.optimizer.kind, .adam)
        XCTAssertEqual(c.architecture.activation, .relu)
        XCTAssertEqual(c.architecture.width, 100)
        XCTAssertEqual(c.lr, 0.003)
        XCTAssertEqual(c.optimizer.momentum, 0.7, accuracy: 1e-6)
        XCTAssertEqual(c.optimizer.weightDecay, 0.00123, accuracy: 1e-9)
        XCTAssertEqual(c.epochs, 3)
        var outside = point
        outside[2] = .number(300)
        XCTAssertThrowsError(try spec.trials(at: outside, sample: 0)) {
            XCTAssertEqual(($0 as? SpecError)?.field, "parameters.width")
            XCTAssertTrue("\($0)".contains("300 is outside 16...256"), "\($0)")
        }
        outside = point
        outside[0] = .index(2)
        XCTAssertThrowsError(try spec.trials(at: outside, sample: 0)) { XCTAssertEqual(($0 as? SpecError)?.field, "parameters.optimizer") }
        XCTAssertThrowsError(try spec.trials(at: Array(point.dropLast()), sample: 0))

        // Its random start is the random sampler's.
        XCTAssertEqual(try spec.sample(0).count, 1)
        assertRefused("method: bayes\nrun_cap: 3\n", line: 1, column: 1, field: "metric", contains: "required for method: bayes")
    }

    // MARK: Distributions

    func testConstantAndCategorical() throws {
        XCTAssertEqual(Set(try draws("lr", "{value: 0.1}", n: 20)), [0.1])
        XCTAssertEqual(Set(try draws("lr", "{value: 0.1, distribution: constant}", n: 20)), [0.1])
        let widths = try draws("width", "{values: [8, 16, 32]}", n: 3000)
        XCTAssertEqual(Set(widths), [8, 16, 32])
        for w in [8.0, 16, 32] { XCTAssertEqual(Double(widths.filter { $0 == w }.count), 1000, accuracy: 100) }
        XCTAssertEqual(Set(try draws("width", "{values: [8, 16], distribution: categorical}", n: 50)), [8, 16])
    }

    func testProbabilities() throws {
        let widths = try draws("width", "{values: [8, 16, 32, 64], probabilities: [0.7, 0.2, 0.1, 0]}", n: 5000)
        XCTAssertEqual(Double(widths.filter { $0 == 8 }.count), 3500, accuracy: 150)
        XCTAssertEqual(Double(widths.filter { $0 == 16 }.count), 1000, accuracy: 120)
        XCTAssertEqual(Double(widths.filter { $0 == 32 }.count), 500, accuracy: 90)
        XCTAssertFalse(widths.contains(64), "probability 0 is never drawn")
        XCTAssertEqual(Set(try draws("width", "{values: [8, 16], probabilities: [0.5, 0.5], distribution: categorical_w_probabilities}", n: 50)),
                       [8, 16])
        let head = "method: random\nrun_cap: 2\nparameters:\n"
        assertRefused(head + "  width: {values: [8, 16], probabilities: [0.5]}\n", line: 4, column: 43,
                      field: "parameters.width.probabilities", contains: "1 probabilities for 2 values")
        assertRefused(head + "  width: {values: [8, 16], probabilities: [0.5, 0.4]}\n", line: 4, column: 43,
                      field: "parameters.width.probabilities", contains: "sum to 0.9, not 1")
        XCTAssertNoThrow(try parse(head + "  width: {values: [8, 16], probabilities: [0.5, 0.5000005]}\n"), "within 1e-6")
        assertRefused(head + "  width: {values: [8, 16], probabilities: [1.5, -0.5]}\n", line: 4, column: 49,
                      field: "parameters.width.probabilities[1]", contains: ">= 0")
        assertRefused(head + "  width: {probabilities: [1]}\n", line: 4, column: 11, field: "parameters.width.probabilities",
                      contains: "goes with values")
        assertRefused("method: grid\nparameters:\n  width: {values: [8, 16], probabilities: [0.5, 0.5]}\n", line: 3, column: 28,
                      field: "parameters.width.probabilities", contains: "only for method: random or bayes")
    }

    func testIntUniformIsInclusiveAndInferredFromIntegerBounds() throws {
        for definition in ["{min: 1, max: 4}", "{min: 1, max: 4, distribution: int_uniform}"] {
            let widths = try draws("width", definition, n: 400)
            XCTAssertEqual(Set(widths), [1, 2, 3, 4], definition)
        }
        XCTAssertEqual(try parse("method: random\nrun_cap: 1\nparameters:\n  lr: {min: 1, max: 3}\n").parameters[0].distribution, .intUniform)
        XCTAssertEqual(try parse("method: random\nrun_cap: 1\nparameters:\n  lr: {min: 1, max: 3.0}\n").parameters[0].distribution, .uniform)
    }

    func testUniformAndQUniform() throws {
        let m = try draws("momentum", "{min: 0.2, max: 0.8}")
        XCTAssertTrue(m.allSatisfy { $0 >= 0.2 && $0 <= 0.8 })
        XCTAssertEqual(mean(m), 0.5, accuracy: 0.02)
        XCTAssertEqual(std(m), 0.6 / 12.0.squareRoot(), accuracy: 0.01)
        // round(uniform / q) * q: W&B's q_uniform (the ends get half a step each).
        let widths = try draws("width", "{min: 16, max: 64, distribution: q_uniform, q: 16}", n: 3000)
        XCTAssertEqual(Set(widths), [16, 32, 48, 64])
        XCTAssertEqual(Double(widths.filter { $0 == 32 }.count), 1000, accuracy: 100)
        XCTAssertEqual(Double(widths.filter { $0 == 64 }.count), 500, accuracy: 80)
        // q defaults to 1.
        XCTAssertEqual(Set(try draws("lr_step", "{min: 0, max: 3, distribution: q_uniform}", n: 500)), [0, 1, 2, 3])
        let lr = try draws("momentum", "{min: 0.1, max: 0.5, distribution: q_uniform, q: 0.05}", n: 500)
        XCTAssertTrue(lr.allSatisfy { abs($0 / 0.05 - ($0 / 0.05).rounded()) < 1e-4 }, "multiples of 0.05")
        XCTAssertEqual(try parse("method: random\nrun_cap: 1\nparameters:\n  lr_step: {min: 0, max: 3, distribution: q_uniform}\n")
                        .parameters[0].domain, .sampled(.init(.qUniform, min: 0, max: 3, q: 1)))
    }

    func testTheLogUniformFamily() throws {
        func belowMiddle(_ xs: [Double], _ lo: Double, _ hi: Double) -> Int { xs.filter { $0 < (lo * hi).squareRoot() }.count }
        // The values themselves.
        let lr = try draws("lr", "{min: 0.0001, max: 0.1, distribution: log_uniform_values}")
        XCTAssertTrue(lr.allSatisfy { $0 >= 0.0001 && $0 <= 0.1 })
        XCTAssertEqual(Double(belowMiddle(lr, 0.0001, 0.1)), 1000, accuracy: 80)
        // Base-e exponents (W&B's log_uniform): e^-9.2 .. e^-2.3, with a notice.
        let spec = try parse("method: random\nrun_cap: 1\nparameters:\n  lr: {min: -9.2, max: -2.3, distribution: log_uniform}\n")
        XCTAssertTrue(spec.notices[0].contains("log_uniform takes base-e exponents"), spec.notices[0])
        XCTAssertTrue(spec.notices[0].contains("log_uniform_values takes the values themselves"), spec.notices[0])
        let e = try draws("lr", "{min: -9.2, max: -2.3, distribution: log_uniform}")
        XCTAssertTrue(e.allSatisfy { $0 >= exp(-9.2) * 0.9999 && $0 <= exp(-2.3) * 1.0001 })
        XCTAssertEqual(Double(belowMiddle(e, exp(-9.2), exp(-2.3))), 1000, accuracy: 80)
        // inv_log_uniform: x = exp(-uniform(min, max)), in [e^-max, e^-min].
        let inv = try draws("lr", "{min: 2.3, max: 9.2, distribution: inv_log_uniform}")
        XCTAssertTrue(inv.allSatisfy { $0 >= exp(-9.2) * 0.9999 && $0 <= exp(-2.3) * 1.0001 })
        XCTAssertEqual(Double(belowMiddle(inv, exp(-9.2), exp(-2.3))), 1000, accuracy: 80)
        // inv_log_uniform_values: W&B's formula is log-uniform between the values.
        let invValues = try draws("lr", "{min: 0.0001, max: 0.1, distribution: inv_log_uniform_values}")
        XCTAssertTrue(invValues.allSatisfy { $0 >= 0.0001 * 0.9999 && $0 <= 0.1 * 1.0001 })
        XCTAssertEqual(Double(belowMiddle(invValues, 0.0001, 0.1)), 1000, accuracy: 80)
        // Quantized: multiples of q.
        let widths = try draws("width", "{min: 16, max: 512, distribution: q_log_uniform_values, q: 16}")
        XCTAssertTrue(widths.allSatisfy { $0 >= 16 && $0 <= 512 && $0.truncatingRemainder(dividingBy: 16) == 0 })
        XCTAssertGreaterThan(widths.filter { $0 == 16 }.count, widths.filter { $0 == 496 }.count, "log scale: more small ones")
        let q = try draws("width", "{min: 3, max: 6, distribution: q_log_uniform, q: 10}")
        XCTAssertTrue(q.allSatisfy { $0 >= 20 && $0 <= 400 && $0.truncatingRemainder(dividingBy: 10) == 0 })
        assertRefused("method: random\nrun_cap: 1\nparameters:\n  lr: {min: 0, max: 0.1, distribution: inv_log_uniform_values}\n",
                      line: 4, column: 13, field: "parameters.lr.min", contains: "needs min > 0")
    }

    func testTheNormalFamilyWithWandBsDefaults() throws {
        let m = try draws("momentum", "{distribution: normal, mu: 0.5, sigma: 0.05}", n: 4000)
        XCTAssertEqual(mean(m), 0.5, accuracy: 0.005)
        XCTAssertEqual(std(m), 0.05, accuracy: 0.003)
        let widths = try draws("width", "{distribution: q_normal, mu: 128, sigma: 8, q: 8}", n: 2000)
        XCTAssertTrue(widths.allSatisfy { $0.truncatingRemainder(dividingBy: 8) == 0 })
        XCTAssertEqual(mean(widths), 128, accuracy: 1)
        let lr = try draws("lr", "{distribution: log_normal, mu: -5, sigma: 1}", n: 4000).map(log)
        XCTAssertEqual(mean(lr), -5, accuracy: 0.06)
        XCTAssertEqual(std(lr), 1, accuracy: 0.05)
        let q = try draws("width", "{distribution: q_log_normal, mu: 5, sigma: 0.3}", n: 1000)
        XCTAssertTrue(q.allSatisfy { $0 == $0.rounded() && $0 >= 1 }, "q defaults to 1")
        // mu 0 and sigma 1 when not given, as W&B.
        let spec = try parse("method: random\nrun_cap: 1\nparameters:\n  lr: {distribution: log_normal}\n")
        XCTAssertEqual(spec.parameters[0].domain, .sampled(.init(.logNormal, mu: 0, sigma: 1)))
        XCTAssertEqual(spec.searchSpace.dimensions[0].kind, .normal(mu: 0, sigma: 1, log: true, q: nil))
        XCTAssertEqual(try parse("method: random\nrun_cap: 1\nparameters:\n  width: {distribution: q_normal, mu: 100, sigma: 2}\n")
                        .parameters[0].domain, .sampled(.init(.qNormal, mu: 100, sigma: 2, q: 1)))
    }

    func testTheQuantileFunctionIsExact() {
        for (p, z) in [(0.5, 0.0), (0.975, 1.9599639845400536), (0.3, -0.5244005127080407), (1e-10, -6.361340902404056),
                       (0x1.0p-53, -8.209536151601386)] {
            XCTAssertEqual(standardNormalQuantile(p), z, accuracy: 1e-12 * max(1, abs(z)), "p = \(p)")
            // 1 - p is rounded (but for 2^-53), so the upper tail is as exact as 1 - p is.
            XCTAssertEqual(standardNormalQuantile(1 - p), -z, accuracy: 1e-6 * max(1, abs(z)), "p = 1 - \(p)")
        }
        XCTAssertEqual(standardNormalQuantile(0), -.infinity)
        XCTAssertEqual(standardNormalQuantile(1), .infinity)
    }

    /// A law whose draws a parameter would refuse is refused at parse time, never clipped.
    func testDrawsAParameterWouldRefuseAreRefusedBeforeAnyTrial() {
        let head = "method: random\nrun_cap: 5\nparameters:\n"
        let normal = assertRefused(head + "  lr: {distribution: normal, mu: 0.01, sigma: 0.01}\n", line: 4, column: 22,
                                   field: "parameters.lr.distribution", contains: "normal (mu 0.01, sigma 0.01) can draw -0.07")
        XCTAssertTrue(normal?.message.contains("lr takes a number > 0; vgsweep refuses rather than clips") ?? false, "\(normal!)")
        assertRefused(head + "  momentum: {distribution: normal, mu: 0.9, sigma: 0.05}\n", line: 4, column: 28,
                      field: "parameters.momentum.distribution", contains: "can draw 1.3")
        // Quantization that reaches 0.
        assertRefused(head + "  lr: {min: 0.0001, max: 0.1, distribution: q_log_uniform_values, q: 0.01}\n", line: 4, column: 13,
                      field: "parameters.lr.min", contains: "q_log_uniform_values can draw 0 at its low end: lr=0 is not allowed")
        // Bounds outside what the parameter takes, and the same in a bayes sweep.
        assertRefused(head + "  momentum: {min: 0.5, max: 1.0}\n", line: 4, column: 29, field: "parameters.momentum.max",
                      contains: "momentum=1 is not allowed; momentum takes a number in [0, 1)")
        assertRefused("method: bayes\nmetric: {name: val_loss}\nparameters:\n  width: {min: 0, max: 8}\n", line: 4, column: 16,
                      field: "parameters.width.min", contains: "width=0 is not allowed")
        // Integers only.
        assertRefused(head + "  width: {min: 16.0, max: 64.0}\n", line: 4, column: 16, field: "parameters.width.distribution",
                      contains: "width does not take fractional numbers")
        assertRefused(head + "  width: {min: 16, max: 64, distribution: q_uniform, q: 0.5}\n", line: 4, column: 43,
                      field: "parameters.width.distribution", contains: "a q_ distribution with an integer q")
        // Names: a number is no activation.
        assertRefused(head + "  activation: {min: 0, max: 3}\n", line: 4, column: 21, field: "parameters.activation.min",
                      contains: "activation takes one of")
    }

    func testDistributionKeysAndBounds() {
        let head = "method: random\nrun_cap: 5\nparameters:\n"
        assertRefused(head + "  lr: {min: 0.1, max: 0.1}\n", line: 4, column: 13, field: "parameters.lr.min", contains: "min equals max")
        assertRefused(head + "  lr: {distribution: uniform, min: 0.1, max: 0.2, q: 0.1}\n", line: 4, column: 51,
                      field: "parameters.lr.q", contains: "not a key of distribution uniform, which takes min, max")
        assertRefused(head + "  lr: {distribution: log_normal, min: 0.1}\n", line: 4, column: 34,
                      field: "parameters.lr.min", contains: "not a key of distribution log_normal, which takes mu, sigma")
        assertRefused(head + "  lr: {distribution: uniform, min: 0.1}\n", line: 4, column: 31, field: "parameters.lr",
                      contains: "uniform needs both min and max")
        assertRefused(head + "  lr: {distribution: q_uniform, min: 0.1, max: 0.2, q: 0}\n", line: 4, column: 56,
                      field: "parameters.lr.q", contains: "q must be > 0")
        assertRefused(head + "  lr: {distribution: log_normal, sigma: -1}\n", line: 4, column: 41,
                      field: "parameters.lr.sigma", contains: "sigma must be >= 0")
        assertRefused(head + "  lr: {min: 0.1, max: 0.2, q: 0.1}\n", line: 4, column: 28, field: "parameters.lr.q",
                      contains: "needs a quantized distribution")
        assertRefused(head + "  lr: {distribution: lognormal}\n", line: 4, column: 22, field: "parameters.lr.distribution",
                      contains: "unknown distribution 'lognormal'; one of constant, categorical, int_uniform")
        assertRefused(head + "  lr: {}\n", line: 4, column: 7, field: "parameters.lr", contains: "empty")
    }

    // MARK: Seeding

    func testSamplesAreDeterministicAndNumberedFromTheSeed() throws {
        let yaml = """
            method: random
            run_cap: 50
            random_seed: 3
            repeats: 2
            parameters:
              lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
              momentum: {distribution: normal, mu: 0.5, sigma: 0.05}
              width: {values: [64, 128], probabilities: [0.3, 0.7]}
              depth: {value: 3}
              batch_size: {min: 32, max: 512}
            """
        let spec = try parse(yaml)
        let all = try spec.trials()
        XCTAssertEqual(all.count, 100)
        XCTAssertEqual(all, try parse(yaml).trials())
        // Sample k is trials()'s k-th configuration, whoever asks and in whatever order.
        for k in [0, 1, 17, 49] {
            let sample = try spec.sample(k)
            XCTAssertEqual(sample.map(\.id), [all[2 * k].id, all[2 * k + 1].id])
            XCTAssertEqual(sample.map(\.ordinal), [2 * k, 2 * k + 1])
        }
        var sampler = try spec.sampler(from: 20)
        XCTAssertEqual(sampler.index, 20)
        XCTAssertEqual(try sampler.next().map(\.id), try spec.sample(20).map(\.id))
        XCTAssertEqual(try sampler.next().map(\.id), try spec.sample(21).map(\.id))
        XCTAssertEqual(sampler.index, 22)
        // A larger budget draws the same first samples; another seed others.
        let more = try parse(yaml.replacingOccurrences(of: "run_cap: 50", with: "run_cap: 80")).trials()
        XCTAssertEqual(Array(more.prefix(100)), all)
        let other = try parse(yaml.replacingOccurrences(of: "random_seed: 3", with: "random_seed: 4")).trials()
        XCTAssertNotEqual(other.map(\.id), all.map(\.id))
        XCTAssertThrowsError(try parse("method: grid\n").sample(0)) { XCTAssertEqual(($0 as? SpecError)?.field, "method") }
    }

    /// Today's samples are kept: the stream, the draws per parameter and their text.
    func testRandomSamplesArePinned() throws {
        let spec = try parse("""
            method: random
            count: 3
            random_seed: 1
            parameters:
              lr: {min: 0.0001, max: 0.03, distribution: log_uniform_values}
              width: {min: 64, max: 256, distribution: int_uniform}
              activation: {values: [relu, elu, gelu]}
            """)
        let shown = try spec.trials().map { $0.swept.map(\.description).joined(separator: " ") }
        XCTAssertEqual(shown.count, 3)
        // Recomputed from the stream as the sampler of vgsweep 1 drew it.
        var rng = Xoshiro256(seed: 1, stream: "vgsweep-random-sweep")
        for line in shown {
            let lr = exp(log(0.0001) + rng.nextUnitDouble() * (log(0.03) - log(0.0001)))
            let width = 64 + Int(rng.next() % 193)
            let activation = ["relu", "elu", "gelu"][Int(rng.next() % 3)]
            var config = TrialConfig()
            try config.apply([("lr", "\(Float(lr))")])
            XCTAssertEqual(line, "lr=\(TrialConfig.parameter(named: "lr")!.value(in: config)) width=\(width) activation=\(activation)")
        }
    }

    // MARK: Grid

    func testAGridExpandsIntUniformAndQUniformAsWandB() throws {
        let spec = try parse("""
            method: grid
            parameters:
              depth: {min: 1, max: 3}
              width: {min: 16, max: 64, distribution: q_uniform, q: 16}
              momentum: {min: 0.5, max: 0.9, distribution: q_uniform, q: 0.1}
            """)
        XCTAssertEqual(spec.plannedTrialCount, 3 * 3 * 4)
        let trials = try spec.trials()
        XCTAssertEqual(trials.count, 36)
        XCTAssertEqual(Set(trials.map(\.config.architecture.depth)), [1, 2, 3], "int_uniform: min...max inclusive")
        XCTAssertEqual(Set(trials.map(\.config.architecture.width)), [16, 32, 48], "numpy's arange(16, 64, 16): max excluded")
        XCTAssertEqual(trials.prefix(4).map(\.config.optimizer.momentum), [0.5, 0.6, 0.7, 0.8])
        XCTAssertEqual(trials[0].swept.map(\.name), ["depth", "width", "momentum"])
        // arange's length is ceil((max - min) / q): (1.3 - 1.0) / 0.1 is 3.0000000000000004, so W&B gets 1.3 too.
        let gamma = try parse("method: grid\nparameters:\n  lr_gamma: {min: 1.0, max: 1.3, distribution: q_uniform, q: 0.1}\n").trials()
        XCTAssertEqual(gamma.map(\.config.lrGamma), [1.0, 1.1, 1.2, 1.3])
        // Counted without listing them.
        assertRefused("method: grid\nparameters:\n  seed: {min: 0, max: 1000000000000}\n", line: 2, column: 1, field: "max_trials",
                      contains: "expands to 1000000000001 trials")
        XCTAssertEqual(try parse("method: grid\nrun_cap: 2\nparameters:\n  seed: {min: 0, max: 1000000000000}\n").trials().map(\.config.seed),
                       [0, 1])
        // Only what W&B's grid takes.
        assertRefused("method: grid\nparameters:\n  lr: {min: 0.001, max: 0.1}\n", line: 3, column: 8, field: "parameters.lr",
                      contains: "a grid sweep takes value, values, int_uniform or q_uniform (as W&B's grid does); uniform is for method: random or bayes")
        assertRefused("method: list\ntrials: [{name: a}]\nparameters:\n  lr: {distribution: normal}\n", line: 4, column: 22,
                      field: "parameters.lr", contains: "a list sweep takes value, values")
    }

    // MARK: early_terminate

    func testEarlyTerminateParsesEveryRuleWithItsDefaults() throws {
        let spec = try parse("""
            method: grid
            metric: {name: val_acc, goal: maximize}
            early_terminate:
              - {type: hyperband, min_iter: 3}
              - {type: asha, grace_period: 2, reduction_factor: 3, max_t: 30}
              - {type: median, n_startup_trials: 4}
              - {type: vanishing, patience: 4}
              - {type: saturated, min_saturated: 0.9}
            """)
        XCTAssertEqual(spec.stopping, [
            .hyperband(.init(minIter: 3)),
            .asha(.init(gracePeriod: 2, reductionFactor: 3, maxT: 30)),
            .median(.init(nStartupTrials: 4)),
            .vanishing(.init(patience: 4)),
            .saturated(.init(minSaturated: 0.9)),
        ])
        let one = try parse("method: grid\nmetric: {name: val_loss}\nearly_terminate: {type: hyperband, max_iter: 27, s: 2, eta: 3, strict: true}\n")
        XCTAssertEqual(one.stopping, [.hyperband(.init(maxIter: 27, s: 2, eta: 3, strict: true))])
        XCTAssertEqual(try parse("method: grid\n").stopping, [])
        // The rules that need no metric.
        XCTAssertEqual(try parse("method: grid\nearly_terminate: {type: vanishing}\n").stopping, [.vanishing(.init())])
        // W&B's rule: with max_iter and s, min_iter is not used.
        let both = try parse("method: grid\nmetric: {name: val_loss}\nearly_terminate: {type: hyperband, min_iter: 2, max_iter: 27, s: 2}\n")
        XCTAssertEqual(both.stopping, [.hyperband(.init(maxIter: 27, s: 2))])
        XCTAssertTrue(both.notices.contains { $0.contains("early_terminate.min_iter: ignored") }, "\(both.notices)")
    }

    func testEarlyTerminateMistakesNameTheField() {
        let head = "method: grid\nmetric: {name: val_loss}\n"
        assertRefused(head + "early_terminate: {type: hyperband, s: 2}\n", line: 3, column: 25, field: "early_terminate",
                      contains: "hyperband needs min_iter, or max_iter with s")
        assertRefused(head + "early_terminate: {type: hyperband, max_iter: 27}\n", line: 3, column: 36, field: "early_terminate.s",
                      contains: "required with max_iter")
        assertRefused(head + "early_terminate: {type: hyperband, max_iter: 2, s: 1}\n", line: 3, column: 46, field: "early_terminate.max_iter",
                      contains: "no bracket")
        assertRefused(head + "early_terminate: {type: hyperband, min_iter: 1, eta: 1}\n", line: 3, column: 54, field: "early_terminate.eta",
                      contains: "an integer >= 2")
        assertRefused(head + "early_terminate: {type: hyperband, min_iter: 1, eta: 2.5}\n", line: 3, column: 54, field: "early_terminate.eta",
                      contains: "an integer >= 2")
        assertRefused(head + "early_terminate: {type: hyperband, min_iter: 0}\n", line: 3, column: 46, field: "early_terminate.min_iter",
                      contains: ">= 1")
        assertRefused(head + "early_terminate: {type: hyperband, min_iter: 1, strict: maybe}\n", line: 3, column: 57,
                      field: "early_terminate.strict", contains: "expected true or false")
        assertRefused(head + "early_terminate: {type: hyperband, min_iter: 1, brackets: 3}\n", line: 3, column: 49,
                      field: "early_terminate.brackets", contains: "unknown key; a hyperband rule takes type, min_iter, max_iter, s, eta, strict")
        assertRefused(head + "early_terminate: {type: asha, grace_period: 10, max_t: 5}\n", line: 3, column: 56, field: "early_terminate.max_t",
                      contains: "below grace_period")
        assertRefused(head + "early_terminate: {type: asha, reduction_factor: 1}\n", line: 3, column: 49,
                      field: "early_terminate.reduction_factor", contains: ">= 2")
        assertRefused(head + "early_terminate: {type: median, n_startup_trials: -1}\n", line: 3, column: 51,
                      field: "early_terminate.n_startup_trials", contains: ">= 0")
        assertRefused(head + "early_terminate: [{type: vanishing}, {type: saturated, min_saturated: 1.5}]\n", line: 3, column: 71,
                      field: "early_terminate[1].min_saturated", contains: "a share in (0, 1]")
        assertRefused(head + "early_terminate: [{type: vanishing}, {type: vanishing}]\n", line: 3, column: 38,
                      field: "early_terminate[1].type", contains: "a second vanishing rule")
        assertRefused(head + "early_terminate: {type: envelope}\n", line: 3, column: 25, field: "early_terminate.type", contains: "unknown rule 'envelope'")
        assertRefused(head + "early_terminate: {min_iter: 3}\n", line: 3, column: 18, field: "early_terminate.type", contains: "required")
        assertRefused(head + "early_terminate: []\n", line: 3, column: 18, field: "early_terminate", contains: "empty")
        // Judged epoch by epoch: a metric every epoch reports, and one there must be.
        assertRefused("method: grid\nearly_terminate: {type: hyperband, min_iter: 3}\n", line: 2, column: 18, field: "early_terminate.type",
                      contains: "hyperband compares trials by the sweep's metric: give one")
        assertRefused("method: grid\nmetric: {name: test_acc, goal: maximize}\nearly_terminate: {type: median}\n", line: 2, column: 9,
                      field: "metric.name", contains: "test_acc is known only at a trial's end")
    }

    // MARK: W&B's own files

    func testWandBsExampleFilesLoadUnchanged() throws {
        let bayes = try SweepSpec.load(path: ReadySweepsTests.folder.appendingPathComponent("wandb-bayes-hyperband.yaml").path)
        XCTAssertEqual(bayes.name, "wandb-bayes-hyperband")
        XCTAssertEqual(bayes.method, .bayes)
        XCTAssertEqual(bayes.metric, Metric(name: .valLoss, goal: .minimize))
        XCTAssertEqual(bayes.stopping, [.hyperband(.init(maxIter: 27, s: 2, eta: 3))])
        XCTAssertTrue(bayes.isUnbounded, "no run_cap: until stopped, as in W&B")
        XCTAssertEqual(bayes.notices.count, 2, "\(bayes.notices)")
        XCTAssertTrue(bayes.notices[0].contains("program: ignored"), bayes.notices[0])
        let space = bayes.searchSpace
        XCTAssertEqual(space.dimensions.map(\.name), ["init_std", "width", "depth", "batch_size", "lr", "weight_decay", "momentum"])
        XCTAssertEqual(space.constants, [.init("epochs", "27")])
        XCTAssertEqual(space.dimensions.map { if case .categorical(let v, nil) = $0.kind { v.count } else { 0 } }, [5, 3, 6, 6, 3, 3, 3])
        let first = try bayes.sample(0)
        XCTAssertEqual(first[0].config.epochs, 27)

        let grid = try SweepSpec.load(path: ReadySweepsTests.folder.appendingPathComponent("wandb-grid-hyperband.yaml").path)
        XCTAssertEqual(grid.method, .grid)
        XCTAssertEqual(grid.metric, Metric(name: .trainLoss, goal: .minimize))
        XCTAssertEqual(grid.stopping, [.hyperband(.init(maxIter: 27, s: 2, eta: 3))])
        let trials = try grid.trials()
        XCTAssertEqual(trials.count, 5 * 6 * 6 * 3)
        XCTAssertEqual(Set(trials.map(\.config.architecture.depth)), [10, 12, 14, 16, 18, 20])
        XCTAssertTrue(trials.allSatisfy { $0.config.epochs == 27 })
    }
}
