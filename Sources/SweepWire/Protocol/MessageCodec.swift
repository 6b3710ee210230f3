import Foundation

/// The fixed numbers of protocol v1.
public enum ProtocolLimits {
    /// Frame 0 of every message: protocol and version.
    public static let signatureText = "VGS1"
    public static let signature: [UInt8] = Array(signatureText.utf8)
    /// The largest message, all protocol frames together (the ROUTER identity not counted).
    /// Sockets should also set `setMaxMessageSize(maxMessageBytes)` so libzmq drops an
    /// oversized frame before it is even buffered.
    public static let maxMessageBytes = 1 << 20
    /// Signature, command, body (plus the identity frame on a ROUTER).
    public static let frameCount = 3
    /// METRIC and RESULT: signature, command, body, payload.
    public static let payloadFrameCount = 4
    /// The most parts a socket keeps of one message (`ZMQSocket.receiveMessage(maxParts:)`):
    /// libzmq caps each frame's size, not their number, so a peer could otherwise make the
    /// receiver hold millions of empty frames. One more on a ROUTER, for the routing id.
    public static let maxParts = payloadFrameCount
    public static let maxRoutedParts = 1 + payloadFrameCount
    /// Deepest nesting of arrays and objects in a body or a payload.
    public static let maxJSONDepth = JSONReader.maxDepth
}

extension Command {
    /// METRIC and RESULT carry a 4th frame, the payload (a JSON object passed through as text).
    public var hasPayload: Bool { self == .metric || self == .result }

    /// How many protocol frames a message of this command has.
    public var frameCount: Int { hasPayload ? ProtocolLimits.payloadFrameCount : ProtocolLimits.frameCount }

    /// Frame 1.
    var frame: [UInt8] { Self.frames[self]! }

    static let frames: [Command: [UInt8]] = Dictionary(uniqueKeysWithValues: allCases.map { ($0, Array($0.rawValue.utf8)) })
    static let byFrame: [[UInt8]: Command] = Dictionary(uniqueKeysWithValues: allCases.map { (Array($0.rawValue.utf8), $0) })
}

/// Turns `Message`s into the frames of protocol v1 and back.
///
/// Decoding validates everything and never traps: any input, however hostile, gives either a
/// `Message` or a `ProtocolError` naming the frame at fault. Bodies are read and written by
/// `JSONReader` and `JSONWriter` (strict JSON, unknown keys ignored); payloads are checked for
/// syntax but never parsed into values.
public enum MessageCodec {
    // MARK: Encoding

    /// The protocol frames: signature, command, JSON body, and for METRIC and RESULT the payload.
    /// - Throws: `.tooLarge` if the message would exceed `ProtocolLimits.maxMessageBytes`
    ///   (the peer would drop it, or the connection, anyway).
    public static func encode(_ message: Message) throws(ProtocolError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(4)
        try append(message, to: &frames)
        return frames
    }

    /// A ROUTER's outgoing message: the peer's routing id, then the protocol frames.
    public static func encode(_ message: Message, to identity: [UInt8]) throws(ProtocolError) -> [[UInt8]] {
        var frames: [[UInt8]] = [identity]
        frames.reserveCapacity(5)
        try append(message, to: &frames)
        return frames
    }

    private static func append(_ message: Message, to frames: inout [[UInt8]]) throws(ProtocolError) {
        let first = frames.count
        frames.append(ProtocolLimits.signature)
        frames.append(message.command.frame)
        frames.append(body(of: message))
        switch message {
        case .metric(let m): frames.append(Array(m.report.text.utf8))
        case .result(let r): frames.append(Array(r.result.text.utf8))
        default: break
        }
        try checkSize(frames, from: first)
    }

