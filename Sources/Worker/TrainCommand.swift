import ArgumentParser
import Foundation
import MLPKit

/// `worker train key=value ...`: one trial on this machine, a progress line per epoch on
/// stderr and, with `--json`, one JSON object per line on stdout.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one trial configured by key=value parameters.",
        discussion: """
        Defaults reproduce the seed's Model 3 (7 sigmoid hidden layers of 128, Normal(0, 0.05) \
        init, SGD lr 0.01, batch 512, 300 epochs). Parameters:
        \(TrialConfig.parameters.map { "  \($0.name) (default \($0.value(in: TrialConfig()))): \($0.allowed)" }.joined(separator: "\n"))
        """)

    @Argument(help: "Trial parameters as key=value.")
    var parameters: [String] = []

    @Flag(help: "Print one JSON object per epoch and a final result object on stdout.")
    var json = false

    @Option(help: "Directory holding the four Fashion-MNIST .gz files.")
    var data: String?

    @Flag(help: "Never download Fashion-MNIST; fail if it is not found locally.")
    var offline = false

    mutating func run() throws {
        let config: TrialConfig
        do {
            config = try TrialConfig(arguments: parameters)
        } catch {
            throw refusal(error.description)
        }
        let dataset: FashionMNIST
        do {
            dataset = try FashionMNIST.load(directory: data, allowDownload: !offline)
        } catch {
            printError("Error: \(error)")
            throw ExitCode(.data)
        }
        BLAS.setThreads(config.threads)
        printError(BLASRuntime.summary)
        let output = JSONLines()
        let trainer = Trainer(config: config, train: dataset.train, test: dataset.test)
        let result = trainer.run { report in
            printError(ProgressLine.epoch(report, total: trainer.plan.totalEpochs))
            if json { output.write(report) }
        }
        printError(ProgressLine.result(result))
        if json { output.write(result) }
        if result.status != .ok { throw ExitCode(.diverged) }
    }
}
