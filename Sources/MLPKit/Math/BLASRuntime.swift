#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Picks OpenBLAS's kernels for this CPU before the library loads.
///
/// Debian 12's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its SSE3
/// "Prescott" kernels, 5-7x slower (docs/performance.md). It reads `OPENBLAS_CORETYPE` only
/// when it loads, so a program calls `ensureFastKernels()` first thing: when the variable is
/// unset and the CPU can do better than the kernel chosen, it re-executes itself with the
/// variable set. A user never needs to know.
public enum BLASRuntime {
    static let marker = "VGSWEEP_BLAS_REEXEC"

    /// The core type to force for this CPU's flags, or nil when autodetection is fine.
    /// AVX-512 kernels on a CPU without AVX-512 would crash, hence the flag checks.
    public static func preferredCoreType(cpuFlags: Set<String>) -> String? {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Kernels OpenBLAS would pick by itself that are slower than `preferredCoreType`.
    static let slowCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem",
                                         "sandybridge", "atom", "katmai", "coppermine", "northwood", "banias"]

    /// Re-executes this program with `OPENBLAS_CORETYPE` set when that makes BLAS faster.
    /// Returns normally when nothing needs doing (or the re-exec is impossible).
    public static func ensureFastKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[marker] == nil,
              slowCores.contains(BLAS.coreName.lowercased()),
              let core = preferredCoreType(cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(marker, "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returned: keep running on the slow kernels rather than fail.
        for p in argv { free(p) }
    }

    /// One line for logs: which kernel and how many threads.
    public static var summary: String {
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        var small = ""
        if BLAS.allowsSmallKernels, let architecture = SmallGEMM.targetArchitecture {
            small = "; small products: libxsmm \(architecture) JIT kernels, 1 thread"
        }
        return "BLAS: OpenBLAS \(BLAS.coreName) kernels\(forced), \(BLAS.threads) thread\(BLAS.threads == 1 ? "" : "s")\(small)"
    }
}
