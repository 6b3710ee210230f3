import MLPKit
import Yams

/// The sections of a sweep file: the top level, `metric`, `parameters` and `trials`.
extension SpecReader {
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
