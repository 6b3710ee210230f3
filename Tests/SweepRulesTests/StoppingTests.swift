import MLPKit
import SweepRules
import SweepSchema
import XCTest

/// `StoppingJudge`: the decisions of `early_terminate`. Every expected threshold, cutoff and
/// median below is worked out by hand from the peers' definitions (W&B's
/// hyperband_stopping.py, Ray Tune's async_hyperband.py, Optuna's _percentile.py), in the
/// comment beside it.
final class StoppingTests: XCTestCase {
    private let loss = Metric(name: .trainLoss)   // minimise
    private let accuracy = Metric(name: .valAcc)  // maximise

    // MARK: - Hyperband

    func testHyperbandBracketsAreWandBs() {
        typealias H = StoppingRule.Hyperband
        // max_iter / eta^i for i = 1...s, in floating point, int() of each, ascending.
        XCTAssertEqual(H(maxIter: 27, s: 2, eta: 3).brackets, [3, 9])
        XCTAssertEqual(H(maxIter: 18, s: 2, eta: 3).brackets, [2, 6])           // W&B's test_init_from_max_iter
        XCTAssertEqual(H(maxIter: 81, s: 3, eta: 3).brackets, [3, 9, 27])
        XCTAssertEqual(H(maxIter: 5, s: 2, eta: 2).brackets, [1, 2])            // 2.5, 1.25
        XCTAssertEqual(H(maxIter: 27, s: 5, eta: 3).brackets, [1, 3, 9])        // 9, 3, 1, then 0.33 < 1 ends it
        XCTAssertEqual(H(maxIter: 2, s: 3, eta: 3).brackets, [])                // 0.67 < 1 at once
        // min_iter * eta^i for i = 0, 1, ...
        XCTAssertEqual(Array(H(minIter: 3, eta: 3).brackets.prefix(4)), [3, 9, 27, 81])
        XCTAssertEqual(Array(H(minIter: 1, eta: 2).brackets.prefix(5)), [1, 2, 4, 8, 16])
        XCTAssertEqual(H(minIter: 3, eta: 3).brackets.last, 4_782_969)          // 3^14; 3^15 > 10^7
        // max_iter needs s (W&B's schema); without it min_iter decides; neither: nothing.
        XCTAssertEqual(Array(H(minIter: 2, maxIter: 27, eta: 3).brackets.prefix(3)), [2, 6, 18])
        XCTAssertEqual(H(minIter: 2, maxIter: 27, s: 1, eta: 3).brackets, [9])
        XCTAssertEqual(H(eta: 3).brackets, [])
        XCTAssertEqual(H(minIter: 1, eta: 1).brackets, [])
    }

    func testHyperbandThresholdIsTheValueAtIndexNOverEtaBestFirstMinimizing() {
        // max_iter 9, s 1, eta 3: one bracket, at epoch 3. Strict: the value at epoch 3 is compared.
        var j = StoppingJudge(rules: [.hyperband(.init(maxIter: 9, s: 1, eta: 3, strict: true))], metric: loss)
        XCTAssertNil(j.feed("a", [0.9, 0.8]), "no bracket before epoch 3")
        XCTAssertNil(j.feed("a", [0.9, 0.8, 0.5]))              // [0.5]: int(1/3) = 0 -> 0.5; 0.5 is not worse
        XCTAssertEqual(j.feed("b", [0.9, 0.8, 0.7])?.epoch, 3)  // [0.5, 0.7]: int(2/3) = 0 -> 0.5; 0.7 is worse
        XCTAssertEqual(j.decision(of: "b")?.reason,
                       "hyperband: train_loss 0.7 at epoch 3 is worse than the threshold 0.5 of the bracket at epoch 3 (index 0 of 2 trials)")
        XCTAssertNil(j.feed("c", [0.9, 0.8, 0.6]))              // [0.5, 0.6, 0.7]: int(3/3) = 1 -> 0.6; equal is not worse
        XCTAssertEqual(j.feed("d", [0.9, 0.8, 0.65])?.reason,   // [0.5, 0.6, 0.65, 0.7]: int(4/3) = 1 -> 0.6
                       "hyperband: train_loss 0.65 at epoch 3 is worse than the threshold 0.6 of the bracket at epoch 3 (index 1 of 4 trials)")
        XCTAssertNil(j.report("c", 4, 0.55), "c's 0.6 at epoch 3 against the same 0.6")
        XCTAssertNil(j.feed("e", [0.9, 0.8, 0.55]))             // [0.5, 0.55, 0.6, 0.65, 0.7]: int(5/3) = 1 -> 0.55
        // c is judged again at its next epoch, against the bracket's threshold now (0.55).
        XCTAssertEqual(j.report("c", 5, 0.5)?.reason,
                       "hyperband: train_loss 0.6 at epoch 3 is worse than the threshold 0.55 of the bracket at epoch 3 (index 1 of 5 trials), judged at epoch 5")
        XCTAssertEqual(j.decisions.map(\.trialID), ["b", "d", "c"])
    }

    func testHyperbandMaximizingComparesTheBestSoFarWhenNotStrict() {
        // min_iter 2, eta 2: brackets 2, 4, 8, ...; r = 1/2.
        var j = StoppingJudge(rules: [.hyperband(.init(minIter: 2, eta: 2, strict: false))], metric: accuracy)
        XCTAssertNil(j.feed("x", [0.3, 0.5]))        // [0.5]: index int(0.5) = 0 -> 0.5
        XCTAssertNil(j.feed("y", [0.6, 0.4]))        // best first [0.5, 0.4]: index 1 -> 0.4; y's best 0.6
        XCTAssertNil(j.feed("z", [0.2, 0.45]))       // [0.5, 0.45, 0.4]: index int(1.5) = 1 -> 0.45; equal
        XCTAssertEqual(j.feed("w", [0.1, 0.35])?.reason,   // [0.5, 0.45, 0.4, 0.35]: index 2 -> 0.4
                       "hyperband: the best val_acc 0.35 by epoch 2 is worse than the threshold 0.4 of the bracket at epoch 2 (index 2 of 4 trials)")
        XCTAssertNil(j.report("y", 3, 0.3), "y's best (0.6, epoch 1) clears bracket 2's 0.4")
        // Bracket 4: y alone there (index 0 of 1: its own 0.25); best so far 0.6 is not worse.
        XCTAssertNil(j.report("y", 4, 0.25))
        // x at 4 with 0.2: [0.25, 0.2] best first, index 1 -> 0.2; x's best 0.5.
        XCTAssertNil(j.feed("x", [0.3, 0.5, 0.5, 0.2]))
    }

