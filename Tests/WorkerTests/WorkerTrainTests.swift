import Foundation
import XCTest

/// `worker train` as a user runs it: a real process, its exit status, its stderr and the
/// JSON lines on its stdout.
final class WorkerTrainTests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var jsonLines: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    /// The `worker` executable built beside this test bundle (on Linux the bundle URL is the
    /// build folder itself; on macOS it is the .xctest bundle inside it).
    static var workerURL: URL {
        var folder = Bundle(for: WorkerTrainTests.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("worker")
    }

    func worker(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.workerURL
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testJSONLinesDescribeEachEpochAndTheResult() throws {
        let run = try worker(["train", "epochs=2", "train_limit=1000", "activation=relu", "init=he_normal", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.jsonLines
        XCTAssertEqual(lines.map { $0["type"] as? String }, ["epoch", "epoch", "result"])
        for key in ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "samples_per_s", "grad_norm",
                    "weight_norm", "weight_std", "update_ratio", "saturated", "dead", "grad_ratio"] {
            XCTAssertNotNil(lines[0][key], "epoch line lacks \(key)")
        }
        XCTAssertEqual((lines[0]["grad_norm"] as? [Double])?.count, 8)
        for key in ["status", "test_acc", "test_loss", "val_acc", "train_loss", "samples_per_s", "epochs", "seconds"] {
            XCTAssertNotNil(lines[2][key], "result line lacks \(key)")
        }
        XCTAssertEqual(lines[2]["status"] as? String, "ok")
        XCTAssertTrue(run.stderr.contains("BLAS: OpenBLAS"), run.stderr)
        XCTAssertTrue(run.stderr.contains("epoch 2/2"), run.stderr)
    }

    func testUnknownKeysAndBadValuesAreRefusedBeforeTraining() throws {
        let unknown = try worker(["train", "activaton=relu"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown parameter 'activaton' (did you mean 'activation'?)"), unknown.stderr)
        let bad = try worker(["train", "optimizer=adamm"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("optimizer takes one of sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad"), bad.stderr)
        XCTAssertFalse(bad.stderr.contains("epoch"))
    }

    func testMissingDataNamesThePath() throws {
        let run = try worker(["train", "--data", "/nonexistent/fmnist", "epochs=1"])
        XCTAssertEqual(run.status, 3)
        XCTAssertTrue(run.stderr.contains("/nonexistent/fmnist"), run.stderr)
    }

    func testDivergenceIsReportedNotCrashed() throws {
        let run = try worker(["train", "activation=relu", "init_std=10", "lr=10", "epochs=2", "train_limit=1000", "--json"])
        XCTAssertEqual(run.status, 4)
        XCTAssertEqual(run.jsonLines.last?["status"] as? String, "diverged")
        XCTAssertTrue(run.stderr.contains("result: diverged"), run.stderr)
    }
}
