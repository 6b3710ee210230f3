import Foundation
import MLPKit

/// Writes one JSON object per line on stdout, flushed, so a pipe reader sees each epoch as it ends.
struct JSONLines {
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    func write(_ value: some Encodable) {
        guard let data = try? encoder.encode(value) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The human-readable lines on stderr.
enum ProgressLine {
    static func epoch(_ r: EpochReport, total: Int) -> String {
        let val = r.valAcc.map { String(format: " val_acc %.4f", $0) } ?? ""
        return String(format: "epoch %d/%d  loss %.4f  acc %.4f%@  %.0f samples/s  grad first/last %.2e",
                      r.epoch, total, r.trainLoss, r.trainAcc, val, r.samplesPerS, r.gradRatio)
    }

    static func result(_ r: TrialResult) -> String {
        var line = "result: \(r.status.rawValue)"
        if let acc = r.testAcc { line += String(format: "  test_acc %.4f", acc) }
        if let loss = r.testLoss { line += String(format: "  test_loss %.4f", loss) }
        line += String(format: "  %.0f samples/s  %d epochs  %.1f s", r.samplesPerS, r.epochs, r.seconds)
        if let m = r.message { line += "  (\(m))" }
        return line
    }
}
