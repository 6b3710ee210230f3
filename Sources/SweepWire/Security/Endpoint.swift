/// What an endpoint names, in the terms libzmq needs: which binds other hosts can reach (the
/// coordinator refuses to serve plain text there), which need IPv6 turned on, how a bind
/// address is spelled for libzmq, and what is wrong with one a user typed.
public enum Endpoint {
    /// Reachable from this host only: loopback TCP (127.0.0.0/8, localhost, [::1]), ipc, inproc.
    public static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let tcp = TCPAddress(endpoint) else { return false }
        if tcp.bracketed { return tcp.host == "::1" }
        if tcp.host == "localhost" { return true }
        let parts = tcp.host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether the host is an IPv6 address in brackets (`tcp://[::1]:5555`): libzmq binds and
    /// connects those only on a socket with ZMQ_IPV6 on, and refuses them otherwise.
    public static func isIPv6(_ endpoint: String) -> Bool {
        TCPAddress(endpoint)?.bracketed ?? false
    }

    /// The host of a `tcp://` endpoint, without brackets ("head", "10.0.0.5", "::1"); nil for
    /// other transports.
    public static func host(of endpoint: String) -> String? {
        TCPAddress(endpoint).map { String($0.host) }
    }

    /// The endpoint as libzmq's `bind` takes it. libzmq binds an IP address, an interface name
    /// or `*`, never a host name; `localhost`, which everybody types, becomes 127.0.0.1.
    public static func bindable(_ endpoint: String) -> String {
        guard let tcp = TCPAddress(endpoint), !tcp.bracketed, tcp.host == "localhost" else { return endpoint }
        return "tcp://127.0.0.1" + (tcp.port.map { ":" + $0 } ?? "")
    }

    /// What is wrong with `endpoint` as a `--bind` (`binding`) or `--connect` address, in words
    /// for the option's error; nil when libzmq may take it. Between processes only `tcp://` and
    /// `ipc://` mean something; a TCP address needs a host and a port (1-65535, or `*` to bind
    /// any free one).
    public static func problem(with endpoint: String, binding: Bool) -> String? {
        let example = binding ? "tcp://*:5555" : "tcp://HOST:5555"
        if endpoint.hasPrefix("ipc://") { return endpoint.count > "ipc://".count ? nil : "an ipc:// address needs a path" }
        guard let tcp = TCPAddress(endpoint) else { return "give a tcp:// address, e.g. \(example)" }
        guard !tcp.host.isEmpty else { return "the address has no host, e.g. \(example)" }
        guard let port = tcp.port, !port.isEmpty else { return "the address has no port, e.g. \(example)" }
        if port == "*" { return binding ? nil : "connect to a port number, not *" }
        guard let number = Int(port), (1...65535).contains(number) else { return "port \(port) is not a number from 1 to 65535" }
        return nil
    }
}

/// `tcp://host:port` cut in its parts: the host without its brackets, the port after the last
/// colon (nil when there is none).
private struct TCPAddress {
    let host: Substring
    let bracketed: Bool
    let port: Substring?

    init?(_ endpoint: String) {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            bracketed = true
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? after.dropFirst() : nil
        } else if let colon = rest.lastIndex(of: ":") {
            (host, bracketed, port) = (rest[..<colon], false, rest[rest.index(after: colon)...])
        } else {
            (host, bracketed, port) = (rest, false, nil)
        }
    }
}
