import MLPKit
import Yams

/// `early_terminate`: one mapping or a list of them, each a `StoppingRule` with its `type`.
/// Unknown keys are refused naming the key; what is not given takes `StoppingRule`'s defaults.
extension SpecReader {
    static let stoppingKeys: [String: [String]] = [
        "hyperband": ["min_iter", "max_iter", "s", "eta", "strict"],
        "asha": ["grace_period", "reduction_factor", "max_t"],
        "median": ["n_startup_trials", "n_warmup_steps"],
        "vanishing": ["min_iter", "patience", "max_grad_ratio", "loss_tolerance"],
        "saturated": ["min_iter", "patience", "min_saturated"],
    ]
    static let stoppingTypes = ["hyperband", "asha", "median", "vanishing", "saturated"]

    /// `metric` is the file's own (its field and value), nil when the file has none.
    func stoppingRules(_ f: Field, metric: (field: Field, metric: SweepSpec.Metric)?) throws(SpecError) -> [StoppingRule] {
        var nodes: [(Node, String)] = []
        switch f.value {
        case .sequence(let sequence):
            guard !sequence.isEmpty else {
                throw fail(f.value, "early_terminate", "the list is empty; give at least one rule such as {type: hyperband, min_iter: 3}")
            }
            nodes = sequence.enumerated().map { ($0.element, "early_terminate[\($0.offset)]") }
        default:
            nodes = [(f.value, "early_terminate")]
        }
        var rules: [StoppingRule] = []
        var firstLine: [String: Int] = [:]
        for (node, path) in nodes {
            let rule = try stoppingRule(node, path)
            if let line = firstLine[rule.typeName] {
                throw fail(node, path + ".type", "a second \(rule.typeName) rule (the first at line \(line)); give each type once")
            }
            firstLine[rule.typeName] = location(node).line
            switch rule {
            case .hyperband, .asha, .median:
                // They compare trials by the sweep's metric, epoch by epoch.
                guard let metric else {
                    throw fail(node, path + ".type", "\(rule.typeName) compares trials by the sweep's metric: give one, e.g. metric: {name: val_loss, goal: minimize} (W&B requires it too)")
                }
                if metric.metric.name == .testAcc || metric.metric.name == .testLoss {
                    throw fail(metric.field.value, "metric.name", "\(rule.typeName) (\(path)) compares trials epoch by epoch, and \(metric.metric.name.rawValue) is known only at a trial's end: rank by val_loss, val_acc, train_loss or train_acc")
                }
            case .vanishing, .saturated:
                break
            }
            rules.append(rule)
        }
        return rules
    }

