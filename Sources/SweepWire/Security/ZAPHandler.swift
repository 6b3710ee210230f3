import CZMQ
import Foundation
import Synchronization

/// The ZeroMQ authentication hook (ZAP, RFC 27) for a CURVE server: a thread of its own with a
/// REP socket at `inproc://zeromq.zap.01` in the server's context, which admits a client only if
/// its public key is in one of the `*.key` certificates of `directory`.
///
/// The folder is read at every handshake, so adding a worker's key authorises its next
/// connection and removing one revokes it, without a restart; handshakes are rare, a read of a
/// few hundred small files costs little. The reply's user id is the client's key (Z85): the
/// identity the server should trust, not the routing id a client chooses. Start it before the
/// server socket binds (libzmq asks for the handler when a handshake begins) and give the
/// server socket a ZAP domain (`ZMQSocket.setZAPDomain`), or libzmq skips the hook.
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    public let directory: String
    /// Keys admitted besides the folder's (`coordinator run`'s own local workers).
    public let alsoAdmitted: Set<String>
    private let context: ZMQContext
    private let stopped = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)

    /// Binds the handler's socket (on its own thread) before returning.
    public init(context: ZMQContext, directory: String, alsoAdmitting: Set<String> = [],
                log: @escaping @Sendable (String) -> Void) throws {
        self.context = context
        self.directory = directory
        alsoAdmitted = alsoAdmitting
        let ready = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        let thread = Thread { [self] in
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .rep)
                try socket.setLinger(milliseconds: 0)
                try socket.bind(Self.endpoint)
            } catch {
                failure.withLock { $0 = error }
                ready.signal()
                return
            }
            ready.signal()
            self.serve(socket, log: log)
            socket.close()
            self.finished.withLock { $0 = true }
        }
        thread.start()
        ready.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Stops the thread: it wakes from its poll within 100 ms and closes its socket.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(2)
        while !finished.withLock({ $0 }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    private func serve(_ socket: ZMQSocket, log: @Sendable (String) -> Void) {
        let poller = Poller([socket])
        while !stopped.load(ordering: .relaxed) {
            do {
                guard try poller.poll(timeoutMilliseconds: 100) == [0], let request = try socket.receive(dontWait: true) else { continue }
                _ = try socket.send(reply(to: request, log: log), dontWait: false)
            } catch let error as TransportError where error.kind == .contextTerminated {
                return
            } catch {
                log("ZAP: \(error)")
            }
        }
    }

    /// The reply to one request: 200 with the key as user id, or 400.
    func reply(to request: [[UInt8]], log: @Sendable (String) -> Void) -> [[UInt8]] {
        // version, request id, domain, address, identity, mechanism, credentials...
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            return [Array("1.0".utf8), request.count > 1 ? request[1] : [], Array("500".utf8), Array("bad ZAP request".utf8), [], []]
        }
        let id = request[1], address = String(decoding: request[3], as: UTF8.self)
        func answer(_ code: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), id, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard request[5] == Array("CURVE".utf8), request.count == 7, request[6].count == 32 else {
            log("refused a client at \(address): not CURVE")
            return answer("400", "CURVE only")
        }
        let key = Self.z85(request[6])
        guard alsoAdmitted.contains(key) || AuthorizedKeys.read(directory, log: log).contains(key) else {
            log("refused a client at \(address): key \(key) is not in \(directory)")
            return answer("400", "key not authorised")
        }
        return answer("200", "OK", user: key)
    }

    static func z85(_ raw: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: raw.count * 5 / 4 + 1)
        _ = raw.withUnsafeBufferPointer { zmq_z85_encode(&text, $0.baseAddress, $0.count) }
        return String(cString: text)
    }
}

/// The public keys of the `*.key` certificates in a folder (pyzmq's `load_certificates`
/// layout). A file that does not read as a certificate is reported and admits nobody.
public enum AuthorizedKeys {
    public static func read(_ directory: String, log: (String) -> Void) -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            log("cannot read the authorised keys folder \(directory)")
            return []
        }
        var keys: Set<String> = []
        for name in names where name.hasSuffix(".key") {
            do { keys.insert(try CurveCertificate.read((directory as NSString).appendingPathComponent(name)).publicKey) } catch {
                log("skipped \(error)")
            }
        }
        return keys
    }
}
