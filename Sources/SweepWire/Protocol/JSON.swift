import Foundation

// The protocol's own JSON: a strict reader for the small message bodies and for checking
// payloads without building anything, and a writer for the bodies. Foundation's
// JSONSerialization and JSONDecoder cost tens of microseconds per message, which is most of
// the coordinator's time at 20,000 messages/s; these cost about one.

/// What is wrong with a JSON text, and where (`detail` names a byte offset when there is one).
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public let detail: String
    public var description: String { detail }
}

/// One epoch report or result, carried as its JSON text (frame 3 of METRIC and RESULT): the
/// coordinator checks its syntax, stores it as it came and never re-encodes it.
///
/// Always a syntactically valid JSON object: built by `init(encoding:)`, or checked by
/// `init(validating:)` / `init(text:)` (strict JSON; NaN and infinities travel as the strings
/// "nan", "inf" and "-inf", as in the worker's JSON lines).
public struct JSONPayload: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The object's JSON text, exactly as sent.
    public let text: String

    init(unchecked text: String) { self.text = text }

    /// Checks UTF-8 bytes: valid UTF-8, an object (after optional whitespace), strict JSON syntax
    /// (no raw control characters in strings, at most `JSONReader.maxDepth` levels), without
    /// building a tree.
    public init(validating bytes: [UInt8]) throws(JSONSyntaxError) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw JSONSyntaxError(detail: "is not valid UTF-8") }
        try JSONReader.validateObject(bytes)
        self.text = text
    }

    public init(text: String) throws(JSONSyntaxError) {
        try JSONReader.validateObject(Array(text.utf8))
        self.text = text
    }

    /// Encodes an Encodable that encodes as a JSON object (an `EpochReport`, a `TrialResult`),
    /// keys sorted, non-finite numbers as strings.
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        do { try self.init(validating: Array(data)) } catch {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a JSON object: \(error)"))
        }
    }

    /// Reads the object back as a Decodable type, e.g. an `EpochReport`.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(type, from: Data(text.utf8))
    }

    public var description: String { text }
}

/// A parsed JSON value of a message body.
enum JSONField {
    case null
    case bool(Bool)
    /// A number written as an integer that fits in `Int`.
    case int(Int)
    /// Any other number (always finite: a number that overflows a Double is a syntax error).
    case double(Double)
    case string(String)
    case array([JSONField])
    /// Members in their order; a key given twice counts by its last value.
    case object([(key: String, value: JSONField)])
}

/// A strict JSON reader (RFC 8259): whitespace is space, tab, CR and LF only; no raw control
/// characters in strings; escapes checked, `\u` surrogates paired; numbers by the grammar and
/// finite as doubles; nothing after the value. The input must already be valid UTF-8.
struct JSONReader {
    static let maxDepth = 512

    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    private init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    /// Parses a whole JSON text into a tree.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONField {
        let result: Result<JSONField, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(JSONSyntaxError) {
                let value = try reader.value(build: true)
                try reader.end()
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Checks that a whole JSON text is an object, without building anything.
    static func validateObject(_ bytes: [UInt8]) throws(JSONSyntaxError) {
        let result: Result<Void, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(JSONSyntaxError) {
                reader.skipWhitespace()
                guard reader.i < buffer.count, buffer[reader.i] == UInt8(ascii: "{") else {
                    return .failure(JSONSyntaxError(detail: "is not a JSON object"))
                }
                _ = try reader.value(build: false)
                try reader.end()
                return .success(())
            } catch {
                return .failure(JSONSyntaxError(detail: "is not valid JSON: \(error.detail)"))
            }
        }
        try result.get()
    }

    // MARK: The grammar

