import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits until some of a set of sockets have a message to read (`zmq_poll`, POLLIN).
///
/// The timeout is always finite: a loop that polls must wake up regularly to send heartbeats
/// and notice dead peers, so "wait forever" is not offered.
public struct Poller {
    public private(set) var sockets: [ZMQSocket]

    public init(_ sockets: [ZMQSocket] = []) {
        self.sockets = sockets
    }

    /// Adds a socket; its index in `poll`'s answer is the number of sockets added before it.
    public mutating func add(_ socket: ZMQSocket) {
        sockets.append(socket)
    }

    /// Waits up to `timeoutMilliseconds` (negative counts as 0) for input.
    ///
    /// - Returns: the indices (into `sockets`, ascending) of the readable sockets; empty on
    ///   timeout or when a signal interrupted the wait (EINTR), so callers simply loop.
    public func poll(timeoutMilliseconds: Int) throws -> [Int] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.open("poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let result = zmq_poll(&items, Int32(items.count), max(0, timeoutMilliseconds))
        if result < 0 {
            let code = zmq_errno()
            if code == EINTR { return [] }
            throw TransportError(code: code, operation: "poll")
        }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
