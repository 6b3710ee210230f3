import Foundation
import MLPKit
import Yams

/// The sections of a sweep file: the top level, `metric`, `parameters` and `trials`.
extension SpecReader {
    func spec(from root: Node) throws(SpecError) -> SweepSpec {
        let known = Self.topKeys + Self.ignoredKeys + Array(Self.unsupportedKeys.keys)
        let top = try fields(of: root, "", allowed: known,
                             expected: "a mapping of keys such as method and parameters") { key in
            let hint = TrialConfig.parameter(named: key) != nil ? " (trial parameters go under 'parameters:')" : ""
            return "unknown key\(hint); a sweep file takes \(Self.topKeys.joined(separator: ", "))"
        }
        func field(_ key: String) -> Field? { top.first { $0.key == key } }
        let rootLocation = location(root)

        if let f = top.first(where: { Self.unsupportedKeys[$0.key] != nil }) {
            throw fail(f.keyNode, f.key, Self.unsupportedKeys[f.key]!)
        }
        let ignored = top.filter { Self.ignoredKeys.contains($0.key) }
        if let first = ignored.first {
            notice(first.keyNode, ignored.map(\.key).joined(separator: ", "),
                   "ignored: vgsweep trains every trial itself with MLPKit and keeps the results in its database (W&B's \(ignored.count == 1 ? "key says" : "keys say") what to run and where to log)")
        }

        let name = try field("name").map { (f: Field) throws(SpecError) in try string(f.value, "name") }
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let summary = try field("description").map { (f: Field) throws(SpecError) in try string(f.value, "description") }

        guard let methodField = field("method") else {
            throw fail(at: rootLocation, "method", "required: one of grid, random, bayes, list")
        }
        let methodText = try string(methodField.value, "method")
        guard let method = SweepSpec.Method(rawValue: methodText) else {
            let hint = methodText == "custom" ? "W&B's method: custom (a custom scheduler) is not supported" : "unknown method '\(methodText)'"
            throw fail(methodField.value, "method", "\(hint); vgsweep runs grid, random, bayes or list")
        }
        let sampled = method == .random || method == .bayes

        let metricField = field("metric")
        let metric = try metricField.map { (f: Field) throws(SpecError) in try self.metric(f.value) } ?? SweepSpec.Metric()
        if method == .bayes && metricField == nil {
            throw fail(at: rootLocation, "metric", "required for method: bayes: the number its suggestions improve, e.g. {name: val_loss, goal: minimize}")
        }
        let maxTrials = try field("max_trials").map { (f: Field) throws(SpecError) in try integer(f.value, "max_trials", atLeast: 1) }
            ?? SweepSpec.defaultMaxTrials
        let repeats = try field("repeats").map { (f: Field) throws(SpecError) in try integer(f.value, "repeats", atLeast: 1) } ?? 1

        // run_cap is W&B's; count, vgsweep's older name, stays as an alias.
        let capFields = ["run_cap", "count"].compactMap { field($0) }
        var runCap: Int?
        for f in capFields {
            let n = try integer(f.value, f.key, atLeast: 1)
            if let earlier = runCap, earlier != n {
                throw fail(f.value, f.key, "\(f.key) (\(n)) disagrees with \(capFields[0].key) (\(earlier)); count is run_cap's old name: give one of them")
            }
            runCap = n
        }
        if sampled && runCap == nil {
            notice(methodField.value, "run_cap", "not given, so the sweep draws trials until it is stopped (or reaches metric.target), as W&B's does; give run_cap for a budget")
        }
        var randomSeed: UInt64 = 0
        if let f = field("random_seed") {
            guard sampled else { throw fail(f.keyNode, "random_seed", "only for method: random or bayes") }
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
            case .sampled: swept = true
            }
            if swept, let f = field("repeats") {
                throw fail(f.value, "repeats", "cannot be combined with a swept seed (parameters.seed at line \(seed.location.line)): repeats already runs seeds seed, seed+1, ...; give seed one value or drop repeats")
            }
        }

        let stopping = try field("early_terminate").map { (f: Field) throws(SpecError) in
            try stoppingRules(f, metric: metricField.map { ($0, metric) })
        } ?? []

        let spec = SweepSpec(
            file: file, name: name, summary: summary, method: method, metric: metric,
            maxTrials: maxTrials, repeats: repeats, runCap: runCap, randomSeed: randomSeed,
            parameters: parameters, entries: entries, stopping: stopping, notices: notices.lines,
            parametersLocation: parametersField.map { location($0.keyNode) } ?? rootLocation,
            methodLocation: location(methodField.keyNode))

        let planned = spec.plannedTrialCount
        if planned > maxTrials && !spec.isUnbounded {
            let at = field("max_trials")?.value ?? capFields.first?.value ?? parametersField?.keyNode ?? root
            let size = planned == Int.max ? "more than \(Int.max)" : String(planned)
            throw fail(at, "max_trials", "the sweep expands to \(size) trials, more than max_trials (\(maxTrials)); sweep fewer values, set run_cap or raise max_trials")
        }
        return spec
    }

    func metric(_ node: Node) throws(SpecError) -> SweepSpec.Metric {
        let unsupported = ["impute", "impute_while_running"]
        let items = try fields(of: node, "metric", allowed: ["name", "goal", "target"] + unsupported,
                               expected: "a mapping {name, goal, target}") { _ in
            "unknown key; metric takes name, goal and target"
        }
        if let f = items.first(where: { unsupported.contains($0.key) }) {
            throw fail(f.keyNode, "metric." + f.key, "W&B's \(f.key) (what a bayes search assumes of failed or running trials) is not supported")
        }
        guard let nameField = items.first(where: { $0.key == "name" }) else {
            throw fail(node, "metric.name", "required: the number to rank by, one of \(SweepSpec.Metric.Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let text = try string(nameField.value, "metric.name")
        guard let name = SweepSpec.Metric.Name(rawValue: text) else {
            throw fail(nameField.value, "metric.name", "unknown metric '\(text)'; one of \(SweepSpec.Metric.Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // W&B's default goal is minimize, whatever the metric: files written for W&B rely on it.
        var goal = SweepSpec.Metric.Goal.minimize
        if let f = items.first(where: { $0.key == "goal" }) {
            let g = try string(f.value, "metric.goal")
            guard let given = SweepSpec.Metric.Goal(rawValue: g) else {
                throw fail(f.value, "metric.goal", "unknown goal '\(g)'; maximize or minimize")
            }
            goal = given
        } else if name.isAccuracy {
            notice(nameField.value, "metric.goal", "not given, so minimize, as in W&B: the trials with the lowest \(name.rawValue) rank first; write goal: maximize to rank the most accurate first")
        }
        let target = try items.first(where: { $0.key == "target" }).map { (f: Field) throws(SpecError) in try number(f.value, "metric.target") }
        return SweepSpec.Metric(name: name, goal: goal, target: target)
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
