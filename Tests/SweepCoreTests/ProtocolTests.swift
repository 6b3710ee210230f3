import Foundation
import MLPKit
import XCTest

@testable import SweepCore

/// Wire protocol v1: every message round-trips, every kind of malformed input gives its own
/// error, and no input at all makes decoding trap.
final class ProtocolTests: XCTestCase {
    static let epoch: JSONObject = [
        "type": .string("epoch"), "epoch": .number(3), "train_loss": .number(2.302585),
        "val_loss": .null, "grad_norm": .array([.number(1e-9), .number(0.5)]),
        "diverged": .bool(false), "nested": .object(["lr": .number(0.001)]),
    ]

    /// One of every command, with optional fields both present and absent.
    static let samples: [Message] = [
        .hello(HelloBody(workerID: "w-1", host: "node-1", cores: 8, pid: 4242, version: "0.2.0")),
        .hello(HelloBody(workerID: "w-2", host: "node-2", cores: 2, pid: 7, version: "0.2.0",
                         current: TrialAttempt(trialID: "0123456789ab", attempt: 2))),
        .ready,
        .task(TaskBody(trialID: "0123456789ab", attempt: 1,
                       parameters: [.init("depth", "7"), .init("lr", "0.001"), .init("act", "relu")], threads: 4)),
        .metric(MetricBody(trialID: "0123456789ab", attempt: 1, epoch: epoch)),
        .result(ResultBody(trialID: "0123456789ab", attempt: 1,
                           result: ["status": .string("ok"), "test_acc": .number(0.8712)])),
        .fail(FailBody(trialID: "0123456789ab", attempt: 3, reason: "out of memory: ünïcode ✓")),
        .ack(TrialAttempt(trialID: "0123456789ab", attempt: 1)),
        .heartbeat,
        .cancel(TrialAttempt(trialID: "0123456789ab", attempt: 1)),
        .disconnect(DisconnectBody(reason: DisconnectBody.done)),
        .disconnect(DisconnectBody(reason: DisconnectBody.unknown)),
        .error(ErrorBody(reason: "frame 1: unknown command 'HELO'")),
    ]

    func testEveryMessageRoundTrips() throws {
        XCTAssertEqual(Set(Self.samples.map(\.command)), Set(Command.allCases))
        for message in Self.samples {
            let frames = try MessageCodec.encode(message)
            XCTAssertEqual(frames.count, 3)
            XCTAssertEqual(frames[0], Array("VGS1".utf8))
            XCTAssertEqual(String(decoding: frames[1], as: UTF8.self), message.command.rawValue)
            XCTAssertEqual(try MessageCodec.decode(frames: frames), message)

            let routed = try MessageCodec.decode(routed: MessageCodec.encode(message, to: [0, 1, 2]))
            XCTAssertEqual(routed.identity, [0, 1, 2])
            XCTAssertEqual(routed.message, message)
        }
    }

