import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed ZeroMQ call: which operation, libzmq's errno and its `zmq_strerror` text.
///
/// `kind` sorts out the few errnos a caller reacts to differently (a vanished ROUTER peer,
/// a shut-down context); everything else is `.other` and is usually fatal for the socket.
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// EHOSTUNREACH: a ROUTER with `routerMandatory` was asked to send to an identity
        /// that is not (or no longer) connected. Nothing was sent; forget that peer.
        case hostUnreachable
        /// EAGAIN: the operation would block (only where the API cannot say so with nil/false).
        case wouldBlock
        /// ETERM: the context was shut down; the owning thread should close its socket and stop.
        case contextTerminated
        /// Any other errno (bad endpoint, address in use, closed socket...).
        case other
    }

    public let kind: Kind
    /// The errno libzmq reported.
    public let code: Int32
    /// `zmq_strerror(code)`.
    public let message: String
    /// What was being done, e.g. "bind tcp://127.0.0.1:*".
    public let operation: String

    /// Captures `zmq_errno()` right after a failed call.
    static func last(_ operation: String) -> TransportError {
        TransportError(code: zmq_errno(), operation: operation)
    }

    init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        self.message = String(cString: zmq_strerror(code))
        switch code {
        case EHOSTUNREACH: kind = .hostUnreachable
        case EAGAIN: kind = .wouldBlock
        case ETERM: kind = .contextTerminated
        default: kind = .other
        }
    }

    public var description: String { "\(operation): \(message) (errno \(code))" }
}
