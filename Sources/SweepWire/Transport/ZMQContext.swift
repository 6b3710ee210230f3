import CZMQ

/// One libzmq context: its I/O threads and the sockets made from it.
///
/// A context is thread-safe in libzmq, so this wrapper is `Sendable` (checked by hand: it only
/// holds the pointer, which libzmq synchronises). Sockets are not; see `ZMQSocket`.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw TransportError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets, in any thread, fail at once with
    /// `.contextTerminated`: the way to stop threads that are waiting in `receive`.
    /// The sockets must still be closed by their owners.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Every socket holds a strong reference to its context, so by now all of them are closed
    /// and `zmq_ctx_term` only waits for their linger periods (0 by default, see `ZMQSocket`).
    deinit {
        zmq_ctx_shutdown(handle)
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
