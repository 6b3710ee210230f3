import Foundation
import MLPKit
import Yams

extension SweepSpec {
    /// Reads and checks the sweep file at `path`; errors name `path` as given.
    public static func load(path: String) throws(SpecError) -> SweepSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            var folder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &folder)
            let why = !exists ? "no such file" : folder.boolValue ? "a folder, not a sweep file" : "cannot read the file"
            throw SpecError(file: path, line: 0, column: 0, field: "", message: why)
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
                            message: "the file is empty; a sweep needs at least a method")
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
