import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq socket, owned by one thread.
///
/// libzmq sockets are not thread-safe, so this class is deliberately not `Sendable`: create,
/// use and close it on a single plain thread (not on Swift's concurrency pool, since `receive`
/// and `send` may block). Frames are `[UInt8]`; no C type appears in the API.
///
/// New sockets get `linger` 0: the protocol acknowledges what matters (ACK), and a socket that
/// held unsent messages would otherwise make the context's teardown, and process exit, hang.
public final class ZMQSocket {
    public enum SocketType: Sendable {
        case pair, pub, sub, req, rep, dealer, router, pull, push

        var raw: Int32 {
            switch self {
            case .pair: ZMQ_PAIR
            case .pub: ZMQ_PUB
            case .sub: ZMQ_SUB
            case .req: ZMQ_REQ
            case .rep: ZMQ_REP
            case .dealer: ZMQ_DEALER
            case .router: ZMQ_ROUTER
            case .pull: ZMQ_PULL
            case .push: ZMQ_PUSH
            }
        }
    }

    public let type: SocketType
    /// Keeps the context alive (and un-terminated) as long as this socket exists.
    private let context: ZMQContext
    /// Nil once closed.
    private(set) var handle: UnsafeMutableRawPointer?

    public init(context: ZMQContext, type: SocketType) throws {
        guard let handle = zmq_socket(context.handle, type.raw) else {
            throw TransportError.last("zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
        try setLinger(milliseconds: 0)
    }

    deinit { close() }

    /// Closes the socket; later calls fail with ENOTSOCK. Safe to call twice.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    /// Binds `endpoint`: `tcp://localhost:…` binds 127.0.0.1, and `tcp://[IPv6]:…` turns on
    /// ZMQ_IPV6 first (`Endpoint`). A name that is no interface of this host (libzmq binds no
    /// host names) fails with a hint saying so.
    public func bind(_ endpoint: String) throws {
        let socket = try open("bind \(endpoint)")
        if Endpoint.isIPv6(endpoint) { try setIPv6() }
        guard zmq_bind(socket, Endpoint.bindable(endpoint)) == 0 else {
            let code = zmq_errno()
            let hint = code == ENODEV ? " (libzmq binds an IP address, an interface name or *, not a host name)" : ""
            throw TransportError(code: code, operation: "bind \(endpoint)\(hint)")
        }
    }

    /// Connects to `endpoint` (a host name is resolved, by libzmq, when it connects); an IPv6
    /// address in brackets turns on ZMQ_IPV6 first.
    public func connect(_ endpoint: String) throws {
        let socket = try open("connect \(endpoint)")
        if Endpoint.isIPv6(endpoint) { try setIPv6() }
        try check(zmq_connect(socket, endpoint), "connect \(endpoint)")
    }

    // MARK: Sending and receiving

    /// Sends one multipart message, all frames or none (libzmq queues the parts atomically).
    ///
    /// - Returns: false if `dontWait` is set and the message could not be queued (EAGAIN:
    ///   high-water mark reached, or no peer yet); true once queued.
    /// - Throws: `TransportError`; on a ROUTER with `routerMandatory`, kind `.hostUnreachable`
    ///   when frame 0 names a peer that is not connected.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        let socket = try open("send")
        guard !frames.isEmpty else { throw TransportError(code: EINVAL, operation: "send (no frames)") }
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while frame.withUnsafeBytes({ zmq_send(socket, $0.baseAddress, $0.count, flags) }) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                // Later parts never block once the first is accepted, so EAGAIN means nothing was sent.
                if code == EAGAIN && dontWait && index == 0 { return false }
                throw TransportError(code: code, operation: "send frame \(index)")
            }
        }
        return true
    }

    /// Receives one whole multipart message (on a ROUTER, frame 0 is the sender's routing id).
    ///
    /// - Returns: nil if `dontWait` is set and no message is waiting (EAGAIN).
    ///   A blocking receive waits indefinitely: use a `Poller` with a timeout first.
    public func receive(dontWait: Bool = false) throws -> [[UInt8]]? {
        try receiveMessage(dontWait: dontWait)?.frames
    }

    /// Receives one whole multipart message with what libzmq knows of its sender.
    ///
    /// `maxParts` caps what a hostile peer can make this process hold: libzmq limits each
    /// frame (`setMaxMessageSize`) but not their number, so the parts beyond the cap are read
    /// and dropped at once, and only counted (`InboundMessage.droppedParts`).
    public func receiveMessage(dontWait: Bool = false, maxParts: Int = .max) throws -> InboundMessage? {
        let socket = try open("receive")
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        var inbound = InboundMessage()
        while true {
            // The remaining parts of a message are already here, so only the first may wait.
            let first = inbound.frames.isEmpty && inbound.droppedParts == 0
            let flags: Int32 = dontWait && first ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, socket, flags) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && first { return nil }
                throw TransportError(code: code, operation: "receive")
            }
            // A ROUTER makes the routing-id frame itself: the metadata is on the frames after it.
            if inbound.userID == nil, let user = zmq_msg_gets(&message, "User-Id") { inbound.userID = String(cString: user) }
            if inbound.frames.count >= maxParts {
                inbound.droppedParts += 1
            } else if let data = zmq_msg_data(&message), zmq_msg_size(&message) > 0 {
                inbound.frames.append(Array(UnsafeRawBufferPointer(start: data, count: zmq_msg_size(&message))))
            } else {
                inbound.frames.append([])
            }
            if zmq_msg_more(&message) == 0 { return inbound }
        }
    }

    // MARK: Options

    /// ZMQ_ROUTING_ID: how a ROUTER peer will address this socket (1-255 bytes, not starting
    /// with a zero byte, which libzmq reserves for the ids it generates). Set before `connect`.
    public func setRoutingID(_ id: [UInt8]) throws {
        try setBytes(ZMQ_ROUTING_ID, id, "routing id")
    }

    /// ZMQ_LINGER: how long `close` keeps unsent messages (-1 forever, 0 drop at once).
    public func setLinger(milliseconds: Int) throws {
        try setInt32(ZMQ_LINGER, milliseconds, "linger")
    }

    /// ZMQ_MAXMSGSIZE: the largest inbound frame, in bytes (-1: no limit). libzmq checks each
    /// frame as it arrives, and a peer that sends a larger one is disconnected: the message is
    /// never delivered, the receiving socket keeps serving its other peers, and the sender
    /// (if it reconnects) is not told. Senders must respect the limit themselves; the codec
    /// checks the whole message against `ProtocolLimits.maxMessageBytes`.
    public func setMaxMessageSize(_ bytes: Int) throws {
        var value = Int64(bytes)
        try setRaw(ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size, "max message size")
    }

    /// ZMQ_HANDSHAKE_IVL: how long a new connection may take to finish its handshake (CURVE
    /// and ZAP included) before libzmq closes it (0: for ever; libzmq's default is 30 s). A
    /// peer that connects and says nothing holds a connection only this long.
    public func setHandshakeInterval(milliseconds: Int) throws {
        try setInt32(ZMQ_HANDSHAKE_IVL, milliseconds, "handshake interval")
    }

    /// ZMQ_IPV6: lets the socket bind and connect IPv6 addresses (off in libzmq by default).
    private func setIPv6() throws {
        try setInt32(ZMQ_IPV6, 1, "IPv6")
    }

    /// ZMQ_RECONNECT_IVL: the first wait before reconnecting a lost `connect` (-1: never).
    public func setReconnectInterval(milliseconds: Int) throws {
        try setInt32(ZMQ_RECONNECT_IVL, milliseconds, "reconnect interval")
    }

    /// ZMQ_RECONNECT_IVL_MAX: the wait doubles after each failed attempt up to this (0: no backoff).
    public func setReconnectIntervalMax(milliseconds: Int) throws {
        try setInt32(ZMQ_RECONNECT_IVL_MAX, milliseconds, "reconnect interval max")
    }

    /// ZMQ_SNDHWM: how many outbound messages may queue per peer (0: no limit).
    public func setSendHighWaterMark(_ messages: Int) throws {
        try setInt32(ZMQ_SNDHWM, messages, "send high-water mark")
    }

    /// ZMQ_RCVHWM: how many inbound messages may queue per peer (0: no limit).
    public func setReceiveHighWaterMark(_ messages: Int) throws {
        try setInt32(ZMQ_RCVHWM, messages, "receive high-water mark")
    }

    /// ZMQ_ROUTER_MANDATORY: a ROUTER's send to an unknown or vanished identity throws
    /// `.hostUnreachable` instead of being silently dropped, so the coordinator learns at once
    /// that a worker is gone.
    public func setRouterMandatory(_ on: Bool) throws {
        try setInt32(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "router mandatory")
    }

    /// ZMQ_IMMEDIATE: queue outbound messages only on completed connections, so a DEALER whose
    /// coordinator is down blocks (or returns false with `dontWait`) instead of queueing
    /// messages that would be delivered, stale, much later.
    public func setImmediate(_ on: Bool) throws {
        try setInt32(ZMQ_IMMEDIATE, on ? 1 : 0, "immediate")
    }

    /// CURVE on a server socket (ROUTER): ZMQ_CURVE_SERVER and its secret key. Set before
    /// `bind`. Without a ZAP handler in the context, every client that knows the public key is
    /// let in: admit only known keys through one (docs/protocol.md).
    public func setCurveServer(_ certificate: CurveCertificate) throws {
        guard let secret = certificate.secretKey else { throw CertificateError.noSecretKey(file: "the server certificate") }
        try setInt32(ZMQ_CURVE_SERVER, 1, "curve server")
        try setText(ZMQ_CURVE_SECRETKEY, secret, "curve secret key")
    }

    /// ZMQ_ZAP_DOMAIN: a non-empty domain makes libzmq ask the ZAP handler about every
    /// handshake (with none, a CURVE server admits any client that knows its public key).
    public func setZAPDomain(_ domain: String) throws {
        try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8), "zap domain")
    }

    /// CURVE on a client socket (DEALER): the server's public key, and this client's own pair.
    /// Set before `connect`.
    public func setCurveClient(_ certificate: CurveCertificate, serverKey: String) throws {
        guard let secret = certificate.secretKey else { throw CertificateError.noSecretKey(file: "the client certificate") }
        guard CurveCertificate.isZ85Key(serverKey) else { throw CertificateError.badKey(file: nil, field: "server key") }
        try setText(ZMQ_CURVE_SERVERKEY, serverKey, "curve server key")
        try setText(ZMQ_CURVE_PUBLICKEY, certificate.publicKey, "curve public key")
        try setText(ZMQ_CURVE_SECRETKEY, secret, "curve secret key")
    }

    /// ZMQ_LAST_ENDPOINT: the endpoint last bound, with a wildcard port resolved
    /// (`tcp://127.0.0.1:*` becomes e.g. `tcp://127.0.0.1:41234`).
    public var lastEndpoint: String {
        get throws {
            let socket = try open("last endpoint")
            var buffer = [CChar](repeating: 0, count: 512)
            var size = buffer.count
            try check(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size), "last endpoint")
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: Helpers

    /// The live handle, or ENOTSOCK once closed.
    func open(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw TransportError(code: ENOTSOCK, operation: operation) }
        return handle
    }

    private func check(_ result: Int32, _ operation: String) throws {
        if result != 0 { throw TransportError.last(operation) }
    }

    private func setInt32(_ option: Int32, _ value: Int, _ name: String) throws {
        var raw = Int32(clamping: value)
        try setRaw(option, &raw, MemoryLayout<Int32>.size, "set \(name)")
    }

    private func setBytes(_ option: Int32, _ bytes: [UInt8], _ name: String) throws {
        let socket = try open("set \(name)")
        try check(bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }, "set \(name)")
    }

    /// A Z85 key: its 40 characters (libzmq takes 40 characters as Z85, 32 bytes as raw).
    private func setText(_ option: Int32, _ text: String, _ name: String) throws {
        try setBytes(option, Array(text.utf8), name)
    }

    private func setRaw(_ option: Int32, _ value: UnsafeRawPointer, _ size: Int, _ name: String) throws {
        try check(zmq_setsockopt(open(name), option, value, size), name)
    }
}

/// A received multipart message and what libzmq says about its sender.
public struct InboundMessage {
    public var frames: [[UInt8]] = []
    /// The ZAP User-Id: under CURVE with `ZAPHandler`, the client's public key (Z85), the
    /// identity it proved in the handshake. Nil without ZAP. A routing id, by contrast, is
    /// whatever the client chose.
    public var userID: String?
    /// Parts beyond `maxParts`, read and dropped unstored.
    public var droppedParts = 0

    /// Every part the sender sent, kept or dropped.
    public var partCount: Int { frames.count + droppedParts }
}

/// Sockets belong to one thread; this makes sending one to another a compile-time error.
@available(*, unavailable)
extension ZMQSocket: Sendable {}
