import Foundation
import SweepSchema
import SweepStorage

/// The live one-line summary: done / running / queued / failed, the best so far and an ETA.
/// On a terminal it rewrites itself in place; elsewhere (a log file) it prints a line when
/// the counts change, at most every ten seconds.
struct ProgressLine {
    private let interactive = isatty(STDERR_FILENO) == 1
    private var lastPrinted = Date.distantPast
    private var lastCounts: StatusCounts?

    static func text(_ c: StatusCounts, best: (id: String, value: Double)?, metric: Metric.Name, workers: Int) -> String {
        var line = "done \(c.done)/\(c.total)  running \(c.running)  queued \(c.queued)  failed \(c.failed)"
        if c.stopped > 0 { line += "  stopped \(c.stopped)" }
        line += "  workers \(workers)"
        if let best { line += String(format: "  best %@ %.4f (%@)", metric.rawValue, best.value, best.id) }
        if let mean = c.meanSeconds, workers > 0, c.queued + c.running > 0 {
            let remaining = mean * Double(c.queued + c.running) / Double(workers)
            line += "  ETA " + duration(remaining)
        }
        return line
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// Prints `text()` if it is time to; the text is only made then (the poll loop calls this
    /// every turn, hundreds of times a second).
    mutating func show(counts: StatusCounts, force: Bool = false, text: () -> String) {
        let now = Date()
        if interactive {
            guard force || now.timeIntervalSince(lastPrinted) >= 0.5 else { return }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text() + (force ? "\n" : "")).utf8))
        } else {
            guard force || (counts != lastCounts && now.timeIntervalSince(lastPrinted) >= 10) else { return }
            FileHandle.standardError.write(Data((text() + "\n").utf8))
        }
        lastPrinted = now
        lastCounts = counts
    }
}
