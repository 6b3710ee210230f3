import Foundation

/// One coordinator per database: an exclusive `flock` on `DATABASE.lock`, held for the life
/// of the writing store and released by the kernel when the process dies (even by SIGKILL),
/// so a crashed coordinator never blocks its own restart. The file says who holds it
/// (`host pid N`), which a second coordinator quotes in its refusal.
final class StoreLock {
    private let descriptor: Int32

    init(database path: String) throws(StoreError) {
        let lockPath = path + ".lock"
        descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError.storage(path: path, error: StoreLockError(reason: "cannot open \(lockPath): \(String(cString: strerror(errno)))"))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            if busy { throw StoreError.held(path: path, holder: holder.isEmpty ? "unknown holder" : holder) }
            throw StoreError.storage(path: path, error: StoreLockError(reason: "cannot lock \(lockPath): \(reason)"))
        }
        let text = "\(ProcessInfo.processInfo.hostName) pid \(getpid())\n"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

struct StoreLockError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
