import Foundation
import XCTest

@testable import SweepWire
import MLPKit

/// Wire protocol v1: every message round-trips, every kind of malformed input gives its own
/// error, and no input at all makes decoding trap.
final class ProtocolTests: XCTestCase {
    static let epochReport = try! JSONPayload(text: """
        {"type":"epoch","epoch":3,"train_loss":2.302585,"val_loss":null,"grad_norm":[1e-9,0.5],\
        "diverged":false,"nested":{"lr":0.001},"note":"ünïcode ✓ \\u00e9 \\"q\\""}
        """)

    /// One of every command, with optional fields both present and absent.
    static let samples: [Message] = [
        .hello(HelloBody(workerID: "w-1", host: "node-1", cores: 8, pid: 4242, version: "0.2.0")),
        .hello(HelloBody(workerID: "w-2", host: "node-2", cores: 2, pid: 7, version: "0.2.0",
                         current: TrialAttempt(trialID: "0123456789ab", attempt: 2))),
        .ready,
        .task(TaskBody(trialID: "0123456789ab", attempt: 1,
                       parameters: [.init("depth", "7"), .init("lr", "0.001"), .init("act", "relu")], threads: 4)),
        .metric(MetricBody(trialID: "0123456789ab", attempt: 1, epoch: 3, report: epochReport)),
        .result(ResultBody(trialID: "0123456789ab", attempt: 1,
                           result: try! JSONPayload(text: #"{"status":"ok","test_acc":0.8712}"#))),
        .fail(FailBody(trialID: "0123456789ab", attempt: 3, reason: "out of memory: ünïcode ✓")),
        .ack(TrialAttempt(trialID: "0123456789ab", attempt: 1)),
        .heartbeat,
        .cancel(TrialAttempt(trialID: "0123456789ab", attempt: 1)),
        .disconnect(DisconnectBody(reason: DisconnectBody.done)),
        .disconnect(DisconnectBody(reason: DisconnectBody.unknown)),
        .error(ErrorBody(reason: "frame 1: unknown command 'HELO'")),
        .missing(MissingBody(trialID: "0123456789ab", attempt: 1, epochs: [3, 4])),
        .missing(MissingBody(trialID: "0123456789ab", attempt: 2, epochs: [])),
    ]

    func testEveryMessageRoundTrips() throws {
        XCTAssertEqual(Set(Self.samples.map(\.command)), Set(Command.allCases))
        for message in Self.samples {
            let frames = try MessageCodec.encode(message)
            XCTAssertEqual(frames.count, message.command == .metric || message.command == .result ? 4 : 3)
            XCTAssertEqual(frames.count, message.command.frameCount)
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
        let missing = try MessageCodec.encode(.missing(MissingBody(trialID: "t", attempt: 1, epochs: [3, 4])))
        XCTAssertEqual(missing.map { String(decoding: $0, as: UTF8.self) },
                       ["VGS1", "MISSING", #"{"attempt":1,"epochs":[3,4],"trial_id":"t"}"#])
        // METRIC and RESULT: the body names the attempt, frame 3 is the payload as it was given.
        let report = try JSONPayload(text: #" {"epoch": 4, "b": [1, 2.5e-3]} "#)
        let metric = try MessageCodec.encode(.metric(MetricBody(trialID: "t", attempt: 2, epoch: 4, report: report)))
        XCTAssertEqual(metric.map { String(decoding: $0, as: UTF8.self) },
                       ["VGS1", "METRIC", #"{"attempt":2,"epoch":4,"trial_id":"t"}"#, #" {"epoch": 4, "b": [1, 2.5e-3]} "#])
        let result = try MessageCodec.encode(.result(ResultBody(trialID: "t", attempt: 2, result: try JSONPayload(text: "{}"))))
        XCTAssertEqual(result.map { String(decoding: $0, as: UTF8.self) }, ["VGS1", "RESULT", #"{"attempt":2,"trial_id":"t"}"#, "{}"])
        // Unknown keys are ignored (forward compatibility), whatever their value; `current` may be null.
        let body = #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v","current":null,"gpu":"none","# +
            #""x":{"y":[1,-2.5e10,true,false,null,"\u00e9",{}]},"z":[]}"#
        XCTAssertEqual(try MessageCodec.decode(frames: [Array("VGS1".utf8), Array("HELLO".utf8), Array(body.utf8)]),
                       .hello(HelloBody(workerID: "w", host: "h", cores: 1, pid: 2, version: "v")))
    }

    /// The hand-written body encoder writes exactly what JSONEncoder (sorted keys, slashes
    /// unescaped) writes for the same fields, escapes included.
    func testBodiesAreWhatJSONEncoderWrites() throws {
        struct Fail: Encodable { var trial_id: String; var attempt: Int; var reason: String }
        struct Pair: Encodable {
            var key: String, value: String
            func encode(to encoder: any Encoder) throws {
                var a = encoder.unkeyedContainer()
                try a.encode(key)
                try a.encode(value)
            }
        }
        struct Task: Encodable { var trial_id: String; var attempt: Int; var parameters: [Pair]; var threads: Int }
        struct Missing: Encodable { var trial_id: String; var attempt: Int; var epochs: [Int] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var texts = ["", "plain", "a/b", "quote \" backslash \\ end", "ünïcode ✓ 😀 \u{7F}", "tab\tnl\ncr\r",
                     String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })]
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            texts.append(String((0..<Int.random(in: 0...12, using: &rng)).map { _ in
                Character(Unicode.Scalar([0x00, 0x1F, 0x22, 0x2F, 0x41, 0x5C, 0x7F, 0xE9, 0x2028, 0x1F600]
                    .randomElement(using: &rng)!)!)
            }))
        }
        for (k, text) in texts.enumerated() {
            let attempt = [0, 1, -1, Int.max, Int.min][k % 5]
            let fail = try MessageCodec.encode(.fail(FailBody(trialID: text, attempt: attempt, reason: text)))
            XCTAssertEqual(String(decoding: fail[2], as: UTF8.self),
                           String(decoding: try encoder.encode(Fail(trial_id: text, attempt: attempt, reason: text)), as: UTF8.self))
            let task = TaskBody(trialID: text, attempt: attempt, parameters: [.init(text, text), .init("k", "v")], threads: 2)
            XCTAssertEqual(String(decoding: try MessageCodec.encode(.task(task))[2], as: UTF8.self),
                           String(decoding: try encoder.encode(Task(trial_id: text, attempt: attempt,
                                                                    parameters: [Pair(key: text, value: text), Pair(key: "k", value: "v")],
                                                                    threads: 2)), as: UTF8.self))
            XCTAssertEqual(try MessageCodec.decode(frames: MessageCodec.encode(.task(task))), .task(task))
            let epochs = Array([[], [1], [3, 4], [Int.max, Int.min, 0, -1]][k % 4])
            let missing = MissingBody(trialID: text, attempt: attempt, epochs: epochs)
            XCTAssertEqual(String(decoding: try MessageCodec.encode(.missing(missing))[2], as: UTF8.self),
                           String(decoding: try encoder.encode(Missing(trial_id: text, attempt: attempt, epochs: epochs)), as: UTF8.self))
            XCTAssertEqual(try MessageCodec.decode(frames: MessageCodec.encode(.missing(missing))), .missing(missing))
        }
    }

    /// The body reader: escapes, unicode, whitespace, numbers written in other ways.
    func testBodyReader() throws {
        func ack(_ body: String) throws -> Message {
            try MessageCodec.decode(frames: [Array("VGS1".utf8), Array("ACK".utf8), Array(body.utf8)])
        }
        XCTAssertEqual(try ack(#"{"trial_id":"q\"b\\s\/\b\f\n\r\t\u00e9\u00E9\ud83d\ude00é😀\u0000","attempt":1}"#),
                       .ack(TrialAttempt(trialID: "q\"b\\s/\u{8}\u{C}\n\r\té\u{E9}😀é😀\u{0}", attempt: 1)))
        XCTAssertEqual(try ack(" \t\r\n{ \"attempt\" : 7 , \"trial_id\" : \"t\" } \n"), .ack(TrialAttempt(trialID: "t", attempt: 7)))
        for (text, n) in [("7.0", 7), ("7e0", 7), ("0.7e1", 7), ("-0", 0), ("-3", -3), ("9223372036854775807", Int.max),
                          ("-9223372036854775808", Int.min)] {
            XCTAssertEqual(try ack(#"{"trial_id":"t","attempt":\#(text)}"#), .ack(TrialAttempt(trialID: "t", attempt: n)), text)
        }
        for text in ["7.5", "1e30", "9223372036854775808", "-1e19", "\"7\"", "true", "null", "[7]", "{}"] {
            XCTAssertEqual(Self.decodeError(frames("ACK", #"{"trial_id":"t","attempt":\#(text)}"#)),
                           .wrongType(command: .ack, field: "attempt"), text)
        }
        // A key given twice counts by its last value.
        XCTAssertEqual(try ack(#"{"trial_id":"a","attempt":1,"trial_id":"b"}"#), .ack(TrialAttempt(trialID: "b", attempt: 1)))
    }

    /// The reader accepts exactly what JSONSerialization accepts, on 20,000 random and mutated
    /// texts, except where Foundation is lax: it stops at a NUL byte and allows a trailing comma.
    func testBodyReaderAgreesWithFoundation() {
        var rng = SeededGenerator(seed: 42)
        let alphabet = Array(#"{}[]",:0123456789-+.eEtrufalsn \"\\/bu\#u{1}é"#.utf8) + [0x0A, 0xD8, 0x00]
        let seeds = [#"{"a":[1,2.5e3,-0.5,true,false,null,"x\"y\\z\u00e9\ud83d\ude00"],"b":{"c":{}}}"#, #"[1,{"a":"b"}]"#,
                     #""s""#, "-12.5E+3"]
        var accepted = 0
        for n in 0..<20_000 {
            var bytes: [UInt8]
            if n % 2 == 0 {
                bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                bytes = Array(seeds.randomElement(using: &rng)!.utf8)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = alphabet.randomElement(using: &rng)! }
                    case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...bytes.count, using: &rng))
                    default: if !bytes.isEmpty { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng)) }
                    }
                }
            }
            guard String(validating: bytes, as: UTF8.self) != nil else { continue }
            let parsed = try? JSONReader.parse(bytes)
            let isObject = if case .object? = parsed { true } else { false }
            XCTAssertEqual((try? JSONReader.validateObject(bytes)) != nil, isObject)
            let squeezed = String(decoding: bytes.filter { $0 != 0x20 && $0 != 0x0A }, as: UTF8.self)
            if bytes.contains(0) || squeezed.contains(",}") || squeezed.contains(",]") { continue }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil
            XCTAssertEqual(parsed != nil, foundation, String(decoding: bytes, as: UTF8.self).debugDescription)
            if parsed != nil { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 1000)
    }

    /// Payloads pass through as text; `JSONPayload` turns MLPKit-like types into it and back,
    /// NaN and infinities as in the worker's JSON lines.
    func testRawJSONPassesThrough() throws {
        struct Report: Codable, Equatable { var epoch: Int; var trainLoss: Double; var lr: Float; var valLoss: Double? }
        let report = Report(epoch: 2, trainLoss: .nan, lr: 0.001, valLoss: .infinity)
        let payload = try JSONPayload(encoding: report)
        XCTAssertEqual(payload.text, #"{"epoch":2,"lr":0.001,"trainLoss":"nan","valLoss":"inf"}"#)
        let back = try payload.decode(as: Report.self)
        XCTAssertEqual(back.epoch, 2)
        XCTAssertTrue(back.trainLoss.isNaN)
        XCTAssertEqual(back.lr, 0.001)
        XCTAssertEqual(back.valLoss, .infinity)

        let message = Message.metric(MetricBody(trialID: "t", attempt: 1, epoch: 2, report: payload))
        XCTAssertEqual(try MessageCodec.decode(frames: MessageCodec.encode(message)), message)
        // MLPKit's own EpochReport through JSONPayload: CoordinatorTests (this target does not link MLPKit).
        XCTAssertThrowsError(try JSONPayload(encoding: [1, 2]))
        for bad in ["", "[]", "{", "{}}", "{\"a\":\"\u{1}\"}", "{\"a\":nan}", "{\"a\":01}"] {
            XCTAssertThrowsError(try JSONPayload(text: bad), bad)
        }
    }

    // MARK: Malformed input

    private func frames(_ command: String, _ body: String, signature: String = "VGS1", payload: String? = nil) -> [[UInt8]] {
        [Array(signature.utf8), Array(command.utf8), Array(body.utf8)] + (payload.map { [Array($0.utf8)] } ?? [])
    }

    private func decodeError(_ frames: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) -> ProtocolError? {
        Self.decodeError(frames, file: file, line: line)
    }

    private static func decodeError(_ frames: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) -> ProtocolError? {
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
        XCTAssertEqual(decodeError([]), .wrongFrameCount(0, command: nil))
        XCTAssertEqual(decodeError(Array(frames("HELLO", hello).prefix(2))), .wrongFrameCount(2, command: nil))
        XCTAssertEqual(decodeError(frames("HELLO", hello) + [[]]), .wrongFrameCount(4, command: .hello))
        XCTAssertEqual(decodeError(frames("METRIC", #"{"trial_id":"t","attempt":1,"epoch":1}"#)), .wrongFrameCount(3, command: .metric))
        XCTAssertEqual(decodeError(frames("RESULT", #"{"trial_id":"t","attempt":1}"#, payload: "{}") + [[]]),
                       .wrongFrameCount(5, command: nil))
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: ProtocolLimits.maxMessageBytes)
        XCTAssertEqual(decodeError([Array("VGS1".utf8), Array("READY".utf8), huge]),
                       .tooLarge(bytes: ProtocolLimits.maxMessageBytes + 9, frame: 2))
        XCTAssertEqual(decodeError(frames("RESULT", #"{"trial_id":"t","attempt":1}"#) + [huge]),
                       .tooLarge(bytes: ProtocolLimits.maxMessageBytes + 38, frame: 3))
        XCTAssertThrowsError(try MessageCodec.encode(.fail(FailBody(trialID: "t", attempt: 1,
                                                                     reason: String(repeating: "x", count: 1 << 20))))) {
            XCTAssertEqual(($0 as? ProtocolError).map { if case .tooLarge = $0 { true } else { false } }, true)
        }
        let bigReport = try! JSONPayload(text: #"{"x":""# + String(repeating: "x", count: 1 << 20) + #""}"#)
        XCTAssertThrowsError(try MessageCodec.encode(.metric(MetricBody(trialID: "t", attempt: 1, epoch: 1, report: bigReport)))) {
            XCTAssertEqual(($0 as? ProtocolError).map { if case .tooLarge(_, 3) = $0 { true } else { false } }, true)
        }
        XCTAssertEqual(decodeError(frames("HELLO", hello) + [[], []]).map(\.description),
                       "frame count: 5 frames; expected 3 (signature, command, body), or 4 for METRIC and RESULT (plus the payload)")
        XCTAssertEqual(decodeError(frames("RESULT", #"{"trial_id":"t","attempt":1}"#)).map(\.description),
                       "frame count: RESULT with 3 frames; expected 4 (signature, command, body, payload)")
        XCTAssertEqual(decodeError(frames("READY", "{}", payload: "{}")).map(\.description),
                       "frame count: READY with 4 frames; expected 3 (signature, command, body)")
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
                    String(repeating: "[", count: 100_000), #"{'a':1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#,
                    #"{"a":.5}"#, #"{"a":tru}"#, #"{"a":nan}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00x"}"#,
                    #"{"a":"\u12"}"#, #"{"a":1,}"#, #"{"a" 1}"#, #"{,}"#, #"[1,]"#, "{\"a\":1}\u{0B}", "{\u{0C}}",
                    String(repeating: "[", count: 513) + String(repeating: "]", count: 513)] {
            guard case .invalidJSON(.hello, let detail)? = decodeError(frames("HELLO", bad)) else {
                return XCTFail("not invalidJSON: \(bad.prefix(20))")
            }
            XCTAssertFalse(detail.isEmpty)
        }
        XCTAssertEqual(decodeError(frames("HELLO", "{")).map(\.description)?.hasPrefix("frame 2: HELLO body is not valid JSON: "), true)
        XCTAssertEqual(decodeError(frames("HELLO", #"{"a":"\x"}"#)).map(\.description),
                       #"frame 2: HELLO body is not valid JSON: invalid escape '\x' at byte 6"#)
        // 512 levels are fine (they are ignored, being an unknown key).
        XCTAssertEqual(decodeError(frames("READY", "[" + String(repeating: "[", count: 511) + String(repeating: "]", count: 512))),
                       .bodyNotObject(command: .ready))
        XCTAssertEqual(try MessageCodec.decode(frames: frames("READY", #"{"a":"# + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}")), .ready)
    }

    /// Frame 3 of METRIC and RESULT: UTF-8, an object, strict JSON; checked after the body.
    func testPayloads() throws {
        let metric = #"{"trial_id":"t","attempt":1,"epoch":2}"#, result = #"{"trial_id":"t","attempt":1}"#
        XCTAssertEqual(try MessageCodec.decode(frames: frames("METRIC", metric, payload: " \n{\"x\": [1, {\"y\": null}]}\t")),
                       .metric(MetricBody(trialID: "t", attempt: 1, epoch: 2, report: try JSONPayload(text: " \n{\"x\": [1, {\"y\": null}]}\t"))))
        XCTAssertEqual(decodeError(frames("METRIC", metric, payload: "[]")), .invalidPayload(command: .metric, detail: "is not a JSON object"))
        XCTAssertEqual(decodeError(frames("RESULT", result, payload: "")), .invalidPayload(command: .result, detail: "is not a JSON object"))
        XCTAssertEqual(decodeError(frames("RESULT", result, payload: #""{}""#)), .invalidPayload(command: .result, detail: "is not a JSON object"))
        XCTAssertEqual(decodeError([Array("VGS1".utf8), Array("METRIC".utf8), Array(metric.utf8), [0x7B, 0xFF, 0x7D]]),
                       .invalidPayload(command: .metric, detail: "is not valid UTF-8"))
        XCTAssertEqual(decodeError([Array("VGS1".utf8), Array("METRIC".utf8), Array(metric.utf8), [0x7B, 0xFF, 0x7D]])?.description,
                       "frame 3: METRIC payload is not valid UTF-8")
        XCTAssertEqual(decodeError(frames("METRIC", metric, payload: "{\"a\":\"x\u{1}\"}"))?.description,
                       "frame 3: METRIC payload is not valid JSON: raw control character byte 0x1 in a string at byte 7")
        XCTAssertEqual(decodeError(frames("RESULT", result, payload: #"{"status":"ok""#))?.description,
                       "frame 3: RESULT payload is not valid JSON: unexpected end of input; expected ',' or '}'")
        XCTAssertEqual(decodeError(frames("RESULT", result, payload: #"{"a":1} {"#))?.description,
                       "frame 3: RESULT payload is not valid JSON: unexpected '{' after the value at byte 8")
        XCTAssertEqual(decodeError(frames("METRIC", metric, payload: #"{"a":1e999}"#))?.description,
                       "frame 3: METRIC payload is not valid JSON: number out of range at byte 5")
        XCTAssertEqual(decodeError(frames("METRIC", metric, payload: #"{"a":"# + String(repeating: "[", count: 600) + "}"))?.description,
                       "frame 3: METRIC payload is not valid JSON: nesting deeper than 512 levels at byte 516")
        // The body is checked first, and an error there names frame 2.
        XCTAssertEqual(decodeError(frames("METRIC", #"{"trial_id":"t","attempt":1}"#, payload: "[]")),
                       .missingField(command: .metric, field: "epoch"))
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
                       .wrongType(command: .ack, field: "attempt"))
        XCTAssertEqual(decodeError(frames("HELLO", #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v","current":{"trial_id":"t","attempt":"1"}}"#)),
                       .wrongType(command: .hello, field: "current.attempt"))
        XCTAssertEqual(decodeError(frames("HELLO", #"{"worker_id":"w","host":"h","cores":1,"pid":2,"version":"v","current":[]}"#)),
                       .wrongType(command: .hello, field: "current"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"parameters":{},"threads":1}"#)),
                       .wrongType(command: .task, field: "parameters"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"threads":1}"#)),
                       .missingField(command: .task, field: "parameters"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"parameters":[["lr"]],"threads":1}"#)),
                       .wrongType(command: .task, field: "parameters[0]"))
        XCTAssertEqual(decodeError(frames("TASK", #"{"trial_id":"t","attempt":1,"parameters":[["lr",1]],"threads":1}"#)),
                       .wrongType(command: .task, field: "parameters[0][1]"))
        XCTAssertEqual(decodeError(frames("METRIC", #"{"trial_id":"t","attempt":1,"epoch":[1]}"#, payload: "{}")),
                       .wrongType(command: .metric, field: "epoch"))
        // MISSING: `epochs` is a list of integers, each read as `attempt` is.
        let missing = #"{"trial_id":"t","attempt":1"#
        XCTAssertEqual(try MessageCodec.decode(frames: frames("MISSING", missing + #","epochs":[3,4.0,5e0]}"#)),
                       .missing(MissingBody(trialID: "t", attempt: 1, epochs: [3, 4, 5])))
        XCTAssertEqual(try MessageCodec.decode(frames: frames("MISSING", missing + #","epochs":[]}"#)),
                       .missing(MissingBody(trialID: "t", attempt: 1, epochs: [])))
        XCTAssertEqual(decodeError(frames("MISSING", missing + "}")), .missingField(command: .missing, field: "epochs"))
        XCTAssertEqual(decodeError(frames("MISSING", #"{"trial_id":"t","epochs":[3]}"#)),
                       .missingField(command: .missing, field: "attempt"))
        XCTAssertEqual(decodeError(frames("MISSING", #"{"attempt":1,"epochs":[3]}"#)),
                       .missingField(command: .missing, field: "trial_id"))
        for wrong in ["3", "null", "\"3,4\"", "{}", "true"] {
            XCTAssertEqual(decodeError(frames("MISSING", missing + #","epochs":\#(wrong)}"#)),
                           .wrongType(command: .missing, field: "epochs"), wrong)
        }
        for wrong in ["\"4\"", "4.5", "null", "[4]", "true", "1e30", "{}"] {
            XCTAssertEqual(decodeError(frames("MISSING", missing + #","epochs":[3,\#(wrong)]}"#)),
                           .wrongType(command: .missing, field: "epochs[1]"), wrong)
        }
        XCTAssertEqual(decodeError(frames("MISSING", missing + #","epochs":["x"]}"#)),
                       .wrongType(command: .missing, field: "epochs[0]"))
        XCTAssertEqual(decodeError(frames("MISSING", missing + #","epochs":[1,2,"x"]}"#))?.description,
                       "frame 2: MISSING body field 'epochs[2]' has the wrong type or is out of range")
        XCTAssertEqual(decodeError(frames("MISSING", missing + #","epochs":[1]}"#, payload: "{}")),
                       .wrongFrameCount(4, command: .missing))
        XCTAssertEqual(decodeError(frames("RESULT", #"{"trial_id":"t"}"#, payload: "{}"))?.description,
                       "frame 2: RESULT body lacks required field 'attempt'")
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
        var rng = SeededGenerator(seed: 0x5EED_F00D)
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
                                    "invalidUTF8", "invalidJSON", "bodyNotObject", "missingField", "wrongType",
                                    "invalidPayload"])
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
        case .invalidPayload: "invalidPayload"
        }
    }

    private static func fuzzInput(valid: [[[UInt8]]], rng: inout SeededGenerator) -> [[UInt8]] {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        if Bool.random(using: &rng) {
            // Random frames, sometimes behind a valid signature and command to get further in.
            var frames = (0..<Int.random(in: 0...6, using: &rng)).map { _ in bytes(Int.random(in: 0...40, using: &rng)) }
            if frames.count >= 3 && frames.count <= 4 && Bool.random(using: &rng) {
                frames[0] = ProtocolLimits.signature
                frames[1] = Array(Command.allCases.randomElement(using: &rng)!.rawValue.utf8)
            }
            return frames
        }
        var frames = valid.randomElement(using: &rng)!
        // The JSON frames: the body, and the payload of METRIC and RESULT.
        let json = Int.random(in: 2..<frames.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:  // flip bits of a few bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let f = Int.random(in: 0..<frames.count, using: &rng)
                guard !frames[f].isEmpty else { continue }
                frames[f][Int.random(in: 0..<frames[f].count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        case 1:  // truncate the JSON
            frames[json] = Array(frames[json].prefix(Int.random(in: 0..<frames[json].count, using: &rng)))
        case 2:  // a field of the wrong type, or missing
            guard var object = try? JSONSerialization.jsonObject(with: Data(frames[json])) as? [String: Any],
                  let key = object.keys.sorted().randomElement(using: &rng) else { return frames }
            let wrong: [Any?] = [nil, NSNull(), true, -1.5, "x", [Any](), [String: Any]()]
            object[key] = wrong.randomElement(using: &rng)!
            frames[json] = (try? Array(JSONSerialization.data(withJSONObject: object, options: .sortedKeys))) ?? []
        case 3:  // a frame too many or too few
            if Bool.random(using: &rng) { frames.removeLast() } else { frames.append(bytes(3)) }
        case 4:  // random bytes spliced into the JSON
            frames[json].insert(contentsOf: bytes(Int.random(in: 1...8, using: &rng)),
                                at: Int.random(in: 0...frames[json].count, using: &rng))
        case 5:  // JSON but not an object
            frames[json] = Array(["[]", "3", "\"{}\"", "null", "true", "[{}]"].randomElement(using: &rng)!.utf8)
        default:  // another signature or a misspelt command
            let f = Int.random(in: 0...1, using: &rng)
            frames[f] = Array(frames[f].dropLast()) + bytes(1)
        }
        return frames
    }
}

/// The fuzz tests draw from MLPKit's seeded generator: the same inputs on every machine.
typealias SeededGenerator = Xoshiro256
