import Foundation
import SweepStorage

public enum ReportWriter {
    public static let fileName = "report.html"

    /// Reads everything the report shows from `store` and writes DIRECTORY/report.html
    /// (atomically: a browser never sees half a page). Returns its path.
    @discardableResult
    public static func write(_ store: SweepStore, to directory: String) throws -> String {
        let model = try ReportModel.load(from: store)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(fileName)
        let source = (store.path as NSString).lastPathComponent
        try ReportPage.render(model, source: source).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// For `coordinator run`: writes the report after the CSVs and says where; a report that
    /// cannot be written is reported on stderr without failing the finished sweep.
    public static func writeAfterRun(_ store: SweepStore, to directory: String) {
        do {
            print("wrote \(try write(store, to: directory))")
        } catch {
            FileHandle.standardError.write(Data("coordinator: could not write \(fileName): \(error)\n".utf8))
        }
    }
}
