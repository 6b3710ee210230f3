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
}

/// Turns `Message`s into the frames of protocol v1 and back.
///
/// Decoding validates everything and never traps: any input, however hostile, gives either a
/// `Message` or a `ProtocolError` naming the frame at fault.
public enum MessageCodec {
    // MARK: Encoding

    /// The 3 protocol frames: signature, command, JSON body.
    /// - Throws: `.tooLarge` if the message would exceed `ProtocolLimits.maxMessageBytes`
    ///   (the peer would drop it, or the connection, anyway).
    public static func encode(_ message: Message) throws(ProtocolError) -> [[UInt8]] {
        let frames = [ProtocolLimits.signature, Array(message.command.rawValue.utf8), body(of: message)]
        try checkSize(frames)
        return frames
    }

    /// A ROUTER's outgoing message: the peer's routing id, then the protocol frames.
    public static func encode(_ message: Message, to identity: [UInt8]) throws(ProtocolError) -> [[UInt8]] {
        [identity] + (try encode(message))
    }

    private static func body(of message: Message) -> [UInt8] {
        switch message {
        case .hello(let b): json(b)
        case .ready, .heartbeat: Array("{}".utf8)
        case .task(let b): json(b)
        case .metric(let b): json(b)
        case .result(let b): json(b)
        case .fail(let b): json(b)
        case .ack(let b), .cancel(let b): json(b)
        case .disconnect(let b): json(b)
        case .error(let b): json(b)
        }
    }

    private static func json<T: Encodable>(_ body: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Bodies hold only strings, integers and JSONValues, all of which always encode.
        return (try? Array(encoder.encode(body))) ?? Array("{}".utf8)
    }

    // MARK: Decoding

    /// Decodes the 3 protocol frames (a DEALER's received message, or a ROUTER's without its
    /// identity frame).
    public static func decode(frames: [[UInt8]]) throws(ProtocolError) -> Message {
        try checkSize(frames)
        guard frames.count == ProtocolLimits.frameCount else { throw .wrongFrameCount(frames.count) }
        try checkSignature(frames[0])
        guard let text = String(validating: frames[1], as: UTF8.self), let command = Command(rawValue: text) else {
            throw .unknownCommand(ProtocolError.printable(frames[1]))
        }
        let body = frames[2]
        try checkJSONObject(body, command)
        switch command {
        case .hello: return .hello(try decodeBody(body, command))
        case .ready: return .ready
        case .task: return .task(try decodeBody(body, command))
        case .metric: return .metric(try decodeBody(body, command))
        case .result: return .result(try decodeBody(body, command))
        case .fail: return .fail(try decodeBody(body, command))
        case .ack: return .ack(try decodeBody(body, command))
        case .heartbeat: return .heartbeat
        case .cancel: return .cancel(try decodeBody(body, command))
        case .disconnect: return .disconnect(try decodeBody(body, command))
        case .error: return .error(try decodeBody(body, command))
        }
    }

    /// Decodes a message as a ROUTER receives it: the sender's identity, then the protocol
    /// frames. The identity is returned even when the rest is malformed (see `RoutedError`),
    /// so the coordinator can answer ERROR to the right peer.
    public static func decode(routed frames: [[UInt8]]) throws(RoutedError) -> (identity: [UInt8], message: Message) {
        guard let identity = frames.first else { throw RoutedError(identity: [], error: .missingIdentity) }
        do {
            return (identity, try decode(frames: Array(frames.dropFirst())))
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

    private static func checkSize(_ frames: [[UInt8]]) throws(ProtocolError) {
        let total = frames.reduce(0) { $0 + $1.count }
        if total > ProtocolLimits.maxMessageBytes {
            let largest = frames.indices.max { frames[$0].count < frames[$1].count } ?? 0
            throw .tooLarge(bytes: total, frame: largest)
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

    /// UTF-8, then JSON syntax (strict: Foundation's JSONDecoder alone accepts raw control
    /// characters in strings), then the object check; the typed decoding comes after.
    private static func checkJSONObject(_ body: [UInt8], _ command: Command) throws(ProtocolError) {
        guard String(validating: body, as: UTF8.self) != nil else { throw .invalidUTF8(command: command) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw .invalidJSON(command: command, detail: detail ?? "unparseable")
        }
        guard object is [String: Any] else { throw .bodyNotObject(command: command) }
    }

    private static func decodeBody<T: Decodable>(_ body: [UInt8], _ command: Command) throws(ProtocolError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw map(error, command)
        } catch {
            throw .wrongType(command: command, field: "")
        }
    }

    /// The syntax is already known to be fine, so every DecodingError is about a field.
    private static func map(_ error: DecodingError, _ command: Command) -> ProtocolError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingPrefix(".").description
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(command: command, field: path(context.codingPath + [key]))
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            // An empty path here means a number too large for its integer field.
            return .wrongType(command: command, field: context.codingPath.isEmpty ? "(a number)" : path(context.codingPath))
        @unknown default:
            return .wrongType(command: command, field: "")
        }
    }
}
