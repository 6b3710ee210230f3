import Foundation
import MLPKit
import Yams

/// A sweep file, read and checked: which trials to run and how to rank them.
///
/// The layout is W&B Sweeps' (`method`, `metric`, `parameters` with `value` / `values` /
/// `min`-`max`-`distribution`) so users can write it from memory, plus `list` for named
/// hand-picked variants, `repeats` for seeds and `max_trials` as a guard against a typo that
/// would queue a million trials. Everything that can be checked without expanding the sweep is
/// checked by `parse`, each value against `TrialConfig`'s own table; `trials()` expands and
/// checks the combinations. Nothing of the YAML tree is kept: the spec is plain values.
public struct SweepSpec: Sendable, Equatable {
    public enum Method: String, CaseIterable, Sendable {
        /// Every combination of every parameter's `values`.
        case grid
        /// `count` samples, each parameter drawn independently.
        case random
        /// Named entries, each laid over every grid point of `parameters`.
        case list
    }

    /// What the sweep ranks trials by.
    public struct Metric: Sendable, Equatable {
        public enum Name: String, CaseIterable, Sendable {
            case testAcc = "test_acc", valAcc = "val_acc", testLoss = "test_loss", trainLoss = "train_loss"

            /// Accuracies are maximised and losses minimised, unless the file says otherwise.
            public var naturalGoal: Goal { self == .testAcc || self == .valAcc ? .maximize : .minimize }
        }
        public enum Goal: String, CaseIterable, Sendable { case maximize, minimize }

        public var name: Name
        public var goal: Goal

        public init(name: Name = .testAcc, goal: Goal? = nil) {
            self.name = name
            self.goal = goal ?? name.naturalGoal
        }
    }

    /// A place in the file, 1-based, kept so that `trials()` can still point at the line that
    /// produced a refused combination.
    public struct Location: Sendable, Equatable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
        init?(_ mark: Mark?) {
            guard let mark else { return nil }
            self.init(line: mark.line, column: mark.column)
        }
        public var description: String { "\(line):\(column)" }
    }

    /// One value as written in the file, already in the text form `TrialConfig` reads
    /// (YAML `1e-3` becomes `0.001`, `~` becomes `none`, `[2, 2, 2, 1]` becomes `2,2,2,1`).
    public struct Value: Sendable, Equatable {
        public let text: String
        public let location: Location
        /// e.g. `parameters.lr.values[2]`.
        public let field: String
    }

    public enum Distribution: String, CaseIterable, Sendable {
        /// Float, uniform in [min, max).
        case uniform
        /// Float whose logarithm is uniform: as many samples in [1e-4, 1e-3] as in [1e-2, 1e-1].
        case logUniformValues = "log_uniform_values"
        /// Integer, uniform in min...max inclusive.
        case intUniform = "int_uniform"
    }

    public enum Domain: Sendable, Equatable {
        /// `value: x` is a one-element list.
        case values([Value])
        case range(min: Double, max: Double, Distribution)
    }

    /// One entry of `parameters` (or of a list entry's `parameters`, always a single value).
    public struct Parameter: Sendable, Equatable {
        /// A name of `TrialConfig.parameters`.
        public let name: String
        public let domain: Domain
        /// Where the name is written.
        public let location: Location
        /// e.g. `parameters.lr`.
        public let field: String
    }

    /// A named variant of a `list` sweep.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let parameters: [Parameter]
        public let location: Location
        /// e.g. `trials[2]`.
        public let field: String
    }

    public static let defaultMaxTrials = 10_000

    public let file: String
    public let name: String
    /// The file's optional `description`, free text for people.
    public let summary: String?
    public let method: Method
    public let metric: Metric
    public let maxTrials: Int
    /// Runs of each configuration, with seeds seed, seed+1, ...
    public let repeats: Int
    /// Samples of a `random` sweep; nil for the other methods.
    public let count: Int?
    /// Seeds the `random` sampler, so the same file always gives the same trials.
    public let randomSeed: UInt64
    /// In file order.
    public let parameters: [Parameter]
    /// The named entries of a `list` sweep, in file order; empty for the other methods.
    public let entries: [Entry]
    /// Where the `parameters` key is (or the top of the file): refused grid combinations point here.
    let parametersLocation: Location

    /// The most trials the sweep can expand to (random duplicates collapse, so it may give fewer).
    public var plannedTrialCount: Int {
        var n: Int
        switch method {
        case .random: n = count ?? 0
        case .grid: n = Self.gridSize(parameters)
        case .list: n = Self.product(Self.gridSize(parameters), entries.count)
        }
        return Self.product(n, repeats)
    }

    static func gridSize(_ parameters: [Parameter]) -> Int {
        parameters.reduce(1) { size, p in
            guard case .values(let values) = p.domain else { return size }
            return product(size, values.count)
        }
    }

    /// Saturating: a sweep too large to count is still refused by `max_trials`.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (n, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : n
    }
}

