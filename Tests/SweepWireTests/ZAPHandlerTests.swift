import Foundation
import Synchronization
import XCTest
@testable import SweepWire

/// ZAP on a CURVE server: only the keys of the `*.key` files in a folder get in, a key removed
/// from it is refused at its next connection, and every other request is answered.
final class ZAPHandlerTests: XCTestCase {
    private var directory: URL!
    private var context: ZMQContext!
    private var zap: ZAPHandler!
    private var router: ZMQSocket!
    private var server: CurveCertificate!
    private var endpoint = ""
    private final class Lines: Sendable { let value = Mutex<[String]>([]) }
    private let lines = Lines()
    private var logged: [String] { lines.value.withLock { $0 } }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        context = try ZMQContext()
        let lines = self.lines
        zap = try ZAPHandler(context: context, directory: directory.path) { line in lines.value.withLock { $0.append(line) } }
        server = try CurveCertificate.generate()
        router = try ZMQSocket(context: context, type: .router)
        try router.setCurveServer(server)
        try router.setZAPDomain("vgsweep")
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint
    }

    override func tearDownWithError() throws {
        router = nil
        zap.stop()
        zap = nil
        context = nil
        try? FileManager.default.removeItem(at: directory)
    }

    /// A worker with its own key pair; its public certificate in the folder when `authorised`.
    private func worker(_ name: String, authorised: Bool) throws -> (socket: ZMQSocket, key: CurveCertificate) {
        let key = try CurveCertificate.generate()
        if authorised { _ = try key.write(base: directory.appendingPathComponent(name).path) }
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setCurveClient(key, serverKey: server.publicKey)
        try socket.connect(endpoint)
        return (socket, key)
    }

    private func ready(from socket: ZMQSocket) throws -> Bool {
        _ = try socket.send(try MessageCodec.encode(.ready), dontWait: true)
        guard try Poller([router]).poll(timeoutMilliseconds: 800) == [0] else { return false }
        return try router.receive(dontWait: true) != nil
    }

    func testOnlyAuthorisedKeysGetIn() throws {
        let known = try worker("known", authorised: true)
        let stranger = try worker("stranger", authorised: false)
        XCTAssertFalse(try ready(from: stranger.socket), "an unlisted key is refused")
        XCTAssertTrue(try ready(from: known.socket), "a listed key gets in")
        XCTAssertTrue(logged.contains { $0.contains("key \(stranger.key.publicKey) is not in") }, "\(logged)")
    }

    func testARemovedKeyIsRefusedAtItsNextConnection() throws {
        let first = try worker("w1", authorised: true)
        XCTAssertTrue(try ready(from: first.socket))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("w1.key"))
        // The same key on a new connection, after the revocation.
        let again = try ZMQSocket(context: context, type: .dealer)
        try again.setLinger(milliseconds: 0)
        try again.setCurveClient(first.key, serverKey: server.publicKey)
        try again.connect(endpoint)
        XCTAssertFalse(try ready(from: again), "revoked without a restart")
    }

    func testTheReplyNamesTheKeyAsUserAndAnswersEveryRequest() throws {
        let key = try CurveCertificate.generate()
        _ = try key.write(base: directory.appendingPathComponent("k").path)
        let raw = try XCTUnwrap(Z85.decode(key.publicKey))
        func request(_ mechanism: String, _ credentials: [[UInt8]]) -> [[UInt8]] {
            [Array("1.0".utf8), Array("7".utf8), Array("vgsweep".utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8)] + credentials
        }
        let ok = zap.reply(to: request("CURVE", [raw]), log: { _ in })
        XCTAssertEqual(ok.map { String(decoding: $0, as: UTF8.self) }, ["1.0", "7", "200", "OK", key.publicKey, ""])
        XCTAssertEqual(String(decoding: zap.reply(to: request("PLAIN", [Array("u".utf8), Array("p".utf8)]), log: { _ in })[2], as: UTF8.self), "400")
        XCTAssertEqual(String(decoding: zap.reply(to: [Array("2.0".utf8), Array("9".utf8)], log: { _ in })[2], as: UTF8.self), "500")
        XCTAssertEqual(String(decoding: zap.reply(to: request("CURVE", [Array(repeating: 1, count: 32)]), log: { _ in })[2], as: UTF8.self), "400")
    }
}

/// Z85 decoding for the test's hand-made requests.
enum Z85 {
    static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count % 5 == 0 else { return nil }
        var out: [UInt8] = []
        for chunk in stride(from: 0, to: bytes.count, by: 5) {
            var value: UInt32 = 0
            for c in bytes[chunk..<chunk + 5] {
                guard let digit = alphabet.firstIndex(of: c) else { return nil }
                value = value &* 85 &+ UInt32(digit)
            }
            out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        return out
    }
}
