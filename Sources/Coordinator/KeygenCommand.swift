import ArgumentParser
import Foundation
import SweepWire

/// `coordinator keygen PATH`: a CurveZMQ key pair as PATH.key (public) and PATH.key_secret
/// (mode 0600), in the certificate format czmq's zcert and pyzmq's zmq.auth read. Keys are made
/// here, in a process of their own, never inside a running coordinator (libzmq 4.3.4's key
/// helpers are not thread-safe).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE key pair: PATH.key (public, to hand out) and PATH.key_secret (private, mode 0600).")

    @Argument(help: ArgumentHelp("Where to write, without the extension, e.g. keys/coordinator.", valueName: "path"))
    var path: String

    func validate() throws {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw ValidationError("<path> must name a file, e.g. keys/coordinator") }
    }

    func run() throws {
        let written = try CurveCertificate.generate().write(base: path)
        print("wrote \(written.public) (public) and \(written.secret) (secret, mode 0600)")
    }
}
