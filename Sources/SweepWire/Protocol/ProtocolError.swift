/// Why a received message is not valid protocol v1. Each case names the frame at fault;
/// frames are numbered from the signature (0), after any ROUTER identity frame.
///
/// A coordinator answers these with an ERROR message carrying `description`, then carries on:
/// a malformed message never ends the conversation, let alone the process.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A ROUTER message without even the identity frame.
    case missingIdentity
    /// Not 3 frames (signature, command, body), or 4 for METRIC and RESULT (plus the payload);
    /// `command` is nil when the count is neither 3 nor 4, so the command was not even read.
    case wrongFrameCount(Int, command: Command?)
    /// The message is larger than `ProtocolLimits.maxMessageBytes`; `frame` is the largest one.
    case tooLarge(bytes: Int, frame: Int)
    /// Frame 0 is not `VGS` followed by a version: not a vgsweep peer.
    case badSignature([UInt8])
    /// Frame 0 is `VGS` and another version, e.g. `VGS2`.
    case unsupportedVersion(String)
    /// Frame 1 is not one of `Command`'s raw values (shown with non-printable bytes escaped).
    case unknownCommand(String)
    /// Frame 2 is not valid UTF-8.
    case invalidUTF8(command: Command)
    /// Frame 2 is not valid JSON; `detail` is the parser's explanation.
    case invalidJSON(command: Command, detail: String)
    /// Frame 2 is valid JSON but not an object.
    case bodyNotObject(command: Command)
    /// The body lacks a required field (a dotted path such as `current.attempt`).
    case missingField(command: Command, field: String)
    /// A field has the wrong type or a value out of range (null for a required field included).
    case wrongType(command: Command, field: String)
    /// Frame 3 of METRIC or RESULT is not valid UTF-8, not a JSON object, or not valid JSON;
    /// `detail` says which (and where).
    case invalidPayload(command: Command, detail: String)

    public var description: String {
        switch self {
        case .missingIdentity:
            "identity frame: missing (an empty ROUTER message)"
        case .wrongFrameCount(let count, nil):
            "frame count: \(count) frames; expected 3 (signature, command, body), or 4 for METRIC and RESULT (plus the payload)"
        case .wrongFrameCount(let count, let command?) where command.hasPayload:
            "frame count: \(command.rawValue) with \(count) frames; expected 4 (signature, command, body, payload)"
        case .wrongFrameCount(let count, let command?):
            "frame count: \(command.rawValue) with \(count) frames; expected 3 (signature, command, body)"
        case .tooLarge(let bytes, let frame):
            "frame \(frame): message of \(bytes) bytes exceeds the limit of \(ProtocolLimits.maxMessageBytes)"
        case .badSignature(let bytes):
            "frame 0: signature '\(Self.printable(bytes))' is not a vgsweep protocol"
        case .unsupportedVersion(let signature):
            "frame 0: unsupported protocol version '\(signature)'; this peer speaks \(ProtocolLimits.signatureText)"
        case .unknownCommand(let command):
            "frame 1: unknown command '\(command)'"
        case .invalidUTF8(let command):
            "frame 2: \(command.rawValue) body is not valid UTF-8"
        case .invalidJSON(let command, let detail):
            "frame 2: \(command.rawValue) body is not valid JSON: \(detail)"
        case .bodyNotObject(let command):
            "frame 2: \(command.rawValue) body is not a JSON object"
        case .missingField(let command, let field):
            "frame 2: \(command.rawValue) body lacks required field '\(field)'"
        case .wrongType(let command, let field):
            "frame 2: \(command.rawValue) body field '\(field)' has the wrong type or is out of range"
        case .invalidPayload(let command, let detail):
            "frame 3: \(command.rawValue) payload \(detail)"
        }
    }

    /// Bytes as text for an error message: printable ASCII as is, anything else as \xNN,
    /// at most 32 bytes (the input may be hostile or huge).
    static func printable(_ bytes: [UInt8]) -> String {
        var text = bytes.prefix(32).map { byte in
            (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\")
                ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }.joined()
        if bytes.count > 32 { text += "..." }
        return text
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
