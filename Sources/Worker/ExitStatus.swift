import ArgumentParser

/// Every status `worker` exits with, in one place (the README has the same table).
enum ExitStatus: Int32 {
    /// `worker train` finished its trial; `worker --connect` was told DISCONNECT "done".
    case ok = 0
    /// Anything else that went wrong (a socket that cannot be opened, ...), with a message.
    case error = 1
    /// The coordinator sent this worker away (DISCONNECT with a reason other than done or
    /// unknown, e.g. a version mismatch).
    case sentAway = 2
    /// `worker train`: Fashion-MNIST missing or corrupt.
    case data = 3
    /// `worker train`: the trial diverged (NaN or infinite loss).
    case diverged = 4
    /// A bad command line: an unknown option, an impossible value (ArgumentParser's
    /// `ValidationError`; sysexits' EX_USAGE).
    case usage = 64
    /// `--give-up-after`: no coordinator answered for that long (sysexits' EX_UNAVAILABLE).
    case unreachable = 69
}

extension ExitCode {
    init(_ status: ExitStatus) { self.init(status.rawValue) }
}
