import Foundation
import SweepFile
import SweepReport
import SweepSchema
import SweepStorage
import SweepWire
import XCTest
@testable import Coordinator

/// The coordinator's promise, tested with real processes over real sockets: every trial runs
/// to completion exactly once, whatever dies when.
final class FaultToleranceTests: XCTestCase {
    /// Each trial once in the store, all ok.
    func assertComplete(_ cluster: Cluster, trials: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let stored = try cluster.store().trials()
        XCTAssertEqual(stored.count, trials, file: file, line: line)
        XCTAssertEqual(Set(stored.map(\.id)).count, trials, file: file, line: line)
        XCTAssertEqual(stored.filter { $0.status == .ok }.count, trials, "\(stored.map(\.status))", file: file, line: line)
        let csv = ResultsTable.trials(stored, metric: Metric(name: .testAcc, goal: .maximize)).split(separator: "\n")
        XCTAssertEqual(csv.count, trials + 1, file: file, line: line)
    }

    func testSixTrialSweepWithTwoLocalWorkersIsRanked() throws {
        let cluster = try Cluster(spec: """
            name: six
            method: grid
            parameters:
              epochs: {value: 2}
              train_limit: {value: 3000}
              activation: {values: [sigmoid, relu, tanh]}
              init: {values: [normal, he_normal]}
            """)
        let out = cluster.directory.appendingPathComponent("out").path
        let run = Process()
        run.executableURL = Cluster.buildFolder.appendingPathComponent("coordinator")
        run.arguments = ["run", cluster.spec, "--local-workers", "2", "--out", out]
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        try run.run()
        XCTAssertEqual(cluster.waitForExit(run, timeout: 120), 0)
        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 7)
        XCTAssertTrue(csv[0].hasPrefix("rank,trial_id,config_id,name,depth,width,activation"))
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] },
                       ["1", "2", "3", "4", "5", "6"])
        let stored = try SweepStore(readingFrom: out + "/sweep.db").trials()
        XCTAssertEqual(stored.map(\.status), Array(repeating: .ok, count: 6))
        for t in stored { XCTAssertEqual(csv.filter { $0.contains(t.id) }.count, 1) }
        let accuracies = stored.compactMap(\.testAcc).sorted(by: >)
        XCTAssertGreaterThan(accuracies[0], 0.3)   // ReLU/tanh with He init learn even in one short epoch
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/metrics.csv"))
    }

    func testAKilledWorkersTrialRunsAgainElsewhere() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 6, epochs: 10))
        let coordinator = try cluster.startCoordinator()
        let victim = try cluster.startWorker()
        cluster.wait("the first trial to start") { cluster.runningCount() >= 1 }
        try cluster.startWorker()
        Thread.sleep(forTimeInterval: 0.3)
        kill(victim.processIdentifier, SIGKILL)
        XCTAssertEqual(cluster.waitForExit(coordinator), 0)
        try assertComplete(cluster, trials: 6)
        let attempts = try cluster.store().attempts()
        XCTAssertTrue(attempts.contains { $0.outcome == .lost }, "\(attempts)")
        let rerun = attempts.filter { $0.outcome == .lost }.map(\.trialID)
        for id in rerun {
            XCTAssertEqual(attempts.filter { $0.trialID == id && $0.outcome == .ok }.count, 1)
        }
    }

    func testAKilledCoordinatorResumesWithoutRerunningFinishedTrials() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 8, epochs: 4))
        var coordinator = try cluster.startCoordinator()
        try cluster.startWorker()
        try cluster.startWorker()
        cluster.wait("some trials to finish") { cluster.finishedCount() >= 2 }
        kill(coordinator.processIdentifier, SIGKILL)
        _ = cluster.waitForExit(coordinator)
        let before = try cluster.store().trials().filter { $0.status == .ok }
        XCTAssertLessThan(before.count, 8)
        coordinator = try cluster.startCoordinator()
        XCTAssertEqual(cluster.waitForExit(coordinator), 0)
        try assertComplete(cluster, trials: 8)
        let attempts = try cluster.store().attempts()
        for t in before {
            XCTAssertEqual(attempts.filter { $0.trialID == t.id }.count, 1, "finished trial \(t.id) ran again")
        }
        for w in cluster.workers { XCTAssertEqual(cluster.waitForExit(w, timeout: 10), 0) }
    }

    func testLateAndAddedWorkersReceiveWork() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 10, epochs: 3))
        let coordinator = try cluster.startCoordinator()
        Thread.sleep(forTimeInterval: 3)
        try cluster.startWorker()
        try cluster.startWorker()
        cluster.wait("a few trials to finish") { cluster.finishedCount() >= 2 }
        try cluster.startWorker()
        XCTAssertEqual(cluster.waitForExit(coordinator), 0)
        try assertComplete(cluster, trials: 10)
        let workersUsed = Set(try cluster.store().attempts().map(\.worker))
        XCTAssertEqual(workersUsed.count, 3, "every worker should have trained something: \(workersUsed)")
    }

    func testGarbageFramesDoNotStopTheCoordinator() throws {
        let cluster = try Cluster(spec: """
            name: one
            method: grid
            parameters:
              epochs: {value: 1}
              train_limit: {value: 1000}
            """)
        let coordinator = try cluster.startCoordinator()
        // Until it listens, the sockets below only queue, and closing them with linger 0 drops it all.
        cluster.wait("the coordinator to listen") { cluster.log("coordinator").contains("listening on") }
        let context = try ZMQContext()
        var rng = SystemRandomNumberGenerator()
        var sockets: [ZMQSocket] = []
        for _ in 0..<10 {
            let s = try ZMQSocket(context: context, type: .dealer)
            try s.setLinger(milliseconds: 0)
            try s.connect(cluster.endpoint)
            sockets.append(s)
        }
        let valid = try MessageCodec.encode(.ready)
        for i in 0..<10_000 {
            var frames: [[UInt8]]
            switch i % 4 {
            case 0: frames = (0..<Int.random(in: 0...5, using: &rng)).map { _ in (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            case 1: frames = [ProtocolLimits.signature, Array("TASK".utf8), Array("{not json".utf8)]
            case 2: frames = [Array("VGS9".utf8)] + valid.dropFirst()
            default: frames = valid     // READY from a worker that never said HELLO
            }
            if frames.isEmpty { frames = [[]] }
            _ = try sockets[i % sockets.count].send(frames, dontWait: true)
        }
        for s in sockets { s.close() }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(coordinator.isRunning)
        let worker = try cluster.startWorker(simulate: nil)
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 60), 0)
        XCTAssertEqual(cluster.waitForExit(worker, timeout: 10), 0)
        try assertComplete(cluster, trials: 1)
        XCTAssertTrue(cluster.log("coordinator").contains("dropped malformed message"))
    }
}
