import Foundation
import SweepStorage
import XCTest

/// A coordinator with keys: only workers whose public certificates are in `--authorized` get
/// work, and plain text is refused where other hosts could connect.
final class KeyedSweepTests: XCTestCase {
    func testOnlyAuthorisedWorkersGetWork() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 4, epochs: 2))
        let authorized = cluster.directory.appendingPathComponent("authorized").path
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        let server = try cluster.keygen("coordinator")
        let listed = try cluster.keygen("listed"), unlisted = try cluster.keygen("unlisted")
        try FileManager.default.copyItem(atPath: listed + ".key", toPath: authorized + "/listed.key")
        let coordinator = try cluster.startCoordinator(extra: ["--key", server + ".key_secret", "--authorized", authorized])
        let serverKey = ["--server-key", server + ".key"]
        try cluster.startWorker(extra: ["--key", unlisted + ".key_secret"] + serverKey, log: "unlisted")
        try cluster.startWorker(extra: ["--key", listed + ".key_secret", "--server-key", unlisted + ".key"], log: "wrongserver")
        try cluster.startWorker(extra: [], log: "plain")
        Thread.sleep(forTimeInterval: 3)
        XCTAssertEqual(try cluster.store().attempts().count, 0, "no task for an unlisted key, a wrong server key or plain text")
        XCTAssertTrue(cluster.log("coordinator").contains("is not in \(authorized)"), cluster.log("coordinator"))
        let good = try cluster.startWorker(extra: ["--key", listed + ".key_secret"] + serverKey, log: "listed")
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 30), 0, cluster.log("coordinator"))
        XCTAssertEqual(cluster.waitForExit(good, timeout: 10), 0)
        let attempts = try cluster.store().attempts()
        XCTAssertEqual(try cluster.store().trials().filter { $0.status == .ok }.count, 4)
        XCTAssertEqual(Set(attempts.map(\.worker)).count, 1, "only the listed worker trained: \(attempts.map(\.worker))")
    }

    func testPlainTextIsRefusedWhereOtherHostsCouldConnect() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 1))
        for command in [["serve", cluster.spec, "--bind", "tcp://*:\(cluster.port)", "--db", cluster.db],
                        ["run", cluster.spec, "--bind", "tcp://0.0.0.0:\(cluster.port)", "--out", cluster.directory.path + "/out"]] {
            let r = try Cluster.runToEnd("coordinator", command, timeout: 10)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("--insecure"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.db), "refused before anything is stored")
        }
        let serve = try Cluster.runToEnd("coordinator", ["serve", cluster.spec, "--bind", "tcp://*:\(cluster.port)", "--db", cluster.db])
        XCTAssertTrue(serve.stderr.contains("--key"), serve.stderr)
    }
}
