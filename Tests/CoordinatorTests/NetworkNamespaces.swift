import Foundation
import XCTest

/// Hosts for real-process tests on one machine: a network namespace per host, its `eth0` one
/// end of a veth pair whose other end is plugged into a bridge that lives in a namespace of its
/// own (the switch). The root namespace gains no interface, address, route or rule. Host number
/// N (from 1, in the order given) has 10.77.1.N/24 and its loopback up. Processes started in a
/// host also get a UTS namespace with the host name `host<NAME>`, so a worker's id and the
/// `host` of its HELLO (and of its attempts in the store) say which host it ran on.
///
/// Names are `vgsnet-PID-RANDOM-HOST` (and `…-switch`): unique per run, so parallel runs do not
/// collide. `tearDown()` (also run by deinit, and idempotent) kills every process started in the
/// hosts and anything else left in their namespaces, then deletes the namespaces, which takes
/// their veths, the bridge and any iptables rule with them. A run that crashed before its
/// tear-down leaves its namespaces behind; the next run removes those whose PID is gone.
final class NetworkNamespaces {
    struct Host {
        let name: String
        let namespace: String
        let address: String
        /// The host's end of its veth pair.
        let interface = "eth0"
        /// What `hostname` says inside the host (and what workers put in HELLO).
        var hostName: String { "host\(name)" }
    }

    static let prefix = "vgsnet-"
    let run: String
    private(set) var hosts: [String: Host] = [:]
    private var made: [String] = []
    private var processes: [Process] = []
    private var tornDown = false

    private static let ip = tool("ip")
    private static let iptables = tool("iptables")
    private static let unshare = tool("unshare")

    /// Makes the switch and `names.count` hosts; throws `XCTSkip` when not root or when the
    /// namespaces cannot be made (whatever was made by then is removed).
    init(hosts names: [String]) throws {
        guard getuid() == 0 else {
            throw XCTSkip("network namespaces need root (ip netns, veth, iptables); running as uid \(getuid())")
        }
        guard let ip = Self.ip else { throw XCTSkip("no 'ip' command (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin") }
        guard Self.unshare != nil else { throw XCTSkip("no 'unshare' command (util-linux)") }
        run = "\(Self.prefix)\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        Self.removeStale()
        let sw = "\(run)-switch"
        do {
            try Self.must([ip, "netns", "add", sw])
            made.append(sw)
            try Self.must([ip, "-n", sw, "link", "set", "lo", "up"])
            try Self.must([ip, "-n", sw, "link", "add", "br0", "type", "bridge"])
            try Self.must([ip, "-n", sw, "link", "set", "br0", "up"])
            for (index, name) in names.enumerated() {
                let host = Host(name: name, namespace: "\(run)-\(name)", address: "10.77.1.\(index + 1)")
                try Self.must([ip, "netns", "add", host.namespace])
                made.append(host.namespace)
                let port = "v\(name)"
                try Self.must([ip, "-n", host.namespace, "link", "set", "lo", "up"])
                try Self.must([ip, "-n", host.namespace, "link", "add", host.interface, "type", "veth",
                               "peer", "name", port, "netns", sw])
                try Self.must([ip, "-n", sw, "link", "set", port, "master", "br0"])
                try Self.must([ip, "-n", sw, "link", "set", port, "up"])
                try Self.must([ip, "-n", host.namespace, "addr", "add", "\(host.address)/24", "dev", host.interface])
                try Self.must([ip, "-n", host.namespace, "link", "set", host.interface, "up"])
                hosts[name] = host
            }
        } catch {
            tearDown()
            throw XCTSkip("cannot make network namespaces: \(error)")
        }
    }

    deinit { tearDown() }

    subscript(name: String) -> Host {
        guard let host = hosts[name] else { preconditionFailure("no host \(name) in \(hosts.keys.sorted())") }
        return host
    }

    /// Starts `executable` with `arguments` inside `host` (its network, its host name); its
    /// stderr (and stdout, unless `stdout` is given) goes to `log`. The process is the program
    /// itself (`ip netns exec`, `unshare` and the shell all exec), so signals reach it.
    @discardableResult
    func launch(_ executable: String, _ arguments: [String], on host: String, log: URL, stdout: FileHandle? = nil) throws -> Process {
        let h = self[host]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.ip!)
        p.arguments = ["netns", "exec", h.namespace, Self.unshare!, "--uts", "/bin/sh", "-c", #"hostname "$0" && exec "$@""#,
                       h.hostName, executable] + arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardError = handle
        p.standardOutput = stdout ?? handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        processes.append(p)
        return p
    }

    /// Cuts `host` off silently: every packet in or out is dropped (no RST, no ICMP).
    func cut(_ host: String) throws {
        for chain in ["INPUT", "OUTPUT"] { try iptables(host, "-A", chain) }
    }

    /// Undoes `cut`.
    func heal(_ host: String) throws {
        for chain in ["INPUT", "OUTPUT"] { try iptables(host, "-D", chain) }
    }

    private func iptables(_ host: String, _ action: String, _ chain: String) throws {
        guard let iptables = Self.iptables else { throw XCTSkip("no 'iptables' command") }
        let r = try Self.execute([Self.ip!, "netns", "exec", self[host].namespace, iptables, "-w", action, chain, "-j", "DROP"])
        guard r.status == 0 else { throw Failure("iptables \(action) \(chain) -j DROP in host \(host) exited \(r.status): \(r.output)") }
    }

    /// Kills what runs in the hosts (SIGCONT first, for a stopped one), waits for it, then
    /// deletes every namespace made. Safe to call more than once.
    func tearDown() {
        guard !tornDown else { return }
        tornDown = true
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGCONT)
            kill(p.processIdentifier, SIGKILL)
        }
        for p in processes { Self.waitForExit(p) }
        for namespace in made.reversed() { Self.remove(namespace) }
        made.removeAll()
    }

    /// The namespaces `vgsnet-PID-…` of runs whose PID is gone: what they left running, then themselves.
    private static func removeStale() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for name in names where name.hasPrefix(prefix) {
            let pid = name.dropFirst(prefix.count).prefix { $0 != "-" }
            guard let pid = Int32(pid), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            remove(name)
        }
    }

    /// Kills anything left in `namespace` (only this run's processes, or a dead run's, are
    /// ever there), then deletes it.
    private static func remove(_ namespace: String) {
        guard let ip else { return }
        for _ in 0..<50 {
            let pids = ((try? execute([ip, "netns", "pids", namespace]))?.output ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
            if pids.isEmpty { break }
            for pid in pids { kill(pid, SIGCONT); kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        _ = try? execute([ip, "netns", "del", namespace])
    }

    private static func waitForExit(_ p: Process) {
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    /// The namespaces of this run that still exist (none after `tearDown()`).
    var remaining: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(run + "-") }
    }

    // MARK: - Commands

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func tool(_ name: String) -> String? {
        if name.hasPrefix("/") { return name }
        return ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func must(_ arguments: [String]) throws {
        let r = try execute(arguments)
        guard r.status == 0 else { throw Failure("\(arguments.joined(separator: " ")) exited \(r.status): \(r.output)") }
    }

    private static func execute(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
