import Foundation
import XCTest

/// deploy/vgsweep-coordinator.service and deploy/vgsweep-worker@.service pass
/// `systemd-analyze verify`, and take their keys.
///
/// verify checks a unit offline (no running systemd needed), but it also checks that
/// ExecStart's program exists and is executable, and the units name /opt/vgsweep/bin. So the
/// units are copied into a temporary folder with /opt/vgsweep/bin/ rewritten to the folder of
/// the programs just built, and the template is copied as an instance, vgsweep-worker@1.service
/// (the template verifies too, but an instance is what systemd runs, with %i filled in).
/// verify exits 0 even for an unknown key or a value it cannot parse ("ignoring"), so the
/// test asserts that it printed nothing about the units, and checks on a spoiled copy that
/// such a problem would be printed.
final class SystemdUnitTests: XCTestCase {
    static let verifier = "/usr/bin/systemd-analyze"

    func testTheUnitsVerifyCleanly() throws {
        let folder = try units()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = ["vgsweep-coordinator.service", "vgsweep-worker@1.service"].map { folder.appendingPathComponent($0).path }
        let r = try verify(files)
        let problems = r.output.split(separator: "\n").filter { $0.contains("vgsweep-coordinator") || $0.contains("vgsweep-worker") }
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(problems, [], r.output)
    }

    /// The same check on a copy with a misspelt key and a bad value: verify names both, so
    /// an empty answer above means something.
    func testVerifyWouldReportAProblem() throws {
        let folder = try units()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unit = folder.appendingPathComponent("vgsweep-worker@1.service")
        let text = try String(contentsOf: unit, encoding: .utf8)
        try text.replacingOccurrences(of: "RestartSec=5", with: "RestartSec=soon\nRestartSecs=5").write(to: unit, atomically: true, encoding: .utf8)
        let r = try verify([unit.path])
        XCTAssertTrue(r.output.contains("RestartSecs"), r.output)
        XCTAssertTrue(r.output.contains("soon"), r.output)
    }

    func testTheUnitsTakeKeys() throws {
        let coordinator = try String(contentsOfFile: deployFile("vgsweep-coordinator.service"), encoding: .utf8)
        let worker = try String(contentsOfFile: deployFile("vgsweep-worker@.service"), encoding: .utf8)
        let start = { (unit: String) in unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }.map(String.init) ?? "" }
        for option in ["--key ${KEY}", "--authorized ${AUTHORIZED}", "--bind tcp://*:"] {
            XCTAssertTrue(start(coordinator).contains(option), "coordinator unit: \(option)")
        }
        for option in ["--key ${KEY}", "--server-key ${SERVER_KEY}", "--connect ${COORDINATOR}"] {
            XCTAssertTrue(start(worker).contains(option), "worker unit: \(option)")
        }
        XCTAssertTrue(coordinator.contains("Environment=KEY=/etc/vgsweep/coordinator.key_secret"))
        XCTAssertTrue(worker.contains("Environment=SERVER_KEY=/etc/vgsweep/coordinator.key"))
    }

    // MARK: -

    /// The two units in a new temporary folder, ExecStart pointing at the built programs.
    private func units() throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: Self.verifier) else {
            throw XCTSkip("\(Self.verifier) is missing (Debian: systemd)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bin = Cluster.buildFolder.path + "/"
        for (source, copy) in [("vgsweep-coordinator.service", "vgsweep-coordinator.service"),
                               ("vgsweep-worker@.service", "vgsweep-worker@1.service")] {
            let text = try String(contentsOfFile: deployFile(source), encoding: .utf8)
            XCTAssertTrue(text.contains("ExecStart=/opt/vgsweep/bin/"), source)
            try text.replacingOccurrences(of: "/opt/vgsweep/bin/", with: bin)
                .write(to: folder.appendingPathComponent(copy), atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// systemd-analyze verify FILES: its status and everything it printed.
    private func verify(_ files: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.verifier)
        process.arguments = ["verify"] + files
        // No pager, no colours; verify may look at the system's units, never changes them.
        process.environment = ProcessInfo.processInfo.environment.merging(["SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// deploy/NAME in this checkout (found from this source file's path).
func deployFile(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy").appendingPathComponent(name).path
}
