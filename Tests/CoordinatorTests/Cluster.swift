import Foundation
import SweepStorage
import XCTest
@testable import Coordinator

/// Real coordinator and worker processes on loopback, for the fault-tolerance tests.
final class Cluster {
    let directory: URL
    let db: String
    let spec: String
    let port: Int
    /// Where the coordinator binds and the workers connect: IPv4 loopback unless a test says.
    var host = "127.0.0.1"
    var endpoint: String { "tcp://\(host):\(port)" }
    private(set) var coordinator: Process?
    private(set) var workers: [Process] = []
    /// Fast heartbeats so a lost peer is noticed in 0.6 s.
    let heartbeat = ["--heartbeat", "0.2", "--liveness", "3"]
    /// A restarted coordinator waits 2 s (not 40) for the workers of its interrupted trials,
    /// and exits half a second (not 30) after the sweep ends.
    let coordinatorTimings = ["--adopt-grace", "2", "--linger", "0.5"]

    static var buildFolder: URL {
        var folder = Bundle(for: Cluster.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder
    }

    init(spec yaml: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = directory.appendingPathComponent("sweep.db").path
        spec = directory.appendingPathComponent("sweep.yaml").path
        try yaml.write(toFile: spec, atomically: true, encoding: .utf8)
        port = try Self.freePort()
    }

    deinit {
        for p in workers + [coordinator].compactMap({ $0 }) where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    func startCoordinator() throws -> Process {
        let p = try launch("coordinator", ["serve", spec, "--bind", endpoint, "--db", db] + heartbeat + coordinatorTimings, log: "coordinator")
        coordinator = p
        return p
    }

    /// Another `coordinator serve` on the same database, on another port (it should be refused).
    func startRivalCoordinator() throws -> Process {
        let rival = "tcp://127.0.0.1:\(try Self.freePort())"
        return try launch("coordinator", ["serve", spec, "--bind", rival, "--db", db] + heartbeat + coordinatorTimings,
                          log: "rival")
    }

    /// A worker; `simulate` seconds per epoch trains nothing, nil trains for real.
    @discardableResult
    func startWorker(simulate: Double? = 0.1) throws -> Process {
        var arguments = ["--connect", endpoint] + heartbeat
        if let simulate { arguments += ["--simulate-epoch-seconds", String(simulate)] }
        let p = try launch("worker", arguments, log: "worker\(workers.count)")
        workers.append(p)
        return p
    }

    private func launch(_ program: String, _ arguments: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = Self.buildFolder.appendingPathComponent(program)
        p.arguments = arguments
        let logFile = directory.appendingPathComponent("\(log).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: logFile)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// Waits until `condition` holds, polling; fails the test after `timeout` seconds.
    func wait(_ what: String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line,
              until condition: () throws -> Bool) rethrows {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("timed out waiting for \(what)\ncoordinator log:\n\(log("coordinator"))", file: file, line: line)
    }

    func waitForExit(_ p: Process, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { XCTFail("process still running", file: file, line: line); return nil }
        return p.terminationStatus
    }

    func store() throws -> SweepStore { try SweepStore(readingFrom: db) }

    func finishedCount() -> Int {
        (try? store().trials().filter { $0.status == .ok }.count) ?? 0
    }

    func runningCount() -> Int {
        (try? store().trials().filter { $0.status == .running }.count) ?? 0
    }

    /// A TCP port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(fd, sa, length) == 0, getsockname(fd, sa, &length) == 0 else {
                    throw NSError(domain: "freePort", code: Int(errno))
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A grid of `count` simulated trials of `epochs` epochs each.
func simulatedSweep(count: Int, epochs: Int) -> String {
    """
    name: simulated
    method: grid
    parameters:
      epochs: {value: \(epochs)}
      seed: {values: [\((1...count).map(String.init).joined(separator: ", "))]}
    """
}

// MARK: - For PromiseTests

extension Cluster {
    /// `coordinator serve` with `extra` options after the usual ones (a repeated option takes
    /// its last value, so `extra` overrides `coordinatorTimings`), on database `database`
    /// (default: `db`), logging to `log`.log. It becomes `coordinator`, killed at teardown.
    @discardableResult
    func startCoordinator(extra: [String], database: String? = nil, log name: String = "coordinator") throws -> Process {
        let p = try launch("coordinator", ["serve", spec, "--bind", endpoint, "--db", database ?? db]
                               + heartbeat + coordinatorTimings + extra, log: name)
        coordinator = p
        return p
    }
}

extension Cluster {
    /// What a built program printed and how it exited.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a built program to its end (at most `timeout` seconds, then kills it).
    static func runToEnd(_ program: String, _ arguments: [String], timeout: Double = 30) throws -> Run {
        let process = Process()
        process.executableURL = buildFolder.appendingPathComponent(program)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        defer { killer.cancel() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }
}

extension Cluster {
    /// A simulated worker with `extra` options (keys, say), logging to `log`.log.
    @discardableResult
    func startWorker(simulate: Double = 0.1, extra: [String], log name: String) throws -> Process {
        let p = try launch("worker", ["--connect", endpoint] + heartbeat + ["--simulate-epoch-seconds", String(simulate)] + extra, log: name)
        workers.append(p)
        return p
    }

    /// `coordinator keygen` into this cluster's folder: the base path of the pair.
    func keygen(_ name: String, into folder: String? = nil) throws -> String {
        let base = ((folder ?? directory.path) as NSString).appendingPathComponent(name)
        let r = try Cluster.runToEnd("coordinator", ["keygen", base])
        guard r.status == 0 else { throw NSError(domain: "keygen", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        return base
    }
}
