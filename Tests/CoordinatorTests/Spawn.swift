import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn, for the children Foundation's Process cannot start: one that leads a process
/// group of its own, or a daemon that must inherit none of the test's descriptors (Process
/// learns that a child ended when an inherited pipe closes, and munged keeps it open for
/// ever). The child starts with no signal blocked or ignored, stdin on /dev/null, stdout to
/// `stdout` and stderr to `stderr` (both appended; nil: with stdout), and nothing else open.
func spawn(_ path: String, _ arguments: [String], stdout: String, stderr: String? = nil,
           environment: [String: String]? = nil, ownGroup: Bool = false) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    if let stderr {
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    } else {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    // glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc does not export.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
    if ownGroup {
        flags |= Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
    }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    sigdelset(&all, SIGKILL)
    sigdelset(&all, SIGSTOP)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(flags))
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { for p in argv + (envp ?? []) { free(p) } }
    var pid: pid_t = 0
    let code = envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) }
        ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard code == 0 else { throw SpawnError(program: path, code: code) }
    return pid
}

struct SpawnError: Error, CustomStringConvertible {
    let program: String
    let code: Int32
    var description: String { "\(program) could not be started: \(String(cString: strerror(code)))" }
}
