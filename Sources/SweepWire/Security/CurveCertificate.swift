import CZMQ
import Foundation

/// A CurveZMQ key pair, or a public key alone, as the certificate files czmq's `zcert` and
/// pyzmq's `zmq.auth` read and write: ZPL text, a `curve` section with `public-key` and, in the
/// secret file only, `secret-key`, each 40 characters of Z85.
///
/// `NAME.key` holds the public key (hand it out: the coordinator's to its workers, each
/// worker's to the coordinator's authorised folder); `NAME.key_secret` both keys, readable by
/// its owner only.
public struct CurveCertificate: Equatable, Sendable {
    /// Z85, 40 characters.
    public let publicKey: String
    /// Z85, 40 characters; nil for a public certificate.
    public let secretKey: String?

    public init(publicKey: String, secretKey: String?) throws(CertificateError) {
        for (name, key) in [("public-key", publicKey), ("secret-key", secretKey)] {
            if let key, !Self.isZ85Key(key) { throw .badKey(file: nil, field: name) }
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new key pair from libzmq (libsodium's random source). Run it in a command of its own,
    /// never inside a serving process: libzmq 4.3.4's key helpers are not thread-safe (#4242).
    public static func generate() throws -> CurveCertificate {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw TransportError.last("make a CURVE key pair") }
        func text(_ key: [CChar]) -> String { String(decoding: key.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return try CurveCertificate(publicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// The public half alone.
    public var publicCertificate: CurveCertificate {
        // The key was checked when this value was made.
        try! CurveCertificate(publicKey: publicKey, secretKey: nil)
    }

    /// Exactly 40 characters of the Z85 alphabet (libzmq's decoder does not check the length).
    static func isZ85Key(_ key: String) -> Bool {
        key.utf8.count == 40 && key.utf8.allSatisfy { z85.contains($0) }
    }

    private static let z85 = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    // MARK: Files

    /// The certificate as ZPL text, as `zcert` writes it.
    public func text(generated date: Date = Date()) -> String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let kind = secretKey == nil ? "Public" : "SECRET"
        var lines = [
            "#   ****  Generated on \(day) by vgsweep (coordinator keygen)  ****",
            "#   ZeroMQ CURVE **\(kind)** Certificate",
        ]
        lines += secretKey == nil
            ? ["#   Exchange securely, or use a secure mechanism to verify the contents",
               "#   of this file after exchange."]
            : ["#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."]
        lines += ["", "metadata", "curve", "    public-key = \"\(publicKey)\""]
        if let secretKey { lines.append("    secret-key = \"\(secretKey)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `base.key` (public) and `base.key_secret` (mode 0600), refusing to overwrite
    /// either. Returns their paths.
    public func write(base: String) throws -> (public: String, secret: String) {
        guard secretKey != nil else { throw CertificateError.noSecretKey(file: base) }
        let paths = (public: base + ".key", secret: base + ".key_secret")
        for path in [paths.public, paths.secret] where FileManager.default.fileExists(atPath: path) {
            throw CertificateError.exists(file: path)
        }
        try Self.create(paths.secret, text(), mode: 0o600)
        try Self.create(paths.public, publicCertificate.text(), mode: 0o644)
        return paths
    }

    /// The text of `path`; a failure in the system's words ("No such file or directory",
    /// "Is a directory", "Permission denied").
    private static func contents(_ path: String) throws(CertificateError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw .io(file: path, reason: String(cString: strerror(errno))) }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }

    /// Creates `path` with `mode` from the start (no window in which others could read it).
    private static func create(_ path: String, _ text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CertificateError.io(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress, $0.count) }) == bytes.count, fchmod(fd, mode) == 0 else {
            throw CertificateError.io(file: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads a secret certificate (`NAME.key_secret`), the one a coordinator serves with and a
    /// worker connects with; a public one in its place is refused naming the file.
    public static func readSecret(_ path: String) throws(CertificateError) -> CurveCertificate {
        let certificate = try read(path)
        guard certificate.secretKey != nil else { throw .publicOnly(file: path) }
        return certificate
    }

    /// Reads a certificate file: `public-key` and, if present, `secret-key` of its `curve`
    /// section. Errors name the file and line.
    public static func read(_ path: String) throws(CertificateError) -> CurveCertificate {
        let text = try contents(path)
        var section = "", keys: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !raw.hasPrefix(" ") && !raw.hasPrefix("\t") { section = line; continue }
            guard section == "curve" else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].count >= 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else {
                throw .syntax(file: path, line: index + 1, reason: "expected name = \"value\"")
            }
            let value = String(parts[1].dropFirst().dropLast())
            guard parts[0] == "public-key" || parts[0] == "secret-key" else { continue }
            guard isZ85Key(value) else { throw .badKey(file: "\(path):\(index + 1)", field: parts[0]) }
            keys[parts[0]] = value
        }
        guard let publicKey = keys["public-key"] else { throw .noPublicKey(file: path) }
        do { return try CurveCertificate(publicKey: publicKey, secretKey: keys["secret-key"]) } catch {
            throw .badKey(file: path, field: "secret-key")
        }
    }
}

/// What is wrong with a certificate file, naming it.
public enum CertificateError: Error, Equatable, CustomStringConvertible {
    case io(file: String, reason: String)
    case exists(file: String)
    case syntax(file: String, line: Int, reason: String)
    case badKey(file: String?, field: String)
    case noPublicKey(file: String)
    case noSecretKey(file: String)
    /// A public certificate given where the secret one is needed (`readSecret`).
    case publicOnly(file: String)

    public var description: String {
        switch self {
        case .io(let file, let reason): return "\(file): \(reason)"
        case .exists(let file): return "\(file) exists already; remove it or choose another name (keys are never overwritten)"
        case .syntax(let file, let line, let reason): return "\(file):\(line): \(reason)"
        case .badKey(let file, let field): return "\(file.map { "\($0): " } ?? "")\(field) is not 40 characters of Z85"
        case .noPublicKey(let file): return "\(file): no curve public-key"
        case .noSecretKey(let file): return "\(file): no curve secret-key (a public certificate cannot serve or connect)"
        case .publicOnly(let file): return "\(file) holds no secret key: give the .key_secret file"
        }
    }
}
