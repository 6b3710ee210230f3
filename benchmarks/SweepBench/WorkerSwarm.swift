import Foundation
import SweepSchema
import SweepWire

/// W simulated workers in one thread: W DEALER sockets in one poll loop. Each says HELLO and
/// READY; on TASK it sends E METRIC messages and a RESULT (each with its payload frame) at once, then READY again; it stops
/// at DISCONNECT{done}. Nothing is trained, so the coordinator is the only thing measured.
///
/// The hot messages (METRIC, RESULT) are written from byte templates rather than through
/// `JSONEncoder`, so that the swarm costs the shared 2 cores as little as possible;
/// `selfCheck()` proves the coordinator's codec reads them as the intended messages.
final class WorkerSwarm {
    struct Stats {
        var firstTask: Double?, lastDone: Double?
        var tasks = 0, duplicateTasks = 0, metricsSent = 0, results = 0, acks = 0
        var heartbeats = 0, errors = 0, cancels = 0, reregistered = 0
        /// Workers that never heard from the coordinator: they connected after the sweep ended.
        var late = 0
        /// Seconds from a worker's READY to its next TASK, one sample per task.
        var waits: [Double] = []
    }

    private let epochs: Int
    private let sockets: [ZMQSocket]
    private let hellos: [[[UInt8]]]
    /// When each worker last sent READY after a result (nil after HELLO: the start-up is not a wait).
    private var readySentAt: [Double?]
    private var done: [Bool], heard: [Bool]
    private var doneCount = 0
    private var seen = Set<String>()
    private(set) var stats = Stats()
    /// Called once, when the first TASK arrives (the start of the measured window).
    var onFirstTask: () -> Void = {}
    /// Called after each turn of the poll loop.
    var onTurn: () -> Void = {}

    /// `curve`: every socket uses this key pair and the coordinator's public key.
    init(context: ZMQContext, endpoint: String, workers: Int, epochs: Int,
         curve: (certificate: CurveCertificate, serverKey: String)? = nil) throws {
        self.epochs = epochs
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        var sockets: [ZMQSocket] = [], hellos: [[[UInt8]]] = []
        for i in 0..<workers {
            let id = "sweepbench-\(pid)-\(i)"
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setRoutingID(Array(id.utf8))
            try socket.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
            if let curve { try socket.setCurveClient(curve.certificate, serverKey: curve.serverKey) }
            try socket.connect(endpoint)
            sockets.append(socket)
            hellos.append(try MessageCodec.encode(.hello(HelloBody(workerID: id, host: "sweepbench", cores: 1, pid: pid))))
        }
        self.sockets = sockets
        self.hellos = hellos
        readySentAt = Array(repeating: nil, count: workers)
        done = Array(repeating: false, count: workers)
        heard = done
    }

    /// Runs until every worker got DISCONNECT{done}, or the coordinator (`isServing` false)
    /// left only workers that never heard from it; throws after `timeout` seconds.
    func run(timeout: Double, isServing: () -> Bool) throws -> Stats {
        for i in sockets.indices { try register(i) }
        let poller = Poller(sockets)
        let deadline = now() + timeout
        var exitedAt: Double?
        while doneCount < sockets.count {
            guard now() < deadline else { throw BenchError("timed out after \(timeout) s: \(doneCount)/\(sockets.count) workers done, \(stats.tasks) tasks received") }
            for i in try poller.poll(timeoutMilliseconds: 100) {
                while let frames = try sockets[i].receive(dontWait: true) { heard[i] = true; try handle(i, frames) }
            }
            onTurn()
            if !isServing() { exitedAt = exitedAt ?? now() }
            // It exits right after its last DISCONNECT: give those 2 s to arrive.
            if let exitedAt, now() - exitedAt > 2 {
                let stranded = sockets.indices.filter { !done[$0] && heard[$0] }.count
                guard stranded == 0 else { throw BenchError("the coordinator exited leaving \(stranded) worker(s) without DISCONNECT{done}") }
                stats.late = sockets.count - doneCount
                break
            }
        }
        return stats
    }

    private func register(_ i: Int) throws {
        try sockets[i].send(hellos[i])
        try sockets[i].send(Self.ready)
        readySentAt[i] = nil
    }