    func testHyperbandStrictComparesTheBracketValueNotTheBestSoFar() {
        // max_iter 4, s 1, eta 2: bracket 2. p is best at epoch 1 and bad at the bracket.
        func run(strict: Bool) -> StoppingJudge {
            var j = StoppingJudge(rules: [.hyperband(.init(maxIter: 4, s: 1, eta: 2, strict: strict))], metric: loss)
            XCTAssertNil(j.feed("p", [0.2, 0.9]))    // [0.9]: index 0 -> 0.9
            XCTAssertNil(j.feed("q", [0.5, 0.5]))    // [0.5, 0.9]: index int(1.0) = 1 -> 0.9
            XCTAssertNil(j.feed("r", [0.3, 0.4]))    // [0.4, 0.5, 0.9]: index int(1.5) = 1 -> 0.5
            _ = j.report("p", 3, 0.95)               // p's best 0.2; its value at the bracket 0.9 > 0.5
            return j
        }
        XCTAssertNil(run(strict: false).decision(of: "p"))
        XCTAssertEqual(run(strict: true).decision(of: "p")?.reason,
                       "hyperband: train_loss 0.9 at epoch 2 is worse than the threshold 0.5 of the bracket at epoch 2 (index 1 of 3 trials), judged at epoch 3")
    }

    func testHyperbandOnWandBsOwnExample() {
        // hyperband_stop_runs' docstring: max_iter 5, eta 2, s 2 (brackets 1, 2), W&B's default
        // strict; a and e finished, b, c, d running. Bracket 2 over all five: [6, 7, 8, 9, 10],
        // index int(5/2) = 2 -> 8: b (10) stops; c (8) is not worse; d (7) goes on.
        var j = StoppingJudge(rules: [.hyperband(.init(maxIter: 5, s: 2, eta: 2))], metric: loss)
        XCTAssertNil(j.feed("a", [10, 9]))
        j.finish("a", epochs: 2)
        XCTAssertNil(j.feed("e", [10, 6, 6]))
        j.finish("e", epochs: 3)
        XCTAssertNil(j.feed("c", [10, 8, 8]))   // bracket 2: [6, 8, 9] -> index 1 -> 8
        XCTAssertNil(j.feed("d", [10, 7, 7]))   // [6, 7, 8, 9] -> index 2 -> 8
        XCTAssertEqual(j.feed("b", [10, 10])?.reason,   // [6, 7, 8, 9, 10] -> index 2 -> 8
                       "hyperband: train_loss 10 at epoch 2 is worse than the threshold 8 of the bracket at epoch 2 (index 2 of 5 trials)")
        XCTAssertEqual(j.decisions.map(\.trialID), ["b"])
        XCTAssertTrue(StoppingRule.Hyperband().strict, "W&B's schema default")
    }

    func testHyperbandCountsEveryTrialsValuesButJudgesOnlyRunningTrials() {
        // Bracket 1 (max_iter 3, s 1, eta 3: 3 / 3 = 1); index int(n / 3).
        var j = StoppingJudge(rules: [.hyperband(.init(maxIter: 3, s: 1, eta: 3))], metric: loss)
        XCTAssertNil(j.report("failed", 1, 0.2))           // [0.2]
        XCTAssertNil(j.report("done", 1, 0.1))             // [0.1, 0.2]: index 0 -> 0.1
        j.finish("done", epochs: 1)
        j.end("failed", afterEpoch: 1)
        XCTAssertEqual(j.report("bad", 1, 0.9)?.reason,   // [0.1, 0.2, 0.9]: index 1 -> 0.2
                       "hyperband: train_loss 0.9 at epoch 1 is worse than the threshold 0.2 of the bracket at epoch 1 (index 1 of 3 trials)")
        XCTAssertNil(j.report("done", 2, 9.0), "a finished trial is not judged")
        XCTAssertNil(j.report("failed", 2, 9.0), "nor an ended one")
        XCTAssertNil(j.report("good", 1, 0.15))            // [0.1, 0.15, 0.2, 0.9]: index 1 -> 0.15
    }

    // MARK: - ASHA

    func testASHARungsAreRays() {
        typealias A = StoppingRule.ASHA
        XCTAssertEqual(A().rungs, [1, 4, 16, 64])                                         // int(log(100)/log(4) + 1) = 4
        XCTAssertEqual(A(gracePeriod: 1, reductionFactor: 2, maxT: 10).rungs, [1, 2, 4, 8]) // int(3.32 + 1) = 4
        XCTAssertEqual(A(gracePeriod: 1, reductionFactor: 4, maxT: 16).rungs, [1, 4])     // 1, 4, 16; 16 is max_t
        XCTAssertEqual(A(gracePeriod: 2, reductionFactor: 3, maxT: 20).rungs, [2, 6, 18]) // int(log(10)/log(3) + 1) = 3
        XCTAssertEqual(A(gracePeriod: 5, reductionFactor: 3, maxT: 4).rungs, [])
        XCTAssertEqual(A(gracePeriod: 1, reductionFactor: 1, maxT: 4).rungs, [])
    }

