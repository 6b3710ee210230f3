import CZMQ

extension ZMQSocket {
    /// ZMQ_ROUTER_HANDOVER: a new connection with a routing id already in use takes it over,
    /// so a worker that reconnects (same id) is not refused while its old, dead connection
    /// is still around.
    public func setRouterHandover(_ on: Bool) throws {
        var value: Int32 = on ? 1 : 0
        let result = zmq_setsockopt(try open("router handover"), ZMQ_ROUTER_HANDOVER, &value, MemoryLayout<Int32>.size)
        if result != 0 { throw TransportError(code: zmq_errno(), operation: "router handover") }
    }
}
