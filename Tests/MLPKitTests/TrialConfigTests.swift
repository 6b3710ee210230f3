import XCTest
@testable import MLPKit

final class TrialConfigTests: XCTestCase {
    func testDefaultsAreTheSeedsModel3() throws {
        let c = try TrialConfig(arguments: [])
        XCTAssertEqual(c.architecture.depth, 7)
        XCTAssertEqual(c.architecture.width, 128)
        XCTAssertEqual(c.architecture.activation, .sigmoid)
        XCTAssertEqual(c.architecture.initializer, .normal)
        XCTAssertEqual(c.architecture.initStd, 0.05)
        XCTAssertEqual(c.optimizer.kind, .sgd)
        XCTAssertEqual(c.lr, 0.01)
        XCTAssertEqual(c.batchSize, 512)
        XCTAssertEqual(c.epochs, 300)
    }

    func testArgumentsOverrideDefaults() throws {
        let c = try TrialConfig(arguments: ["activation=relu", "init=he_normal", "optimizer=adam", "lr=0.001",
                                             "skip=seed", "norm=batchnorm", "freeze=1,2", "seed=9"])
        XCTAssertEqual(c.architecture.activation, .relu)
        XCTAssertEqual(c.architecture.skip, .seed)
        XCTAssertEqual(c.architecture.normalization, .batchnorm)
        XCTAssertEqual(c.freeze, [1, 2])
        XCTAssertEqual(c.seed, 9)
        XCTAssertEqual(c.optimizer.kind, .adam)
    }

    func testCanonicalPairsReadBackToTheSameConfig() throws {
        let c = try TrialConfig(arguments: ["lr=0.003", "skip=2", "stage_epochs=5", "val_fraction=0.25"])
        let again = try TrialConfig(arguments: c.pairs.map { "\($0.0)=\($0.1)" })
        XCTAssertEqual(c, again)
        XCTAssertTrue(c.pairs.contains { $0 == ("lr", "0.003") })
    }

    func testUnknownKeySuggestsTheNearestName() {
        XCTAssertThrowsError(try TrialConfig(arguments: ["activaton=relu"])) { error in
            XCTAssertEqual(error as? ConfigError, .unknownKey("activaton", suggestion: "activation"))
            XCTAssertTrue("\(error)".contains("did you mean 'activation'"))
        }
    }

    func testBadValuesNameTheKeyAndTheAllowedValues() {
        let cases: [(String, String)] = [
            ("activation=sigmod", "sigmoid, tanh, relu"), ("lr=-1", "> 0"), ("depth=0", "1...1000"),
            ("skip=two", "none, seed, or N"), ("stage_groups=2,x", "comma-separated"), ("lr=nan", "> 0"),
        ]
        for (argument, hint) in cases {
            XCTAssertThrowsError(try TrialConfig(arguments: [argument])) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(String(argument.split(separator: "=")[0])), text)
                XCTAssertTrue(text.contains(hint), "\(text) should mention \(hint)")
            }
        }
        XCTAssertThrowsError(try TrialConfig(arguments: ["depth"])) { error in
            XCTAssertEqual(error as? ConfigError, .malformed(argument: "depth"))
        }
    }

    func testImpossibleCombinationsAreRefused() {
        let cases: [[String]] = [
            ["skip=seed", "depth=5"],
            ["skip=3", "depth=3"],
            ["freeze=8"],
            ["schedule=progressive", "depth=5"],
            ["schedule=progressive", "stage_epochs=1,2"],
            ["schedule=progressive", "freeze=1"],
        ]
        for arguments in cases {
            XCTAssertThrowsError(try TrialConfig(arguments: arguments), "\(arguments)") { error in
                guard case .impossible = error as? ConfigError else { return XCTFail("\(arguments): \(error)") }
            }
        }
    }

    func testProgressivePlanIsTheSeedsTable() {
        let plan = ProgressivePlan(groups: [2, 2, 2, 1], stageEpochs: [], epochs: 300)
        XCTAssertEqual(plan.stages.map(\.depth), [2, 4, 4, 6, 6, 7, 7])
        XCTAssertEqual(plan.stages.map(\.trainable), [1...2, 3...4, 1...4, 5...6, 1...6, 7...7, 1...7])
        XCTAssertEqual(plan.stages.map(\.epochs), [100, 100, 100, 100, 100, 100, 300])
        XCTAssertEqual(ProgressivePlan(groups: [2, 2, 2, 1], stageEpochs: [4], epochs: 300).totalEpochs, 28)
        XCTAssertEqual(ProgressivePlan(groups: [2, 2, 2, 1], stageEpochs: [], epochs: 100).totalEpochs, 700)
        XCTAssertEqual(ProgressivePlan(groups: [2, 2, 2, 1], stageEpochs: [], epochs: 8).totalEpochs, 56)
    }

    /// The default stage epochs are part of a trial's canonical pairs, so its id changes
    /// with the plan it trains.
    func testDefaultStageEpochsAreWrittenOut() throws {
        let config = try TrialConfig(arguments: ["schedule=progressive", "epochs=100"])
        let shown = Dictionary(uniqueKeysWithValues: config.pairs)
        XCTAssertEqual(shown["stage_epochs"], "100,100,100,100,100,100,100")
        XCTAssertEqual(try TrialConfig(arguments: config.pairs.map { "\($0.0)=\($0.1)" }).stageEpochs, Array(repeating: 100, count: 7))
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: try TrialConfig(arguments: ["epochs=100"]).pairs)["stage_epochs"], "none")
    }

    func testCoreTypeFollowsTheCPUFlags() {
        XCTAssertEqual(BLASRuntime.preferredCoreType(cpuFlags: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx2", "fma"]), "SkylakeX")
        XCTAssertEqual(BLASRuntime.preferredCoreType(cpuFlags: ["avx512f", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLASRuntime.preferredCoreType(cpuFlags: ["sse4_2"]))
    }
}