    func testASHAKeepsTheTopOneOverRFOfTheValuesRecordedAtARungMaximizing() {
        // Ray's _Bracket docstring: grace 1, rf 2, max_t 10; the cutoff is the 50th percentile.
        var j = StoppingJudge(rules: [.asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10))], metric: accuracy)
        XCTAssertNil(j.report("t1", 1, 0.2), "the first at a rung goes on")
        XCTAssertNil(j.report("t2", 1, 0.4))                   // cutoff of [0.2] = 0.2
        XCTAssertEqual(j.report("t3", 1, 0.1)?.reason,         // cutoff of [0.2, 0.4] = 0.3
                       "asha: val_acc 0.1 at epoch 1 is worse than the rung's cutoff 0.3 (the top 1/2 of 2 trials recorded at epoch 1)")
        XCTAssertNil(j.report("t1", 2, 0.5))                   // rung 2: first
        XCTAssertEqual(j.report("t2", 2, 0.45)?.epoch, 2)      // cutoff of [0.5] = 0.5
        XCTAssertNil(j.report("t1", 3, 0.01), "3 is no rung")
        // t3 was recorded at rung 1 before it stopped: [0.1, 0.2, 0.4] -> 50th = 0.2.
        XCTAssertNil(j.report("t4", 1, 0.2))
        XCTAssertNotNil(j.report("t5", 1, 0.19))               // [0.1, 0.2, 0.2, 0.4] -> 0.2
    }

    func testASHAMinimizingUsesThe75thPercentileOfNegatedValues() {
        // Defaults: grace 1, rf 4 (cutoff: 75th percentile of scores = -loss), max_t 100.
        var j = StoppingJudge(rules: [.asha(.init())], metric: loss)
        XCTAssertNil(j.report("a", 1, 2.0))
        XCTAssertNil(j.report("b", 1, 1.0))                    // scores [-2]: cutoff -2; -1 is not below
        XCTAssertEqual(j.report("c", 1, 3.0)?.reason,          // [-2, -1]: index 0.75 -> -1 - 1 * 0.25 = -1.25
                       "asha: train_loss 3 at epoch 1 is worse than the rung's cutoff 1.25 (the top 1/4 of 2 trials recorded at epoch 1)")
        XCTAssertNil(j.report("d", 1, 1.2))                    // [-3, -2, -1]: index 1.5 -> -1.5; -1.2 is above
        XCTAssertEqual(j.report("e", 1, 1.6)?.reason,          // [-3, -2, -1.2, -1]: index 2.25 -> -1.2 + 0.2 * 0.25 = -1.15
                       "asha: train_loss 1.6 at epoch 1 is worse than the rung's cutoff 1.15 (the top 1/4 of 4 trials recorded at epoch 1)")
        // Rung 4 is judged at epoch 4 only, against those recorded there.
        XCTAssertNil(j.feed("a", [2.0, 1.9, 1.8, 1.7]))
        XCTAssertNotNil(j.feed("b", [1.0, 1.0, 1.0, 1.75]))    // [-1.7]: cutoff -1.7; -1.75 is below
    }

    func testASHAStopsAtMaxTOnlyATrialThatWouldRunPastIt() {
        // grace 1, rf 2, max_t 3: rungs 1, 2 (int(log(3)/log(2) + 1) = 2).
        let rule = StoppingRule.asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 3))
        var j = StoppingJudge(rules: [rule], metric: accuracy)
        XCTAssertNil(j.feed("long", [0.5, 0.6], budget: 5))
        XCTAssertEqual(j.report("long", 3, 0.7, budget: 5)?.reason, "asha: epoch 3 reached max_t 3 (the trial's budget is 5 epochs)")
        XCTAssertNil(j.feed("exact", [0.5, 0.6, 0.7], budget: 3), "its own last epoch anyway")
        XCTAssertNil(j.feed("unknown", [0.5, 0.6, 0.7, 0.8]), "no budget given: max_t alone stops nothing")
    }

    func testASHANaNGoesOnAndIsNotRecorded() {
        var j = StoppingJudge(rules: [.asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10))], metric: accuracy)
        XCTAssertNil(j.report("n", 1, .nan))
        XCTAssertNil(j.report("a", 1, 0.1), "the first recorded value at the rung")
        XCTAssertNil(j.report("b", 1, 0.2))
        XCTAssertNil(j.report("m", 1, .nan))
        XCTAssertNotNil(j.report("c", 1, 0.1))   // [0.1, 0.2] -> 0.15
    }

    // MARK: - Median

    func testMedianWaitsForStartupTrialsAndWarmupThenComparesTheBestSoFar() {
        // n_startup_trials 2, n_warmup_steps 1: epoch 1 is never judged (Optuna's step 0).
        var j = StoppingJudge(rules: [.median(.init(nStartupTrials: 2, nWarmupSteps: 1))], metric: loss)
        XCTAssertNil(j.feed("A", [1.0, 0.8, 0.6]))
        j.finish("A", epochs: 3)
        XCTAssertNil(j.feed("C", [5.0, 5.0]), "one completed trial: no pruning yet")
        XCTAssertNil(j.feed("B", [1.2, 0.9, 0.7]))
        j.finish("B", epochs: 3)
        XCTAssertEqual(j.report("C", 3, 5.0)?.reason,   // median of [0.6, 0.7] = 0.65
                       "median: the best train_loss 5 by epoch 3 is worse than the median 0.65 of 2 completed trials at epoch 3")
        XCTAssertNil(j.report("D", 1, 9.0), "warm-up")
        XCTAssertNil(j.report("D", 2, 0.85))            // median of [0.8, 0.9] = 0.85: equal is not worse
        XCTAssertEqual(j.report("D", 3, 2.0)?.reason,   // its best 0.85 against 0.65
                       "median: the best train_loss 0.85 by epoch 3 is worse than the median 0.65 of 2 completed trials at epoch 3")
        XCTAssertNil(j.feed("E", [1.1, 0.5, 0.66]), "its best, 0.5 at epoch 2, is better than 0.65")
        XCTAssertNil(j.report("E", 4, 3.0), "no completed trial has an epoch 4")
    }

    func testMedianMaximizingAndNaN() {
        // n_startup_trials 1; completed in turn, each above the median of those before it:
        // [0.2, 0.3], [0.5, 0.6], [0.7, 0.8].
        var j = StoppingJudge(rules: [.median(.init(nStartupTrials: 1))], metric: accuracy)
        for (id, values) in [("C", [0.2, 0.3]), ("A", [0.5, 0.6]), ("B", [0.7, 0.8])] {
            XCTAssertNil(j.feed(id, values), id)
            j.finish(id, epochs: 2)
        }
        XCTAssertNil(j.report("T", 1, 0.55))                   // median of [0.2, 0.5, 0.7] = 0.5
        XCTAssertEqual(j.report("T", 2, 0.58)?.reason,         // median of [0.3, 0.6, 0.8] = 0.6
                       "median: the best val_acc 0.58 by epoch 2 is worse than the median 0.6 of 3 completed trials at epoch 2")
        XCTAssertEqual(j.report("U", 1, .nan)?.reason, "median: val_acc is NaN at every epoch up to epoch 1")
        XCTAssertNil(j.report("V", 1, nil), "an epoch without the metric is not judged")
    }

    func testMedianCountsOnlyCompletedTrials() {
        // Stopped, failed and diverged trials are no completed trials; the median of an even
        // count is the mean of the middle two.
        var j = StoppingJudge(rules: [.median(.init(nStartupTrials: 1))], metric: loss)
        XCTAssertNil(j.feed("failed", [0.1]))
        j.end("failed", afterEpoch: 1)
        XCTAssertNil(j.report("t", 1, 9.0), "nothing completed yet")
        j.finish("t", epochs: 1)
        XCTAssertNotNil(j.report("u", 1, 9.5))        // [9.0]: 9.5 is worse
        j.finish("u", epochs: 1)                      // stopped first: stays stopped
        XCTAssertNil(j.report("v", 1, 9.0))           // still [9.0] alone
        j.finish("v", epochs: 1)
        j.finish("v", epochs: 1)                      // twice: once
        XCTAssertNil(j.report("w", 1, 9.0))           // [9.0, 9.0] -> 9.0
        j.finish("w", epochs: 1)
        XCTAssertEqual(j.report("x", 1, 9.1)?.reason, // [9.0, 9.0, 9.0] -> 9
                       "median: the best train_loss 9.1 by epoch 1 is worse than the median 9 of 3 completed trials at epoch 1")
        XCTAssertNil(j.feed("y", [0.3]))
        j.finish("y", epochs: 1)                      // [0.3, 9, 9, 9] -> 9
        XCTAssertNil(j.feed("z", [0.2]))
        j.finish("z", epochs: 1)                      // [0.2, 0.3, 9, 9, 9] -> 9
        XCTAssertNil(j.feed("z2", [0.1]))
        j.finish("z2", epochs: 1)                     // [0.1, 0.2, 0.3, 9, 9, 9] -> (0.3 + 9) / 2 = 4.65
        XCTAssertNil(j.report("k", 1, 4.6))
        XCTAssertEqual(j.report("l", 1, 4.7)?.reason,
                       "median: the best train_loss 4.7 by epoch 1 is worse than the median 4.65 of 6 completed trials at epoch 1")
    }

    // MARK: - Vanishing and saturated

    private static let ln10 = log(10.0)

    /// An epoch whose gradient has vanished at chance-level loss (or not).
    private func vanishing(_ j: inout StoppingJudge, _ id: String, _ epoch: Int, ratio: Double = 1e-6,
                           loss: Double = StoppingTests.ln10 + 0.0002, saturated: [Double] = [0.0]) -> StopDecision? {
        j.observe(.init(trialID: id, epoch: epoch, value: nil, gradRatio: ratio, trainLoss: loss, saturated: saturated))
    }

    func testVanishingNeedsPatienceEpochsFromMinIter() {
        var j = StoppingJudge(rules: [.vanishing(.init(minIter: 5, patience: 3, maxGradRatio: 1e-4, lossTolerance: 0.01))],
                              metric: accuracy)
        for epoch in 1...6 { XCTAssertNil(vanishing(&j, "m3", epoch), "epoch \(epoch)") }
        let stop = vanishing(&j, "m3", 7)   // 5, 6, 7
        XCTAssertEqual(stop?.epoch, 7)
        XCTAssertEqual(stop?.reason, "vanishing: grad_ratio below 1e-4 and train loss within 0.01 of ln(10) for 3 epochs "
                       + "since epoch 5 (at epoch 7: grad_ratio 1e-6, train loss 2.3028)")
        XCTAssertEqual(stop?.rule, .vanishing(.init(minIter: 5, patience: 3, maxGradRatio: 1e-4, lossTolerance: 0.01)))
        XCTAssertEqual(stop?.ruleIndex, 0)
    }

    func testVanishingMinIterAndPatienceEdges() {
        func firstStop(_ rule: StoppingRule.Vanishing, _ epochs: [(ratio: Double, loss: Double)]) -> Int? {
            var j = StoppingJudge(rules: [.vanishing(rule)], metric: accuracy)
            for (i, e) in epochs.enumerated() {
                if let d = vanishing(&j, "t", i + 1, ratio: e.ratio, loss: e.loss) { return d.epoch }
            }
            return nil
        }
        let dead = (ratio: 1e-6, loss: Self.ln10)
        let alive = (ratio: 1e-2, loss: 1.5)
        XCTAssertEqual(firstStop(.init(minIter: 1, patience: 3), Array(repeating: dead, count: 10)), 3)
        XCTAssertEqual(firstStop(.init(minIter: 1, patience: 1), [dead]), 1)
        XCTAssertEqual(firstStop(.init(minIter: 0, patience: 0), [dead]), 1, "below 1 counts as 1")
        XCTAssertEqual(firstStop(.init(minIter: 4, patience: 1), Array(repeating: dead, count: 10)), 4)
        // The streak breaks: dead at 5, 6, alive at 7, dead from 8: stops at 10, since 8.
        let broken = Array(repeating: dead, count: 6) + [alive] + Array(repeating: dead, count: 5)
        XCTAssertEqual(firstStop(.init(minIter: 5, patience: 3), broken), 10)
        // Either half of the condition alone is not enough.
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 2), Array(repeating: (1e-6, 1.9), count: 5)), "learning: loss off chance")
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 2), Array(repeating: (1e-2, Self.ln10), count: 5)), "gradient there")
        // Bounds: below maxGradRatio (strictly); within lossTolerance (inclusive, both sides).
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 1, maxGradRatio: 1e-4), [(1e-4, Self.ln10)]))
        XCTAssertEqual(firstStop(.init(minIter: 1, patience: 1, lossTolerance: 0.01), [(1e-6, Self.ln10 - 0.0099)]), 1)
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 1, lossTolerance: 0.01), [(1e-6, Self.ln10 + 0.0101)]))
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 1), [(.nan, Self.ln10)]), "NaN breaks the streak")
        XCTAssertNil(firstStop(.init(minIter: 1, patience: 1), [(1e-6, .nan)]))
    }

    func testVanishingUsesTheNumberOfClasses() {
        var j = StoppingJudge(rules: [.vanishing(.init(minIter: 1, patience: 1))], metric: accuracy, classes: 2)
        XCTAssertNil(vanishing(&j, "ten", 1, loss: Self.ln10))
        XCTAssertEqual(vanishing(&j, "two", 1, loss: log(2.0) + 0.001)?.reason,
                       "vanishing: grad_ratio below 1e-3 and train loss within 0.01 of ln(2) for 1 epoch since epoch 1 "
                       + "(at epoch 1: grad_ratio 1e-6, train loss 0.6941)")
    }

    /// A progressive schedule freezes the first layer in its later stages: its gradient ratio is
    /// exactly 0 and the loss may sit at chance for a while (measured: stage 2 of
    /// `schedule=progressive stage_epochs=12`, train loss 2.3023-2.3044 with grad_ratio 0). A
    /// frozen layer is not a vanished gradient: the streak breaks.
    func testAFrozenFirstLayerIsNotAVanishedGradient() {
        var j = StoppingJudge(rules: [.vanishing(.init())], metric: accuracy)
        for epoch in 1...20 { XCTAssertNil(vanishing(&j, "frozen", epoch, ratio: 0, loss: Self.ln10)) }
        for epoch in 21...22 { XCTAssertNil(vanishing(&j, "frozen", epoch, ratio: 6e-6, loss: Self.ln10)) }
        XCTAssertNotNil(vanishing(&j, "frozen", 23, ratio: 6e-6, loss: Self.ln10), "once trained and vanishing, it stops")
    }

    func testSaturatedTakesTheMostSaturatedLayerWithPatience() {
        var j = StoppingJudge(rules: [.saturated(.init(minIter: 5, patience: 3, minSaturated: 0.95))], metric: accuracy)
        for epoch in 1...6 { XCTAssertNil(vanishing(&j, "s", epoch, ratio: 1, loss: 2, saturated: [0.1, 0.97, 0.2])) }
        XCTAssertEqual(vanishing(&j, "s", 7, ratio: 1, loss: 2, saturated: [0.1, 0.97, 0.2])?.reason,
                       "saturated: the most saturated layer at or above 0.95 for 3 epochs since epoch 5 (0.97 at epoch 7)")
        func firstStop(_ epochs: [[Double]]) -> Int? {
            var j = StoppingJudge(rules: [.saturated(.init(minIter: 2, patience: 2, minSaturated: 0.95))], metric: accuracy)
            for (i, s) in epochs.enumerated() {
                if let d = vanishing(&j, "t", i + 1, ratio: 1, loss: 2, saturated: s) { return d.epoch }
            }
            return nil
        }
        XCTAssertEqual(firstStop([[0.95], [0.95], [0.95]]), 3, "at the threshold counts; epoch 1 is before min_iter")
        XCTAssertNil(firstStop([[0.99], [0.99], [0.5], [0.99], [0.2, 0.3]]), "broken streaks")
        XCTAssertNil(firstStop([[], [], [], []]), "no shares: no streak")
    }

    // MARK: - The study's runs

    /// `worker train epochs=15` (seed 42) of the study's models: the defaults stop Model 2 and
    /// Model 3 (vanishing) and std 10.0 (saturated), at epoch 7, and none of the fixes that
    /// learn, however slowly (docs/sweeps-stopping.md has the numbers and the margins).
    func testTheDefaultsOnTheStudysMeasuredRuns() {
        func firstStop(_ run: [Measured]) -> StopDecision? {
            var j = StoppingJudge(rules: [.vanishing(.init()), .saturated(.init())], metric: accuracy)
            for (i, m) in run.enumerated() {
                let epoch = StoppingJudge.Epoch(trialID: "t", epoch: i + 1, value: nil, gradRatio: m.gradRatio,
                                                trainLoss: m.trainLoss, saturated: [0.0, m.saturated])
                if let d = j.observe(epoch) { return d }
            }
            return nil
        }
        let m3 = firstStop(Runs.model3)
        XCTAssertEqual(m3?.epoch, 7)
        XCTAssertEqual(m3?.reason, "vanishing: grad_ratio below 1e-3 and train loss within 0.01 of ln(10) for 3 epochs since epoch 5 "
                       + "(at epoch 7: grad_ratio 6.17e-6, train loss 2.3028)")
        XCTAssertEqual(firstStop(Runs.model2)?.epoch, 7)
        XCTAssertEqual(firstStop(Runs.model2)?.ruleIndex, 0)
        let std10 = firstStop(Runs.std10)
        XCTAssertEqual(std10?.reason, "saturated: the most saturated layer at or above 0.95 for 3 epochs since epoch 5 (0.989 at epoch 7)")
        for (name, run) in [("std 1.0", Runs.std1), ("skip", Runs.skip), ("standardize", Runs.standardize),
                            ("Model 1", Runs.model1), ("ReLU", Runs.relu), ("Adam", Runs.adam)] {
            XCTAssertNil(firstStop(run), name)
            XCTAssertEqual(run.count, 15)
        }
        // The margins: a tenth of the way to either side, the decisions are the same.
        for scale in [0.9, 1.1] {
            var rule = StoppingRule.Vanishing()
            rule.maxGradRatio *= scale
            for run in [Runs.model2, Runs.model3] {
                var j = StoppingJudge(rules: [.vanishing(rule)], metric: accuracy)
                let stops = run.enumerated().compactMap { i, m in
                    j.observe(.init(trialID: "t", epoch: i + 1, value: nil, gradRatio: m.gradRatio, trainLoss: m.trainLoss))
                }
                XCTAssertEqual(stops.first?.epoch, 7)
            }
        }
        XCTAssertEqual(StoppingRule.Vanishing.defaults.maxGradRatio, 1e-3)
        XCTAssertEqual(StoppingRule.Saturated.defaults.minSaturated, 0.95)
    }

    // MARK: - Combined rules

    func testCombinedRulesTheFirstRuleThatStopsDecidesAndEveryRuleSeesEveryEpoch() {
        // Vanishing first, then ASHA (grace 1, rf 2). v's gradient vanishes at epoch 1 while its
        // val_acc is 0.9: vanishing stops it, and ASHA records its 0.9 at rung 1 all the same.
        let rules: [StoppingRule] = [.vanishing(.init(minIter: 1, patience: 1)), .asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10))]
        var j = StoppingJudge(rules: rules, metric: accuracy)
        let v = j.observe(.init(trialID: "v", epoch: 1, value: 0.9, gradRatio: 1e-7, trainLoss: Self.ln10))
        XCTAssertEqual(v?.ruleIndex, 0)
        XCTAssertEqual(v?.rule, rules[0])
        let w = j.observe(.init(trialID: "w", epoch: 1, value: 0.5, gradRatio: 0.1, trainLoss: 1.0))
        XCTAssertEqual(w?.ruleIndex, 1, "ASHA's cutoff is v's 0.9")
        XCTAssertEqual(w?.reason, "asha: val_acc 0.5 at epoch 1 is worse than the rung's cutoff 0.9 (the top 1/2 of 1 trial recorded at epoch 1)")
        // Both say stop at once: the first in the list.
        let both = j.observe(.init(trialID: "x", epoch: 1, value: 0.1, gradRatio: 1e-7, trainLoss: Self.ln10))
        XCTAssertEqual(both?.ruleIndex, 0)
        XCTAssertEqual(j.decisions.map(\.trialID), ["v", "w", "x"])
        // No rules: nothing ever stops.
        var none = StoppingJudge(rules: [], metric: accuracy)
        XCTAssertFalse(none.isActive)
        XCTAssertNil(none.observe(.init(trialID: "v", epoch: 1, value: 0.0, gradRatio: 0, trainLoss: Self.ln10)))
    }

    func testHyperbandAndMedianTogether() {
        // Hyperband bracket 2 (max_iter 4, s 1, eta 2) and median (startup 1) on a loss.
        let rules: [StoppingRule] = [.hyperband(.init(maxIter: 4, s: 1, eta: 2)), .median(.init(nStartupTrials: 1))]
        var j = StoppingJudge(rules: rules, metric: loss)
        XCTAssertNil(j.feed("a", [1.0, 0.5]))
        j.finish("a", epochs: 2)
        let b = j.feed("b", [1.5, 0.4])   // median at 1: [1.0]; 1.5 is worse -> median stops b at epoch 1
        XCTAssertEqual(b?.epoch, 1)
        XCTAssertEqual(b?.ruleIndex, 1)
        XCTAssertNil(j.feed("c", [0.9, 0.45]))   // bracket 2: [0.45, 0.5] (b never reached it) -> index 1 -> 0.5
        let d = j.feed("d", [0.8, 0.6])          // [0.45, 0.5, 0.6] -> index 1 -> 0.5: hyperband; the median (0.5) too
        XCTAssertEqual(d?.ruleIndex, 0)
        XCTAssertEqual(d?.epoch, 2)
    }

    // MARK: - Replays and order

    func testTheSameEpochTwiceChangesNothing() {
        var j = StoppingJudge(rules: [.hyperband(.init(minIter: 1, eta: 2)), .asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10)),
                                      .median(.init(nStartupTrials: 1)), .vanishing(.init()), .saturated(.init())], metric: loss)
        XCTAssertNil(j.feed("a", [1.0, 0.9]))
        j.finish("a", epochs: 2)
        XCTAssertNil(j.report("b", 1, 0.8))
        var before = j
        XCTAssertNil(j.report("b", 1, 0.1), "a replay, even with another value")
        XCTAssertEqual(j, before)
        j.finish("a", epochs: 2)
        XCTAssertEqual(j, before)
        let stop = j.report("b", 2, 5.0)
        XCTAssertNotNil(stop)
        before = j
        XCTAssertEqual(j.report("b", 2, 5.0), stop, "the same decision again")
        XCTAssertEqual(j.report("b", 1, 0.8), stop)
        XCTAssertEqual(j.report("b", 3, 0.1), stop, "a stopped trial's later epochs count nowhere")
        j.finish("b", epochs: 3)
        j.end("b", afterEpoch: nil)
        XCTAssertEqual(j, before)
        XCTAssertEqual(j.decisions.count, 1)
        XCTAssertEqual(j.countedEpochs(of: "b"), 2)
        XCTAssertNil(j.report("a", 3, 9.0), "a finished trial is judged no more")
        XCTAssertNil(j.report("b", 0, 1.0) ?? j.report("c", 0, 1.0), "epoch 0 is no epoch")
    }

    func testAnEpochAfterAGapWaitsForTheEarlierOnes() {
        // Epochs 1, 3, 2 of a trial give the judge of 1, 2, 3.
        let rules: [StoppingRule] = [.asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10)), .vanishing(.init(minIter: 1, patience: 2))]
        var inOrder = StoppingJudge(rules: rules, metric: accuracy)
        var shuffled = inOrder
        let epochs = [(1, 0.5, 1e-7), (2, 0.6, 1e-7), (3, 0.7, 1e-2)]
        for (e, v, r) in epochs {
            _ = inOrder.observe(.init(trialID: "t", epoch: e, value: v, gradRatio: r, trainLoss: Self.ln10))
        }
        for i in [0, 2] {
            let (e, v, r) = epochs[i]
            XCTAssertNil(shuffled.observe(.init(trialID: "t", epoch: e, value: v, gradRatio: r, trainLoss: Self.ln10)))
        }
        XCTAssertEqual(shuffled.countedEpochs(of: "t"), 1, "epoch 3 waits for 2")
        let (e, v, r) = epochs[1]
        let stop = shuffled.observe(.init(trialID: "t", epoch: e, value: v, gradRatio: r, trainLoss: Self.ln10))
        XCTAssertEqual(stop?.epoch, 2, "vanishing at 1, 2")
        XCTAssertEqual(shuffled, inOrder)
    }

    func testAnotherAttemptReplaysItsEpochsAndTheFirstValuesCount() {
        // A worker lost b after epoch 2; the next attempt trains from epoch 1 again.
        var j = StoppingJudge(rules: [.asha(.init(gracePeriod: 1, reductionFactor: 2, maxT: 10))], metric: accuracy)
        XCTAssertNil(j.feed("a", [0.5, 0.5]))
        XCTAssertNil(j.feed("b", [0.6, 0.6]))
        let before = j
        XCTAssertNil(j.feed("b", [0.1, 0.1]), "epochs 1 and 2 again: replays")
        XCTAssertEqual(j, before)
        XCTAssertNil(j.report("b", 3, 0.6), "3 is no rung")
        XCTAssertNil(j.report("c", 1, 0.55), "rung 1 holds [0.5, 0.6] (not b's 0.1): cutoff 0.55, equal goes on")
        XCTAssertEqual(j.report("c", 2, 0.54)?.epoch, 2, "rung 2 holds [0.5, 0.6] too")
    }

    func testPerTrialRulesDecideTheSameWhateverTheInterleaving() {
        // Vanishing and saturated look at one trial at a time: any order of the reports, even
        // within a trial, gives the same decisions.
        let rules: [StoppingRule] = [.vanishing(.init(minIter: 3, patience: 2)), .saturated(.init(minIter: 2, patience: 3))]
        var reports: [StoppingJudge.Epoch] = []
        for t in 0..<6 {
            for e in 1...8 {
                let dead = (t % 3 == 0 && e >= 4) || (t == 4 && e != 4)
                let saturated = t == 1 && e >= 3 ? [0.99] : [0.1]
                reports.append(.init(trialID: "t\(t)", epoch: e, value: Double(e), gradRatio: dead ? 1e-6 : 0.1,
                                     trainLoss: dead ? Self.ln10 : 1.0, saturated: saturated))
            }
        }
        func decide(_ order: [StoppingJudge.Epoch]) -> [String: StopDecision] {
            var j = StoppingJudge(rules: rules, metric: accuracy)
            for r in order { _ = j.observe(r) }
            for r in order { _ = j.observe(r) }   // and every report again
            return Dictionary(uniqueKeysWithValues: j.decisions.map { ($0.trialID, $0) })
        }
        let expected = decide(reports)
        XCTAssertEqual(expected.mapValues(\.epoch), ["t0": 5, "t1": 5, "t3": 5, "t4": 6], "\(expected)")
        var rng = SplitMix(seed: 7)
        for _ in 0..<50 {
            XCTAssertEqual(decide(reports.shuffled(using: &rng)), expected)
        }
    }

    // MARK: - Epoch reports

    func testAnEpochFromAWorkersReport() throws {
        let report = EpochReport(epoch: 4, lr: 0.01, trainLoss: 2.3027, trainAcc: 0.1, valLoss: 2.3026, valAcc: 0.0998,
                                 samplesPerS: 1e4, gradNorm: [1e-6, 0.2], weightNorm: [1, 1], weightStd: [0.05, 0.05],
                                 updateRatio: [1e-10, 1e-3], saturated: [0.0, 0.02], dead: [0, 0], gradRatio: 6.9e-6)
        let epoch = StoppingJudge.Epoch(trialID: "t", report: report, metric: accuracy, budget: 15)
        XCTAssertEqual(epoch, .init(trialID: "t", epoch: 4, value: 0.0998, gradRatio: 6.9e-6, trainLoss: 2.3027,
                                    saturated: [0.0, 0.02], budget: 15))
        XCTAssertEqual(StoppingJudge.Epoch.value(of: .trainLoss, in: report), 2.3027)
        XCTAssertNil(StoppingJudge.Epoch.value(of: .testAcc, in: report), "a result's metric: no per-epoch value")
        XCTAssertNil(StoppingJudge.Epoch.value(of: .testLoss, in: report))
    }
}

