import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `worker --parent-pid PID`, given by `coordinator run` to its local workers: they must not
/// outlive it, however it ends (SIGINT, SIGTERM, SIGKILL, a crash).
enum ParentWatch {
    /// Asks the kernel for SIGTERM when the parent dies (Linux `prctl(PR_SET_PDEATHSIG)`),
    /// then checks that `parent` is still our parent: if it died before the request was made,
    /// nothing would ever come. Returns false when the parent is already gone.
    ///
    /// SIGTERM is set to its default action (death at once: the coordinator loses nothing, it
    /// reruns or adopts what this worker trained), whatever the parent left us; SIGINT is
    /// ignored: a Ctrl-C reaches the whole process group, and the parent stops its workers itself.
    static func attach(to parent: Int32) -> Bool {
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_IGN)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        #if os(Linux)
        requestDeathSignal(SIGTERM)
        #endif
        return getppid() == parent
    }

    #if os(Linux)
    /// `prctl` is variadic in C, so Swift does not import it: call it through its address
    /// with the five word-sized arguments the kernel reads.
    private static func requestDeathSignal(_ signal: Int32) {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let PR_SET_PDEATHSIG: Int32 = 1
        // nil is RTLD_DEFAULT: the symbol wherever it is loaded.
        guard let symbol = dlsym(nil, "prctl") else { return }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        if prctl(PR_SET_PDEATHSIG, UInt(signal), 0, 0, 0) != 0 {
            FileHandle.standardError.write(Data("[worker] prctl(PR_SET_PDEATHSIG) failed: errno \(errno)\n".utf8))
        }
    }
    #endif
}
