import Foundation
import SweepWire
import XCTest

/// The command lines of both programs: impossible values refused by name with status 64,
/// `--version`, and a worker that gives up on a coordinator nobody runs.
final class OptionTests: XCTestCase {
    func run(_ program: String, _ arguments: [String], timeout: Double = 30) throws -> Cluster.Run {
        try Cluster.runToEnd(program, arguments, timeout: timeout)
    }

    private func assertRefused(_ program: String, _ arguments: [String], naming option: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(program, arguments, timeout: 10)
        XCTAssertEqual(r.status, 64, "\(program) \(arguments.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(option), "\(program) \(arguments.joined(separator: " ")) does not name \(option): \(r.stderr)",
                      file: file, line: line)
    }

    /// A mistake in the sweep file: its place and field, status 64, no usage text burying it,
    /// and no database made.
    func testASweepFileMistakeIsNamedWithoutTheUsageText() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = directory.appendingPathComponent("x.yaml").path
        try "name: x\nmethod: grid\nparameters:\n  activaton: {values: [relu]}\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let db = directory.appendingPathComponent("sweep.db").path
        let r = try run("coordinator", ["serve", spec, "--bind", "tcp://127.0.0.1:*", "--db", db], timeout: 10)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("x.yaml:4:3: parameters.activaton: unknown parameter (did you mean 'activation'?)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("USAGE"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db))
    }

    func testCoordinatorRefusesImpossibleValuesByName() throws {
        // validate() runs before the sweep file is read: it need not exist.
        let run = ["run", "no-such-sweep.yaml", "--out", FileManager.default.temporaryDirectory.path]
        let cases: [([String], String)] = [
            (["--local-workers", "0"], "--local-workers"),
            (["--local-workers", "-1"], "--local-workers"),
            (["--local-workers=-1"], "--local-workers"),
            (["--threads=-4"], "--threads must be at least 1"),
            (["--threads", "-4"], "--threads must be at least 1"),
            (["--threads", "0"], "--threads"),
            (["--heartbeat", "0"], "--heartbeat"),
            (["--heartbeat", "-1"], "--heartbeat"),
            (["--heartbeat", "nan"], "--heartbeat"),
            (["--liveness", "0"], "--liveness"),
            (["--max-attempts", "0"], "--max-attempts"),
            (["--progress-timeout", "0"], "--progress-timeout"),
            (["--adopt-grace", "-1"], "--adopt-grace"),
            (["--repeats", "0"], "--repeats"),
        ]
        for (arguments, option) in cases { try assertRefused("coordinator", run + arguments, naming: option) }
        let serve = ["serve", "no-such-sweep.yaml", "--db", "/nonexistent/sweep.db"]
        try assertRefused("coordinator", serve + ["--linger", "-1"], naming: "--linger")
        try assertRefused("coordinator", serve + ["--liveness", "-2"], naming: "--liveness")
        try assertRefused("coordinator", ["promote", "--db", "x.db", "--top", "0"], naming: "--top")
        for (bind, problem) in [("127.0.0.1:5555", "give a tcp:// address"), ("tcp://127.0.0.1", "the address has no port"),
                                ("tcp://:5555", "the address has no host"), ("tcp://*:70000", "port 70000 is not a number")] {
            try assertRefused("coordinator", serve + ["--bind", bind], naming: "--bind \(bind): \(problem)")
            try assertRefused("coordinator", run + ["--bind", bind], naming: "--bind \(bind): \(problem)")
        }
    }

    func testWorkerRefusesImpossibleValuesByName() throws {
        let connect = ["--connect", "tcp://127.0.0.1:\(try Cluster.freePort())"]
        let cases: [([String], String)] = [
            (["--heartbeat", "0"], "--heartbeat"),
            (["--heartbeat", "-1"], "--heartbeat"),
            (["--liveness", "0"], "--liveness"),
            (["--liveness", "-3"], "--liveness"),
            (["--give-up-after", "0"], "--give-up-after"),
            (["--give-up-after", "-5"], "--give-up-after"),
            (["--give-up-after=-5"], "--give-up-after"),
        ]
        for (arguments, option) in cases { try assertRefused("worker", connect + arguments, naming: option) }
        try assertRefused("worker", [], naming: "--connect")
        for (address, problem) in [("127.0.0.1:5555", "give a tcp:// address"), ("tcp://head", "the address has no port"),
                                   ("tcp://head:*", "connect to a port number, not *"), ("tcp://[::1]", "the address has no port"), ("tcp://head:0", "port 0 is not")] {
            try assertRefused("worker", ["--connect", address], naming: "--connect \(address): \(problem)")
        }
    }