// MARK: - Helpers

private extension StoppingJudge {
    /// One epoch with a metric value (the gradient healthy).
    mutating func report(_ trial: String, _ epoch: Int, _ value: Double?, budget: Int? = nil) -> StopDecision? {
        observe(.init(trialID: trial, epoch: epoch, value: value, gradRatio: 0.1, trainLoss: 1.0, saturated: [0.1], budget: budget))
    }

    /// Epochs 1...n with these values; the decision at the last one.
    mutating func feed(_ trial: String, _ values: [Double], budget: Int? = nil) -> StopDecision? {
        var last: StopDecision?
        for (i, value) in values.enumerated() { last = report(trial, i + 1, value, budget: budget) }
        return last
    }
}

/// A small seeded generator, so that shuffles are the same on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One epoch of a real run: `grad_ratio`, `train_loss` and the most saturated layer's share.
private typealias Measured = (gradRatio: Double, trainLoss: Double, saturated: Double)

/// `worker train epochs=15 PARAMETERS` on this project's machine (seed 42, the 54k/6k split),
/// copied from its JSON lines (docs/sweeps-stopping.md).
private enum Runs {
    /// Model 3 (7 sigmoid layers of 128, Normal(0, 0.05), SGD 0.01).
    static let model3: [Measured] = [
        (5.66e-06, 2.30477, 0.000), (6.59e-06, 2.30276, 0.000), (6.66e-06, 2.30278, 0.000), (6.58e-06, 2.30278, 0.000), (6.55e-06, 2.30275, 0.000),
        (6.36e-06, 2.30282, 0.000), (6.17e-06, 2.30278, 0.000), (6.5e-06, 2.30280, 0.000), (6.3e-06, 2.30281, 0.000), (6.45e-06, 2.30280, 0.000),
        (6.18e-06, 2.30279, 0.000), (6.4e-06, 2.30279, 0.000), (6.31e-06, 2.30279, 0.000), (6.52e-06, 2.30277, 0.000), (6.39e-06, 2.30279, 0.000)
    ]
    /// Model 2 (5 layers).
    static let model2: [Measured] = [
        (0.000296, 2.30866, 0.000), (0.000373, 2.30276, 0.000), (0.000377, 2.30279, 0.000), (0.000372, 2.30278, 0.000), (0.000368, 2.30275, 0.000),
        (0.000361, 2.30283, 0.000), (0.000348, 2.30278, 0.000), (0.00037, 2.30280, 0.000), (0.000355, 2.30281, 0.000), (0.000366, 2.30281, 0.000),
        (0.000348, 2.30279, 0.000), (0.000363, 2.30280, 0.000), (0.000356, 2.30279, 0.000), (0.000368, 2.30278, 0.000), (0.000361, 2.30280, 0.000)
    ]
    /// Model 3 with init std 1.0.
    static let std1: [Measured] = [
        (0.638, 2.78781, 0.678), (1.36, 1.90292, 0.686), (1.31, 1.67513, 0.671), (1.24, 1.53195, 0.672), (1.22, 1.43171, 0.687),
        (1.19, 1.35769, 0.684), (1.12, 1.29974, 0.674), (1.15, 1.25258, 0.678), (1.12, 1.21291, 0.661), (1.12, 1.17889, 0.680),
        (1.05, 1.14889, 0.693), (1.07, 1.12209, 0.685), (1.06, 1.09812, 0.681), (1.09, 1.07651, 0.688), (1.07, 1.05696, 0.682)
    ]
    /// Model 3 with the seed's skip connections.
    static let skip: [Measured] = [
        (0.0527, 2.30499, 0.000), (0.0602, 2.30043, 0.000), (0.062, 2.29820, 0.000), (0.0618, 2.29603, 0.000), (0.0631, 2.29360, 0.000),
        (0.0627, 2.29135, 0.000), (0.0631, 2.28858, 0.000), (0.0694, 2.28570, 0.000), (0.0695, 2.28267, 0.000), (0.075, 2.27919, 0.000),
        (0.0753, 2.27539, 0.000), (0.0832, 2.27101, 0.000), (0.0862, 2.26623, 0.000), (0.0957, 2.26050, 0.000), (0.1, 2.25409, 0.000)
    ]
    /// Model 3 with the standardize layer (at chance until after epoch 40, 0.83 at 100).
    static let standardize: [Measured] = [
        (0.00382, 2.30448, 0.000), (0.00434, 2.30278, 0.000), (0.00438, 2.30280, 0.000), (0.00434, 2.30278, 0.000), (0.00431, 2.30274, 0.000),
        (0.00421, 2.30282, 0.000), (0.00408, 2.30276, 0.000), (0.00433, 2.30277, 0.000), (0.0042, 2.30277, 0.000), (0.00433, 2.30276, 0.000),
        (0.00415, 2.30274, 0.000), (0.00434, 2.30273, 0.000), (0.00431, 2.30272, 0.000), (0.00448, 2.30269, 0.000), (0.00442, 2.30270, 0.000)
    ]
    /// Model 1 (3 layers; 0.26 at 100 epochs, 0.70 at 300).
    static let model1: [Measured] = [
        (0.0129, 2.30687, 0.000), (0.0159, 2.30257, 0.000), (0.0161, 2.30253, 0.000), (0.0159, 2.30247, 0.000), (0.0159, 2.30239, 0.000),
        (0.0155, 2.30241, 0.000), (0.015, 2.30231, 0.000), (0.016, 2.30228, 0.000), (0.0154, 2.30223, 0.000), (0.0159, 2.30217, 0.000),
        (0.0153, 2.30210, 0.000), (0.016, 2.30205, 0.000), (0.0158, 2.30199, 0.000), (0.0164, 2.30192, 0.000), (0.0162, 2.30188, 0.000)
    ]
    /// Model 3 with ReLU.
    static let relu: [Measured] = [
        (1.38, 2.30233, 0.522), (1.45, 2.30214, 0.520), (1.54, 2.30199, 0.519), (1.6, 2.30181, 0.518), (1.65, 2.30164, 0.515),
        (1.62, 2.30148, 0.515), (1.58, 2.30133, 0.509), (1.55, 2.30115, 0.507), (1.49, 2.30097, 0.506), (1.45, 2.30077, 0.503),
        (1.38, 2.30056, 0.503), (1.35, 2.30032, 0.502), (1.31, 2.30003, 0.502), (1.27, 2.29970, 0.504), (1.22, 2.29931, 0.496)
    ]
    /// Model 3 with Adam 1e-3.
    static let adam: [Measured] = [
        (0.0231, 2.19621, 0.579), (0.159, 1.69630, 0.670), (0.184, 1.68559, 0.640), (0.171, 1.68303, 0.619), (0.137, 1.67890, 0.487),
        (0.0829, 1.57976, 0.389), (0.152, 1.40462, 0.385), (0.293, 1.06523, 0.562), (0.461, 0.88219, 0.605), (0.689, 0.76596, 0.650),
        (0.787, 0.68215, 0.685), (1.12, 0.63648, 0.699), (1.2, 0.59850, 0.725), (1.43, 0.58741, 0.731), (1.41, 0.56160, 0.748)
    ]
    /// Model 3 with init std 10.0.
    static let std10: [Measured] = [
        (570, 75.43049, 0.984), (381, 69.88685, 0.987), (399, 56.93891, 0.986), (458, 48.30420, 0.989), (388, 42.35385, 0.990),
        (355, 39.75980, 0.989), (294, 35.66103, 0.989), (365, 36.70101, 0.989), (312, 31.15198, 0.988), (247, 26.10754, 0.989),
        (219, 24.08980, 0.990), (173, 21.26694, 0.990), (144, 19.65553, 0.991), (87.8, 14.45688, 0.991), (119, 11.95785, 0.991)
    ]
}
