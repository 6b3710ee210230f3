import ArgumentParser
import Foundation
import SweepWire

/// `worker`: trains trials with MLPKit, for a coordinator (`worker --connect`) or on its own
/// (`worker train`).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train MLP trials: for a sweep coordinator, or one trial on its own.",
        version: vgsweepVersion,
        subcommands: [ConnectCommand.self, TrainCommand.self],
        defaultSubcommand: ConnectCommand.self)
}

/// `worker [connect] --connect tcp://HOST:PORT`, the default: the options live here rather than
/// on `worker` itself so that `worker train --data` is not taken by the parent.
///
/// Numbers are parsed `.unconditional` so that `--liveness -1` reaches `validate()` and is
/// refused by name, instead of ArgumentParser taking `-1` for an option.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Join a coordinator (the default).",
        discussion: """
        worker --connect tcp://HOST:PORT   joins a coordinator, trains what it hands out, and exits 0 \
        when it says the sweep is done. It reconnects by itself when the coordinator goes away \
        (for ever, unless --give-up-after says otherwise).
        """)

    @Option(help: "The coordinator's endpoint, e.g. tcp://10.0.0.5:5555.")
    var connect: String?

    @Option(parsing: .unconditional, help: "Seconds between heartbeats.")
    var heartbeat: Double = 1

    @Option(parsing: .unconditional, help: "Heartbeats missed before the coordinator is presumed gone.")
    var liveness: Int = 3

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Exit (status \(ExitStatus.unreachable.rawValue)) after this long without a word from any coordinator (default: never).",
                               valueName: "seconds"))
    var giveUpAfter: Double?

    @Option(help: ArgumentHelp("This worker's secret certificate (coordinator keygen), for a coordinator with keys.",
                               valueName: "PATH.key_secret"))
    var key: String?

    @Option(help: ArgumentHelp("The coordinator's public certificate.", valueName: "PATH.key"))
    var serverKey: String?

    @Option(help: "Directory holding the four Fashion-MNIST .gz files.")
    var data: String?

    @Option(parsing: .unconditional, help: .hidden)
    var simulateEpochSeconds: Double?

    /// Given by `coordinator run`: die with that process (see `ParentWatch`).
    @Option(parsing: .unconditional, help: .hidden)
    var parentPid: Int32?

    func validate() throws {
        guard let connect, !connect.isEmpty else {
            throw ValidationError("give --connect tcp://HOST:PORT to join a coordinator, or use 'worker train'")
        }
        if let problem = Endpoint.problem(with: connect, binding: false) { throw ValidationError("--connect \(connect): \(problem)") }
        guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds") }
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
        if let giveUpAfter, !(giveUpAfter > 0) {
            throw ValidationError("--give-up-after must be a positive number of seconds")
        }
        if let simulateEpochSeconds, !(simulateEpochSeconds >= 0 && simulateEpochSeconds.isFinite) {
            throw ValidationError("--simulate-epoch-seconds must be zero or more seconds")
        }
        if let parentPid, parentPid <= 1 { throw ValidationError("--parent-pid must be a process id above 1") }
        guard (key == nil) == (serverKey == nil) else { throw ValidationError("--key and --server-key go together") }
    }

    func run() throws {
        if let parentPid, !ParentWatch.attach(to: parentPid) {
            printError("[worker] parent process \(parentPid) is gone: exiting")
            throw ExitCode(.error)
        }
        var options = SweepWorker.Options(endpoint: connect!)
        options.heartbeatInterval = heartbeat
        options.liveness = liveness
        options.giveUpAfter = giveUpAfter
        options.dataDirectory = data
        options.simulateEpochSeconds = simulateEpochSeconds
        if let key, let serverKey {
            let own: CurveCertificate, server: CurveCertificate
            do { own = try CurveCertificate.readSecret(key) } catch { throw refusal("--key \(error)") }
            do { server = try CurveCertificate.read(serverKey) } catch { throw refusal("--server-key \(error)") }
            options.curve = (own, server.publicKey)
        }
        let status = try SweepWorker(options).run()
        throw ExitCode(status)
    }
}

/// A mistake in what the user named (a key file, a trial parameter): "Error: ..." and status
/// 64, without the usage text (of `worker`, from `run()`), which would bury what it names.
func refusal(_ message: String) -> ExitCode {
    printError("Error: \(message)")
    return ExitCode(.usage)
}
