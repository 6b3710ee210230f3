import Yams

/// Why a sweep file was refused, pointing at the place to fix.
///
/// A sweep may run for days on many machines, so every mistake is caught before the first
/// trial starts, and each message reads like a compiler's - `file:line:column: field: message` -
/// so editors and terminals can jump to it and the user never has to guess which of several
/// similar entries is meant.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path the file was loaded from (or the name given to `parse`).
    public var file: String
    /// 1-based; 0 when the problem has no place in the file (it could not be read).
    public var line: Int
    /// 1-based, counted in Unicode scalars as libYAML does; 0 with `line`.
    public var column: Int
    /// The dotted path of the offending field, e.g. `parameters.lr.min` or `trials[2].name`;
    /// empty for problems of the file as a whole (YAML syntax).
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    init(file: String, at location: SweepSpec.Location?, field: String, message: String) {
        self.init(file: file, line: location?.line ?? 0, column: location?.column ?? 0,
                  field: field, message: message)
    }

    /// `sweeps/x.yaml:12:5: parameters.activaton: unknown parameter (did you mean 'activation'?)`
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !field.isEmpty { text += field + ": " }
        return text + message
    }
}

extension SpecError {
    /// A YAML syntax error in the same format as every other mistake, so the user does not
    /// have to read libYAML's multi-line dump to find the line.
    init(yaml error: YamlError, file: String) {
        func detail(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return "YAML syntax error: \(problem)" }
            return "YAML syntax error: \(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            self.init(file: file, line: mark.line, column: mark.column, field: "",
                      message: detail(context, problem))
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            self.init(file: file, line: context.mark.line, column: context.mark.column, field: "",
                      message: "duplicate key \(keys) in one mapping; each key may appear once")
        case let .reader(problem, offset, _, yaml):
            let place = offset.map { Self.lineAndColumn(of: $0, in: yaml) } ?? (line: 0, column: 0)
            self.init(file: file, line: place.line, column: place.column, field: "",
                      message: "cannot read the YAML text: \(problem)")
        default:
            self.init(file: file, line: 0, column: 0, field: "", message: "cannot read the YAML text: \(error)")
        }
    }

    /// 1-based line and column of the `offset`-th character of `text`.
    private static func lineAndColumn(of offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
