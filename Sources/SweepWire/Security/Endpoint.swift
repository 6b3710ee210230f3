/// What an endpoint names, in the terms libzmq needs: which binds other hosts can reach (the
/// coordinator refuses to serve plain text there), which need IPv6 turned on, and how a bind
/// address is spelled for libzmq.
public enum Endpoint {
    /// Reachable from this host only: loopback TCP (127.0.0.0/8, localhost, [::1]), ipc, inproc.
    public static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let (host, bracketed) = tcpHost(endpoint) else { return false }
        if bracketed { return host == "::1" }
        if host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether the host is an IPv6 address in brackets (`tcp://[::1]:5555`): libzmq binds and
    /// connects those only on a socket with ZMQ_IPV6 on, and refuses them otherwise.
    public static func isIPv6(_ endpoint: String) -> Bool {
        tcpHost(endpoint)?.bracketed ?? false
    }

    /// The endpoint as libzmq's `bind` takes it. libzmq binds an IP address, an interface name
    /// or `*`, never a host name; `localhost`, which everybody types, becomes 127.0.0.1.
    public static func bindable(_ endpoint: String) -> String {
        guard let (host, bracketed) = tcpHost(endpoint), !bracketed, host == "localhost" else { return endpoint }
        return "tcp://127.0.0.1" + endpoint.dropFirst("tcp://localhost".count)
    }

    /// The host of a `tcp://host:port` endpoint, without its brackets; nil for other transports.
    private static func tcpHost(_ endpoint: String) -> (host: Substring, bracketed: Bool)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var host = endpoint.dropFirst("tcp://".count)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            return (host[host.index(after: host.startIndex)..<close], true)
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return (host, false)
    }
}
