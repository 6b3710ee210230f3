import Foundation
import XCTest
@testable import SweepWire
#if canImport(Glibc)
import Glibc
#endif

/// CURVE on the transport: a client that knows the server's public key talks to it; one that
/// speaks plain text, or has the wrong server key, gets nothing through.
final class CurveTransportTests: XCTestCase {
    private var context: ZMQContext!
    private var router: ZMQSocket!
    private var server: CurveCertificate!
    private var endpoint = ""

    override func setUpWithError() throws {
        context = try ZMQContext()
        server = try CurveCertificate.generate()
        router = try ZMQSocket(context: context, type: .router)
        try router.setCurveServer(server)
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint
    }

    override func tearDown() {
        router = nil
        context = nil
    }

    private func client(serverKey: String?) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        if let serverKey { try socket.setCurveClient(try CurveCertificate.generate(), serverKey: serverKey) }
        try socket.connect(endpoint)
        return socket
    }

    private func received(within milliseconds: Int) throws -> [[UInt8]]? {
        guard try Poller([router]).poll(timeoutMilliseconds: milliseconds) == [0] else { return nil }
        return try router.receive(dontWait: true)
    }

    func testAClientWithTheServersKeyIsHeardAndAnswered() throws {
        let dealer = try client(serverKey: server.publicKey)
        _ = try dealer.send(try MessageCodec.encode(.ready), dontWait: true)
        let frames = try XCTUnwrap(try received(within: 3000))
        let (identity, message) = try MessageCodec.decode(routed: frames)
        XCTAssertEqual(message, .ready)
        _ = try router.send(try MessageCodec.encode(.heartbeat, to: identity), dontWait: true)
        XCTAssertEqual(try Poller([dealer]).poll(timeoutMilliseconds: 3000), [0])
        XCTAssertEqual(try MessageCodec.decode(frames: try XCTUnwrap(try dealer.receive(dontWait: true))), .heartbeat)
    }

    func testPlainTextAndAWrongServerKeyGetNothingThrough() throws {
        let plain = try client(serverKey: nil)
        let wrong = try client(serverKey: try CurveCertificate.generate().publicKey)
        for socket in [plain, wrong] { _ = try socket.send(try MessageCodec.encode(.ready), dontWait: true) }
        XCTAssertNil(try received(within: 700), "nothing reaches a CURVE server without its key")
        // The server still serves those who have it.
        let good = try client(serverKey: server.publicKey)
        _ = try good.send(try MessageCodec.encode(.ready), dontWait: true)
        XCTAssertNotNil(try received(within: 3000))
    }

    func testACertificateWithoutASecretKeyCannotServeOrConnect() throws {
        let socket = try ZMQSocket(context: context, type: .router)
        XCTAssertThrowsError(try socket.setCurveServer(server.publicCertificate))
        XCTAssertThrowsError(try socket.setCurveClient(server.publicCertificate, serverKey: server.publicKey))
        XCTAssertThrowsError(try socket.setCurveClient(try CurveCertificate.generate(), serverKey: "short"))
    }
}

/// Which binds count as reachable by this host only (no keys needed there).
final class EndpointTests: XCTestCase {
    func testLoopbackEndpoints() {
        for e in ["tcp://127.0.0.1:*", "tcp://127.0.0.1:5555", "tcp://127.1.2.3:9", "tcp://localhost:5555", "tcp://[::1]:5555",
                  "ipc:///tmp/vgsweep.sock", "inproc://x"] {
            XCTAssertTrue(Endpoint.isLoopback(e), e)
        }
        for e in ["tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://[::]:5555",
                  "tcp://127.0.0.1.evil.example:5555", "tcp://head:5555", "udp://127.0.0.1:1"] {
            XCTAssertFalse(Endpoint.isLoopback(e), e)
        }
    }

