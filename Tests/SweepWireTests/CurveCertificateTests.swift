import CZMQ
import Foundation
import XCTest
@testable import SweepWire

/// `coordinator keygen`'s certificates: real key pairs, files in zcert's format with the
/// secret one private, read back by us and by pyzmq's `zmq.auth`, and errors that name the file.
final class CurveCertificateTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testAGeneratedPairIsAPairAndEveryOneIsNew() throws {
        let a = try CurveCertificate.generate(), b = try CurveCertificate.generate()
        XCTAssertNotEqual(a.publicKey, b.publicKey)
        let secret = try XCTUnwrap(a.secretKey)
        XCTAssertTrue(CurveCertificate.isZ85Key(a.publicKey) && CurveCertificate.isZ85Key(secret))
        // libzmq derives the same public key from the secret one.
        var derived = [CChar](repeating: 0, count: 41)
        XCTAssertEqual(zmq_curve_public(&derived, secret), 0)
        XCTAssertEqual(String(cString: derived), a.publicKey)
    }

    func testKeygenFilesReadBackAndTheSecretOneIsPrivate() throws {
        let pair = try CurveCertificate.generate()
        let written = try pair.write(base: path("coordinator"))
        XCTAssertEqual(written.public, path("coordinator.key"))
        XCTAssertEqual(try CurveCertificate.read(written.secret), pair)
        XCTAssertEqual(try CurveCertificate.read(written.public), pair.publicCertificate)
        XCTAssertFalse(try String(contentsOfFile: written.public, encoding: .utf8).contains("secret-key"))
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: written.secret)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        XCTAssertThrowsError(try CurveCertificate.generate().write(base: path("coordinator"))) {
            XCTAssertEqual($0 as? CertificateError, .exists(file: path("coordinator.key")))
        }
        XCTAssertEqual(try CurveCertificate.read(written.secret), pair, "the refused overwrite left the keys alone")
    }

    func testBadFilesAreRefusedNamingFileLineAndField() throws {
        let file = path("bad.key")
        XCTAssertThrowsError(try CurveCertificate.read(file)) { error in
            guard case .io(let named, _)? = error as? CertificateError else { return XCTFail("\(error)") }
            XCTAssertEqual(named, file)
        }
        try "metadata\ncurve\n    public-key = \"tooshort\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveCertificate.read(file)) {
            XCTAssertEqual($0 as? CertificateError, .badKey(file: "\(file):3", field: "public-key"))
            XCTAssertEqual("\($0)", "\(file):3: public-key is not 40 characters of Z85")
        }
        try "metadata\ncurve\n    public-key: nope\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveCertificate.read(file)) {
            XCTAssertEqual($0 as? CertificateError, .syntax(file: file, line: 3, reason: "expected name = \"value\""))
        }
        try "metadata\ncurve\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveCertificate.read(file)) { XCTAssertEqual($0 as? CertificateError, .noPublicKey(file: file)) }
        XCTAssertThrowsError(try CurveCertificate.generate().publicCertificate.write(base: path("pub"))) {
            XCTAssertEqual($0 as? CertificateError, .noSecretKey(file: path("pub")))
        }
    }

    /// pyzmq's `zmq.auth` reads our files, and we read the ones it makes.
    func testPyzmqReadsOurCertificatesAndWeReadItsOwn() throws {
        guard python(["-c", "import zmq.auth"]) != nil else { throw XCTSkip("python3 with pyzmq is not installed") }
        let pair = try CurveCertificate.generate()
        let written = try pair.write(base: path("ours"))
        let loaded = try XCTUnwrap(python(["-c", """
            import sys, zmq.auth
            public, secret = zmq.auth.load_certificate(sys.argv[1])
            print(public.decode(), secret.decode())
            """, written.secret]))
        XCTAssertEqual(loaded, "\(pair.publicKey) \(pair.secretKey!)")
        let theirs = try XCTUnwrap(python(["-c", """
            import sys, zmq.auth
            public_file, secret_file = zmq.auth.create_certificates(sys.argv[1], "theirs")
            public, secret = zmq.auth.load_certificate(secret_file)
            print(public.decode(), secret.decode())
            """, directory.path]))
        let read = try CurveCertificate.read(path("theirs.key_secret"))
        XCTAssertEqual("\(read.publicKey) \(read.secretKey ?? "")", theirs)
        XCTAssertEqual(try CurveCertificate.read(path("theirs.key")).publicKey, read.publicKey)
    }

    /// Runs python3; its trimmed standard output, or nil when it fails.
    private func python(_ arguments: [String]) -> String? {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
