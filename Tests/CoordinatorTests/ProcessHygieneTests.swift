import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `coordinator run` as a user runs it, killed the ways a user kills it: its local workers
/// must never outlive it. And it must find `worker` however it was started.
final class ProcessHygieneTests: XCTestCase {
    private var directory: URL!
    /// Every process this test started, killed (with its group) at the end whatever happened.
    private var started: [pid_t] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hygiene-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for pid in started {
            for worker in Self.workers(of: pid) { kill(worker, SIGKILL) }
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Local workers die with the coordinator

    func testSIGINTToTheGroupStopsTheWorkersAndExits130() throws {
        let coordinator = try startLongRun(workers: 2)
        let workers = try waitForWorkers(of: coordinator, count: 2)
        XCTAssertEqual(kill(-coordinator, SIGINT), 0, "SIGINT to the process group")
        let status = waitForExit(coordinator, timeout: 15)
        XCTAssertEqual(status.exited, ExitStatusValue.interrupted, "coordinator status \(status); log:\n\(log())")
        assertGone(workers)
        XCTAssertTrue(log().contains("stopped by SIGINT"), log())
    }

    func testSIGTERMToTheCoordinatorStopsTheWorkersAndExits143() throws {
        let coordinator = try startLongRun(workers: 2)
        let workers = try waitForWorkers(of: coordinator, count: 2)
        XCTAssertEqual(kill(coordinator, SIGTERM), 0)
        let status = waitForExit(coordinator, timeout: 15)
        XCTAssertEqual(status.exited, ExitStatusValue.terminated, "coordinator status \(status); log:\n\(log())")
        assertGone(workers)
    }

    func testSIGKILLedCoordinatorTakesItsWorkersWithIt() throws {
        let coordinator = try startLongRun(workers: 2)
        let workers = try waitForWorkers(of: coordinator, count: 2)
        XCTAssertEqual(kill(coordinator, SIGKILL), 0)
        let status = waitForExit(coordinator, timeout: 15)
        XCTAssertEqual(status.signal, SIGKILL, "coordinator status \(status)")
        assertGone(workers)
    }

    /// A worker whose parent is already gone when it starts exits at once.
    func testWorkerWhoseParentIsGoneExitsAtOnce() throws {
        let pid = try spawn(Cluster.buildFolder.appendingPathComponent("worker").path,
                            ["--connect", "tcp://127.0.0.1:\(try Cluster.freePort())", "--parent-pid", "999999"])
        let status = waitForExit(pid, timeout: 10)
        XCTAssertEqual(status.exited, 1, "\(status); log:\n\(log())")
        XCTAssertTrue(log().contains("parent process 999999 is gone"), log())
    }

    // MARK: - Finding `worker`

    /// Found through PATH (argv[0] a bare name), from another directory: the workers start
    /// from the coordinator's real location and the sweep completes.
    func testRunFoundThroughPATHCompletesASweep() throws {
        let bin = directory.appendingPathComponent("bin")
        let elsewhere = directory.appendingPathComponent("elsewhere")
        for d in [bin, elsewhere] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("coordinator"),
                                                   withDestinationURL: Cluster.buildFolder.appendingPathComponent("coordinator"))
        let spec = try writeSpec("""
            name: through-path
            method: grid
            parameters:
              epochs: {value: 1}
              train_limit: {value: 1000}
            """)
        let out = directory.appendingPathComponent("out").path
        let command = "cd '\(elsewhere.path)' && PATH='\(bin.path)':/usr/bin:/bin exec coordinator run '\(spec)' --local-workers 1 --out '\(out)'"
        let pid = try spawn("/bin/sh", ["-c", command])
        let status = waitForExit(pid, timeout: 120)
        XCTAssertEqual(status.exited, 0, "\(status); log:\n\(log())")
        let results = (try? String(contentsOfFile: out + "/results.csv", encoding: .utf8)) ?? ""
        XCTAssertEqual(results.split(separator: "\n").count, 2, results)
        XCTAssertTrue(results.contains(",ok,"), results)
    }

    // MARK: - Helpers

    /// The statuses `coordinator` documents (its `ExitStatus`), as the tests expect them.
    enum ExitStatusValue {
        static let interrupted: Int32 = 130
        static let terminated: Int32 = 143
    }

    private func writeSpec(_ yaml: String) throws -> String {
        let path = directory.appendingPathComponent("sweep.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `coordinator run` in a process group of its own, on a sweep that lasts minutes.
    private func startLongRun(workers: Int) throws -> pid_t {
        let spec = try writeSpec("""
            name: long
            method: grid
            parameters:
              epochs: {value: 1000}
              train_limit: {value: 1000}
              seed: {values: [1, 2, 3, 4]}
            """)
        return try spawn(Cluster.buildFolder.appendingPathComponent("coordinator").path,
                         ["run", spec, "--local-workers", String(workers), "--out", directory.appendingPathComponent("out").path,
                          "--heartbeat", "0.2"],
                         ownGroup: true)
    }

    private var logPath: String { directory.appendingPathComponent("stderr.log").path }

    private func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `spawn`, so that the child can lead a process group of its own (Foundation's Process
    /// cannot); stdout to /dev/null, stderr to `log()`. Killed at teardown.
    private func spawn(_ path: String, _ arguments: [String], ownGroup: Bool = false) throws -> pid_t {
        let pid = try CoordinatorTests.spawn(path, arguments, stdout: "/dev/null", stderr: logPath, ownGroup: ownGroup)
        started.append(pid)
        return pid
    }

    struct Status: CustomStringConvertible {
        var exited: Int32?
        var signal: Int32?
        var description: String {
            exited.map { "exit \($0)" } ?? signal.map { "signal \($0)" } ?? "still running"
        }
    }

    private func waitForExit(_ pid: pid_t, timeout: Double) -> Status {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: Swift does not import the macros.
                let termSignal = status & 0x7f
                return termSignal == 0 ? Status(exited: (status >> 8) & 0xff) : Status(signal: termSignal)
            }
            if r < 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("process \(pid) did not exit within \(timeout) s; log:\n\(log())")
        return Status()
    }

    /// The local workers of `coordinator`: processes given `--parent-pid <coordinator>`.
    static func workers(of coordinator: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let marker = Array("--parent-pid\u{0}\(coordinator)\u{0}".utf8)
        return entries.compactMap(pid_t.init).filter { pid in
            guard isAlive(pid), let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return [UInt8](cmdline).firstRange(of: marker) != nil
        }
    }

    /// Exists and is not a zombie (a dead child nobody has reaped yet counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
    }

    private func waitForWorkers(of coordinator: pid_t, count: Int) throws -> [pid_t] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let found = Self.workers(of: coordinator)
            // Give them time to be past their start (connected, loading data, training).
            if found.count >= count && log().contains("[worker] trial ") {
                Thread.sleep(forTimeInterval: 0.5)
                return found
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        struct NoWorkers: Error {}
        XCTFail("the coordinator's \(count) local workers did not start; log:\n\(log())")
        throw NoWorkers()
    }

    private func assertGone(_ workers: [pid_t], within seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, workers.contains(where: Self.isAlive) { Thread.sleep(forTimeInterval: 0.05) }
        let left = workers.filter(Self.isAlive)
        XCTAssertEqual(left, [], "local workers still alive \(seconds) s later; log:\n\(log())", file: file, line: line)
    }
}
