import Foundation
import SweepStorage
import SweepWire
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
        // Plain text and a wrong server key never reach ZAP: the handshake events tell both sides.
        XCTAssertTrue(cluster.log("coordinator").contains("failed the CURVE handshake"), cluster.log("coordinator"))
        XCTAssertTrue(cluster.log("plain").contains("the handshake with \(cluster.endpoint) failed"), cluster.log("plain"))
        XCTAssertTrue(cluster.log("wrongserver").contains("the handshake with \(cluster.endpoint) failed"), cluster.log("wrongserver"))
        XCTAssertTrue(cluster.log("unlisted").contains("refused this worker's key"), cluster.log("unlisted"))
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

    /// A key file that is missing, a folder or public only: both programs exit 64 naming the
    /// option, the file and the fault, without usage text, and the coordinator stores nothing.
    func testAWrongKeyFileIsNamedAndNothingIsStored() throws {
        let (cluster, server, keys, authorized) = try keyedCluster(simulatedSweep(count: 1, epochs: 1), workers: ["w"])
        let missing = cluster.directory.appendingPathComponent("missing.key_secret").path
        let cases = [(missing, "--key \(missing): No such file or directory"),
                     (authorized, "--key \(authorized): Is a directory"),
                     (server + ".key", "--key \(server).key holds no secret key: give the .key_secret file")]
        let out = cluster.directory.appendingPathComponent("out").path
        for (key, message) in cases {
            for command in [["serve", cluster.spec, "--bind", "tcp://*:\(cluster.port)", "--db", cluster.db],
                            ["run", cluster.spec, "--bind", "tcp://0.0.0.0:\(cluster.port)", "--out", out]] {
                let r = try Cluster.runToEnd("coordinator", command + ["--key", key, "--authorized", authorized], timeout: 10)
                XCTAssertEqual(r.status, 64, r.stderr)
                XCTAssertTrue(r.stderr.contains("Error: \(message)"), r.stderr)
                XCTAssertFalse(r.stderr.contains("Usage:"), r.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.db), "\(command[0]) stored the sweep with a wrong key")
                XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(command[0]) made its folder with a wrong key")
            }
            let worker = try Cluster.runToEnd("worker", ["--connect", cluster.endpoint, "--key", key, "--server-key", server + ".key"])
            XCTAssertEqual(worker.status, 64, worker.stderr)
            XCTAssertTrue(worker.stderr.contains("Error: \(message)"), worker.stderr)
            XCTAssertFalse(worker.stderr.contains("Usage:"), worker.stderr)
        }
        let noServerKey = try Cluster.runToEnd("worker", ["--connect", cluster.endpoint, "--key", keys["w"]! + ".key_secret",
                                                          "--server-key", missing])
        XCTAssertEqual(noServerKey.status, 64, noServerKey.stderr)
        XCTAssertTrue(noServerKey.stderr.contains("Error: --server-key \(missing): No such file or directory"), noServerKey.stderr)
    }

    /// A cluster with a keyed coordinator: the base paths of its key and of `workers` worker
    /// keys, all listed in `authorized` unless `listed` says otherwise.
    private func keyedCluster(_ yaml: String, workers: [String], listed: Set<String>? = nil)
        throws -> (cluster: Cluster, server: String, keys: [String: String], authorized: String) {
        let cluster = try Cluster(spec: yaml)
        let authorized = cluster.directory.appendingPathComponent("authorized").path
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        let server = try cluster.keygen("coordinator")
        var keys: [String: String] = [:]
        for name in workers {
            keys[name] = try cluster.keygen(name)
            if listed?.contains(name) ?? true {
                try FileManager.default.copyItem(atPath: keys[name]! + ".key", toPath: authorized + "/\(name).key")
            }
        }
        return (cluster, server, keys, authorized)
    }

    /// A refused worker says so (from its socket's handshake events) and keeps trying: once its
    /// key is put in the folder, without a restart, it is let in and runs the sweep.
    func testARefusedWorkerSaysSoAndIsLetInOnceItsKeyIsListed() throws {
        let (cluster, server, keys, authorized) = try keyedCluster(simulatedSweep(count: 2, epochs: 2), workers: ["late"], listed: [])
        let coordinator = try cluster.startCoordinator(extra: ["--key", server + ".key_secret", "--authorized", authorized])
        let worker = try cluster.startWorker(extra: ["--key", keys["late"]! + ".key_secret", "--server-key", server + ".key"], log: "late")
        cluster.wait("the worker to say it was refused", timeout: 10) { cluster.log("late").contains("refused this worker's key") }
        XCTAssertTrue(cluster.log("late").contains(try CurveCertificate.read(keys["late"]! + ".key").publicKey), cluster.log("late"))
        XCTAssertEqual(try cluster.store().attempts().count, 0)
        try FileManager.default.copyItem(atPath: keys["late"]! + ".key", toPath: authorized + "/late.key")
        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 30), 0, cluster.log("coordinator"))
        XCTAssertEqual(cluster.waitForExit(worker, timeout: 10), 0, cluster.log("late"))
        XCTAssertEqual(try cluster.store().trials().filter { $0.status == .ok }.count, 2)
        XCTAssertTrue(cluster.log("late").contains("accepted this worker's key"), cluster.log("late"))
    }

    /// Mallory holds an authorised key of her own. She connects with Alice's routing id and
    /// worker name (so the ROUTER hands Alice's connection over to her) and sends a RESULT for
    /// the trial Alice trains: it is not counted. Alice takes her trial back on a new connection
    /// and every trial ends with an attempt by Alice's key.
    func testAnotherKeyUnderAWorkersRoutingIDAndNameFinishesNothing() throws {
        let (cluster, server, keys, authorized) = try keyedCluster(simulatedSweep(count: 2, epochs: 6), workers: ["alice", "mallory"])
        let coordinator = try cluster.startCoordinator(extra: ["--key", server + ".key_secret", "--authorized", authorized])
        try cluster.startWorker(simulate: 0.3, extra: ["--key", keys["alice"]! + ".key_secret", "--server-key", server + ".key"], log: "alice")
        cluster.wait("Alice's first epoch") { ((try? cluster.store().metrics().count) ?? 0) >= 1 }
        let running = try XCTUnwrap(try cluster.store().trials().first { $0.status == .running })
        let name = try XCTUnwrap(running.worker)

        let context = try ZMQContext()
        let mallory = try ZMQSocket(context: context, type: .dealer)
        try mallory.setRoutingID(Array(name.utf8))
        try mallory.setCurveClient(try CurveCertificate.read(keys["mallory"]! + ".key_secret"),
                                   serverKey: try CurveCertificate.read(server + ".key").publicKey)
        try mallory.connect(cluster.endpoint)
        defer { mallory.close() }
        let result = #"{"epochs":0,"samples_per_s":1,"seconds":1,"status":"ok","test_acc":0.99,"test_loss":0.01,"train_loss":0.01,"type":"result","val_acc":0.99}"#
        for message: Message in [.hello(HelloBody(workerID: name, host: "evil", cores: 64, pid: 1)),
                                 .result(ResultBody(trialID: running.id, attempt: running.attempts, result: try JSONPayload(text: result)))] {
            try mallory.send(try MessageCodec.encode(message))
        }
        var answers: [Message] = []
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            _ = try Poller([mallory]).poll(timeoutMilliseconds: 50)
            while let frames = try mallory.receive(dontWait: true) { answers.append(try MessageCodec.decode(frames: frames)) }
        }
        XCTAssertTrue(answers.contains { if case .error = $0 { true } else { false } }, "\(answers)")
        mallory.close()

        XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 60), 0, cluster.log("coordinator"))
        let store = try cluster.store()
        let aliceKey = try CurveCertificate.read(keys["alice"]! + ".key").publicKey
        XCTAssertEqual(try store.trials().map(\.status), [.ok, .ok])
        XCTAssertNotEqual(try store.trials().first { $0.id == running.id }?.testAcc, 0.99, "Mallory's result counted")
        for attempt in try store.attempts() {
            XCTAssertEqual(attempt.key, aliceKey, "\(attempt)")
            XCTAssertEqual(attempt.host, try store.attempts().first!.host)
        }
        for trial in try store.trials() {
            XCTAssertEqual(try store.metrics().filter { $0.trialID == trial.id && $0.attempt == trial.attempts }.count, 6)
        }
    }

    /// `coordinator run` with keys: its local workers get a key pair of their own for the run
    /// (removed at the end), a remote worker needs a listed key, and an unlisted one gets nothing.
    func testRunWithKeysServesItsLocalWorkersAndListedRemoteOnes() throws {
        let (cluster, server, keys, authorized) = try keyedCluster("""
            name: keyed-run
            method: grid
            parameters:
              epochs: {value: 3}
              train_limit: {value: 10000}
              seed: {values: [1, 2, 3, 4, 5, 6]}
            """, workers: ["remote", "stranger"], listed: ["remote"])
        let out = cluster.directory.appendingPathComponent("out").path
        let run = Process()
        run.executableURL = Cluster.buildFolder.appendingPathComponent("coordinator")
        run.arguments = ["run", cluster.spec, "--local-workers", "1", "--out", out, "--bind", "tcp://0.0.0.0:\(cluster.port)",
                         "--key", server + ".key_secret", "--authorized", authorized] + cluster.heartbeat
        let log = cluster.directory.appendingPathComponent("run.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        run.standardOutput = FileHandle.nullDevice
        run.standardError = try FileHandle(forWritingTo: log)
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("vgsweep-run-keys-") }
        try run.run()
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        let runLog = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        // The remote workers once `run` listens: started earlier, a worker's first connection
        // fails and its back-off (1 s, then 2 s) can outlast the whole sweep.
        cluster.wait("run to listen", timeout: 30) { runLog().contains("listening on") }
        try cluster.startWorker(simulate: 0.2, extra: ["--key", keys["stranger"]! + ".key_secret", "--server-key", server + ".key"], log: "stranger")
        try cluster.startWorker(simulate: 0.3, extra: ["--key", keys["remote"]! + ".key_secret", "--server-key", server + ".key"], log: "remote")
        XCTAssertEqual(cluster.waitForExit(run, timeout: 120), 0, runLog())
        let store = try SweepStore(readingFrom: out + "/sweep.db")
        XCTAssertEqual(try store.trials().map(\.status), Array(repeating: .ok, count: 6))
        let remoteKey = try CurveCertificate.read(keys["remote"]! + ".key").publicKey
        let strangerKey = try CurveCertificate.read(keys["stranger"]! + ".key").publicKey
        let usedKeys = Set(try store.attempts().compactMap(\.key))
        XCTAssertFalse(usedKeys.contains(strangerKey))
        XCTAssertTrue(usedKeys.allSatisfy { $0.count == 40 }, "\(usedKeys)")
        XCTAssertTrue(cluster.log("stranger").contains("refused this worker's key"), cluster.log("stranger"))
        // Both the local worker (its own key for the run) and the listed remote one trained.
        XCTAssertTrue(usedKeys.contains(remoteKey), "\(usedKeys)")
        XCTAssertEqual(usedKeys.count, 2, "\(usedKeys)")
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("vgsweep-run-keys-") }
        XCTAssertEqual(after.subtracting(before), [], "the local workers' keys are left behind")
    }
}
