import Foundation
import SweepWire
import XCTest

/// `coordinator keygen PATH`: the two certificate files, never an overwrite.
final class KeygenTests: XCTestCase {
    func testKeygenWritesAPairAndNeverOverwritesIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keygen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = directory.appendingPathComponent("coordinator").path
        let first = try Cluster.runToEnd("coordinator", ["keygen", base])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("\(base).key_secret"), first.stdout)
        let pair = try CurveCertificate.read(base + ".key_secret")
        XCTAssertNotNil(pair.secretKey)
        XCTAssertEqual(try CurveCertificate.read(base + ".key").publicKey, pair.publicKey)
        let second = try Cluster.runToEnd("coordinator", ["keygen", base])
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.stderr.contains("\(base).key exists already"), second.stderr)
        XCTAssertEqual(try CurveCertificate.read(base + ".key_secret"), pair, "left alone")
    }
}