    func testWireFormatIsSnakeCaseJSON() throws {
        let task = try MessageCodec.encode(.task(TaskBody(trialID: "t", attempt: 2, parameters: [.init("lr", "0.01")], threads: 3)))
        XCTAssertEqual(String(decoding: task[2], as: UTF8.self),
                       #"{"attempt":2,"parameters":[["lr","0.01"]],"threads":3,"trial_id":"t"}"#)
        let hello = try MessageCodec.encode(.hello(HelloBody(workerID: "w", host: "h", cores: 1, pid: 2, version: "v",
                                                             current: TrialAttempt(trialID: "t", attempt: 1))))
        XCTAssertEqual(String(decoding: hello[2], as: UTF8.self),
                       #"{"cores":1,"current":{"attempt":1,"trial_id":"t"},"host":"h","pid":2,"version":"v","worker_id":"w"}"#)
        XCTAssertEqual(try MessageCodec.encode(.ready)[2], Array("{}".utf8))
        // Unknown keys are ignored (forward compatibility); `current` may be null.
        let body = #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v","current":null,"gpu":"none"}"#
        XCTAssertEqual(try MessageCodec.decode(frames: [Array("VGS1".utf8), Array("HELLO".utf8), Array(body.utf8)]),
                       .hello(HelloBody(workerID: "w", host: "h", cores: 1, pid: 2, version: "v")))
    }

    /// The coordinator stores reports as text and may read them back as MLPKit types;
    /// NaN and infinities survive as in the worker's JSON lines.
    func testRawJSONPassesThrough() throws {
        struct Report: Codable, Equatable { var epoch: Int; var trainLoss: Double; var lr: Float; var valLoss: Double? }
        let report = Report(epoch: 2, trainLoss: .nan, lr: 0.001, valLoss: .infinity)
        let object = try JSONObject(encoding: report)
        XCTAssertEqual(object["trainLoss"], .string("nan"))
        XCTAssertEqual(object.jsonText, #"{"epoch":2,"lr":0.001,"trainLoss":"nan","valLoss":"inf"}"#)
        let back = try object.decode(as: Report.self)
        XCTAssertEqual(back.epoch, 2)
        XCTAssertTrue(back.trainLoss.isNaN)
        XCTAssertEqual(back.lr, 0.001)
        XCTAssertEqual(back.valLoss, .infinity)

        let message = Message.metric(MetricBody(trialID: "t", attempt: 1, epoch: object))
        XCTAssertEqual(try MessageCodec.decode(frames: MessageCodec.encode(message)), message)
        // A JSONValue built by hand with a non-finite number still encodes.
        XCTAssertEqual(["x": JSONValue.number(-.infinity)].jsonText, #"{"x":"-inf"}"#)
    }

    // MARK: Malformed input

    private func frames(_ command: String, _ body: String, signature: String = "VGS1") -> [[UInt8]] {
        [Array(signature.utf8), Array(command.utf8), Array(body.utf8)]
    }

    private func decodeError(_ frames: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) -> ProtocolError? {
        do {
            let message = try MessageCodec.decode(frames: frames)
            XCTFail("decoded \(message)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private let hello = #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v"}"#

    func testFrameCountAndSize() {
        XCTAssertEqual(decodeError([]), .wrongFrameCount(0))
        XCTAssertEqual(decodeError(Array(frames("HELLO", hello).prefix(2))), .wrongFrameCount(2))
        XCTAssertEqual(decodeError(frames("HELLO", hello) + [[]]), .wrongFrameCount(4))
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: ProtocolLimits.maxMessageBytes)
        XCTAssertEqual(decodeError([Array("VGS1".utf8), Array("READY".utf8), huge]),
                       .tooLarge(bytes: ProtocolLimits.maxMessageBytes + 9, frame: 2))
        XCTAssertThrowsError(try MessageCodec.encode(.fail(FailBody(trialID: "t", attempt: 1,
                                                                     reason: String(repeating: "x", count: 1 << 20))))) {
            XCTAssertEqual(($0 as? ProtocolError).map { if case .tooLarge = $0 { true } else { false } }, true)
        }
        XCTAssertEqual(decodeError(frames("HELLO", hello) + [[], []]).map(\.description),
                       "frame count: 5 frames; expected 3 (signature, command, body)")
    }

    func testSignatureAndCommand() {
        XCTAssertEqual(decodeError(frames("HELLO", hello, signature: "VGS2")), .unsupportedVersion("VGS2"))
        XCTAssertEqual(decodeError(frames("HELLO", hello, signature: "VGS2"))?.description,
                       "frame 0: unsupported protocol version 'VGS2'; this peer speaks VGS1")
        XCTAssertEqual(decodeError(frames("HELLO", hello, signature: "ZMTP")), .badSignature(Array("ZMTP".utf8)))
        XCTAssertEqual(decodeError(frames("HELLO", hello, signature: "VGS1 ")), .badSignature(Array("VGS1 ".utf8)))
        XCTAssertEqual(decodeError(frames("HELLO", hello, signature: "")), .badSignature([]))

        XCTAssertEqual(decodeError(frames("HELO", hello)), .unknownCommand("HELO"))
        XCTAssertEqual(decodeError(frames("HELO", hello))?.description, "frame 1: unknown command 'HELO'")
        XCTAssertEqual(decodeError(frames("hello", hello)), .unknownCommand("hello"))
        XCTAssertEqual(decodeError([Array("VGS1".utf8), [0x48, 0xFF, 0x00, 0x5C], []]), .unknownCommand(#"H\xFF\x00\x5C"#))
    }

    func testBodyEncodingAndSyntax() {
        XCTAssertEqual(decodeError([Array("VGS1".utf8), Array("READY".utf8), [0x7B, 0xFF, 0x7D]]), .invalidUTF8(command: .ready))
        XCTAssertEqual(decodeError(frames("READY", "[]")), .bodyNotObject(command: .ready))
        XCTAssertEqual(decodeError(frames("HEARTBEAT", "3")), .bodyNotObject(command: .heartbeat))
        XCTAssertEqual(decodeError(frames("READY", "\"{}\"")), .bodyNotObject(command: .ready))
        for bad in ["", "{", #"{"worker_id":"w""#, "{} {}", "{\"a\":\"\u{1}\"}", #"{"a":1e400}"#,
                    String(repeating: "[", count: 100_000), #"{'a':1}"#] {
            guard case .invalidJSON(.hello, let detail)? = decodeError(frames("HELLO", bad)) else {
                return XCTFail("not invalidJSON: \(bad.prefix(20))")
            }
            XCTAssertFalse(detail.isEmpty)
        }
        XCTAssertEqual(decodeError(frames("HELLO", "{")).map(\.description)?.hasPrefix("frame 2: HELLO body is not valid JSON: "), true)
    }

    func testBodyFields() {
        XCTAssertEqual(decodeError(frames("HELLO", "{}")), .missingField(command: .hello, field: "worker_id"))
        XCTAssertEqual(decodeError(frames("HELLO", #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v","current":{"trial_id":"t"}}"#)),
                       .missingField(command: .hello, field: "current.attempt"))
        XCTAssertEqual(decodeError(frames("HELLO", #"{"worker_id":"w","host":"h","cores":"8","pid":2,"version":"v"}"#)),
                       .wrongType(command: .hello, field: "cores"))
        XCTAssertEqual(decodeError(frames("HELLO", #"{"worker_id":null,"host":"h","cores":8,"pid":2,"version":"v"}"#)),
                       .wrongType(command: .hello, field: "worker_id"))
        XCTAssertEqual(decodeError(frames("ACK", #"{"trial_id":"t","attempt":1e30}"#)),
                       .wrongType(command: .ack, field: "(a number)"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"parameters":[["lr"]],"threads":1}"#)),
                       .wrongType(command: .task, field: "parameters[0]"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"parameters":[["lr",1]],"threads":1}"#)),
                       .wrongType(command: .task, field: "parameters[0][1]"))
        XCTAssertEqual(decodeError(frames("METRIC", #"{"trial_id":"t","attempt":1,"epoch":[1]}"#)),
                       .wrongType(command: .metric, field: "epoch"))
        XCTAssertEqual(decodeError(frames("RESULT", #"{"trial_id":"t","attempt":1}"#))?.description,
                       "frame 2: RESULT body lacks required field 'result'")
        XCTAssertEqual(decodeError(frames("DISCONNECT", #"{"reason":5}"#))?.description,
                       "frame 2: DISCONNECT body field 'reason' has the wrong type or is out of range")
    }

    func testRoutedErrorsKeepTheIdentity() {
        XCTAssertThrowsError(try MessageCodec.decode(routed: [])) {
            XCTAssertEqual(($0 as? MessageCodec.RoutedError)?.error, .missingIdentity)
        }
        XCTAssertThrowsError(try MessageCodec.decode(routed: [[7, 7]] + frames("HELO", "{}"))) {
            XCTAssertEqual($0 as? MessageCodec.RoutedError,
                           MessageCodec.RoutedError(identity: [7, 7], error: .unknownCommand("HELO")))
        }
    }

    // MARK: Fuzz

    /// 10,000 random and mutated messages: decoding must never trap, and almost all fail.
    /// Whatever does decode must re-encode to something that decodes to the same message.
    func testFuzzedInputNeverTraps() throws {
        var rng = Xoshiro256(seed: 0x5EED_F00D)
        let valid = try Self.samples.map { try MessageCodec.encode($0) }
        var decoded = 0
        var errorsSeen = Set<String>()
        let iterations = 10_000
        for _ in 0..<iterations {
            let input = Self.fuzzInput(valid: valid, rng: &rng)
            do {
                let message = try MessageCodec.decode(frames: input)
                decoded += 1
                XCTAssertEqual(try MessageCodec.decode(frames: MessageCodec.encode(message)), message)
            } catch {
                errorsSeen.insert(Self.caseName(error))
            }
        }
        XCTAssertLessThan(decoded, iterations / 10, "too many fuzzed inputs were valid")
        // The mutations reach every check except the size limit (tested above).
        XCTAssertEqual(errorsSeen, ["wrongFrameCount", "badSignature", "unsupportedVersion", "unknownCommand",
                                    "invalidUTF8", "invalidJSON", "bodyNotObject", "missingField", "wrongType"])
    }

    private static func caseName(_ error: ProtocolError) -> String {
        switch error {
        case .missingIdentity: "missingIdentity"
        case .wrongFrameCount: "wrongFrameCount"
        case .tooLarge: "tooLarge"
        case .badSignature: "badSignature"
        case .unsupportedVersion: "unsupportedVersion"
        case .unknownCommand: "unknownCommand"
        case .invalidUTF8: "invalidUTF8"
        case .invalidJSON: "invalidJSON"
        case .bodyNotObject: "bodyNotObject"
        case .missingField: "missingField"
        case .wrongType: "wrongType"
        }
    }

    private static func fuzzInput(valid: [[[UInt8]]], rng: inout Xoshiro256) -> [[UInt8]] {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        if Bool.random(using: &rng) {
            // Random frames, sometimes behind a valid signature and command to get further in.
            var frames = (0..<Int.random(in: 0...6, using: &rng)).map { _ in bytes(Int.random(in: 0...40, using: &rng)) }
            if frames.count == 3 && Bool.random(using: &rng) {
                frames[0] = ProtocolLimits.signature
                frames[1] = Array(Command.allCases.randomElement(using: &rng)!.rawValue.utf8)
            }
            return frames
        }
        var frames = valid.randomElement(using: &rng)!
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:  // flip bits of a few bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let f = Int.random(in: 0..<3, using: &rng)
                guard !frames[f].isEmpty else { continue }
                frames[f][Int.random(in: 0..<frames[f].count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        case 1:  // truncate the JSON
            frames[2] = Array(frames[2].prefix(Int.random(in: 0..<frames[2].count, using: &rng)))
        case 2:  // a field of the wrong type, or missing
            guard case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(frames[2])),
                  let key = object.keys.sorted().randomElement(using: &rng) else { return frames }
            let wrong: [JSONValue?] = [nil, .null, .bool(true), .number(-1.5), .string("x"), .array([]), .object([:])]
            object[key] = wrong.randomElement(using: &rng)!
            frames[2] = Array(object.jsonText.utf8)
        case 3:  // a frame too many or too few
            if Bool.random(using: &rng) { frames.removeLast() } else { frames.append(bytes(3)) }
        case 4:  // random bytes spliced into the body
            frames[2].insert(contentsOf: bytes(Int.random(in: 1...8, using: &rng)),
                             at: Int.random(in: 0...frames[2].count, using: &rng))
        case 5:  // a body that is JSON but not an object
            frames[2] = Array(["[]", "3", "\"{}\"", "null", "true", "[{}]"].randomElement(using: &rng)!.utf8)
        default:  // another signature or a misspelt command
            let f = Int.random(in: 0...1, using: &rng)
            frames[f] = Array(frames[f].dropLast()) + bytes(1)
        }
        return frames
    }
}
