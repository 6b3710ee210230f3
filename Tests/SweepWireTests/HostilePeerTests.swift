import Foundation
import XCTest
@testable import SweepWire

#if canImport(Glibc)
import Glibc
#endif

/// What a hostile or unlisted peer meets: a cap on parts, a handshake deadline, and, for an
/// unlisted client, handshake events that say why it hears nothing.
final class HostilePeerTests: XCTestCase {
    private var context: ZMQContext!

    override func setUpWithError() throws { context = try ZMQContext() }
    override func tearDown() { context = nil }

    /// 100,000 empty parts in one message: the receiver keeps 5 (routing id + 4), drops the
    /// rest unstored, and the codec refuses the message by its real count; the next message
    /// from the same peer is served.
    func testAMessageWithTooManyPartsIsReadDroppedAndRefusedByItsCount() throws {
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setRoutingID(Array("many".utf8))
        try dealer.connect(try router.lastEndpoint)
        _ = try dealer.send(Array(repeating: [], count: 100_000))
        _ = try dealer.send(try MessageCodec.encode(.ready))
        var inbound: [InboundMessage] = []
        let deadline = Date().addingTimeInterval(5)
        while inbound.count < 2 && Date() < deadline {
            _ = try Poller([router]).poll(timeoutMilliseconds: 100)
            while let m = try router.receiveMessage(dontWait: true, maxParts: ProtocolLimits.maxRoutedParts) { inbound.append(m) }
        }
        XCTAssertEqual(inbound.count, 2)
        XCTAssertEqual(inbound[0].frames.count, 5)
        XCTAssertEqual(inbound[0].droppedParts, 100_001 - 5)
        XCTAssertThrowsError(try MessageCodec.decode(routed: inbound[0])) { error in
            let routed = error as! MessageCodec.RoutedError
            XCTAssertEqual(routed.identity, Array("many".utf8))
            XCTAssertEqual(routed.error, .wrongFrameCount(100_000, command: nil))
        }
        XCTAssertEqual(try MessageCodec.decode(routed: inbound[1]).message, .ready)
        // The DEALER side: the same cap, without the routing id.
        XCTAssertThrowsError(try MessageCodec.decode(InboundMessage(frames: [[], [], [], []], userID: nil, droppedParts: 3))) {
            XCTAssertEqual($0 as? ProtocolError, .wrongFrameCount(7, command: nil))
        }
    }

    /// A TCP client that connects and never speaks is cut when the handshake interval runs out.
    func testAPeerThatNeverFinishesItsHandshakeIsCut() throws {
        let router = try ZMQSocket(context: context, type: .router)
        try router.setCurveServer(try CurveCertificate.generate())
        try router.setHandshakeInterval(milliseconds: 300)
        try router.bind("tcp://127.0.0.1:*")
        let port = Int(try router.lastEndpoint.split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 256)
        // libzmq sends its greeting; read until the server closes (0) or the 5 s timeout (-1).
        var n = 1
        while n > 0 { n = recv(fd, &buffer, buffer.count, 0) }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(n, 0, "the server did not close the silent connection")
        XCTAssertLessThan(elapsed, 3, "closed after \(elapsed) s")
    }

    /// An unlisted key is told apart from a server that is down: the client's monitor reports
    /// the ZAP refusal (400); a wrong server key reports a failed handshake; a listed key is
    /// accepted.
    func testTheMonitorSaysWhyAClientIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try CurveCertificate.generate(), listed = try CurveCertificate.generate()
        _ = try listed.write(base: folder + "/listed")
        let zap = try ZAPHandler(context: context, directory: folder) { _ in }
        defer { zap.stop() }
        let router = try ZMQSocket(context: context, type: .router)
        try router.setCurveServer(server)
        try router.setZAPDomain("vgsweep")
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        func events(key: CurveCertificate, serverKey: String) throws -> [SocketMonitor.Event] {
            let dealer = try ZMQSocket(context: context, type: .dealer)
            let monitor = try SocketMonitor(watching: dealer, context: context)
            defer { dealer.close(); monitor.close() }
            try dealer.setReconnectInterval(milliseconds: 10_000)
            try dealer.setCurveClient(key, serverKey: serverKey)
            try dealer.connect(endpoint)
            var seen: [SocketMonitor.Event] = []
            let deadline = Date().addingTimeInterval(5)
            while seen.isEmpty && Date() < deadline {
                _ = try Poller([monitor.socket]).poll(timeoutMilliseconds: 100)
                seen += try monitor.events()
            }
            return seen
        }
        XCTAssertEqual(try events(key: try CurveCertificate.generate(), serverKey: server.publicKey),
                       [.refused(status: 400, endpoint: endpoint)])
        guard case .failed? = try events(key: listed, serverKey: try CurveCertificate.generate().publicKey).first else {
            return XCTFail("a wrong server key is not reported as a failed handshake")
        }
        XCTAssertEqual(try events(key: listed, serverKey: server.publicKey), [.accepted(endpoint: endpoint)])
    }
}

final class SecondsTextTests: XCTestCase {
    func testSecondsAreWrittenToATenth() {
        XCTAssertEqual(secondsText(0.2 * 3), "0.6")
        XCTAssertEqual(secondsText(3), "3")
        XCTAssertEqual(secondsText(1.46), "1.5")
        XCTAssertEqual(secondsText(-0.25), "-0.3")
        XCTAssertEqual(secondsText(.infinity), "inf")
    }
}