    func testIPv6AndBindSpellings() {
        XCTAssertTrue(Endpoint.isIPv6("tcp://[::1]:5555"))
        XCTAssertTrue(Endpoint.isIPv6("tcp://[::]:*"))
        XCTAssertFalse(Endpoint.isIPv6("tcp://127.0.0.1:5555"))
        XCTAssertFalse(Endpoint.isIPv6("ipc:///tmp/[x]"))
        XCTAssertEqual(Endpoint.bindable("tcp://localhost:5555"), "tcp://127.0.0.1:5555")
        XCTAssertEqual(Endpoint.bindable("tcp://localhost:*"), "tcp://127.0.0.1:*")
        for e in ["tcp://localhost.example:5555", "tcp://*:5555", "tcp://[::1]:5555", "ipc://localhost"] {
            XCTAssertEqual(Endpoint.bindable(e), e)
        }
    }

    func testTheProblemWithAnAddressIsNamed() {
        for e in ["tcp://*:5555", "tcp://127.0.0.1:*", "tcp://[::1]:1", "tcp://eth0:65535", "ipc:///tmp/s"] {
            XCTAssertNil(Endpoint.problem(with: e, binding: true), e)
        }
        XCTAssertNil(Endpoint.problem(with: "tcp://head.example:5555", binding: false))
        let wrong: [(String, Bool, String)] = [
            ("head:5555", false, "give a tcp:// address, e.g. tcp://HOST:5555"),
            ("udp://head:5555", true, "give a tcp:// address, e.g. tcp://*:5555"),
            ("ipc://", true, "an ipc:// address needs a path"),
            ("tcp://head", false, "the address has no port, e.g. tcp://HOST:5555"),
            ("tcp://head:", false, "the address has no port, e.g. tcp://HOST:5555"),
            ("tcp://[::1]", true, "the address has no port, e.g. tcp://*:5555"),
            ("tcp://[::1", true, "give a tcp:// address, e.g. tcp://*:5555"),
            ("tcp://:5555", false, "the address has no host, e.g. tcp://HOST:5555"),
            ("tcp://head:*", false, "connect to a port number, not *"),
            ("tcp://head:0", false, "port 0 is not a number from 1 to 65535"),
            ("tcp://head:http", true, "port http is not a number from 1 to 65535"),
        ]
        for (e, binding, problem) in wrong { XCTAssertEqual(Endpoint.problem(with: e, binding: binding), problem, e) }
    }
}

/// The spellings `Endpoint` promises work, on real sockets: a worker on `localhost` or `[::1]`
/// reaches a ROUTER bound the same way, and a host name in a bind fails saying why.
final class BindSpellingTests: XCTestCase {
    private func roundTrip(bind: String) throws -> String {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.setLinger(milliseconds: 0)
        try router.bind(bind)
        let endpoint = try router.lastEndpoint
        let port = endpoint.split(separator: ":").last!
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setLinger(milliseconds: 0)
        try dealer.connect(bind.replacingOccurrences(of: ":*", with: ":\(port)"))
        try dealer.send([Array("ping".utf8)])
        XCTAssertEqual(try Poller([router]).poll(timeoutMilliseconds: 3000), [0], "nothing reached \(endpoint)")
        XCTAssertEqual(try router.receive(dontWait: true)?.last, Array("ping".utf8))
        return endpoint
    }

    func testLocalhostBindsTheIPv4Loopback() throws {
        XCTAssertTrue(try roundTrip(bind: "tcp://localhost:*").hasPrefix("tcp://127.0.0.1:"))
    }

    func testTheIPv6LoopbackWorks() throws {
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { if probe >= 0 { Glibc.close(probe) } }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard probe >= 0, bound == 0 else { throw XCTSkip("this host has no IPv6 loopback (::1)") }
        XCTAssertTrue(try roundTrip(bind: "tcp://[::1]:*").hasPrefix("tcp://[::1]:"))
    }

    func testAHostNameInABindIsExplained() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        XCTAssertThrowsError(try router.bind("tcp://no-such-interface:5555")) { error in
            XCTAssertTrue("\(error)".contains("bind tcp://no-such-interface:5555 (libzmq binds an IP address, an interface name or *, not a host name)"), "\(error)")
        }
    }
}
