extension TrialConfig {
    /// Every `key=value` a trial takes. The names are the study's vocabulary; the order is
    /// the canonical order of a trial's parameters (CSV columns, trial identity).
    public static let parameters: [TrialParameter] = [
        int("depth", \.architecture.depth, 1...1000),
        int("width", \.architecture.width, 1...65536),
        choice("activation", \.architecture.activation),
        choice("init", \.architecture.initializer),
        float("init_std", \.architecture.initStd, "a number > 0") { $0 > 0 },
        choice("norm", \.architecture.normalization),
        TrialParameter(
            name: "skip", allowed: "none, seed, or N (an integer >= 1: a shortcut around every N hidden layers)",
            read: { c, v in
                switch v {
                case "none": c.architecture.skip = .none
                case "seed": c.architecture.skip = .seed
                default:
                    guard let n = Int(v), n >= 1 else { return false }
                    c.architecture.skip = .every(n)
                }
                return true
            },
            show: { $0.architecture.skip.description }),
        choice("optimizer", \.optimizer.kind),
        float("lr", \.lr, "a number > 0") { $0 > 0 },
        float("momentum", \.optimizer.momentum, "a number in [0, 1)") { $0 >= 0 && $0 < 1 },
        float("weight_decay", \.optimizer.weightDecay, "a number >= 0") { $0 >= 0 },
        float("beta1", \.optimizer.beta1, "a number in [0, 1)") { $0 >= 0 && $0 < 1 },
        float("beta2", \.optimizer.beta2, "a number in [0, 1)") { $0 >= 0 && $0 < 1 },
        choice("lr_schedule", \.lrSchedule),
        int("lr_step", \.lrStep, 0...1_000_000),
        float("lr_gamma", \.lrGamma, "a number > 0") { $0 > 0 },
        float("grad_clip", \.gradClip, "a number >= 0 (0 = off)") { $0 >= 0 },
        choice("schedule", \.schedule),
        intList("stage_groups", \.stageGroups, allowEmpty: false),
        intList("stage_epochs", \.stageEpochs, allowEmpty: true),
        intList("freeze", \.freeze, allowEmpty: true),
        int("batch_size", \.batchSize, 1...100_000),
        int("epochs", \.epochs, 1...100_000),
        TrialParameter(
            name: "seed", allowed: "an integer >= 0",
            read: { c, v in guard let s = UInt64(v) else { return false }; c.seed = s; return true },
            show: { String($0.seed) }),
        TrialParameter(
            name: "val_fraction", allowed: "a number in [0, 0.9]",
            read: { c, v in guard let f = Double(v), f >= 0, f <= 0.9 else { return false }; c.valFraction = f; return true },
            show: { shortest($0.valFraction) }),
        int("train_limit", \.trainLimit, 0...10_000_000),
        int("threads", \.threads, 1...256),
    ]

    private static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ path: WritableKeyPath<TrialConfig, E> & Sendable
    ) -> TrialParameter where E.RawValue == String {
        TrialParameter(
            name: name, allowed: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "),
            read: { c, v in guard let e = E(rawValue: v) else { return false }; c[keyPath: path] = e; return true },
            show: { $0[keyPath: path].rawValue })
    }

    private static func int(_ name: String, _ path: WritableKeyPath<TrialConfig, Int> & Sendable,
                            _ range: ClosedRange<Int>) -> TrialParameter {
        TrialParameter(
            name: name, allowed: "an integer in \(range.lowerBound)...\(range.upperBound)",
            read: { c, v in guard let n = Int(v), range.contains(n) else { return false }; c[keyPath: path] = n; return true },
            show: { String($0[keyPath: path]) })
    }

    private static func float(_ name: String, _ path: WritableKeyPath<TrialConfig, Float> & Sendable,
                              _ allowed: String, _ check: @escaping @Sendable (Float) -> Bool) -> TrialParameter {
        TrialParameter(
            name: name, allowed: allowed,
            read: { c, v in
                guard let x = Float(v), x.isFinite, check(x) else { return false }
                c[keyPath: path] = x
                return true
            },
            show: { shortest(Double($0[keyPath: path])) })
    }

    /// Comma-separated positive integers, e.g. `2,2,2,1`; `none` or empty for an empty list.
    private static func intList(_ name: String, _ path: WritableKeyPath<TrialConfig, [Int]> & Sendable,
                                allowEmpty: Bool) -> TrialParameter {
        TrialParameter(
            name: name, allowed: "comma-separated integers >= 1, e.g. 2,2,2,1" + (allowEmpty ? " (or none)" : ""),
            read: { c, v in
                if v.isEmpty || v == "none" { guard allowEmpty else { return false }; c[keyPath: path] = []; return true }
                let items = v.split(separator: ",", omittingEmptySubsequences: false).map { Int(String($0).trimmingSpaces) }
                guard items.allSatisfy({ $0 != nil && $0! >= 1 }) else { return false }
                c[keyPath: path] = items.map { $0! }
                return true
            },
            show: { $0[keyPath: path].isEmpty ? "none" : list($0[keyPath: path]) })
    }
}

/// The shortest text that reads back as the same number (0.01, not 0.009999999776).
func shortest(_ x: Double) -> String {
    let f = Float(x)
    if f == f.rounded() && abs(f) < 1e15 { return String(Int64(f)) }
    return "\(f)"
}
