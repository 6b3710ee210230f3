import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Worker processes started by `coordinator run`: the `worker` program next to this one.
///
/// They never outlive this process: each gets `--parent-pid`, which makes it ask the kernel for
/// SIGTERM when we die, however we die (SIGKILL included), and `run` stops them itself on
/// SIGINT and SIGTERM (`StopSignals`).
final class LocalWorkers {
    private var processes: [Process] = []

    init(count: Int, endpoint: String, heartbeat: Double, liveness: Int, extra: [String] = []) throws {
        let executable = try Self.workerProgram()
        for _ in 0..<count {
            let p = Process()
            p.executableURL = executable
            p.arguments = ["--connect", endpoint, "--heartbeat", String(heartbeat), "--liveness", String(liveness),
                           "--parent-pid", String(getpid())] + extra
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
    }

    /// The `worker` beside the `coordinator` that runs, found from the executable the kernel
    /// started (`/proc/self/exe`), never from argv[0]: that is a bare name when the program was
    /// found through PATH, and relative to a directory we may have left.
    static func workerProgram() throws -> URL {
        let worker = ownExecutable().deletingLastPathComponent().appendingPathComponent("worker")
        guard FileManager.default.isExecutableFile(atPath: worker.path) else {
            throw LocalWorkersError.missingWorker(worker.path)
        }
        return worker
    }

    static func ownExecutable() -> URL {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath() }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    }

    var pids: [Int32] { processes.map(\.processIdentifier) }

    /// Waits up to `seconds` for the workers to exit by themselves (they do on "done").
    func wait(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while processes.contains(where: \.isRunning) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Throws once every local worker has exited while the sweep still needs them.
    func checkAlive() throws {
        guard !processes.isEmpty, processes.allSatisfy({ !$0.isRunning }) else { return }
        let statuses = processes.map { String($0.terminationStatus) }.joined(separator: ", ")
        throw LocalWorkersError.allExited(statuses)
    }

    /// SIGTERM to every worker still running, then up to `grace` seconds for them to go, then
    /// SIGKILL to any left.
    func stop(grace: Double = 3) {
        let running = processes.filter(\.isRunning)
        guard !running.isEmpty else { return }
        for p in running { p.terminate() }
        wait(seconds: grace)
        for p in running where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        wait(seconds: 1)
    }
}

enum LocalWorkersError: Error, CustomStringConvertible {
    case missingWorker(String)
    case allExited(String)
    case keygenFailed(Int32)

    var description: String {
        switch self {
        case .missingWorker(let path): return "no worker program at \(path); build it with `swift build --product worker`"
        case .allExited(let statuses):
            return "every local worker exited (status \(statuses)) before the sweep finished; their messages are above. Rerun with the same --out to resume."
        case .keygenFailed(let status):
            return "`coordinator keygen` for the local workers' key pair exited with status \(status); its message is above"
        }
    }
}

/// SIGINT and SIGTERM for `coordinator run`: ignored as signals (so that they no longer kill
/// the process on the spot), and noted by dispatch sources instead; the poll loop checks
/// `received` every turn and stops cleanly, then `run` stops its workers and exits 128 + N.
final class StopSignals {
    private final class First: Sendable {
        let signal = Mutex<Int32?>(nil)
    }

    private let sources: [any DispatchSourceSignal]
    private let first = First()

    init(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        var sources: [any DispatchSourceSignal] = []
        let first = self.first
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { first.signal.withLock { if $0 == nil { $0 = number } } }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit { for s in sources { s.cancel() } }

    /// The first signal received, if any.
    var received: Int32? { first.signal.withLock { $0 } }
}

/// Thrown from the poll loop's check once a stop signal came.
struct StopRequested: Error, CustomStringConvertible {
    let signal: Int32

    var status: ExitStatus { signal == SIGINT ? .interrupted : .terminated }
    var name: String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
    var description: String { "stopped by \(name)" }
}