    private func handle(_ i: Int, _ frames: [[UInt8]]) throws {
        // Dispatch on the command frame; only TASK, DISCONNECT and ERROR need their body.
        switch frames.count == 3 ? String(decoding: frames[1], as: UTF8.self) : "" {
        case "TASK":
            guard case .task(let task) = try MessageCodec.decode(frames: frames) else { return }
            let t = now()
            if stats.firstTask == nil { stats.firstTask = t; onFirstTask() }
            stats.tasks += 1
            if let sent = readySentAt[i] { stats.waits.append(t - sent) }
            if !seen.insert(task.trialID).inserted { stats.duplicateTasks += 1 }
            for k in 0..<epochs { try sockets[i].send(Self.metric(task.trialID, task.attempt, epoch: k + 1)) }
            stats.metricsSent += epochs
            try sockets[i].send(Self.result(task.trialID, task.attempt, epochs: epochs))
            stats.results += 1
            try sockets[i].send(Self.ready)
            readySentAt[i] = now()
        case "ACK":
            stats.acks += 1
        case "HEARTBEAT":
            stats.heartbeats += 1
            try sockets[i].send(Self.heartbeat)
        case "CANCEL":
            stats.cancels += 1
        case "DISCONNECT":
            guard case .disconnect(let body) = try MessageCodec.decode(frames: frames) else { return }
            if body.reason == DisconnectBody.done {
                if !done[i] { done[i] = true; doneCount += 1; stats.lastDone = now() }
            } else {   // the coordinator does not know us: introduce ourselves again
                stats.reregistered += 1
                try register(i)
            }
        default:
            stats.errors += 1
            if stats.errors <= 5 {
                let text = (try? MessageCodec.decode(frames: frames)).map { "\($0)" } ?? "\(frames.count) undecodable frames"
                FileHandle.standardError.write(Data("[sweepbench] worker \(i) got \(text)\n".utf8))
            }
        }
    }

    // MARK: - Message templates

    static let ready: [[UInt8]] = [ProtocolLimits.signature, Array("READY".utf8), Array("{}".utf8)]
    static let heartbeat: [[UInt8]] = [ProtocolLimits.signature, Array("HEARTBEAT".utf8), Array("{}".utf8)]

    /// An epoch report as the payload (frame 3), the same for every trial: a complete
    /// `EpochReport` of an 8-layer network (keys sorted, as workers write them), so that
    /// `coordinator results --metrics` reads it with the schema.
    static func report(epoch k: Int) -> [UInt8] {
        let x = 1.0 / Double(k + 1)
        func list(_ n: Int, _ f: (Int) -> Double) -> String { "[" + (1...n).map { String(f($0)) }.joined(separator: ",") + "]" }
        let fields = [
            #""dead":\#(list(7) { _ in 0 })"#, #""epoch":\#(k)"#, #""grad_norm":\#(list(8) { x / Double($0) })"#,
            #""grad_ratio":0.125"#, #""lr":0.01"#, #""samples_per_s":48000.5"#, #""saturated":\#(list(7) { _ in 0.02 })"#,
            #""stage":1"#, #""train_acc":\#(1 - x)"#, #""train_loss":\#(2.3 * x)"#, #""type":"epoch""#,
            #""update_ratio":\#(list(8) { _ in 0.001 })"#, #""val_acc":\#(1 - 0.9 * x)"#, #""val_loss":\#(2.2 * x)"#,
            #""weight_norm":\#(list(8) { _ in 3.1 })"#, #""weight_std":\#(list(8) { _ in 0.05 })"#,
        ]
        return Array(("{" + fields.joined(separator: ",") + "}").utf8)
    }

    /// The reports of epochs 1...100, written once: only the body differs between trials.
    private static let reports = (1...100).map(report(epoch:))

    static func metric(_ trialID: String, _ attempt: Int, epoch k: Int) -> [[UInt8]] {
        [ProtocolLimits.signature, Array("METRIC".utf8),
         Array(#"{"trial_id":\#(quoted(trialID)),"attempt":\#(attempt),"epoch":\#(k)}"#.utf8),
         k <= reports.count ? reports[k - 1] : report(epoch: k)]
    }

    static func result(_ trialID: String, _ attempt: Int, epochs: Int) -> [[UInt8]] {
        let result = #"{"type":"result","status":"ok","test_acc":0.875,"val_acc":0.8825,"test_loss":0.375,"train_loss":0.3125,"epochs":\#(epochs),"seconds":0.001,"samples_per_s":48000.5}"#
        return [ProtocolLimits.signature, Array("RESULT".utf8),
                Array(#"{"trial_id":\#(quoted(trialID)),"attempt":\#(attempt)}"#.utf8), Array(result.utf8)]
    }

    /// A JSON string literal (trial ids are hex, but be correct for any text).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// The templates decode, with the coordinator's own codec, to the messages they stand for.
    static func selfCheck() throws {
        let id = "t\"\\0"
        guard case .metric(let m) = try MessageCodec.decode(frames: metric(id, 2, epoch: 3)),
              m.trialID == id, m.attempt == 2, m.epoch == 3,
              let report = try? SchemaCoding.decode(EpochReport.self, from: m.report.text), report.epoch == 3,
              report.gradNorm.count == 8,
              case .result(let r) = try MessageCodec.decode(frames: result(id, 2, epochs: 3)),
              r.trialID == id, r.attempt == 2,
              let outcome = try? TrialOutcome(json: r.result.text, epochBudget: 3), outcome.status == .ok, outcome.result.epochs == 3,
              try MessageCodec.decode(frames: ready) == .ready, try MessageCodec.decode(frames: heartbeat) == .heartbeat
        else { throw BenchError("the message templates do not decode as intended") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Monotonic seconds.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
