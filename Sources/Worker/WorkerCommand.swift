import ArgumentParser

/// `worker`: trains trials with MLPKit.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train MLP trials on this machine.",
        subcommands: [TrainCommand.self],
        defaultSubcommand: nil)
}
