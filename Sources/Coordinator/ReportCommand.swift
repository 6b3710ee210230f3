import ArgumentParser
import Foundation
import SweepReport
import SweepStorage

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
        guard try store.sweep() != nil else { throw refusal("\(db) holds no sweep") }
        try makeFolder(out, for: "--out")
        print("wrote \(try ReportWriter.write(store, to: out))")
    }
}
