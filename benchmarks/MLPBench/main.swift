import Foundation
import MLPKit

// mlpbench: training speed of one configuration (default: the seed's Model 3) at several
// batch sizes, beside the GEMM-only ceiling of the same network on this machine.
//
//   mlpbench [batches=512,64] [seconds=3] [kernels=openblas] [ceiling=no] [key=value ...]
//   (key=value: any `worker train` parameter; kernels=openblas: OpenBLAS for every product)

BLASRuntime.ensureFastKernels()

var batches = [512, 64]
var seconds = 3.0
var measuresCeiling = true   // ceiling=no: training only (for a profiler)
var trialArguments: [String] = []
for argument in CommandLine.arguments.dropFirst() {
    if argument.hasPrefix("batches=") {
        batches = argument.dropFirst(8).split(separator: ",").compactMap { Int($0) }
    } else if argument == "ceiling=no" {
        measuresCeiling = false
    } else if argument.hasPrefix("kernels=") {
        BLAS.allowsSmallKernels = argument != "kernels=openblas"
    } else if argument.hasPrefix("seconds=") {
        seconds = Double(argument.dropFirst(8)) ?? seconds
    } else {
        trialArguments.append(argument)
    }
}

let base: TrialConfig
do { base = try TrialConfig(arguments: trialArguments) } catch {
    FileHandle.standardError.write(Data("mlpbench: \(error)\n".utf8))
    exit(2)
}
let data = try FashionMNIST.load()
BLAS.setThreads(base.threads)
BLAS.flushDenormalsToZero()
print(BLASRuntime.summary)
let a = base.architecture
print("network: \(a.inputs)-\(a.width)x\(a.depth)-\(a.classes), \(a.activation.rawValue), \(base.optimizer.kind.rawValue), norm=\(a.normalization.rawValue)")
print("batch   train samples/s   GEMM-only samples/s   share of GEMM ceiling")

/// Steps per second of whole training steps (gather, forward, loss, backward, update).
@MainActor func trainingRate(batch: Int) -> Double {
    let network = Network(a, maxRows: batch, seed: base.seed)
    let optimizer = Optimizer(base.optimizer, parameters: network.parameters)
    var batcher = Batcher(data: data.train, maxRows: batch)
    var rng = Xoshiro256(seed: 1)
    var order = Array(0..<data.train.count)
    rng.shuffle(&order)
    var cursor = 0
    func step() {
        if cursor + batch > order.count { cursor = 0 }
        batcher.load(order[cursor..<cursor + batch])
        cursor += batch
        _ = network.trainStep(batcher.input, labels: batcher.batchLabels)
        optimizer.step(lr: base.lr)
    }
    return measure(step) * Double(batch)
}

/// The same network's matrix products alone: the arithmetic floor of a training step.
@MainActor func gemmRate(batch: Int) -> Double {
    let widths = [a.inputs] + Array(repeating: a.width, count: a.depth) + [a.classes]
    let weights = (0..<widths.count - 1).map { Matrix(rows: widths[$0], cols: widths[$0 + 1], repeating: 0.01) }
    var grads = weights
    var acts = widths.map { Matrix(rows: batch, cols: $0, repeating: 0.5) }
    var deltas = acts
    func step() {
        for l in 0..<weights.count { BLAS.gemm(acts[l], weights[l], into: &acts[l + 1]) }
        for l in stride(from: weights.count - 1, through: 0, by: -1) {
            BLAS.gemm(acts[l], transposeA: true, deltas[l + 1], into: &grads[l])
            if l > 0 { BLAS.gemm(deltas[l + 1], weights[l], transposeB: true, into: &deltas[l]) }
        }
    }
    return measure(step) * Double(batch)
}

/// Calls per second of `body`, after a warm-up, over about `seconds`.
@MainActor func measure(_ body: () -> Void) -> Double {
    for _ in 0..<20 { body() }
    let clock = ContinuousClock()
    var calls = 0
    let start = clock.now
    var elapsed = 0.0
    repeat {
        for _ in 0..<10 { body() }
        calls += 10
        let (s, atto) = (clock.now - start).components
        elapsed = Double(s) + Double(atto) * 1e-18
    } while elapsed < seconds
    return Double(calls) / elapsed
}

for batch in batches {
    let train = trainingRate(batch: batch)
    guard measuresCeiling else { print(String(format: "%5d   %15.0f", batch, train)); continue }
    let ceiling = gemmRate(batch: batch)
    print(String(format: "%5d   %15.0f   %19.0f   %20.0f%%", batch, train, ceiling, 100 * train / ceiling))
}
