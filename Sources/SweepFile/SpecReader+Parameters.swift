import Foundation
import MLPKit
import Yams

/// One entry of `parameters`: W&B's `value`, `values` (+ `probabilities`) or a distribution
/// with its bounds, `mu`, `sigma` and `q`, with W&B's inference when `distribution` is absent.
/// Each distribution is checked against what the parameter takes: if any draw could be a
/// value `TrialConfig` refuses, the file is refused here, at the bound or the distribution
/// that allows it (vgsweep never clips a draw).
extension SpecReader {
    typealias Distribution = SweepSpec.Distribution

    func parameter(_ f: Field, method: SweepSpec.Method) throws(SpecError) -> SweepSpec.Parameter {
        let path = "parameters." + f.key
        let name = try parameterName(f, path)
        if case .mapping = f.value {} else {
            throw fail(f.value, path, "expected a mapping such as {value: 3}, {values: [1, 2]} or {min: 1, max: 9}, found \(kind(of: f.value))")
        }
        let items = try fields(of: f.value, path, allowed: Self.parameterKeys + ["parameters", "a", "b"], expected: "a mapping") { _ in
            "unknown key; a parameter takes \(Self.parameterKeys.joined(separator: ", "))"
        }
        if let nested = items.first(where: { $0.key == "parameters" }) {
            throw fail(nested.keyNode, path + ".parameters", "nested parameters are not supported: vgsweep's trial parameters are flat names (\(name) takes \(TrialConfig.parameter(named: name)!.allowed))")
        }
        if let beta = items.first(where: { $0.key == "a" || $0.key == "b" }) {
            throw fail(beta.keyNode, path + "." + beta.key, "\(beta.key) belongs to W&B's beta distribution, which is not supported")
        }
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        let here = location(f.keyNode)
        let distributionField = item("distribution")

        // The distribution as written, or as W&B infers it.
        let distribution: Distribution
        if let d = distributionField {
            let text = try string(d.value, path + ".distribution")
            if text == "beta" || text == "q_beta" {
                throw fail(d.value, path + ".distribution", "W&B's \(text) distribution is not supported; one of \(Distribution.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let given = text == "categorical_w_probabilities" ? .categorical : Distribution(rawValue: text) else {
                throw fail(d.value, path + ".distribution", "unknown distribution '\(text)'; one of \(Distribution.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            distribution = given
            if let other = items.first(where: { $0.key != "distribution" && !given.keys.contains($0.key) }) {
                throw fail(other.keyNode, path + "." + other.key, "not a key of distribution \(given.rawValue), which takes \(given.keys.joined(separator: ", "))")
            }
        } else {
            distribution = try inferred(items, f.value, path, name)
        }

        if method == .grid || method == .list {
            guard distribution.expandsInAGrid else {
                throw fail(distributionField?.value ?? items.first(where: { $0.key != "distribution" })?.keyNode ?? f.value, path,
                           "a \(method) sweep takes value, values, int_uniform or q_uniform (as W&B's grid does); \(distribution.rawValue) is for method: random or bayes")
            }
            if let p = item("probabilities") {
                throw fail(p.keyNode, path + ".probabilities", "only for method: random or bayes (a \(method) sweep runs every value, as W&B's grid does)")
            }
        }

        switch distribution {
        case .constant:
            guard let value = item("value") else { throw fail(f.value, path, "distribution constant needs value") }
            let v = try self.value(value.value, path + ".value", for: name)
            return SweepSpec.Parameter(name: name, domain: .values([v]), location: here, field: path)
        case .categorical:
            guard let values = item("values") else { throw fail(f.value, path, "distribution categorical needs values") }
            let list = try self.values(values, path, name)
            var probabilities: [Double]?
            if let p = item("probabilities") { probabilities = try self.probabilities(p, path, count: list.count) }
            return SweepSpec.Parameter(name: name, domain: .values(list), location: here, field: path, probabilities: probabilities)
        default:
            let sampling = try self.sampling(distribution, items, f, path)
            try checkSupport(sampling, method: method, name: name, path: path, items: items, distributionNode: distributionField?.value)
            return SweepSpec.Parameter(name: name, domain: .sampled(sampling), location: here, field: path)
        }
    }

    /// W&B's inference without `distribution`: `value` is constant, `values` categorical,
    /// integer min and max int_uniform, other min and max uniform. The keys must then be
    /// those of one of them.
    private func inferred(_ items: [Field], _ node: Node, _ path: String, _ name: String) throws(SpecError) -> Distribution {
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        let normalKey = items.first { ["mu", "sigma"].contains($0.key) }
        if item("value") != nil {
            if let other = items.first(where: { $0.key != "value" }) {
                throw fail(other.keyNode, path + "." + other.key, "cannot be combined with value")
            }
            return .constant
        }
        if item("values") != nil {
            if let other = items.first(where: { !["values", "probabilities"].contains($0.key) }) {
                throw fail(other.keyNode, path + "." + other.key, "cannot be combined with values")
            }
            return .categorical
        }
        if let p = item("probabilities") {
            throw fail(p.keyNode, path + ".probabilities", "goes with values: one probability per value")
        }
        if let key = normalKey {
            throw fail(key.keyNode, path + "." + key.key, "needs a distribution: normal, q_normal, log_normal or q_log_normal (W&B infers none from mu and sigma)")
        }
        if let q = item("q") {
            throw fail(q.keyNode, path + ".q", "needs a quantized distribution: q_uniform, q_log_uniform_values, q_log_uniform, q_normal or q_log_normal (W&B infers none from q)")
        }
        guard let first = items.first else {
            throw fail(node, path, "empty: give value, values, or min and max")
        }
        guard let minField = item("min"), let maxField = item("max") else {
            throw fail(first.keyNode, path, "a distribution needs both min and max")
        }
        if isInteger(minField.value) && isInteger(maxField.value) {
            if SweepSpec.takesFractions(name) {
                notice(minField.keyNode, path, "integer min and max without a distribution mean int_uniform, as in W&B: \(name) will take whole numbers only; write min: \(SweepSpec.text(of: (try? number(minField.value, "")) ?? 0)).0 or distribution: uniform for fractions")
            }
            return .intUniform
        }
        return .uniform
    }

    /// `values`: a non-empty list, each value one the parameter takes, no two alike.
    private func values(_ values: Field, _ path: String, _ name: String) throws(SpecError) -> [SweepSpec.Value] {
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
        return list
    }

    /// `probabilities`: one number >= 0 per value, summing to 1 within 1e-6.
    private func probabilities(_ p: Field, _ path: String, count: Int) throws(SpecError) -> [Double] {
        let field = path + ".probabilities"
        guard case .sequence(let sequence) = p.value else {
            throw fail(p.value, field, "expected a list of numbers, one per value, found \(kind(of: p.value))")
        }
        var list: [Double] = []
        for (i, node) in sequence.enumerated() {
            let x = try number(node, field + "[\(i)]")
            guard x >= 0 else { throw fail(node, field + "[\(i)]", "a probability is >= 0, found \(SweepSpec.text(of: x))") }
            list.append(x)
        }
        guard list.count == count else {
            throw fail(p.value, field, "\(list.count) probabilities for \(count) values; give one per value")
        }
        let sum = list.reduce(0, +)
        guard abs(sum - 1) <= 1e-6 else {
            throw fail(p.value, field, "the probabilities sum to \(SweepSpec.text(of: sum)), not 1")
        }
        return list
    }

    /// The numbers of a distribution, W&B's defaults filled in (q 1, mu 0, sigma 1), checked
    /// as W&B does: min < max, positive bounds for the `_values` forms, q > 0, sigma >= 0.
    private func sampling(_ d: Distribution, _ items: [Field], _ f: Field, _ path: String) throws(SpecError) -> SweepSpec.Sampling {
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        func num(_ key: String) throws(SpecError) -> Double? {
            try item(key).map { (k: Field) throws(SpecError) in try number(k.value, path + "." + key) }
        }
        var q = try num("q")
        if let q, q <= 0, let node = item("q")?.value {
            throw fail(node, path + ".q", "q must be > 0, found \(SweepSpec.text(of: q))")
        }
        if d.isQuantized { q = q ?? 1 }
        if d.isNormalFamily {
            let sigma = try num("sigma") ?? 1
            if sigma < 0, let node = item("sigma")?.value {
                throw fail(node, path + ".sigma", "sigma must be >= 0, found \(SweepSpec.text(of: sigma))")
            }
            return SweepSpec.Sampling(d, mu: try num("mu") ?? 0, sigma: sigma, q: q)
        }
        guard let minField = item("min"), let maxField = item("max") else {
            throw fail((item("min") ?? item("max"))?.keyNode ?? f.value, path, "\(d.rawValue) needs both min and max")
        }
        let lo = try number(minField.value, path + ".min")
        let hi = try number(maxField.value, path + ".max")
        if d == .intUniform {
            for (node, x, key) in [(minField.value, lo, "min"), (maxField.value, hi, "max")] {
                guard x == x.rounded(), abs(x) < 1e15 else {
                    throw fail(node, path + "." + key, "int_uniform needs integer bounds, found \(SweepSpec.text(of: x))")
                }
            }
        }
        guard lo < hi else {
            let message = lo == hi
                ? "min equals max (\(SweepSpec.text(of: lo))); W&B needs min < max: write value: \(SweepSpec.text(of: lo)) for a constant"
                : "min (\(SweepSpec.text(of: lo))) is greater than max (\(SweepSpec.text(of: hi)))"
            throw fail(minField.value, path + ".min", message)
        }
        if d.needsPositiveBounds && lo <= 0 {
            throw fail(minField.value, path + ".min", "\(d.rawValue) needs min > 0, found \(SweepSpec.text(of: lo))")
        }
        if d.takesExponents {
            let (a, b) = d == .invLogUniform ? (exp(-hi), exp(-lo)) : (exp(lo), exp(hi))
            let values = d.rawValue.replacingOccurrences(of: "log_uniform", with: "log_uniform_values")
            notice(item("distribution")?.value, path, "\(d.rawValue) takes base-e exponents as W&B's does (deprecated there): min \(SweepSpec.text(of: lo)) and max \(SweepSpec.text(of: hi)) give values in [\(SweepSpec.numberText(a)), \(SweepSpec.numberText(b))]; \(values) takes the values themselves")
        }
        return SweepSpec.Sampling(d, min: lo, max: hi, q: q)
    }

    /// Refuses a distribution that can draw a value the parameter does not take: the
    /// smallest and the largest draw (after quantization, as text, exactly as a trial would
    /// get them) must be values `TrialConfig` accepts, and an integer parameter needs
    /// integral draws. Allowed values are intervals, so the extremes decide.
    private func checkSupport(_ s: SweepSpec.Sampling, method: SweepSpec.Method, name: String, path: String,
                              items: [Field], distributionNode: Node?) throws(SpecError) {
        func item(_ key: String) -> Field? { items.first { $0.key == key } }
        let kind = s.kind
        let low: Double, high: Double
        if method == .grid || method == .list {
            let n = SweepSpec.gridCount(SweepSpec.Parameter(name: name, domain: .sampled(s), location: .init(line: 0, column: 0), field: path))
            low = s.min
            high = s.distribution == .intUniform ? s.max : s.min + Double(max(n - 1, 0)) * (s.q ?? 1)
        } else {
            let dimension = SweepSpec.SearchSpace.Dimension(name: name, kind: kind, distribution: s.distribution, field: path)
            let (uLow, uHigh) = SweepSpec.quantileRange(s.distribution)
            func at(_ u: Double) -> Double {
                guard case .number(let x) = dimension.value(atQuantile: u) else { return .nan }
                return kind.quantized(x)
            }
            low = at(uLow)
            high = at(uHigh)
        }
        for (x, end) in [(low, "min"), (high, "max")] {
            let text = SweepSpec.numberText(x)
            var config = TrialConfig()
            do { try config.apply([(name, text)]) } catch {
                guard case .badValue = error else { continue }
                // Point at the bound that allows the value, or at the law.
                let node = s.distribution.isNormalFamily ? (distributionNode ?? item("mu")?.value) : item(end)?.value
                let field = s.distribution.isNormalFamily ? path + ".distribution" : path + "." + end
                let draws: String
                if s.distribution.isNormalFamily {
                    let reach = s.distribution == .normal || s.distribution == .qNormal
                        ? "mu \(end == "min" ? "-" : "+") 8.2 sigma" : "exp(mu \(end == "min" ? "-" : "+") 8.2 sigma)"
                    draws = "\(s.distribution.rawValue) (mu \(SweepSpec.text(of: s.mu)), sigma \(SweepSpec.text(of: s.sigma))\(s.q.map { ", q \(SweepSpec.text(of: $0))" } ?? "")) can draw \(text) (its draws reach \(reach))"
                } else if SweepSpec.text(of: end == "min" ? s.min : s.max) != text {
                    draws = "\(s.distribution.rawValue) can draw \(text) at its \(end == "min" ? "low" : "high") end"
                } else {
                    draws = ""
                }
                let advice = s.distribution.isNormalFamily
                    ? "; vgsweep refuses rather than clips: choose a law whose draws \(name) takes (log_normal or log_uniform_values for a number > 0, or bounds with uniform)"
                    : ""
                throw fail(node, field, (draws.isEmpty ? "" : draws + ": ") + error.description + advice)
            }
        }
        if !kind.isIntegral && !SweepSpec.takesFractions(name) {
            throw fail(distributionNode ?? item("min")?.value ?? item("mu")?.value, path + ".distribution",
                       "\(name) does not take fractional numbers (\(TrialConfig.parameter(named: name)!.allowed)); use distribution: int_uniform (integer min and max), a q_ distribution with an integer q, or values")
        }
    }
}