    /// The body as JSON, keys sorted (the bytes `JSONEncoder` with `.sortedKeys` would write).
    static func body(of message: Message) -> [UInt8] {
        var w = JSONWriter()
        switch message {
        case .ready, .heartbeat:
            w.raw("{}")
        case .hello(let b):
            w.raw("{"); w.key("cores"); w.int(b.cores)
            if let current = b.current {
                w.raw(","); w.key("current"); w.raw("{"); w.key("attempt"); w.int(current.attempt)
                w.raw(","); w.key("trial_id"); w.string(current.trialID); w.raw("}")
            }
            w.raw(","); w.key("host"); w.string(b.host)
            w.raw(","); w.key("pid"); w.int(b.pid)
            w.raw(","); w.key("version"); w.string(b.version)
            w.raw(","); w.key("worker_id"); w.string(b.workerID); w.raw("}")
        case .task(let b):
            w.raw("{"); w.key("attempt"); w.int(b.attempt)
            w.raw(","); w.key("parameters"); w.raw("[")
            for (k, p) in b.parameters.enumerated() {
                if k > 0 { w.raw(",") }
                w.raw("["); w.string(p.key); w.raw(","); w.string(p.value); w.raw("]")
            }
            w.raw("]")
            w.raw(","); w.key("threads"); w.int(b.threads)
            w.raw(","); w.key("trial_id"); w.string(b.trialID); w.raw("}")
        case .metric(let b):
            w.raw("{"); w.key("attempt"); w.int(b.attempt)
            w.raw(","); w.key("epoch"); w.int(b.epoch)
            w.raw(","); w.key("trial_id"); w.string(b.trialID); w.raw("}")
        case .result(let b):
            attempt(&w, b.trialID, b.attempt)
        case .fail(let b):
            w.raw("{"); w.key("attempt"); w.int(b.attempt)
            w.raw(","); w.key("reason"); w.string(b.reason)
            w.raw(","); w.key("trial_id"); w.string(b.trialID); w.raw("}")
        case .ack(let b), .cancel(let b):
            attempt(&w, b.trialID, b.attempt)
        case .disconnect(let b):
            w.raw("{"); w.key("reason"); w.string(b.reason); w.raw("}")
        case .error(let b):
            w.raw("{"); w.key("reason"); w.string(b.reason); w.raw("}")
        case .missing(let b):
            w.raw("{"); w.key("attempt"); w.int(b.attempt)
            w.raw(","); w.key("epochs"); w.raw("[")
            for (k, epoch) in b.epochs.enumerated() {
                if k > 0 { w.raw(",") }
                w.int(epoch)
            }
            w.raw("]")
            w.raw(","); w.key("trial_id"); w.string(b.trialID); w.raw("}")
        }
        return w.bytes
    }

    private static func attempt(_ w: inout JSONWriter, _ trialID: String, _ attempt: Int) {
        w.raw("{"); w.key("attempt"); w.int(attempt)
        w.raw(","); w.key("trial_id"); w.string(trialID); w.raw("}")
    }

    // MARK: Decoding

    /// Decodes the protocol frames (a DEALER's received message, or a ROUTER's without its
    /// identity frame).
    public static func decode(frames: [[UInt8]]) throws(ProtocolError) -> Message {
        try decode(frames, from: 0)
    }

    /// Decodes a message as a DEALER socket received it, capped at `maxParts`: a message with
    /// more parts is refused by their count.
    public static func decode(_ inbound: InboundMessage) throws(ProtocolError) -> Message {
        guard inbound.droppedParts == 0 else { throw .wrongFrameCount(inbound.partCount, command: nil) }
        return try decode(inbound.frames, from: 0)
    }

