import XCTest
@testable import MLPKit

/// Training on the real Fashion-MNIST (Debian's dataset-fashion-mnist), on subsets small
/// enough to keep each test to a few seconds.
final class TrainingTests: XCTestCase {
    static let data: FashionMNIST = {
        do { return try FashionMNIST.load(allowDownload: false) } catch { fatalError("Fashion-MNIST: \(error)") }
    }()

    func train(_ arguments: [String]) throws -> (reports: [EpochReport], result: TrialResult) {
        let config = try TrialConfig(arguments: arguments)
        var reports: [EpochReport] = []
        let result = Trainer(config: config, train: Self.data.train, test: Self.data.test).run { reports.append($0) }
        return (reports, result)
    }

    /// The study's starting point: Model 3 learns nothing and its gradient vanishes.
    func testSeedModel3ShowsTheVanishingGradient() throws {
        let (reports, result) = try train(["epochs=2", "train_limit=6000"])
        XCTAssertEqual(result.status, .ok)
        XCTAssertEqual(result.testAcc!, 0.10, accuracy: 0.03)
        XCTAssertEqual(result.testLoss!, log(10), accuracy: 0.02)
        for r in reports {
            XCTAssertEqual(r.gradNorm.count, 8)
            XCTAssertLessThan(r.gradRatio, 1e-2, "first/last gradient ratio in epoch \(r.epoch)")
            // The gradient shrinks layer by layer from the head down to the input.
            for k in 1..<r.gradNorm.count { XCTAssertLessThan(r.gradNorm[k - 1], r.gradNorm[k]) }
        }
    }

    func testReLUWithHeInitAndAdamLearns() throws {
        let (reports, result) = try train(["activation=relu", "init=he_normal", "optimizer=adam", "lr=0.001",
                                           "epochs=2", "train_limit=12000"])
        XCTAssertEqual(result.status, .ok)
        XCTAssertGreaterThan(result.testAcc!, 0.78)
        XCTAssertGreaterThan(reports[1].gradRatio, 0.1)
        XCTAssertLessThan(reports[1].trainLoss, reports[0].trainLoss)
    }

    /// Same trial and seed, same numbers, bit for bit; another seed, other numbers.
    func testTheSameSeedGivesIdenticalMetrics() throws {
        let arguments = ["norm=batchnorm", "skip=seed", "optimizer=adam", "lr=0.001", "epochs=2", "train_limit=1500"]
        let a = try train(arguments), b = try train(arguments)
        XCTAssertEqual(a.reports.map(\.trainLoss), b.reports.map(\.trainLoss))
        XCTAssertEqual(a.reports.map(\.gradNorm), b.reports.map(\.gradNorm))
        XCTAssertEqual(a.reports.map(\.valAcc), b.reports.map(\.valAcc))
        XCTAssertEqual(a.result.testLoss, b.result.testLoss)
        let c = try train(arguments + ["seed=43"])
        XCTAssertNotEqual(a.reports.map(\.trainLoss), c.reports.map(\.trainLoss))
    }

    func testDivergenceEndsTheTrialWithAStatus() throws {
        let (reports, result) = try train(["activation=relu", "init_std=10", "lr=10", "epochs=3", "train_limit=2000"])
        XCTAssertEqual(result.status, .diverged)
        XCTAssertLessThan(result.epochs, 3)
        XCTAssertEqual(reports.count, result.epochs)
        XCTAssertNil(result.testAcc)
        XCTAssertTrue(result.message!.contains("training loss became"), result.message!)
    }

    func testProgressiveScheduleRunsTheSeedsStages() throws {
        let (reports, result) = try train(["schedule=progressive", "stage_epochs=1", "train_limit=1000", "activation=relu",
                                           "init=he_normal"])
        XCTAssertEqual(result.status, .ok)
        XCTAssertEqual(reports.map(\.stage), [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(reports.map(\.gradNorm.count), [3, 5, 5, 7, 7, 8, 8])   // active hidden layers + head
        // Stage 2 trains layers 3-4 only: layers 1-2 get no gradient and do not move.
        XCTAssertEqual(Array(reports[1].gradNorm[0..<2]), [0, 0])
        XCTAssertEqual(Array(reports[1].weightNorm[0..<2]), Array(reports[0].weightNorm[0..<2]))
        XCTAssertGreaterThan(reports[1].gradNorm[2], 0)
        // Stage 3 trains everything again.
        XCTAssertTrue(reports[2].gradNorm.allSatisfy { $0 > 0 })
    }

    func testFrozenLayersKeepTheirWeights() throws {
        let (reports, result) = try train(["freeze=1,2", "activation=tanh", "epochs=2", "train_limit=1000"])
        XCTAssertEqual(reports[0].weightNorm[0], reports[1].weightNorm[0])
        // The weight histograms agree: frozen layers end where they started, the others moved.
        let histograms = try XCTUnwrap(result.weightHistograms)
        XCTAssertEqual(histograms.count, 8)
        XCTAssertEqual(histograms[0].start.reduce(0, +), 784 * 128)
        XCTAssertEqual(histograms[0].start, histograms[0].end)
        XCTAssertNotEqual(histograms[7].start, histograms[7].end)
        XCTAssertEqual(reports[1].updateRatio[0], 0)
        XCTAssertGreaterThan(reports[1].updateRatio[2], 0)
    }

    func testValidationIsASeededDisjointHoldOut() throws {
        let config = try TrialConfig(arguments: ["train_limit=1000", "val_fraction=0.2"])
        let trainer = Trainer(config: config, train: Self.data.train, test: Self.data.test)
        let (train, validation) = trainer.split()
        XCTAssertEqual(validation.count, 200)
        XCTAssertEqual(train.count, 800)
        XCTAssertTrue(Set(train).isDisjoint(with: validation))
        XCTAssertEqual(Set(train + validation), Set(0..<1000))
        XCTAssertEqual(trainer.split().validation, validation)
    }

    func testSaturationIsMeasured() throws {
        // Large sigmoid weights saturate most units: std 10 is the study's overshooting fix.
        let (saturated, _) = try train(["init_std=10", "epochs=1", "train_limit=1000"])
        XCTAssertGreaterThan(saturated[0].saturated[3], 0.5)
        let (healthy, _) = try train(["activation=relu", "init=he_normal", "epochs=1", "train_limit=1000"])
        XCTAssertLessThan(healthy[0].dead[3], 0.5)
    }
}
