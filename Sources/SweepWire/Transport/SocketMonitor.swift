import CZMQ
import Synchronization

/// What libzmq says about a socket's handshakes (`zmq_socket_monitor`): the only way a CURVE
/// client learns that the server refused it. A refused client otherwise just hears nothing,
/// exactly as if the server were down.
///
/// The monitor is a PAIR socket fed by libzmq; poll `socket` with the watched socket and
/// call `events()` when it is readable. Like every socket it belongs to one thread. Closing
/// the watched socket ends the events; close the monitor after it.
public final class SocketMonitor {
    public enum Event: Equatable, Sendable {
        /// The handshake completed: for a CURVE client, the server accepted its key.
        case accepted(endpoint: String)
        /// The server's ZAP handler answered `status` (400: this key is not authorised).
        case refused(status: Int, endpoint: String)
        /// The handshake broke off: a wrong server key, a peer that does not speak the same
        /// mechanism, or garbage. `detail` is libzmq's protocol error, or the errno.
        case failed(detail: String, endpoint: String)
    }

    /// Poll this with the watched socket.
    public let socket: ZMQSocket
    private static let serial = Atomic<Int>(0)

    public init(watching watched: ZMQSocket, context: ZMQContext) throws {
        let endpoint = "inproc://vgsweep-monitor-\(Self.serial.add(1, ordering: .relaxed).newValue)"
        let events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        if zmq_socket_monitor(try watched.open("monitor"), endpoint, events) != 0 {
            throw TransportError.last("monitor \(endpoint)")
        }
        socket = try ZMQSocket(context: context, type: .pair)
        try socket.connect(endpoint)
    }

    public func close() { socket.close() }

    /// The events waiting, oldest first; never blocks.
    public func events() throws -> [Event] {
        var events: [Event] = []
        while let frames = try socket.receive(dontWait: true) {
            if let event = Self.decode(frames) { events.append(event) }
        }
        return events
    }

    /// Frame 0: the event (16 bits) and its value (32 bits), in host order; frame 1: the endpoint.
    static func decode(_ frames: [[UInt8]]) -> Event? {
        guard frames.count >= 2, frames[0].count >= 6 else { return nil }
        let id = frames[0].withUnsafeBytes { Int32($0.loadUnaligned(as: UInt16.self)) }
        let value = frames[0].withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
        let endpoint = String(decoding: frames[1], as: UTF8.self)
        switch id {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return .accepted(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return .refused(status: value, endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return .failed(detail: protocolError(value), endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            return .failed(detail: String(cString: zmq_strerror(Int32(value))), endpoint: endpoint)
        default: return nil
        }
    }

    /// libzmq's ZMQ_PROTOCOL_ERROR_* codes, in words for the few a user can act on.
    static func protocolError(_ code: Int) -> String {
        switch Int32(code) {
        case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: "cryptographic error (a wrong server key?)"
        case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: "mechanism mismatch (one side has keys, the other not)"
        default: "protocol error 0x\(String(code, radix: 16))"
        }
    }
}

@available(*, unavailable)
extension SocketMonitor: Sendable {}
