/// The `key=value` names of `TrialConfig`, each with how to read it, check it and print it.
///
/// One table serves the command line, sweep files and error messages alike, so a name or
/// an allowed value is spelled in exactly one place.
public struct TrialParameter: Sendable {
    public let name: String
    /// What values are allowed, as an error message says it.
    public let allowed: String
    let read: @Sendable (inout TrialConfig, String) -> Bool
    let show: @Sendable (TrialConfig) -> String

    public func value(in config: TrialConfig) -> String { show(config) }
}

public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case malformed(argument: String)
    case unknownKey(String, suggestion: String?)
    case badValue(key: String, value: String, allowed: String)
    case impossible(String)

    public var description: String {
        switch self {
        case .malformed(let argument):
            return "'\(argument)' is not of the form key=value"
        case .unknownKey(let key, let suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown parameter '\(key)'\(hint); known: \(TrialConfig.parameters.map(\.name).joined(separator: ", "))"
        case .badValue(let key, let value, let allowed):
            return "\(key)=\(value) is not allowed; \(key) takes \(allowed)"
        case .impossible(let why):
            return why
        }
    }
}

extension TrialConfig {
    /// Reads `key=value` arguments over the defaults, then checks the combination.
    public init(arguments: [String]) throws(ConfigError) {
        self.init()
        var pairs: [(String, String)] = []
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw .malformed(argument: argument)
            }
            pairs.append((String(argument[..<eq]), String(argument[argument.index(after: eq)...])))
        }
        try apply(pairs)
    }

    /// Sets each `(key, value)` in order, then validates the whole.
    public mutating func apply(_ pairs: [(String, String)]) throws(ConfigError) {
        for (key, value) in pairs {
            guard let parameter = Self.parameter(named: key) else {
                throw .unknownKey(key, suggestion: Self.nearestName(to: key))
            }
            guard parameter.read(&self, value.trimmingSpaces) else {
                throw .badValue(key: key, value: value, allowed: parameter.allowed)
            }
        }
        try validate()
    }

    /// Every parameter's current value, in table order: the canonical form of a trial.
    ///
    /// A progressive schedule's default stage epochs are written out in full, so that a
    /// trial's id names the plan it trains even if the default rule changes (it did once).
    public var pairs: [(String, String)] {
        var shown = self
        if schedule == .progressive && stageEpochs.isEmpty {
            shown.stageEpochs = ProgressivePlan(groups: stageGroups, stageEpochs: [], epochs: epochs).stages.map(\.epochs)
        }
        return Self.parameters.map { ($0.name, $0.show(shown)) }
    }

    public static func parameter(named name: String) -> TrialParameter? {
        parameters.first { $0.name == name }
    }

    /// The known name closest to `name` by edit distance, when it is plausibly a typo.
    public static func nearestName(to name: String) -> String? {
        let scored = parameters.map { ($0.name, editDistance(name, $0.name)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, name.count / 3) ? best.0 : nil
    }

    /// Impossible combinations, refused before any training.
    public func validate() throws(ConfigError) {
        let a = architecture
        switch a.skip {
        case .seed where a.depth < 7:
            throw .impossible("skip=seed adds layer 4's output to layer 7's, so it needs depth >= 7 (depth=\(a.depth))")
        case .every(let n) where n >= a.depth:
            throw .impossible("skip=\(n) needs depth > \(n) (depth=\(a.depth)); use skip=none for no shortcut")
        default: break
        }
        if let bad = freeze.first(where: { $0 < 1 || $0 > a.depth }) {
            throw .impossible("freeze=\(bad) is not a hidden layer; hidden layers are 1...\(a.depth)")
        }
        if schedule == .progressive {
            if stageGroups.reduce(0, +) != a.depth {
                throw .impossible("stage_groups=\(Self.list(stageGroups)) sums to \(stageGroups.reduce(0, +)), but depth=\(a.depth); the groups must cover every hidden layer")
            }
            let stages = ProgressivePlan.stageCount(groups: stageGroups.count)
            if !stageEpochs.isEmpty && stageEpochs.count != 1 && stageEpochs.count != stages {
                throw .impossible("stage_epochs has \(stageEpochs.count) values; \(stageGroups.count) groups make \(stages) stages (give \(stages) values, one value for all, or none)")
            }
            if !freeze.isEmpty {
                throw .impossible("freeze cannot be combined with schedule=progressive, which freezes layers itself")
            }
        }
    }

    static func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: ",") }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + [Int](repeating: 0, count: y.count)
        for j in 1...max(y.count, 1) where !y.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[y.count]
}
