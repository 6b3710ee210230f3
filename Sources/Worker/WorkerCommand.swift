import ArgumentParser
import Foundation
import SweepWire

/// `worker`: trains trials with MLPKit, for a coordinator (`worker --connect`) or on its own
/// (`worker train`).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train MLP trials: for a sweep coordinator, or one trial on its own.",
        subcommands: [ConnectCommand.self, TrainCommand.self],
        defaultSubcommand: ConnectCommand.self)
}

/// `worker [connect] --connect tcp://HOST:PORT`, the default: the options live here rather than
/// on `worker` itself so that `worker train --data` is not taken by the parent.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Join a coordinator (the default).",
        discussion: """
        worker --connect tcp://HOST:PORT   joins a coordinator, trains what it hands out, and exits 0 \
        when it says the sweep is done. It reconnects by itself when the coordinator goes away.
        """)

    @Option(help: "The coordinator's endpoint, e.g. tcp://10.0.0.5:5555.")
    var connect: String?

    @Option(help: "Seconds between heartbeats.")
    var heartbeat: Double = 1

    @Option(help: "Heartbeats missed before the coordinator is presumed gone.")
    var liveness: Int = 3

    @Option(help: "Directory holding the four Fashion-MNIST .gz files.")
    var data: String?

    @Option(help: .hidden)
    var simulateEpochSeconds: Double?

    func run() throws {
        guard let connect else {
            throw ValidationError("give --connect tcp://HOST:PORT to join a coordinator, or use 'worker train'")
        }
        var options = SweepWorker.Options(endpoint: connect)
        options.heartbeatInterval = heartbeat
        options.liveness = liveness
        options.dataDirectory = data
        options.simulateEpochSeconds = simulateEpochSeconds
        let status = try SweepWorker(options).run()
        throw ExitCode(status)
    }
}