    func testVersion() throws {
        for program in ["coordinator", "worker"] {
            let r = try run(program, ["--version"], timeout: 10)
            XCTAssertEqual(r.status, 0, "\(program): \(r.stderr)")
            XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), vgsweepVersion, program)
        }
    }

    func testWorkerGivesUpOnACoordinatorNobodyRuns() throws {
        let port = try Cluster.freePort()
        let started = Date()
        let r = try run("worker", ["--connect", "tcp://127.0.0.1:\(port)", "--give-up-after", "1"], timeout: 20)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertNotEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertLessThan(seconds, 5, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot reach tcp://127.0.0.1:\(port)"), r.stderr)
    }

    /// Without --give-up-after the worker keeps trying, and says it cannot reach the address.
    func testWorkerSaysItCannotReachTheCoordinator() throws {
        let port = try Cluster.freePort()
        let r = try run("worker", ["--connect", "tcp://127.0.0.1:\(port)", "--heartbeat", "0.2", "--liveness", "2",
                                   "--give-up-after", "3"], timeout: 20)
        XCTAssertEqual(r.status, 69, r.stderr)
        let line = r.stderr.split(separator: "\n").first { $0.contains("cannot reach tcp://127.0.0.1:\(port) (no answer for ") }
        XCTAssertNotNil(line, r.stderr)
        XCTAssertTrue(line?.hasSuffix(" s); retrying in 1 s") ?? false, r.stderr)
        XCTAssertFalse(r.stderr.contains("coordinator silent"), r.stderr)
    }

    /// `worker train` with a parameter it cannot take: status 64, the parameter and what it
    /// takes, and no usage text burying them.
    func testWorkerTrainNamesTheParameterAtFault() throws {
        let cases = [("epochs=abc", "epochs=abc is not allowed; epochs takes an integer in 1...100000"),
                     ("lr=-1", "lr=-1 is not allowed; lr takes a number > 0"),
                     ("epochs", "'epochs' is not of the form key=value"),
                     ("lrr=1", "unknown parameter 'lrr' (did you mean 'lr'?)")]
        for (parameter, message) in cases {
            let r = try run("worker", ["train", parameter, "--offline"])
            XCTAssertEqual(r.status, 64, "\(parameter): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Error: \(message)"), "\(parameter): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Usage:"), "\(parameter): \(r.stderr)")
        }
    }

    /// `--out` naming a file, or a folder that cannot be made: status 64, the option, the
    /// path and the system's reason, and no sweep stored.
    func testAnOutputFolderThatCannotBeMadeIsNamed() throws {
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 1))
        let file = cluster.directory.appendingPathComponent("a-file").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for (out, message) in [(file, "--out \(file) is a file, not a folder"),
                               (file + "/sub", "--out \(file)/sub: cannot make the folder (Not a directory)")] {
            let r = try run("coordinator", ["run", cluster.spec, "--out", out])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("Error: \(message)"), r.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
    }

    /// A host name that does not resolve is said so (libzmq itself only fails to connect);
    /// one that does is not (the control).
    func testWorkerSaysTheCoordinatorsHostIsNotKnown() throws {
        let unknown = try run("worker", ["--connect", "tcp://no-such-host.invalid:5555", "--give-up-after", "1"])
        XCTAssertEqual(unknown.status, 69, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("host no-such-host.invalid is not known ("), unknown.stderr)
        let known = try run("worker", ["--connect", "tcp://localhost:\(try Cluster.freePort())", "--give-up-after", "1"])
        XCTAssertEqual(known.status, 69, known.stderr)
        XCTAssertFalse(known.stderr.contains("is not known"), known.stderr)
    }

    /// The spellings of a loopback address a user types: `localhost` and `[::1]` serve a
    /// sweep to workers that connect the same way; a host name in `--bind` is explained.
    func testLocalhostAndTheIPv6LoopbackServeASweep() throws {
        for host in ["localhost", "[::1]"] {
            if host == "[::1]", !FileManager.default.fileExists(atPath: "/proc/net/if_inet6") {
                print("skipped [::1]: this host has no IPv6")
                continue
            }
            let cluster = try Cluster(spec: simulatedSweep(count: 3, epochs: 2))
            cluster.host = host
            let coordinator = try cluster.startCoordinator()
            try cluster.startWorker(simulate: 0.02)
            XCTAssertEqual(cluster.waitForExit(coordinator, timeout: 30), 0, "\(host): \(cluster.log("coordinator"))")
            XCTAssertEqual(try cluster.store().trials().map(\.status), [.ok, .ok, .ok], host)
        }
        let cluster = try Cluster(spec: simulatedSweep(count: 1, epochs: 1))
        let named = try run("coordinator", ["serve", cluster.spec, "--bind", "tcp://no-such-interface:\(cluster.port)", "--insecure",
                                            "--db", cluster.db])
        XCTAssertNotEqual(named.status, 0)
        XCTAssertTrue(named.stderr.contains("not a host name"), named.stderr)
    }
}
