import MLPKit

/// Changing a sweep from the command line without editing its file, as `wandb sweep` users and
/// Hydra users expect: `coordinator run sweeps/seed-study.yaml epochs=300 --only std-10.0`.
extension SweepSpec {
    /// Where command-line mistakes are said to be.
    public static let commandLine = "command line"

    /// The spec with each `name=value` fixed for every trial, over the file's own value,
    /// values, range or list entries alike, and `repeats` seeds per configuration if given. Trial ids depend on parameters only, so a trial
    /// the overrides leave unchanged keeps its id and its result.
    ///
    /// Fixing a parameter of a random sweep changes the samples drawn after it in file order.
    public func overriding(_ arguments: [String], repeats: Int? = nil) throws(SpecError) -> SweepSpec {
        var spec = self
        if let repeats {
            guard repeats >= 1 else {
                throw SpecError(file: Self.commandLine, line: 0, column: 0, field: "--repeats", message: "must be at least 1")
            }
            spec.repeats = repeats
        }
        for argument in arguments {
            let (name, text) = try Self.override(argument)
            let value = Value(text: text, location: Location(line: 0, column: 0), field: Self.commandLine)
            let fixed = Parameter(name: name, domain: .values([value]), location: value.location, field: Self.commandLine)
            if let i = spec.parameters.firstIndex(where: { $0.name == name }) {
                spec.parameters[i] = fixed
            } else {
                spec.parameters.append(fixed)
            }
            spec.entries = spec.entries.map {
                Entry(name: $0.name, parameters: $0.parameters.filter { $0.name != name }, location: $0.location, field: $0.field)
            }
        }
        return spec
    }

    /// The trials of the list entries named in `only` (all of them when it is empty), with
    /// the ordinals they have in the whole sweep, so a partial run queues in the file's order.
    public func trials(only: [String]) throws(SpecError) -> [Trial] {
        guard !only.isEmpty else { return try trials() }
        guard method == .list else {
            throw SpecError(file: Self.commandLine, line: 0, column: 0, field: "--only",
                            message: "selects entries of a list sweep; \(file) is a \(method.rawValue) sweep")
        }
        let known = entries.map(\.name)
        for name in only where !known.contains(name) {
            throw SpecError(file: Self.commandLine, line: 0, column: 0, field: "--only",
                            message: "\(file) has no entry '\(name)'; it has \(known.joined(separator: ", "))")
        }
        return try trials().filter { only.contains($0.name) }
    }

    /// One `name=value`, its name known and its value one `TrialConfig` accepts.
    private static func override(_ argument: String) throws(SpecError) -> (String, String) {
        func refuse(_ message: String) -> SpecError {
            SpecError(file: commandLine, line: 0, column: 0, field: argument, message: message)
        }
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
            throw refuse("an override is name=value, e.g. epochs=300")
        }
        let name = String(argument[..<eq]), text = String(argument[argument.index(after: eq)...])
        var probe = TrialConfig()
        do {
            try probe.apply([(name, text)])
        } catch {
            switch error {
            case .unknownKey(_, let suggestion):
                throw refuse("unknown parameter '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""))
            case .badValue(_, _, let allowed):
                throw refuse("\(name) takes \(allowed)")
            case .malformed, .impossible:
                break // a combination with the defaults; the sweep's own trials are checked when expanded
            }
        }
        return (name, text)
    }
}
