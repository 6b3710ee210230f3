import Yams

/// A `list` sweep written out as YAML: how a finished search hands its best configurations to
/// a rerun over more seeds (`coordinator promote`). Built as a YAML node tree so every value is
/// quoted as YAML needs (`"2,2,2,1"`, `"none"` stays a string) and reads back to the same trials.
public struct ListSweepFile: Sendable {
    public struct Entry: Sendable {
        public var name: String
        /// `name=value` in the canonical text `TrialConfig` prints.
        public var parameters: [(String, String)]
        public var comment: String
        public init(name: String, parameters: [(String, String)], comment: String = "") {
            self.name = name
            self.parameters = parameters
            self.comment = comment
        }
    }

    public var name: String
    public var description: String
    public var metric: Metric
    public var repeats: Int
    public var entries: [Entry]

    public init(name: String, description: String, metric: Metric, repeats: Int, entries: [Entry]) {
        self.name = name
        self.description = description
        self.metric = metric
        self.repeats = repeats
        self.entries = entries
    }

    public var yaml: String {
        func string(_ s: String) -> Node { Node(s, Tag(.str), .doubleQuoted) }
        func plain(_ s: String) -> Node { Node(s, Tag(.str), .plain) }
        func mapping(_ pairs: [(String, Node)], flow: Bool = false) -> Node {
            .mapping(Node.Mapping(pairs.map { (plain($0.0), $0.1) }, Tag(.map), flow ? .flow : .block))
        }
        let trials = entries.map { entry in
            mapping([("name", string(entry.name)),
                     ("parameters", mapping(entry.parameters.map { ($0.0, string($0.1)) }, flow: true))])
        }
        let root = mapping([
            ("name", string(name)),
            ("description", string(description)),
            ("method", plain("list")),
            ("metric", mapping([("name", plain(metric.name.rawValue)), ("goal", plain(metric.goal.rawValue))], flow: true)),
            ("repeats", Node(String(repeats), Tag(.int))),
            ("trials", .sequence(Node.Sequence(trials, Tag(.seq), .block))),
        ])
        let comments = entries.filter { !$0.comment.isEmpty }.map { "# \($0.name): \($0.comment)\n" }.joined()
        return comments + ((try? Yams.serialize(node: root, width: -1, sortKeys: false)) ?? "")
    }
}
