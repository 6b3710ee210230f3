import Foundation

/// Worker processes started by `coordinator run`: the `worker` program next to this one.
final class LocalWorkers {
    private var processes: [Process] = []

    init(count: Int, endpoint: String, heartbeat: Double, liveness: Int) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("worker")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw LocalWorkersError.missingWorker(executable.path)
        }
        for _ in 0..<count {
            let p = Process()
            p.executableURL = executable
            p.arguments = ["--connect", endpoint, "--heartbeat", String(heartbeat), "--liveness", String(liveness)]
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
    }

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

    func stop() {
        for p in processes where p.isRunning { p.terminate() }
    }
}

enum LocalWorkersError: Error, CustomStringConvertible {
    case missingWorker(String)
    case allExited(String)

    var description: String {
        switch self {
        case .missingWorker(let path): return "no worker program at \(path); build it with `swift build --product worker`"
        case .allExited(let statuses):
            return "every local worker exited (status \(statuses)) before the sweep finished; their messages are above. Rerun with the same --out to resume."
        }
    }
}
