import Foundation
import SweepWire

/// Whether the coordinator's host name resolves. libzmq resolves it only when it connects and
/// reports nothing when that fails: without this, a typo in the head node's name reads as a
/// coordinator that does not answer.
enum HostLookup {
    /// Why `endpoint`'s host cannot be found (getaddrinfo's words), or nil when it resolves or
    /// is an address already. Looked up as libzmq will: IPv4 for a name.
    static func problem(_ endpoint: String) -> String? {
        guard let host = Endpoint.host(of: endpoint), !Endpoint.isIPv6(endpoint) else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &found)
        if let found { freeaddrinfo(found) }
        guard status != 0 else { return nil }
        return "host \(host) is not known (\(String(cString: gai_strerror(status))))"
    }
}