// MARK: - Reading

extension SweepSpec {
    /// Reads and checks the sweep file at `path`; errors name `path` as given.
    public static func load(path: String) throws(SpecError) -> SweepSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecError(file: path, line: 0, column: 0, field: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, line: 0, column: 0, field: "", message: "the file is not UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    /// Reads and checks a sweep from YAML text; `file` is only used in error messages.
    public static func parse(yaml: String, file: String) throws(SpecError) -> SweepSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw SpecError(yaml: error, file: file)
        } catch {
            throw SpecError(file: file, line: 0, column: 0, field: "", message: "cannot read the YAML text: \(error)")
        }
        guard let root else {
            throw SpecError(file: file, line: 1, column: 1, field: "",
                            message: "the file is empty; a sweep needs at least name and method")
        }
        return try SpecReader(file: file).spec(from: root)
    }

    /// The text `TrialConfig` reads for a YAML float: integral values as integers (so
    /// `epochs: 3.0` works), others in Swift's shortest form, which `Float("…")` parses.
    static func text(of x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// Whether a parameter takes fractional numbers (lr) rather than integers or names
    /// (width, activation): decides the default distribution of a `min`/`max` range.
    static func takesFractions(_ name: String) -> Bool {
        var config = TrialConfig()
        do { try config.apply([(name, "0.5")]) } catch {
            if case .badValue = error { return false }
        }
        return true
    }

    /// Whether a parameter takes comma-separated lists (stage_groups, freeze), for hints.
    static func takesLists(_ name: String) -> Bool {
        var config = TrialConfig()
        do { try config.apply([(name, "1,1")]) } catch {
            if case .badValue = error { return false }
        }
        return true
    }
}

/// Turns the composed YAML tree into a `SweepSpec`, refusing anything it does not understand.
/// Kept private: the tree and its marks are an implementation detail of reading.
private struct SpecReader {
    let file: String

    typealias Location = SweepSpec.Location

    static let topKeys = ["name", "description", "method", "metric", "max_trials", "repeats", "count",
                          "random_seed", "parameters", "trials"]
    static let parameterKeys = ["value", "values", "min", "max", "distribution"]

    /// One `key: value` of a mapping, the key already a string.
    struct Field {
        let key: String
        let keyNode: Node
        let value: Node
    }

    func fail(_ node: Node?, _ field: String, _ message: String) -> SpecError {
        SpecError(file: file, at: Location(node?.mark), field: field, message: message)
    }

    func fail(at location: Location, _ field: String, _ message: String) -> SpecError {
        SpecError(file: file, at: location, field: field, message: message)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return node.tag.rawValue == Tag.Name.null.rawValue
    }

    func location(_ node: Node) -> Location { Location(node.mark) ?? Location(line: 1, column: 1) }

