import Foundation

/// How many cores this worker was given, rather than how many the machine has: the fewest of
/// its CPU affinity (`taskset`, cpusets, Slurm's task/affinity), its cgroup's CPU quota
/// (containers, systemd's `CPUQuota=`, Slurm's task/cgroup) and `SLURM_CPUS_PER_TASK` (Slurm
/// with neither plugin, where nothing else tells). At least 1.
///
/// Reported in HELLO, and the BLAS threads of a trial that sets none: a worker given one CPU by
/// Slurm trains on one thread instead of fighting its neighbours for the machine's cores.
struct CoreAllowance: Equatable, CustomStringConvertible {
    let cores: Int
    /// What set the number, for the log line: "affinity", "cgroup quota", "SLURM_CPUS_PER_TASK".
    let source: String

    var description: String { "\(cores) core\(cores == 1 ? "" : "s") (\(source))" }

    /// The allowance of this process.
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> CoreAllowance {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let cgroups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return from(status: status, cgroups: cgroups, environment: environment,
                    read: { try? String(contentsOfFile: $0, encoding: .utf8) })
    }

    /// The allowance from the texts of /proc/self/status and /proc/self/cgroup, the environment,
    /// and a reader of /sys/fs/cgroup files (a function, so that tests can give any tree).
    static func from(status: String, cgroups: String, environment: [String: String],
                     read: (String) -> String?) -> CoreAllowance {
        var candidates: [CoreAllowance] = []
        let machine = ProcessInfo.processInfo.processorCount
        if let affinity = affinity(status) { candidates.append(CoreAllowance(cores: affinity, source: "affinity")) }
        if let quota = quota(cgroups, read: read) { candidates.append(CoreAllowance(cores: quota, source: "cgroup quota")) }
        if let slurm = environment["SLURM_CPUS_PER_TASK"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), slurm >= 1 {
            candidates.append(CoreAllowance(cores: slurm, source: "SLURM_CPUS_PER_TASK"))
        }
        let fewest = candidates.min { $0.cores < $1.cores } ?? CoreAllowance(cores: machine, source: "the machine")
        return CoreAllowance(cores: max(1, fewest.cores), source: fewest.source)
    }

    /// The CPUs in `Cpus_allowed_list:` (e.g. `0-3,8,10-11`) of /proc/self/status.
    static func affinity(_ status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1: guard bounds[0] != nil else { return nil }; count += 1
            case 2: guard let a = bounds[0], let b = bounds[1], b >= a else { return nil }; count += b - a + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }

    /// The CPU quota of this process's cgroup and of every cgroup above it (the tightest
    /// counts), rounded up to whole cores: cgroup v2's `cpu.max` ("150000 100000" is 1.5 cores,
    /// "max 100000" no limit), or v1's `cpu.cfs_quota_us` over `cpu.cfs_period_us`.
    static func quota(_ cgroups: String, read: (String) -> String?) -> Int? {
        var fewest: Int?
        func consider(_ quota: Double?, _ period: Double?) {
            guard let quota, let period, quota > 0, period > 0 else { return }
            let cores = Int((quota / period).rounded(.up))
            fewest = min(fewest ?? cores, cores)
        }
        for line in cgroups.split(separator: "\n") {
            // hierarchy-id:controllers:path
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            for folder in ancestors(String(fields[2])) {
                if fields[0] == "0" && fields[1].isEmpty {
                    let parts = read("/sys/fs/cgroup\(folder)/cpu.max")?.split(separator: " ").map(String.init) ?? []
                    if parts.count == 2 { consider(Double(parts[0].trimmingCharacters(in: .whitespacesAndNewlines)), Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines))) }
                } else if controllers.contains("cpu") {
                    let mount = "/sys/fs/cgroup/" + fields[1]
                    func number(_ file: String) -> Double? {
                        read("\(mount)\(folder)/\(file)").flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                    }
                    consider(number("cpu.cfs_quota_us"), number("cpu.cfs_period_us"))
                }
            }
        }
        return fewest
    }

    /// `/a/b` -> `/a/b`, `/a`, `` (the root, written without its slash so paths join).
    static func ancestors(_ path: String) -> [String] {
        var parts = path.split(separator: "/").map(String.init)
        var folders: [String] = []
        while true {
            folders.append(parts.isEmpty ? "" : "/" + parts.joined(separator: "/"))
            if parts.isEmpty { return folders }
            parts.removeLast()
        }
    }
}
