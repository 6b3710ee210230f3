import MLPKit
import Yams

/// Turns the composed YAML tree into a `SweepSpec`, refusing anything it does not understand.
/// Internal to this module: the tree and its marks are an implementation detail of reading.
struct SpecReader {
    let file: String

    typealias Location = SweepSpec.Location

    /// The keys vgsweep reads, W&B's and its own.
    static let topKeys = ["name", "description", "method", "metric", "parameters", "run_cap", "count", "random_seed",
                          "early_terminate", "repeats", "max_trials", "trials"]
    /// W&B's keys that say what to run and where to log: accepted, ignored, and said so once.
    static let ignoredKeys = ["program", "command", "entity", "project", "job", "image_uri", "controller", "apiVersion", "kind"]
    /// W&B's keys vgsweep does not support, with what to say.
    static let unsupportedKeys = [
        "metrics": "W&B's multi-objective metrics (method: custom) are not supported; give one metric",
        "scheduler": "W&B's custom schedulers (method: custom) are not supported; use method: grid, random, bayes or list",
    ]
    static let parameterKeys = ["value", "values", "probabilities", "distribution", "min", "max", "mu", "sigma", "q"]

    /// What `parse` has to tell without refusing anything (`SweepSpec.notices`).
    final class Notices {
        var lines: [String] = []
    }
    let notices = Notices()

    func notice(_ node: Node?, _ field: String, _ text: String) {
        let place = Location(node?.mark).map { ":\($0.line):\($0.column)" } ?? ""
        notices.lines.append("\(file)\(place): \(field.isEmpty ? "" : field + ": ")\(text)")
    }

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

    func bool(_ node: Node, _ field: String) throws(SpecError) -> Bool {
        guard case .scalar(let scalar) = node, node.tag.rawValue == Tag.Name.bool.rawValue,
              let b = Bool.construct(from: scalar) else {
            throw fail(node, field, "expected true or false, found \(kind(of: node))")
        }
        return b
    }

    /// Whether the node is a YAML integer (W&B infers int_uniform from integer bounds).
    func isInteger(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return node.tag.rawValue == Tag.Name.int.rawValue
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
}
