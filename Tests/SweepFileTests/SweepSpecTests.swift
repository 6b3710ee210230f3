import Foundation
import MLPKit
import XCTest
@testable import SweepFile

final class SweepSpecTests: XCTestCase {
    let file = "sweeps/t.yaml"

    private func parse(_ yaml: String) throws -> SweepSpec {
        try SweepSpec.parse(yaml: yaml, file: file)
    }

    private func trials(_ yaml: String) throws -> [Trial] {
        try parse(yaml).trials()
    }

    /// The error parsing or expanding `yaml` gives, checked for place and field; returns it for
    /// a closer look at the message.
    @discardableResult
    private func assertRefused(_ yaml: String, line: Int, column: Int? = nil, field: String, contains text: String,
                               file testFile: StaticString = #filePath, line testLine: UInt = #line) -> SpecError? {
        do {
            _ = try SweepSpec.parse(yaml: yaml, file: file).trials()
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

    private func value(_ trial: Trial, _ name: String) -> String? {
        trial.pairs.first { $0.name == name }?.value
    }

    // MARK: Grid

    func testGridIsTheProductInFileOrderFirstParameterSlowest() throws {
        let spec = try parse("""
            name: depth-by-activation
            method: grid
            parameters:
              depth: {values: [3, 5, 7]}
              activation: {values: [sigmoid, relu]}
              epochs: {value: 3}
            """)
        XCTAssertEqual(spec.name, "depth-by-activation")
        XCTAssertEqual(spec.method, .grid)
        XCTAssertEqual(spec.metric, SweepSpec.Metric(name: .testAcc, goal: .maximize))
        XCTAssertEqual(spec.maxTrials, 10_000)
        XCTAssertEqual(spec.repeats, 1)
        XCTAssertEqual(spec.plannedTrialCount, 6)
        let trials = try spec.trials()
        XCTAssertEqual(trials.count, 6)
        XCTAssertEqual(trials.map(\.ordinal), Array(0..<6))
        XCTAssertEqual(trials.map { "\(value($0, "depth")!)/\(value($0, "activation")!)" },
                       ["3/sigmoid", "3/relu", "5/sigmoid", "5/relu", "7/sigmoid", "7/relu"])
        XCTAssertEqual(trials[3].swept, [.init("depth", "5"), .init("activation", "relu"), .init("epochs", "3")])
        XCTAssertTrue(trials.allSatisfy { $0.name == "" && $0.config.epochs == 3 })
        XCTAssertEqual(Set(trials.map(\.id)).count, 6)
        XCTAssertEqual(trials[3].pairs.count, TrialConfig.parameters.count)
        XCTAssertEqual(trials[3].arguments.first, "depth=5")
    }

    func testGridWithoutParametersIsOneTrialOfDefaults() throws {
        let trials = try trials("name: defaults\nmethod: grid\n")
        XCTAssertEqual(trials.count, 1)
        XCTAssertEqual(trials[0].config, TrialConfig())
        XCTAssertEqual(trials[0].swept, [])
    }

    func testScalarValuesBecomeTheTextTrialConfigReads() throws {
        let trials = try trials("""
            name: types
            method: grid
            parameters:
              lr: {value: 1e-3}
              weight_decay: {value: 5.0e-4}
              width: {value: 64}
              activation: {value: leaky_relu}
              schedule: {value: progressive}
              stage_groups:
                values:
                  - 2,2,2,1
                  - [4, 3]
              stage_epochs: {value: 10}
              epochs: {value: 3.0}
              freeze: {value: ~}
              skip: {value: none}
              val_fraction: {value: 0.25}
              train_limit: {value: 1_000}
              seed: {value: 18446744073709551615}
            """)
        XCTAssertEqual(trials.count, 2)
        let c = trials[0].config
        XCTAssertEqual(c.lr, 0.001)
        XCTAssertEqual(c.optimizer.weightDecay, 0.0005)
        XCTAssertEqual(c.architecture.width, 64)
        XCTAssertEqual(c.architecture.activation, .leakyRelu)
        XCTAssertEqual(c.schedule, .progressive)
        XCTAssertEqual(c.stageGroups, [2, 2, 2, 1])
        XCTAssertEqual(trials[1].config.stageGroups, [4, 3])
        XCTAssertEqual(c.stageEpochs, [10])
        XCTAssertEqual(c.epochs, 3)
        XCTAssertEqual(c.freeze, [])
        XCTAssertEqual(c.architecture.skip, .none)
        XCTAssertEqual(c.valFraction, 0.25)
        XCTAssertEqual(c.trainLimit, 1000)
        XCTAssertEqual(c.seed, UInt64.max)
        // `swept` shows the canonical form, whatever the spelling in the file.
        XCTAssertEqual(trials[0].swept.first, .init("lr", "0.001"))
        XCTAssertEqual(trials[1].swept.first { $0.name == "stage_groups" }?.value, "4,3")

        let spec = try parse("name: t\nmethod: grid\nparameters:\n  lr: {values: [1e-3, 0.1, 2]}\n")
        guard case .values(let values) = spec.parameters[0].domain else { return XCTFail("not values") }
        XCTAssertEqual(values.map(\.text), ["0.001", "0.1", "2"])
        XCTAssertEqual(values.map(\.field), ["parameters.lr.values[0]", "parameters.lr.values[1]", "parameters.lr.values[2]"])
    }

    // MARK: Repeats and identity

    func testRepeatsRunSeedsFromTheConfigurationsOwnSeed() throws {
        let trials = try trials("""
            name: repeats
            method: grid
            repeats: 3
            parameters:
              activation: {values: [relu, tanh]}
            """)
        XCTAssertEqual(trials.count, 6)
        XCTAssertEqual(trials.map(\.config.seed), [42, 43, 44, 42, 43, 44])
        XCTAssertEqual(Set(trials[0..<3].map(\.configId)).count, 1)
        XCTAssertEqual(Set(trials.map(\.configId)).count, 2)
        XCTAssertEqual(Set(trials.map(\.id)).count, 6)
        XCTAssertEqual(trials[1].swept, [.init("activation", "relu"), .init("seed", "43")])

        let own = try self.trials("name: r\nmethod: grid\nrepeats: 2\nparameters:\n  seed: {value: 7}\n")
        XCTAssertEqual(own.map(\.config.seed), [7, 8])
        XCTAssertEqual(own[1].swept, [.init("seed", "8")])
    }

    func testIdsDependOnTheParametersNotOnTheFile() throws {
        let a = try trials("""
            name: a
            method: grid
            parameters:
              lr: {values: [1e-3, 0.01]}
              activation: {values: [relu, tanh]}
              epochs: {value: 5}
            """)
        let b = try trials("""
            name: b, same trials written differently
            method: grid
            parameters:
              epochs: {value: 5.0}
              activation: {values: [tanh, relu]}
              lr: {values: [0.01, 0.001]}
            """)
        XCTAssertEqual(Set(a.map(\.id)), Set(b.map(\.id)))
        XCTAssertNotEqual(a.map(\.id), b.map(\.id), "the order differs, the ids do not")
        for trial in a {
            XCTAssertEqual(trial.id, Trial(config: trial.config).id)
            XCTAssertEqual(trial.id.count, 12)
            XCTAssertTrue(trial.id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
        // Pinned: SHA-256 of "vgsweep-trial-v1\n" + "depth=7\n" + ... + "threads=1\n", computed
        // independently. A change here orphans every stored result.
        XCTAssertEqual(Trial(config: TrialConfig()).id, "c7d30640c2e2")
        XCTAssertEqual(Trial(config: TrialConfig()).configId, "9a3bc298a73b")
    }

    func testTrialsRoundTripThroughCodable() throws {
        let trials = try trials("""
            name: list
            method: list
            parameters: {epochs: {value: 2}}
            trials:
              - {name: adam, parameters: {optimizer: adam, lr: 1e-3}}
            """)
        let data = try JSONEncoder().encode(trials)
        let back = try JSONDecoder().decode([Trial].self, from: data)
        XCTAssertEqual(back, trials)
        XCTAssertEqual(back[0].config.optimizer.kind, .adam)
    }

    // MARK: Random

    private let randomYAML = """
        name: random
        method: random
        count: 200
        random_seed: 7
        parameters:
          lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
          width: {min: 64, max: 256, distribution: int_uniform}
          momentum: {min: 0.5, max: 0.99}
          activation: {values: [sigmoid, tanh, relu]}
          epochs: {value: 3}
        """

    func testRandomIsDeterministicAndWithinBounds() throws {
        let trials = try trials(randomYAML)
        XCTAssertEqual(trials, try self.trials(randomYAML))
        XCTAssertEqual(trials.count, 200)
        XCTAssertEqual(trials.map(\.ordinal), Array(0..<200))
        let other = try self.trials(randomYAML.replacingOccurrences(of: "random_seed: 7", with: "random_seed: 8"))
        XCTAssertNotEqual(trials.map(\.id), other.map(\.id))

        let lrs = trials.map { Double($0.config.lr) }
        XCTAssertTrue(lrs.allSatisfy { $0 >= 0.0001 && $0 <= 0.1 })
        // Log-uniform: about half below the geometric middle 10^-2.5 (uniform would put ~3 % there).
        let low = lrs.filter { $0 < 0.00316 }.count
        XCTAssertTrue((70...130).contains(low), "\(low) of 200 below 10^-2.5")
        let widths = trials.map(\.config.architecture.width)
        XCTAssertTrue(widths.allSatisfy { (64...256).contains($0) })
        XCTAssertGreaterThan(Set(widths).count, 80)
        XCTAssertTrue(trials.allSatisfy { $0.config.optimizer.momentum >= 0.5 && $0.config.optimizer.momentum <= 0.99 })
        XCTAssertEqual(Set(trials.map(\.config.architecture.activation)), [.sigmoid, .tanh, .relu])
        XCTAssertTrue(trials.allSatisfy { $0.config.epochs == 3 })
        XCTAssertEqual(trials[0].swept.map(\.name), ["lr", "width", "momentum", "activation", "epochs"])
    }

    func testRandomDefaultsToTheParametersKindAndCollapsesDuplicates() throws {
        // As W&B: integer bounds mean int_uniform whatever the parameter takes (with a notice
        // for a parameter that takes fractions), float bounds uniform.
        let spec = try parse("name: r\nmethod: random\ncount: 3\nparameters:\n  width: {min: 1, max: 4}\n  lr: {min: 1, max: 2}\n  momentum: {min: 0, max: 0.5}\n")
        XCTAssertEqual(spec.parameters.map(\.domain), [.sampled(.init(.intUniform, min: 1, max: 4)), .sampled(.init(.intUniform, min: 1, max: 2)),
                                                        .sampled(.init(.uniform, min: 0, max: 0.5))])
        XCTAssertEqual(spec.notices.count, 1)
        XCTAssertTrue(spec.notices[0].hasPrefix("sweeps/t.yaml:6:8: parameters.lr: integer min and max"), spec.notices[0])

        let few = try trials("name: r\nmethod: random\ncount: 50\nrepeats: 2\nparameters:\n  activation: {values: [relu, tanh]}\n")
        XCTAssertEqual(few.count, 4, "2 activations x 2 seeds, however many samples")
        XCTAssertEqual(few.map(\.ordinal), [0, 1, 2, 3])
        XCTAssertEqual(few.map(\.config.seed), [42, 43, 42, 43])
    }

    // MARK: List

    func testListEntriesAreLaidOverEveryGridPoint() throws {
        let spec = try parse("""
            name: fixes-on-model-3
            method: list
            metric: {name: test_loss}
            parameters:
              seed: {values: [1, 2, 3]}
              epochs: {value: 100}
            trials:
              - name: baseline
                parameters: {}
              - name: std-1
                parameters: {init_std: 1.0}
              - name: tanh
                parameters: {activation: tanh}
              - name: relu
                parameters: {activation: relu, init: he_normal}
              - name: adam
                parameters: {optimizer: adam, lr: 1e-3}
              - name: batchnorm
                parameters: {norm: batchnorm}
              - name: standardize
                parameters: {norm: standardize}
              - name: skip
                parameters: {skip: seed}
              - name: progressive
                parameters: {schedule: progressive, stage_groups: "2,2,2,1"}
            """)
        XCTAssertEqual(spec.metric, SweepSpec.Metric(name: .testLoss, goal: .minimize))
        XCTAssertEqual(spec.entries.map(\.name).count, 9)
        let trials = try spec.trials()
        XCTAssertEqual(trials.count, 27)
        XCTAssertEqual(trials.prefix(6).map(\.name), ["baseline", "baseline", "baseline", "std-1", "std-1", "std-1"])
        XCTAssertEqual(trials.prefix(6).map(\.config.seed), [1, 2, 3, 1, 2, 3])
        XCTAssertTrue(trials.allSatisfy { $0.config.epochs == 100 })
        XCTAssertEqual(Set(trials.map(\.configId)).count, 9)
        XCTAssertEqual(Set(trials.map(\.id)).count, 27)
        let relu = trials.first { $0.name == "relu" }!
        XCTAssertEqual(relu.config.architecture.activation, .relu)
        XCTAssertEqual(relu.config.architecture.initializer, .heNormal)
        XCTAssertEqual(relu.swept, [.init("seed", "1"), .init("epochs", "100"), .init("activation", "relu"), .init("init", "he_normal")])
    }

    func testAnEntryOverridesTheGrid() throws {
        let trials = try trials("""
            name: o
            method: list
            parameters: {activation: {value: sigmoid}}
            trials:
              - {name: relu, parameters: {activation: relu}}
            """)
        XCTAssertEqual(trials.map(\.config.architecture.activation), [.relu])
        XCTAssertEqual(trials[0].swept, [.init("activation", "relu")])
    }

    // MARK: Validation

    func testTheFileAsAWhole() {
        assertRefused("name: x\nmethod: grid\nepochs: 3\n", line: 3, column: 1, field: "epochs",
                      contains: "unknown key (trial parameters go under 'parameters:')")
        assertRefused("name: x\nmethod: grid\nmetrc: {name: test_acc}\n", line: 3, field: "metrc", contains: "unknown key")
        // W&B: name is optional (vgsweep names the sweep after its file); bayes is a method.
        XCTAssertEqual(try parse("method: grid\nparameters: {}\n").name, "t")
        assertRefused("name: x\nparameters: {}\n", line: 1, column: 1, field: "method", contains: "required")
        assertRefused("name: x\nmethod: bayesian\n", line: 2, column: 9, field: "method", contains: "unknown method 'bayesian'")
        assertRefused("- name: x\n", line: 1, column: 1, field: "", contains: "expected a mapping")
        assertRefused("", line: 1, field: "", contains: "empty")
        assertRefused("name: x\nmethod: grid\nmetric: {name: accuracy}\n", line: 3, column: 16, field: "metric.name",
                      contains: "unknown metric 'accuracy'")
        assertRefused("name: x\nmethod: grid\nrepeats: 0\n", line: 3, column: 10, field: "repeats", contains: ">= 1")
        assertRefused("name: x\nmethod: grid\nmax_trials: lots\n", line: 3, column: 13, field: "max_trials",
                      contains: "expected an integer")
    }

    func testTheExactMessageFormat() {
        let error = assertRefused("""
            name: typo
            method: grid
            parameters:
              depth: {values: [3, 5]}
              activaton: {values: [relu]}
            """, line: 5, column: 3, field: "parameters.activaton", contains: "unknown parameter")
        XCTAssertEqual(error?.description, "sweeps/t.yaml:5:3: parameters.activaton: unknown parameter (did you mean 'activation'?)")
    }

    func testParameterShapes() {
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: 3\n", line: 4, column: 11, field: "parameters.epochs",
                      contains: "expected a mapping such as {value: 3}")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {value: {n: 3}}\n", line: 4, column: 19,
                      field: "parameters.epochs.value", contains: "expected a single value, found a mapping")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {values: [3, {n: 4}]}\n", line: 4, column: 24,
                      field: "parameters.epochs.values[1]", contains: "found a mapping")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {values: []}\n", line: 4, column: 20,
                      field: "parameters.epochs.values", contains: "empty")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {values: 3}\n", line: 4, column: 20,
                      field: "parameters.epochs.values", contains: "expected a list")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {value: 3, values: [4]}\n", line: 4, column: 22,
                      field: "parameters.epochs.values", contains: "cannot be combined with value")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {mean: 3}\n", line: 4, column: 12,
                      field: "parameters.epochs.mean", contains: "a parameter takes value, values, probabilities, distribution, min, max")
        // W&B's mu, without a distribution, says nothing (W&B infers none from it).
        assertRefused("name: x\nmethod: random\ncount: 2\nparameters:\n  epochs: {mu: 3}\n", line: 5, column: 12,
                      field: "parameters.epochs.mu", contains: "needs a distribution: normal")
        assertRefused("name: x\nmethod: grid\nparameters:\n  epochs: {values: [3, [relu]]}\n", line: 4, column: 24,
                      field: "parameters.epochs.values[1]", contains: "only integer lists")
    }

    func testRepeatedValuesAreRefused() {
        assertRefused("name: x\nmethod: grid\nparameters:\n  lr: {values: [0.001, 1e-3]}\n", line: 4, column: 24,
                      field: "parameters.lr.values[1]", contains: "'0.001' is already values[0]")
        assertRefused("name: x\nmethod: grid\nparameters:\n  stage_groups: {values: [2,2,2,1]}\n", line: 4, column: 29,
                      field: "parameters.stage_groups.values[1]", contains: "write a list value quoted: \"2,2,2,1\"")
    }

    func testValuesTrialConfigRefusesAreReportedAtTheirLine() {
        assertRefused("""
            name: x
            method: grid
            parameters:
              lr:
                values:
                  - 0.1
                  - -1
            """, line: 7, column: 9, field: "parameters.lr.values[1]", contains: "lr=-1 is not allowed; lr takes a number > 0")
        assertRefused("name: x\nmethod: grid\nparameters:\n  activation: {value: swish}\n", line: 4, column: 23,
                      field: "parameters.activation.value", contains: "activation takes one of sigmoid")
        assertRefused("name: x\nmethod: grid\nparameters:\n  stage_groups: {value: \"2,x\"}\n", line: 4, column: 25,
                      field: "parameters.stage_groups.value", contains: "comma-separated integers")
        assertRefused("name: x\nmethod: grid\nparameters:\n  optimizer: {value: yes}\n", line: 4, column: 22,
                      field: "parameters.optimizer.value", contains: "optimizer=yes is not allowed")
    }

    func testRandomOnlyKeys() {
        assertRefused("name: x\nmethod: random\ncount: 0\n", line: 3, column: 8, field: "count", contains: ">= 1")
        assertRefused("name: x\nmethod: random\ncount: -4\n", line: 3, column: 8, field: "count", contains: ">= 1")
        assertRefused("name: x\nmethod: list\nrandom_seed: 4\ntrials: [{name: a}]\n", line: 3, column: 1,
                      field: "random_seed", contains: "only for method: random")
        assertRefused("""
            name: x
            method: grid
            parameters:
              lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
            """, line: 4, column: 45, field: "parameters.lr", contains: "log_uniform_values is for method: random or bayes")
        assertRefused("name: x\nmethod: list\ntrials: [{name: a}]\nparameters:\n  lr: {values: [0.1], max: 1}\n",
                      line: 5, column: 23, field: "parameters.lr.max", contains: "cannot be combined with values")
    }

    func testRanges() {
        let head = "name: x\nmethod: random\ncount: 5\nparameters:\n"
        assertRefused(head + "  lr: {min: 0.1, max: 0.01}\n", line: 5, column: 13, field: "parameters.lr.min",
                      contains: "min (0.1) is greater than max (0.01)")
        assertRefused(head + "  lr: {min: 0.1}\n", line: 5, column: 8, field: "parameters.lr", contains: "both min and max")
        assertRefused(head + "  lr: {min: 0, max: 0.1, distribution: log_uniform_values}\n", line: 5, column: 13,
                      field: "parameters.lr.min", contains: "needs min > 0")
        assertRefused(head + "  width: {min: 64, max: 256, distribution: uniform}\n", line: 5, column: 44,
                      field: "parameters.width.distribution", contains: "use distribution: int_uniform")
        assertRefused(head + "  width: {min: 0, max: 256}\n", line: 5, column: 16, field: "parameters.width.min",
                      contains: "width=0 is not allowed")
        assertRefused(head + "  width: {min: 1.5, max: 256, distribution: int_uniform}\n", line: 5, column: 16,
                      field: "parameters.width.min", contains: "integer bounds")
        assertRefused(head + "  lr: {min: low, max: 0.1}\n", line: 5, column: 13, field: "parameters.lr.min",
                      contains: "expected a number")
    }

    func testListEntries() {
        let head = "name: x\nmethod: list\n"
        assertRefused(head + "parameters: {}\n", line: 1, column: 1, field: "trials", contains: "required for method: list")
        assertRefused(head + "trials: []\n", line: 3, column: 9, field: "trials", contains: "empty")
        assertRefused(head + "trials:\n  - name: a\n  - parameters: {lr: 0.1}\n", line: 5, column: 5,
                      field: "trials[1].name", contains: "required")
        assertRefused(head + "trials:\n  - name: a\n  - name: a\n", line: 5, column: 11, field: "trials[1].name",
                      contains: "duplicate trial name 'a' (first at line 4)")
        assertRefused(head + "trials:\n  - name: a\n    parameters: {optimiser: adam}\n", line: 5, column: 18,
                      field: "trials[0].parameters.optimiser", contains: "unknown parameter (did you mean 'optimizer'?)")
        assertRefused(head + "trials:\n  - name: a\n    parameters: {optimizer: {value: adam}}\n", line: 5, column: 29,
                      field: "trials[0].parameters.optimizer", contains: "expected a single value, found a mapping")
        assertRefused(head + "trials:\n  - name: a\n    parameters: {lr: 0}\n", line: 5, column: 22,
                      field: "trials[0].parameters.lr", contains: "lr=0 is not allowed")
        assertRefused(head + "trials:\n  - name: a\n    params: {}\n", line: 5, column: 5,
                      field: "trials[0].params", contains: "a trial entry takes name and parameters")
        assertRefused(head + "parameters: {seed: {values: [1, 2]}}\ntrials:\n  - {name: a, parameters: {seed: 5}}\n",
                      line: 5, column: 5, field: "trials[0]", contains: "is the same as trial #0 'a'")
    }

    func testImpossibleCombinationsNameTheTrial() {
        let grid = assertRefused("""
            name: x
            method: grid
            parameters:
              depth: {values: [7, 3]}
              skip: {value: seed}
            """, line: 3, column: 1, field: "parameters", contains: "trial (depth=3, skip=seed): skip=seed adds")
        XCTAssertTrue(grid?.description.hasPrefix("sweeps/t.yaml:3:1: parameters: trial (depth=3") ?? false)
        assertRefused("""
            name: x
            method: list
            trials:
              - name: fine
              - name: shallow-skip
                parameters: {depth: 3, skip: seed}
            """, line: 5, column: 5, field: "trials[1]", contains: "trial 'shallow-skip' (depth=3, skip=seed): skip=seed")
        assertRefused("name: x\nmethod: grid\nparameters:\n  freeze: {values: [none, \"\"]}\n", line: 3, column: 1,
                      field: "parameters", contains: "two values of one parameter mean the same thing")
    }

    func testRepeatsRefuseASweptSeed() {
        assertRefused("name: x\nmethod: grid\nrepeats: 3\nparameters:\n  seed: {values: [1, 2]}\n", line: 3, column: 10,
                      field: "repeats", contains: "swept seed (parameters.seed at line 5)")
    }

    func testMaxTrials() throws {
        let grid = "name: x\nmethod: grid\nmax_trials: 8\nrepeats: 3\nparameters:\n  width: {values: [1, 2, 3]}\n"
        assertRefused(grid, line: 3, column: 13, field: "max_trials", contains: "expands to 9 trials, more than max_trials (8)")
        XCTAssertEqual(try trials(grid.replacingOccurrences(of: "max_trials: 8", with: "max_trials: 9")).count, 9)
        let values = (1...101).map(String.init).joined(separator: ", ")
        assertRefused("name: x\nmethod: grid\nparameters:\n  width: {values: [\(values)]}\n  depth: {values: [\(values)]}\n",
                      line: 3, column: 1, field: "max_trials", contains: "expands to 10201 trials, more than max_trials (10000)")
        assertRefused("name: x\nmethod: random\ncount: 10001\n", line: 3, column: 8, field: "max_trials",
                      contains: "more than max_trials (10000)")
    }

    func testYAMLSyntaxErrorsGiveTheirLine() {
        assertRefused("name: x\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.01}\n", line: 4, field: "",
                      contains: "YAML syntax error")
        assertRefused("name: x\nmethod: grid\n  bad indent: 1\n", line: 3, field: "", contains: "YAML syntax error")
        assertRefused("name: x\nmethod: grid\nname: y\n", line: 1, field: "", contains: "duplicate key 'name'")
    }

    // MARK: Files

    func testLoadNamesThePathInErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweepspec-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try "name: x\nmethod: grid\nparameters:\n  wdith: {value: 3}\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepSpec.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path):4:3: parameters.wdith: unknown parameter (did you mean 'width'?)")
        }
        let missing = dir.appendingPathComponent("missing.yaml").path
        XCTAssertThrowsError(try SweepSpec.load(path: missing)) { error in
            XCTAssertEqual((error as? SpecError)?.line, 0)
            XCTAssertEqual("\(error)", "\(missing): no such file")
        }
        XCTAssertThrowsError(try SweepSpec.load(path: dir.path)) { error in
            XCTAssertEqual("\(error)", "\(dir.path): a folder, not a sweep file")
        }
        let unreadable = dir.appendingPathComponent("unreadable.yaml").path
        try Data([0xff, 0xfe]).write(to: URL(fileURLWithPath: unreadable))
        XCTAssertThrowsError(try SweepSpec.load(path: unreadable)) { error in
            XCTAssertEqual("\(error)", "\(unreadable): the file is not UTF-8 text")
        }
    }

    func testTheExampleFilesAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let grid = try SweepSpec.load(path: root.appendingPathComponent("sweeps/example-grid.yaml").path)
        XCTAssertEqual(grid.method, .grid)
        XCTAssertGreaterThan(try grid.trials().count, 1)
        let random = try SweepSpec.load(path: root.appendingPathComponent("sweeps/example-random.yaml").path)
        XCTAssertEqual(random.method, .random)
        XCTAssertEqual(try random.trials().count, random.plannedTrialCount)
    }
}
