import Foundation
import SweepWire

/// The key pair of `coordinator run`'s local workers, when the run has keys: made for this run
/// in a private folder (0700) by `coordinator keygen` in a process of its own (libzmq 4.3.4's
/// key helpers must not run beside a live context), with the coordinator's public certificate
/// beside it. The coordinator admits the pair's public key besides its --authorized folder;
/// the folder is removed when the run ends.
struct LocalWorkerKeys {
    let folder: String
    let publicKey: String
    /// What each local worker is given: its secret certificate and the coordinator's public one.
    let workerArguments: [String]

    init(server: CurveCertificate) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("vgsweep-run-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        folder = base
        let keygen = Process()
        keygen.executableURL = LocalWorkers.ownExecutable()
        keygen.arguments = ["keygen", base + "/local-worker"]
        keygen.standardOutput = FileHandle.nullDevice
        try keygen.run()
        keygen.waitUntilExit()
        guard keygen.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: base)
            throw LocalWorkersError.keygenFailed(keygen.terminationStatus)
        }
        publicKey = try CurveCertificate.read(base + "/local-worker.key").publicKey
        let serverCertificate = base + "/coordinator.key"
        try server.publicCertificate.text().write(toFile: serverCertificate, atomically: true, encoding: .utf8)
        workerArguments = ["--key", base + "/local-worker.key_secret", "--server-key", serverCertificate]
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