    /// The fields of a mapping in file order, refusing keys outside `allowed` with `unknown`'s
    /// explanation. A YAML null (`key:` with nothing after it) reads as an empty mapping.
    func fields(of node: Node, _ path: String, allowed: [String]?, expected: String,
                unknown: (String) -> String = { _ in "unknown key" }) throws(SpecError) -> [Field] {
        if isNull(node) { return [] }
        guard case .mapping(let mapping) = node else {
            throw fail(node, path, "expected \(expected), found \(kind(of: node))")
        }
        var result: [Field] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw fail(keyNode, path, "keys must be plain names, found \(kind(of: keyNode))")
            }
            let key = scalar.string
            if let allowed, !allowed.contains(key) {
                throw fail(keyNode, Self.join(path, key), unknown(key))
            }
            result.append(Field(key: key, keyNode: keyNode, value: value))
        }
        return result
    }

    func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s): return isNull(node) ? "nothing" : "'\(s.string)'"
        }
    }

    /// A plain text value (a name, a method).
    func string(_ node: Node, _ field: String) throws(SpecError) -> String {
        guard case .scalar(let scalar) = node, !isNull(node), !scalar.string.isEmpty else {
            throw fail(node, field, "expected a single value, found \(kind(of: node))")
        }
        return scalar.string
    }

    func integer(_ node: Node, _ field: String, atLeast minimum: Int) throws(SpecError) -> Int {
        guard case .scalar(let scalar) = node, node.tag.rawValue == Tag.Name.int.rawValue,
              let n = Int.construct(from: scalar) else {
            throw fail(node, field, "expected an integer >= \(minimum), found \(kind(of: node))")
        }
        guard n >= minimum else { throw fail(node, field, "must be >= \(minimum), found \(n)") }
        return n
    }

    func number(_ node: Node, _ field: String) throws(SpecError) -> Double {
        let tag = node.tag.rawValue
        guard case .scalar(let scalar) = node,
              tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue,
              let x = tag == Tag.Name.int.rawValue ? Int.construct(from: scalar).map(Double.init)
                                                   : Double.construct(from: scalar),
              x.isFinite else {
            throw fail(node, field, "expected a number, found \(kind(of: node))")
        }
        return x
    }

    /// A parameter value in the text `TrialConfig` reads, checked against its table so that a
    /// refused value is reported at its own line rather than at some expanded trial.
    func value(_ node: Node, _ field: String, for parameter: String) throws(SpecError) -> SweepSpec.Value {
        let text: String
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.int.rawValue:
                text = Int.construct(from: scalar).map(String.init)
                    ?? UInt64.construct(from: scalar).map(String.init) ?? scalar.string
            case Tag.Name.float.rawValue:
                text = Double.construct(from: scalar).map(SweepSpec.text(of:)) ?? scalar.string
            case Tag.Name.null.rawValue:
                text = "none"
            default:
                text = scalar.string
            }
        case .sequence(let sequence):
            // A YAML list of integers is the comma-separated form (stage_groups: [2, 2, 2, 1]).
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item, item.tag.rawValue == Tag.Name.int.rawValue,
                      let n = Int.construct(from: scalar) else {
                    throw fail(node, field, "expected a single value, found a list; only integer lists such as [2, 2, 2, 1] are read, as \"2,2,2,1\"")
                }
                items.append(String(n))
            }
            text = items.isEmpty ? "none" : items.joined(separator: ",")
        case .mapping, .alias:
            throw fail(node, field, "expected a single value, found \(kind(of: node))")
        }
        var config = TrialConfig()
        do { try config.apply([(parameter, text)]) } catch {
            // `.impossible` needs the rest of the trial: `trials()` judges it.
            if case .badValue = error { throw fail(node, field, error.description) }
        }
        return SweepSpec.Value(text: text, location: location(node), field: field)
    }

    /// A known parameter name, or the error with the nearest valid name.
    func parameterName(_ field: Field, _ path: String) throws(SpecError) -> String {
        guard TrialConfig.parameter(named: field.key) != nil else {
            let hint = TrialConfig.nearestName(to: field.key).map { " (did you mean '\($0)'?)" } ?? ""
            throw fail(field.keyNode, path, "unknown parameter\(hint)")
        }
        return field.key
    }

    // MARK: The file

    func spec(from root: Node) throws(SpecError) -> SweepSpec {
        let top = try fields(of: root, "", allowed: Self.topKeys,
                             expected: "a mapping of keys such as name, method and parameters") { key in
            let hint = TrialConfig.parameter(named: key) != nil ? " (trial parameters go under 'parameters:')" : ""
            return "unknown key\(hint); a sweep file takes \(Self.topKeys.joined(separator: ", "))"
        }
        func field(_ key: String) -> Field? { top.first { $0.key == key } }
        let rootLocation = location(root)

        guard let nameField = field("name") else {
            throw fail(at: rootLocation, "name", "required: every sweep needs a name")
        }
        let name = try string(nameField.value, "name")
        let summary = try field("description").map { (f: Field) throws(SpecError) in try string(f.value, "description") }

        guard let methodField = field("method") else {
            throw fail(at: rootLocation, "method", "required: one of grid, random, list")
        }
        let methodText = try string(methodField.value, "method")
        guard let method = SweepSpec.Method(rawValue: methodText) else {
            throw fail(methodField.value, "method", "unknown method '\(methodText)'; vgsweep runs grid, random or list")
        }

        let metric = try field("metric").map { (f: Field) throws(SpecError) in try self.metric(f.value) } ?? SweepSpec.Metric()
        let maxTrials = try field("max_trials").map { (f: Field) throws(SpecError) in try integer(f.value, "max_trials", atLeast: 1) }
            ?? SweepSpec.defaultMaxTrials
        let repeats = try field("repeats").map { (f: Field) throws(SpecError) in try integer(f.value, "repeats", atLeast: 1) } ?? 1

        var count: Int?
        if let f = field("count") {
            guard method == .random else { throw fail(f.keyNode, "count", "only for method: random (a \(method) sweep runs every combination)") }
            count = try integer(f.value, "count", atLeast: 1)
        } else if method == .random {
            throw fail(at: rootLocation, "count", "required for method: random: how many samples to draw")
        }
        var randomSeed: UInt64 = 0
        if let f = field("random_seed") {
            guard method == .random else { throw fail(f.keyNode, "random_seed", "only for method: random") }
            randomSeed = UInt64(try integer(f.value, "random_seed", atLeast: 0))
        }

        let parametersField = field("parameters")
        var parameters: [SweepSpec.Parameter] = []
        if let parametersField {
            let defined = try fields(of: parametersField.value, "parameters", allowed: nil,
                                     expected: "a mapping of parameter names")
            for f in defined {
                parameters.append(try parameter(f, method: method))
            }
        }

        var entries: [SweepSpec.Entry] = []
        if let f = field("trials") {
            guard method == .list else { throw fail(f.keyNode, "trials", "only for method: list (named trials laid over the parameters)") }
            entries = try self.entries(f.value)
        } else if method == .list {
            throw fail(at: rootLocation, "trials", "required for method: list: a list of {name, parameters} entries")
        }

        if repeats > 1, let seed = parameters.first(where: { $0.name == "seed" }) {
            let swept: Bool
            switch seed.domain {
            case .values(let values): swept = values.count > 1
            case .range: swept = true
            }
            if swept, let f = field("repeats") {
                throw fail(f.value, "repeats", "cannot be combined with a swept seed (parameters.seed at line \(seed.location.line)): repeats already runs seeds seed, seed+1, ...; give seed one value or drop repeats")
            }
        }

        let spec = SweepSpec(
            file: file, name: name, summary: summary, method: method, metric: metric,
            maxTrials: maxTrials, repeats: repeats, count: count, randomSeed: randomSeed,
            parameters: parameters, entries: entries,
            parametersLocation: parametersField.map { location($0.keyNode) } ?? rootLocation)

        let planned = spec.plannedTrialCount
        if planned > maxTrials {
            let at = field("max_trials")?.value ?? field("count")?.value ?? parametersField?.keyNode ?? root
            let size = planned == Int.max ? "more than \(Int.max)" : String(planned)
            throw fail(at, "max_trials", "the sweep expands to \(size) trials, more than max_trials (\(maxTrials)); sweep fewer values or raise max_trials")
        }
        return spec
    }

    func metric(_ node: Node) throws(SpecError) -> SweepSpec.Metric {
        let items = try fields(of: node, "metric", allowed: ["name", "goal"], expected: "a mapping {name, goal}") { _ in
            "unknown key; metric takes name and goal"
        }
        var metric = SweepSpec.Metric()
        var goal: SweepSpec.Metric.Goal?
        for f in items {
            let text = try string(f.value, "metric." + f.key)
            if f.key == "name" {
                guard let name = SweepSpec.Metric.Name(rawValue: text) else {
                    throw fail(f.value, "metric.name", "unknown metric '\(text)'; one of \(SweepSpec.Metric.Name.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                metric = SweepSpec.Metric(name: name)
            } else {
                guard let g = SweepSpec.Metric.Goal(rawValue: text) else {
                    throw fail(f.value, "metric.goal", "unknown goal '\(text)'; maximize or minimize")
                }
                goal = g
            }
        }
        if let goal { metric.goal = goal }
        return metric
    }

    // MARK: Parameters

    func parameter(_ f: Field, method: SweepSpec.Method) throws(SpecError) -> SweepSpec.Parameter {
        let path = "parameters." + f.key
        let name = try parameterName(f, path)
        if case .mapping = f.value {} else {
            throw fail(f.value, path, "expected a mapping such as {value: 3}, {values: [1, 2]} or {min: 1, max: 9}, found \(kind(of: f.value))")
        }
        let items = try fields(of: f.value, path, allowed: Self.parameterKeys, expected: "a mapping") { _ in
            "unknown key; a parameter takes value, values, or min, max and distribution"
        }
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        let here = location(f.keyNode)

        let ranged = items.filter { ["min", "max", "distribution"].contains($0.key) }
        if let value = item("value") {
            if let other = items.first(where: { $0.key != "value" }) {
                throw fail(other.keyNode, path + "." + other.key, "cannot be combined with value")
            }
            let v = try self.value(value.value, path + ".value", for: name)
            return SweepSpec.Parameter(name: name, domain: .values([v]), location: here, field: path)
        }
        if let values = item("values") {
            if let other = ranged.first {
                throw fail(other.keyNode, path + "." + other.key, "cannot be combined with values")
            }
            guard case .sequence(let sequence) = values.value else {
                throw fail(values.value, path + ".values", "expected a list such as [1, 2, 3], found \(kind(of: values.value))")
            }
            guard !sequence.isEmpty else {
                throw fail(values.value, path + ".values", "the list is empty; give at least one value")
            }
            var list: [SweepSpec.Value] = []
            for (i, node) in sequence.enumerated() {
                let v = try value(node, path + ".values[\(i)]", for: name)
                // A repeat would give the same trial twice; for a list parameter it is almost
                // always `[2,2,2,1]` meant as one value, which YAML splits at the commas.
                if let j = list.firstIndex(where: { $0.text == v.text }) {
                    let hint = SweepSpec.takesLists(name)
                        ? "; inside [ ] commas separate values, so write a list value quoted: \"2,2,2,1\"" : ""
                    throw fail(node, v.field, "'\(v.text)' is already values[\(j)]\(hint)")
                }
                list.append(v)
            }
            return SweepSpec.Parameter(name: name, domain: .values(list), location: here, field: path)
        }
        guard let first = ranged.first else {
            throw fail(f.value, path, "empty: give value, values, or min and max")
        }
        guard method == .random else {
            throw fail(first.keyNode, path, "min/max distributions are only for method: random; a \(method) sweep needs `values: [...]`")
        }
        guard let minField = item("min"), let maxField = item("max") else {
            throw fail(first.keyNode, path, "a distribution needs both min and max")
        }
        let lo = try number(minField.value, path + ".min")
        let hi = try number(maxField.value, path + ".max")
        guard lo <= hi else {
            throw fail(minField.value, path + ".min", "min (\(SweepSpec.text(of: lo))) is greater than max (\(SweepSpec.text(of: hi)))")
        }
        let fractions = SweepSpec.takesFractions(name)
        var distribution: SweepSpec.Distribution = fractions ? .uniform : .intUniform
        if let d = item("distribution") {
            let text = try string(d.value, path + ".distribution")
            guard let given = SweepSpec.Distribution(rawValue: text) else {
                let hint = text == "log_uniform"
                    ? " (W&B's log_uniform takes exponents; write the values themselves with log_uniform_values)" : ""
                throw fail(d.value, path + ".distribution", "unknown distribution '\(text)'\(hint); one of \(SweepSpec.Distribution.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            distribution = given
        }
        switch distribution {
        case .intUniform:
            for (node, x, key) in [(minField.value, lo, "min"), (maxField.value, hi, "max")] {
                guard x == x.rounded(), abs(x) < 1e15 else {
                    throw fail(node, path + "." + key, "int_uniform needs integer bounds, found \(SweepSpec.text(of: x))")
                }
                _ = try value(node, path + "." + key, for: name)
            }
        case .logUniformValues, .uniform:
            if distribution == .logUniformValues && lo <= 0 {
                throw fail(minField.value, path + ".min", "log_uniform_values needs min > 0, found \(SweepSpec.text(of: lo))")
            }
            _ = try value(minField.value, path + ".min", for: name)
            guard fractions else {
                throw fail(item("distribution")?.value ?? minField.value, path + ".distribution",
                           "\(name) does not take fractional numbers (\(TrialConfig.parameter(named: name)!.allowed)); use distribution: int_uniform or values")
            }
        }
        return SweepSpec.Parameter(name: name, domain: .range(min: lo, max: hi, distribution), location: here, field: path)
    }

    // MARK: List entries

    func entries(_ node: Node) throws(SpecError) -> [SweepSpec.Entry] {
        guard case .sequence(let sequence) = node else {
            throw fail(node, "trials", "expected a list of {name, parameters} entries, found \(kind(of: node))")
        }
        guard !sequence.isEmpty else { throw fail(node, "trials", "the list is empty; give at least one entry") }
        var entries: [SweepSpec.Entry] = []
        var firstLine: [String: Int] = [:]
        for (i, entryNode) in sequence.enumerated() {
            let path = "trials[\(i)]"
            if case .mapping = entryNode {} else {
                throw fail(entryNode, path, "expected a mapping {name, parameters}, found \(kind(of: entryNode))")
            }
            let items = try fields(of: entryNode, path, allowed: ["name", "parameters"], expected: "a mapping") { _ in
                "unknown key; a trial entry takes name and parameters"
            }
            guard let nameField = items.first(where: { $0.key == "name" }) else {
                throw fail(entryNode, path + ".name", "required: every entry of a list needs a name")
            }
            let name = try string(nameField.value, path + ".name")
            if let line = firstLine[name] {
                throw fail(nameField.value, path + ".name", "duplicate trial name '\(name)' (first at line \(line)); names must be unique")
            }
            firstLine[name] = location(nameField.value).line

            var parameters: [SweepSpec.Parameter] = []
            if let p = items.first(where: { $0.key == "parameters" }) {
                let settings = try fields(of: p.value, path + ".parameters", allowed: nil,
                                          expected: "a mapping of name: value")
                for s in settings {
                    let field = path + ".parameters." + s.key
                    let parameter = try parameterName(s, field)
                    if case .mapping = s.value {
                        throw fail(s.value, field, "expected a single value, found a mapping (an entry's parameters are written name: value)")
                    }
                    let v = try value(s.value, field, for: parameter)
                    parameters.append(SweepSpec.Parameter(name: parameter, domain: .values([v]), location: location(s.keyNode), field: field))
                }
            }
            entries.append(SweepSpec.Entry(name: name, parameters: parameters, location: location(entryNode), field: path))
        }
        return entries
    }
}
