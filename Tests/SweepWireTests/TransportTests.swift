import Foundation
import XCTest

@testable import SweepWire

/// A real ROUTER and DEALERs over loopback TCP, all driven from this one thread with
/// non-blocking calls and a Poller.
final class TransportTests: XCTestCase {
    private var context: ZMQContext!
    private var router: ZMQSocket!
    private var endpoint = ""

    override func setUpWithError() throws {
        context = try ZMQContext()
        router = try ZMQSocket(context: context, type: .router)
        try router.setRouterMandatory(true)
        try router.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint
    }

    override func tearDown() {
        router = nil
        context = nil
    }

    private func dealer(_ id: String) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setRoutingID(Array(id.utf8))
        try socket.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        try socket.setReconnectInterval(milliseconds: 50)
        try socket.connect(endpoint)
        return socket
    }

    /// The next message on `socket`, or nil after `timeout` ms.
    private func next(_ socket: ZMQSocket, timeout: Int = 3000) throws -> [[UInt8]]? {
        guard try Poller([socket]).poll(timeoutMilliseconds: timeout) == [0] else { return nil }
        return try socket.receive(dontWait: true)
    }

    private let hello = Message.hello(HelloBody(workerID: "w-1", host: "localhost", cores: 2, pid: 1))

    func testWildcardBindResolvesThePort() throws {
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        XCTAssertGreaterThan(Int(endpoint.split(separator: ":").last ?? "") ?? 0, 0)
    }

    func testHelloThenTaskToTheWorkersRoutingID() throws {
        let worker = try dealer("w-1")
        XCTAssertNil(try worker.receive(dontWait: true))
        XCTAssertTrue(try worker.send(MessageCodec.encode(hello)))

        let (identity, message) = try MessageCodec.decode(routed: XCTUnwrap(next(router)))
        XCTAssertEqual(identity, Array("w-1".utf8))
        XCTAssertEqual(message, hello)

        let task = Message.task(TaskBody(trialID: "abc", attempt: 1, parameters: [.init("depth", "7")], threads: 2))
        try router.send(MessageCodec.encode(task, to: identity))
        XCTAssertEqual(try MessageCodec.decode(frames: XCTUnwrap(next(worker))), task)
    }

    func testSendingToAVanishedPeerIsATypedError() throws {
        XCTAssertThrowsError(try router.send(MessageCodec.encode(.heartbeat, to: Array("ghost".utf8)))) {
            XCTAssertEqual(($0 as? TransportError)?.kind, .hostUnreachable)
        }

        let worker = try dealer("gone")
        try worker.send(MessageCodec.encode(hello))
        XCTAssertNotNil(try next(router))
        try router.send(MessageCodec.encode(.heartbeat, to: Array("gone".utf8)))
        worker.close()
        XCTAssertThrowsError(try worker.send([[1]])) { XCTAssertEqual(($0 as? TransportError)?.code, ENOTSOCK) }

        // The ROUTER learns of the disconnect asynchronously; within a few seconds at most.
        let deadline = Date().addingTimeInterval(5)
        var error: TransportError?
        while error == nil && Date() < deadline {
            do {
                try router.send(MessageCodec.encode(.heartbeat, to: Array("gone".utf8)))
                Thread.sleep(forTimeInterval: 0.01)
            } catch let e as TransportError {
                error = e
            }
        }
        XCTAssertEqual(error?.kind, .hostUnreachable)
        XCTAssertEqual(error?.code, EHOSTUNREACH)
        XCTAssertEqual(error?.description.hasPrefix("send frame 0: "), true, error?.description ?? "")
        XCTAssertFalse(error?.message.isEmpty ?? true)
    }

    func testAnOversizedMessageIsDroppedAndTheRouterCarriesOn() throws {
        let big = try dealer("big")
        try big.send([ProtocolLimits.signature, Array("RESULT".utf8), [UInt8](repeating: 0x20, count: 2 << 20)])
        XCTAssertNil(try next(router, timeout: 500), "a 2 MiB frame got through a 1 MiB limit")

        let small = try dealer("small")
        try small.send(MessageCodec.encode(hello))
        XCTAssertEqual(try XCTUnwrap(next(router)).first, Array("small".utf8))

        // The big sender's connection was dropped; it reconnects and can talk again.
        try big.send(MessageCodec.encode(.ready))
        let again = try MessageCodec.decode(routed: XCTUnwrap(next(router)))
        XCTAssertEqual(again.identity, Array("big".utf8))
        XCTAssertEqual(again.message, .ready)
        XCTAssertNil(try next(router, timeout: 100))
    }

    /// A worker that comes back with a new socket under its old routing id takes the id over.
    func testRouterHandoverLetsAWorkerReconnectUnderItsID() throws {
        try router.setRouterHandover(true)
        let first = try dealer("w-1")
        try first.send(MessageCodec.encode(hello))
        XCTAssertNotNil(try next(router))
        let second = try dealer("w-1")  // the first one is still connected
        try second.send(MessageCodec.encode(.ready))
        XCTAssertEqual(try XCTUnwrap(next(router)).first, Array("w-1".utf8))
        try router.send(MessageCodec.encode(.heartbeat, to: Array("w-1".utf8)))
        XCTAssertEqual(try MessageCodec.decode(frames: XCTUnwrap(next(second))), .heartbeat)
        XCTAssertNil(try next(first, timeout: 100))
    }

    func testPollerReportsOnlyReadableSocketsAndNeverWaitsForever() throws {
        let a = try dealer("a"), b = try dealer("b")
        // Once the ROUTER has heard from both, both are connected and routable.
        try a.send(MessageCodec.encode(.ready))
        try b.send(MessageCodec.encode(.ready))
        XCTAssertNotNil(try next(router))
        XCTAssertNotNil(try next(router))
        try router.send(MessageCodec.encode(.heartbeat, to: Array("b".utf8)))
        let poller = Poller([a, b, router])
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: 3000), [1])
        XCTAssertNotNil(try b.receive(dontWait: true))

        let start = Date()
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: 50), [])
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: -1), [])  // clamped to 0, not infinite
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testErrorsCarryErrnoAndText() throws {
        let socket = try ZMQSocket(context: context, type: .pair)
        XCTAssertThrowsError(try socket.bind("nonsense://x")) {
            let error = $0 as? TransportError
            XCTAssertEqual(error?.kind, .other)
            XCTAssertEqual(error?.operation, "bind nonsense://x")
            XCTAssertFalse(error?.message.isEmpty ?? true)
        }
        XCTAssertThrowsError(try router.bind(endpoint)) {  // address in use
            XCTAssertEqual(($0 as? TransportError)?.code, EADDRINUSE)
        }
        XCTAssertThrowsError(try socket.send([])) { XCTAssertEqual(($0 as? TransportError)?.code, EINVAL) }
        // A DEALER with nowhere to send and `immediate` set cannot queue.
        socket.close()
        let lonely = try ZMQSocket(context: context, type: .dealer)
        try lonely.setImmediate(true)
        try lonely.connect("tcp://127.0.0.1:1")
        XCTAssertFalse(try lonely.send([[1]], dontWait: true))
    }

    func testShutdownWakesABlockedReceiver() throws {
        let context = try ZMQContext()
        let done = expectation(description: "receiver stopped")
        let box = ErrorBox()
        let thread = Thread { [context] in
            do {
                let socket = try ZMQSocket(context: context, type: .pair)
                try socket.bind("inproc://nobody")
                _ = try socket.receive()
            } catch let error as TransportError {
                box.kind = error.kind
            } catch {}
            done.fulfill()
        }
        thread.start()
        Thread.sleep(forTimeInterval: 0.1)
        context.shutdown()
        wait(for: [done], timeout: 5)
        XCTAssertEqual(box.kind, .contextTerminated)
    }
}

private final class ErrorBox: @unchecked Sendable {
    var kind: TransportError.Kind?
}
