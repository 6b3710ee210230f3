/// A multilayer perceptron: hidden blocks, optional skip connections, a linear head, and
/// softmax cross-entropy on top.
///
/// The network owns every buffer of the training step, sized once for `maxRows`, so a step
/// allocates nothing. `activeDepth` lets the progressive schedule train a prefix of the
/// hidden layers under a fresh head.
public final class Network {
    public let architecture: Architecture
    let hidden: [HiddenLayer]
    public private(set) var head: Dense
    /// Hidden layers in use, from the input: `architecture.depth` except while a
    /// progressive schedule stacks its groups.
    public private(set) var activeDepth: Int
    let maxRows: Int

    private var logits: Matrix
    private var dLogits: Matrix
    private var labels: [Int32]

    public init(_ architecture: Architecture, maxRows: Int, seed: UInt64) {
        self.architecture = architecture
        self.maxRows = maxRows
        hidden = (1...architecture.depth).map { k in
            HiddenLayer(index: k, inputs: k == 1 ? architecture.inputs : architecture.width,
                        architecture: architecture, maxRows: maxRows)
        }
        head = Dense(inputs: architecture.width, outputs: architecture.classes, name: "head")
        activeDepth = architecture.depth
        logits = Matrix(rows: maxRows, cols: architecture.classes)
        dLogits = logits
        labels = [Int32](repeating: 0, count: maxRows)
        var rng = Xoshiro256(seed: seed, stream: "init")
        for layer in hidden { architecture.initializer.fill(&layer.dense.weight.value, std: architecture.initStd, rng: &rng) }
        architecture.initializer.fill(&head.weight.value, std: architecture.initStd, rng: &rng)
        setActiveDepth(architecture.depth)
    }

    /// The Dense layers in use, input first, head last: what diagnostics report on.
    public var denseLayers: [Dense] { hidden[0..<activeDepth].map(\.dense) + [head] }

    /// Every parameter in use, in a fixed order (the optimizer's state follows it).
    public var parameters: [Parameter] { hidden[0..<activeDepth].flatMap(\.parameters) + head.parameters }

    /// Uses the first `depth` hidden layers; skips whose target lies beyond are inactive.
    public func setActiveDepth(_ depth: Int) {
        precondition(depth >= 1 && depth <= hidden.count)
        activeDepth = depth
        for layer in hidden {
            layer.skipSource = architecture.skip.source(of: layer.index)
            layer.prepareSkipBuffer(maxRows: maxRows)
        }
    }

    /// Replaces the head with a freshly initialised one (the progressive schedule's new stage).
    public func resetHead(seed: UInt64, stage: Int) {
        head = Dense(inputs: architecture.width, outputs: architecture.classes, name: "head")
        var rng = Xoshiro256(seed: seed, stream: "head-\(stage)")
        architecture.initializer.fill(&head.weight.value, std: architecture.initStd, rng: &rng)
    }

    /// Freezes or unfreezes hidden layer `k` (1-based).
    public func setFrozen(_ frozen: Bool, hiddenLayer k: Int) {
        hidden[k - 1].isFrozen = frozen
    }

    public func isFrozen(hiddenLayer k: Int) -> Bool { hidden[k - 1].isFrozen }

    // MARK: - Forward and backward

    private func forward(_ x: Matrix, training: Bool) {
        for k in 0..<activeDepth {
            let layer = hidden[k]
            let input = k == 0 ? x : hidden[k - 1].output
            let skipInput = layer.skipSource.map { hidden[$0 - 1].output }
            layer.forward(input, skipInput: skipInput, training: training)
        }
        head.forward(hidden[activeDepth - 1].output, into: &logits)
    }

    /// Backward from `dLogits` down to the lowest layer that has anything to learn.
    private func backward(_ x: Matrix) {
        let lowestTrainable = (0..<activeDepth).first { !hidden[$0].isFrozen } ?? activeDepth
        let top = hidden[activeDepth - 1]
        head.backward(top.output, dLogits)
        if lowestTrainable == activeDepth { return }
        // Layers that feed a skip collect gradient from two places: zero them, then add.
        for layer in hidden[lowestTrainable..<activeDepth] {
            if let s = layer.skipSource, s - 1 >= lowestTrainable { hidden[s - 1].dOut.setRows(x.rows); hidden[s - 1].dOut.fill(0) }
        }
        head.inputGradient(dLogits, into: &top.dOut, accumulate: isSkipSource(activeDepth - 1))
        for k in stride(from: activeDepth - 1, through: lowestTrainable, by: -1) {
            let layer = hidden[k]
            if let s = layer.skipSource, s - 1 >= lowestTrainable {
                addInPlace(layer.dOut, into: &hidden[s - 1].dOut)
            }
            let input = k == 0 ? x : hidden[k - 1].output
            let dPre = layer.backward(input)
            if k > lowestTrainable {
                layer.dense.inputGradient(dPre, into: &hidden[k - 1].dOut, accumulate: isSkipSource(k - 1))
            }
        }
    }

    private func isSkipSource(_ k: Int) -> Bool {
        hidden[(k + 1)..<activeDepth].contains { $0.skipSource == k + 1 }
    }

    // MARK: - Steps

    /// Forward, loss and backward on one batch; leaves the gradients in the parameters.
    public func trainStep(_ x: Matrix, labels batchLabels: ArraySlice<Int32>) -> SoftmaxCrossEntropy.Outcome {
        forward(x, training: true)
        let outcome = loss(batchLabels, withGradient: true)
        backward(x)
        return outcome
    }

    /// The loss of a forward pass alone, in training or evaluation mode (gradient checks).
    func loss(_ x: Matrix, labels batchLabels: ArraySlice<Int32>, training: Bool) -> SoftmaxCrossEntropy.Outcome {
        forward(x, training: training)
        return loss(batchLabels, withGradient: false)
    }

    /// Forward in evaluation mode (BatchNorm's running statistics) and the loss.
    public func evaluate(_ x: Matrix, labels batchLabels: ArraySlice<Int32>) -> SoftmaxCrossEntropy.Outcome {
        forward(x, training: false)
        return loss(batchLabels, withGradient: false)
    }

    private func loss(_ batchLabels: ArraySlice<Int32>, withGradient: Bool) -> SoftmaxCrossEntropy.Outcome {
        precondition(batchLabels.count == logits.rows, "\(batchLabels.count) labels for \(logits.rows) rows")
        dLogits.setRows(logits.rows)
        return batchLabels.withUnsafeBufferPointer { labels in
            if !withGradient { return SoftmaxCrossEntropy.evaluate(logits, labels: labels, gradient: nil) }
            return dLogits.storage.withUnsafeMutableBufferPointer { g in
                SoftmaxCrossEntropy.evaluate(logits, labels: labels, gradient: g.baseAddress!)
            }
        }
    }

    /// The activations of the hidden layers from the last forward, with their inputs, for
    /// the saturation diagnostics.
    func lastActivations(hiddenLayer k: Int) -> (z: Matrix, a: Matrix, activation: Activation) {
        let layer = hidden[k - 1]
        return (layer.norm == nil ? layer.pre : layer.normed, layer.act, layer.activation)
    }
}

/// `y += x` over the rows in use.
func addInPlace(_ x: Matrix, into y: inout Matrix) {
    let n = x.count
    x.storage.withUnsafeBufferPointer { px in
        y.storage.withUnsafeMutableBufferPointer { py in
            for i in 0..<n { py[i] += px[i] }
        }
    }
}
