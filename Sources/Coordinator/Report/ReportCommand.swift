import ArgumentParser
import Foundation

/// `coordinator report`: the sweep as one self-contained HTML page with its charts.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.html: ranking, accuracy, learning curves and gradient flow, as inline SVG.")

    @Option(help: "The sweep's SQLite file.")
    var db: String

    @Option(help: "Directory to write report.html into.")
    var out: String = "."

    func run() throws {
        let store = try SweepStore(readingFrom: db)
        guard try store.sweep() != nil else { throw ValidationError("\(db) holds no sweep") }
        print("wrote \(try ReportWriter.write(store, to: out))")
    }
}

enum ReportWriter {
    static let fileName = "report.html"

    /// Reads everything the report shows from `store` and writes DIRECTORY/report.html
    /// (atomically: a browser never sees half a page). Returns its path.
    @discardableResult
    static func write(_ store: SweepStore, to directory: String) throws -> String {
        let model = try ReportModel.load(from: store)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(fileName)
        let source = (store.path as NSString).lastPathComponent
        try ReportPage.render(model, source: source).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// For `coordinator run`: writes the report after the CSVs and says where; a report that
    /// cannot be written is reported on stderr without failing the finished sweep.
    static func writeAfterRun(_ store: SweepStore, to directory: String) {
        do {
            print("wrote \(try write(store, to: directory))")
        } catch {
            FileHandle.standardError.write(Data("coordinator: could not write \(fileName): \(error)\n".utf8))
        }
    }
}