    /// Decodes `frames[first...]`.
    private static func decode(_ frames: [[UInt8]], from first: Int) throws(ProtocolError) -> Message {
        try checkSize(frames, from: first)
        let count = frames.count - first
        guard count == ProtocolLimits.frameCount || count == ProtocolLimits.payloadFrameCount else {
            throw .wrongFrameCount(count, command: nil)
        }
        try checkSignature(frames[first])
        guard let command = Command.byFrame[frames[first + 1]] else {
            throw .unknownCommand(ProtocolError.printable(frames[first + 1]))
        }
        guard count == command.frameCount else { throw .wrongFrameCount(count, command: command) }
        let f = try fields(frames[first + 2], command)
        switch command {
        case .hello: return .hello(try hello(f))
        case .ready: return .ready
        case .task: return .task(try task(f))
        case .metric:
            let trialID = try f.string("trial_id"), attempt = try f.int("attempt"), epoch = try f.int("epoch")
            return .metric(MetricBody(trialID: trialID, attempt: attempt, epoch: epoch,
                                      report: try payload(frames[first + 3], command)))
        case .result:
            let trialID = try f.string("trial_id"), attempt = try f.int("attempt")
            return .result(ResultBody(trialID: trialID, attempt: attempt, result: try payload(frames[first + 3], command)))
        case .fail:
            return .fail(FailBody(trialID: try f.string("trial_id"), attempt: try f.int("attempt"), reason: try f.string("reason")))
        case .ack: return .ack(try trialAttempt(f))
        case .heartbeat: return .heartbeat
        case .cancel: return .cancel(try trialAttempt(f))
        case .disconnect: return .disconnect(DisconnectBody(reason: try f.string("reason")))
        case .error: return .error(ErrorBody(reason: try f.string("reason")))
        case .missing:
            let trialID = try f.string("trial_id"), attempt = try f.int("attempt")
            return .missing(MissingBody(trialID: trialID, attempt: attempt, epochs: try f.ints("epochs")))
        }
    }

    /// Decodes a message as a ROUTER socket received it, capped at `maxRoutedParts`: a message
    /// with more parts is refused by their count, with the sender's routing id.
    public static func decode(routed inbound: InboundMessage) throws(RoutedError) -> (identity: [UInt8], message: Message) {
        guard inbound.droppedParts == 0 else {
            throw RoutedError(identity: inbound.frames.first ?? [], error: .wrongFrameCount(inbound.partCount - 1, command: nil))
        }
        return try decode(routed: inbound.frames)
    }

    /// Decodes a message as a ROUTER receives it: the sender's identity, then the protocol
    /// frames. The identity is returned even when the rest is malformed (see `RoutedError`),
    /// so the coordinator can answer ERROR to the right peer.
    public static func decode(routed frames: [[UInt8]]) throws(RoutedError) -> (identity: [UInt8], message: Message) {
        guard let identity = frames.first else { throw RoutedError(identity: [], error: .missingIdentity) }
        do {
            return (identity, try decode(frames, from: 1))
        } catch {
            throw RoutedError(identity: identity, error: error)
        }
    }

    /// A malformed message received on a ROUTER, with the identity of the peer that sent it.
    public struct RoutedError: Error, Equatable, Sendable, CustomStringConvertible {
        public let identity: [UInt8]
        public let error: ProtocolError
        public var description: String { error.description }
    }

    // MARK: Checks, in the order decode applies them

    private static func checkSize(_ frames: [[UInt8]], from first: Int) throws(ProtocolError) {
        var total = 0
        for k in first..<frames.count { total += frames[k].count }
        if total > ProtocolLimits.maxMessageBytes {
            let largest = (first..<frames.count).max { frames[$0].count < frames[$1].count } ?? first
            throw .tooLarge(bytes: total, frame: largest - first)
        }
    }

    private static func checkSignature(_ frame: [UInt8]) throws(ProtocolError) {
        if frame == ProtocolLimits.signature { return }
        let family = Array(ProtocolLimits.signature.prefix(3))
        if frame.count == 4, Array(frame.prefix(3)) == family, (0x21..<0x7F).contains(frame[3]) {
            throw .unsupportedVersion(ProtocolError.printable(frame))
        }
        throw .badSignature(frame)
    }

    /// Frame 2: UTF-8, then strict JSON syntax, then an object; the fields come after.
    private static func fields(_ body: [UInt8], _ command: Command) throws(ProtocolError) -> Fields {
        guard String(validating: body, as: UTF8.self) != nil else { throw .invalidUTF8(command: command) }
        let value: JSONField
        do { value = try JSONReader.parse(body) } catch { throw .invalidJSON(command: command, detail: error.detail) }
        guard case .object(let members) = value else { throw .bodyNotObject(command: command) }
        return Fields(command: command, members: members, path: "")
    }