    /// One value; with `build` false only its syntax is checked and `.null` returned.
    private mutating func value(build: Bool) throws(JSONSyntaxError) -> JSONField {
        skipWhitespace()
        guard i < b.count else { throw unexpected() }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(build: build)
        case UInt8(ascii: "["): return try array(build: build)
        case UInt8(ascii: "\""): return try string(build: build).map(JSONField.string) ?? .null
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(build: build)
        default: throw unexpected()
        }
    }

    private mutating func object(build: Bool) throws(JSONSyntaxError) -> JSONField {
        try enter()
        var members: [(key: String, value: JSONField)] = []
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw unexpected(expecting: "a key") }
            let key = try string(build: build)
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw unexpected(expecting: "':'") }
            i += 1
            let member = try value(build: build)
            if let key { members.append((key, member)) }
            skipWhitespace()
            guard i < b.count else { throw unexpected(expecting: "',' or '}'") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { throw unexpected(expecting: "',' or '}'") }
            i += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array(build: Bool) throws(JSONSyntaxError) -> JSONField {
        try enter()
        var elements: [JSONField] = []
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            let element = try value(build: build)
            if build { elements.append(element) }
            skipWhitespace()
            guard i < b.count else { throw unexpected(expecting: "',' or ']'") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "]") else { throw unexpected(expecting: "',' or ']'") }
            i += 1
            depth -= 1
            return .array(elements)
        }
    }

    /// At an opening quote: the string with its escapes decoded (nil when not `build`ing).
    private mutating func string(build: Bool) throws(JSONSyntaxError) -> String? {
        i += 1
        let start = i
        // The common case: no escapes, the text is the string.
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return build ? String(decoding: UnsafeBufferPointer(rebasing: b[start..<(i - 1)]), as: UTF8.self) : nil
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw controlCharacter(c) }
            i += 1
        }
        var out: [UInt8] = []
        if build { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i])) }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return build ? String(decoding: out, as: UTF8.self) : nil
            }
            if c < 0x20 { throw controlCharacter(c) }
            guard c == UInt8(ascii: "\\") else {
                if build { out.append(c) }
                i += 1
                continue
            }
            guard i + 1 < b.count else { break }
            let escaped: UInt8
            switch b[i + 1] {
            case UInt8(ascii: "\""): escaped = UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "/"): escaped = UInt8(ascii: "/")
            case UInt8(ascii: "b"): escaped = 0x08
            case UInt8(ascii: "f"): escaped = 0x0C
            case UInt8(ascii: "n"): escaped = 0x0A
            case UInt8(ascii: "r"): escaped = 0x0D
            case UInt8(ascii: "t"): escaped = 0x09
            case UInt8(ascii: "u"):
                let scalar = try unicodeEscape()
                if build { UTF8.encode(scalar) { out.append($0) } }
                continue
            default:
                throw error("invalid escape '\\\(Self.printable(b[i + 1]))'")
            }
            if build { out.append(escaped) }
            i += 2
        }
        throw JSONSyntaxError(detail: "unterminated string starting at byte \(start - 1)")
    }

    /// At the backslash of `\uXXXX`: the scalar, with a UTF-16 surrogate pair combined.
    private mutating func unicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let at = i
        let high = try hex4()
        var value = high
        if (0xD800...0xDBFF).contains(high) {
            guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                i = at
                throw error("unpaired UTF-16 surrogate")
            }
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                i = at
                throw error("unpaired UTF-16 surrogate")
            }
            value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(high) {
            i = at
            throw error("unpaired UTF-16 surrogate")
        }
        // Cannot fail: surrogates are excluded above, and the largest pair is 0x10FFFF.
        guard let scalar = Unicode.Scalar(value) else { throw error("invalid \\u escape") }
        return scalar
    }

    /// At `\u`: the 4 hex digits' value; moves past them.
    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 6 <= b.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for k in (i + 2)..<(i + 6) {
            let c = b[k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        i += 6
        return value
    }

    /// A number by the JSON grammar. Built as `.int` when written as an integer that fits.
    /// As JSONSerialization does, a number too large for a Double is an error; only one with an
    /// exponent or with more than 308 integer digits can be, so only those are converted when
    /// merely checking.
    private mutating func number(build: Bool) throws(JSONSyntaxError) -> JSONField {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        let integerStart = i
        guard i < b.count, Self.isDigit(b[i]) else { throw unexpected(expecting: "a digit") }
        if b[i] == UInt8(ascii: "0") { i += 1 } else { while i < b.count && Self.isDigit(b[i]) { i += 1 } }
        let integerDigits = i - integerStart
        var isInteger = true, hasExponent = false
        if i < b.count && b[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < b.count, Self.isDigit(b[i]) else { throw unexpected(expecting: "a digit") }
            while i < b.count && Self.isDigit(b[i]) { i += 1 }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            isInteger = false
            hasExponent = true
            i += 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < b.count, Self.isDigit(b[i]) else { throw unexpected(expecting: "a digit") }
            while i < b.count && Self.isDigit(b[i]) { i += 1 }
        }
        if !build && !hasExponent && integerDigits <= 308 { return .null }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if isInteger, let n = Int(text) { return .int(n) }
        guard let x = Double(text), x.isFinite else {
            i = start
            throw error("number out of range")
        }
        return .double(x)
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count,
              word.withUTF8Buffer({ w in (0..<n).allSatisfy { b[i + $0] == w[$0] } }) else { throw unexpected() }
        i += n
    }

    // MARK: Pieces

    mutating func skipWhitespace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    /// After the top-level value: only whitespace may follow.
    private mutating func end() throws(JSONSyntaxError) {
        skipWhitespace()
        guard i == b.count else { throw error("unexpected \(Self.describe(b[i])) after the value") }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        i += 1
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private func error(_ what: String) -> JSONSyntaxError { JSONSyntaxError(detail: "\(what) at byte \(i)") }

    private func unexpected(expecting: String? = nil) -> JSONSyntaxError {
        let wanted = expecting.map { "; expected \($0)" } ?? ""
        guard i < b.count else { return JSONSyntaxError(detail: "unexpected end of input\(wanted)") }
        return error("unexpected \(Self.describe(b[i]))\(wanted)")
    }

    private func controlCharacter(_ c: UInt8) -> JSONSyntaxError {
        error("raw control character \(Self.describe(c)) in a string")
    }

    private static func describe(_ c: UInt8) -> String {
        (0x21..<0x7F).contains(c) ? "'\(printable(c))'" : "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private static func printable(_ c: UInt8) -> String {
        (0x21..<0x7F).contains(c) ? String(UnicodeScalar(c)) : "\\x" + String(c, radix: 16, uppercase: true)
    }
}

/// Writes compact JSON the way `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes` does
/// for the same values (the caller writes the keys in sorted order).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `"key":`
    mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func int(_ n: Int) {
        bytes.append(contentsOf: String(n).utf8)
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(c)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(c)
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(c >> 4)])
                bytes.append(Self.hexDigits[Int(c & 0xF)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