    private func stoppingRule(_ node: Node, _ path: String) throws(SpecError) -> StoppingRule {
        let items = try fields(of: node, path, allowed: nil, expected: "a mapping such as {type: hyperband, min_iter: 3}")
        guard let typeField = items.first(where: { $0.key == "type" }) else {
            throw fail(node, path + ".type", "required: one of \(Self.stoppingTypes.joined(separator: ", "))")
        }
        let type = try string(typeField.value, path + ".type")
        guard let keys = Self.stoppingKeys[type] else {
            throw fail(typeField.value, path + ".type", "unknown rule '\(type)'; one of \(Self.stoppingTypes.joined(separator: ", "))")
        }
        if let other = items.first(where: { $0.key != "type" && !keys.contains($0.key) }) {
            throw fail(other.keyNode, path + "." + other.key, "unknown key; a \(type) rule takes type, \(keys.joined(separator: ", "))")
        }
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        func int(_ key: String, atLeast minimum: Int) throws(SpecError) -> Int? {
            try item(key).map { (f: Field) throws(SpecError) in try integer(f.value, path + "." + key, atLeast: minimum) }
        }
        func real(_ key: String, _ allowed: String, _ check: (Double) -> Bool) throws(SpecError) -> Double? {
            guard let f = item(key) else { return nil }
            let x = try number(f.value, path + "." + key)
            guard check(x) else { throw fail(f.value, path + "." + key, "must be \(allowed), found \(SweepSpec.text(of: x))") }
            return x
        }

        switch type {
        case "hyperband":
            var rule = StoppingRule.Hyperband()
            rule.minIter = try int("min_iter", atLeast: 1)
            rule.maxIter = try int("max_iter", atLeast: 1)
            rule.s = try int("s", atLeast: 1)
            if let f = item("eta") {
                let x = try number(f.value, path + ".eta")
                guard x == x.rounded(), x >= 2, x < 1e9 else {
                    throw fail(f.value, path + ".eta", "must be an integer >= 2 (vgsweep's brackets fall on whole epochs), found \(SweepSpec.text(of: x))")
                }
                rule.eta = Int(x)
            }
            if let f = item("strict") { rule.strict = try bool(f.value, path + ".strict") }
            // W&B's rule: brackets from max_iter and s if max_iter is given, else from min_iter.
            if let maxIter = rule.maxIter {
                guard let s = rule.s else {
                    throw fail(item("max_iter")!.keyNode, path + ".s", "required with max_iter: how many brackets below max_iter (W&B's s)")
                }
                guard maxIter >= rule.eta else {
                    throw fail(item("max_iter")!.value, path + ".max_iter", "max_iter (\(maxIter)) / eta (\(rule.eta)) is below 1 epoch: no bracket; raise max_iter or lower eta")
                }
                if let min = item("min_iter") {
                    notice(min.keyNode, path + ".min_iter", "ignored: with max_iter and s the brackets are int(max_iter / eta^i) for i = 1...\(s), as in W&B")
                    rule.minIter = nil
                }
            } else if rule.minIter != nil {
                if let s = item("s") { notice(s.keyNode, path + ".s", "ignored: s goes with max_iter; from min_iter the brackets are min_iter * eta^i") }
                rule.s = nil
            } else {
                throw fail(typeField.value, path, "hyperband needs min_iter, or max_iter with s (W&B's rule)")
            }
            return .hyperband(rule)
        case "asha":
            var rule = StoppingRule.ASHA()
            if let n = try int("grace_period", atLeast: 1) { rule.gracePeriod = n }
            if let n = try int("reduction_factor", atLeast: 2) { rule.reductionFactor = n }
            if let n = try int("max_t", atLeast: 1) { rule.maxT = n }
            guard rule.maxT >= rule.gracePeriod else {
                throw fail((item("max_t") ?? item("grace_period"))!.value, path + (item("max_t") != nil ? ".max_t" : ".grace_period"),
                           "max_t (\(rule.maxT)) is below grace_period (\(rule.gracePeriod)); Ray Tune requires grace_period <= max_t")
            }
            return .asha(rule)
        case "median":
            var rule = StoppingRule.Median()
            if let n = try int("n_startup_trials", atLeast: 0) { rule.nStartupTrials = n }
            if let n = try int("n_warmup_steps", atLeast: 0) { rule.nWarmupSteps = n }
            return .median(rule)
        case "vanishing":
            var rule = StoppingRule.Vanishing()
            if let n = try int("min_iter", atLeast: 1) { rule.minIter = n }
            if let n = try int("patience", atLeast: 1) { rule.patience = n }
            if let x = try real("max_grad_ratio", "a number > 0", { $0 > 0 }) { rule.maxGradRatio = x }
            if let x = try real("loss_tolerance", "a number > 0", { $0 > 0 }) { rule.lossTolerance = x }
            return .vanishing(rule)
        default: // saturated
            var rule = StoppingRule.Saturated()
            if let n = try int("min_iter", atLeast: 1) { rule.minIter = n }
            if let n = try int("patience", atLeast: 1) { rule.patience = n }
            if let x = try real("min_saturated", "a share in (0, 1]", { $0 > 0 && $0 <= 1 }) { rule.minSaturated = x }
            return .saturated(rule)
        }
    }
}