    /// Frame 3 of METRIC and RESULT: UTF-8, an object, strict JSON syntax; kept as text.
    private static func payload(_ bytes: [UInt8], _ command: Command) throws(ProtocolError) -> JSONPayload {
        do { return try JSONPayload(validating: bytes) } catch {
            throw .invalidPayload(command: command, detail: error.detail)
        }
    }

    // MARK: Bodies

    private static func hello(_ f: Fields) throws(ProtocolError) -> HelloBody {
        let workerID = try f.string("worker_id"), host = try f.string("host")
        let cores = try f.int("cores"), pid = try f.int("pid"), version = try f.string("version")
        let current = try f.object("current").map { (c: Fields) throws(ProtocolError) in try trialAttempt(c) }
        return HelloBody(workerID: workerID, host: host, cores: cores, pid: pid, version: version, current: current)
    }

    private static func task(_ f: Fields) throws(ProtocolError) -> TaskBody {
        let trialID = try f.string("trial_id"), attempt = try f.int("attempt")
        guard let list = f["parameters"] else { throw .missingField(command: f.command, field: "parameters") }
        guard case .array(let items) = list else { throw .wrongType(command: f.command, field: "parameters") }
        var parameters: [TaskBody.Parameter] = []
        parameters.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2 else {
                throw .wrongType(command: f.command, field: "parameters[\(k)]")
            }
            guard case .string(let key) = pair[0] else { throw .wrongType(command: f.command, field: "parameters[\(k)][0]") }
            guard case .string(let value) = pair[1] else { throw .wrongType(command: f.command, field: "parameters[\(k)][1]") }
            parameters.append(.init(key, value))
        }
        return TaskBody(trialID: trialID, attempt: attempt, parameters: parameters, threads: try f.int("threads"))
    }

    private static func trialAttempt(_ f: Fields) throws(ProtocolError) -> TrialAttempt {
        TrialAttempt(trialID: try f.string("trial_id"), attempt: try f.int("attempt"))
    }

    /// A body object's members, read field by field with errors naming the field's path.
    private struct Fields {
        let command: Command
        let members: [(key: String, value: JSONField)]
        /// "" at the top level, "current." inside `current`.
        let path: String

        /// The member's value (the last one if the key is repeated); nil when absent.
        subscript(key: String) -> JSONField? {
            members.last { $0.key == key }?.value
        }

        func string(_ key: String) throws(ProtocolError) -> String {
            switch self[key] {
            case .string(let s)?: return s
            case nil: throw .missingField(command: command, field: path + key)
            default: throw .wrongType(command: command, field: path + key)
            }
        }

        /// An integer; a number written otherwise (`2.0`, `1e3`) counts if it is exactly one.
        func int(_ key: String) throws(ProtocolError) -> Int {
            switch self[key] {
            case .int(let n)?: return n
            case .double(let x)?: if let n = Int(exactly: x) { return n }
            case nil: throw .missingField(command: command, field: path + key)
            default: break
            }
            throw .wrongType(command: command, field: path + key)
        }

        /// An array of integers, each read as `int` reads one.
        func ints(_ key: String) throws(ProtocolError) -> [Int] {
            guard let value = self[key] else { throw .missingField(command: command, field: path + key) }
            guard case .array(let items) = value else { throw .wrongType(command: command, field: path + key) }
            var numbers: [Int] = []
            numbers.reserveCapacity(items.count)
            for (k, item) in items.enumerated() {
                switch item {
                case .int(let n): numbers.append(n)
                case .double(let x) where Int(exactly: x) != nil: numbers.append(Int(exactly: x)!)
                default: throw .wrongType(command: command, field: "\(path)\(key)[\(k)]")
                }
            }
            return numbers
        }

        /// An optional object: absent or null is nil.
        func object(_ key: String) throws(ProtocolError) -> Fields? {
            switch self[key] {
            case nil, .null?: return nil
            case .object(let members)?: return Fields(command: command, members: members, path: path + key + ".")
            default: throw .wrongType(command: command, field: path + key)
            }
        }
    }
}
