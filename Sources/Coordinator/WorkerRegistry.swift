import Foundation
import SweepCore

/// What the coordinator knows of one connected worker.
struct Peer {
    enum State: Equatable {
        /// Connected, not asking for work.
        case idle
        /// Sent READY: give it the next trial.
        case ready
        /// Training this attempt.
        case busy(TrialAttempt)
    }

    let identity: [UInt8]
    var hello: HelloBody
    var state: State
    var heartbeat: Heartbeat
}

/// The workers by routing identity, with their state; one per connection.
struct WorkerRegistry {
    private(set) var peers: [[UInt8]: Peer] = [:]

    var count: Int { peers.count }

    subscript(identity: [UInt8]) -> Peer? {
        get { peers[identity] }
        set { peers[identity] = newValue }
    }

    mutating func remove(_ identity: [UInt8]) -> Peer? { peers.removeValue(forKey: identity) }

    /// Identities of workers waiting for a trial, in a stable order.
    var ready: [[UInt8]] {
        peers.values.filter { $0.state == .ready }.map(\.identity).sorted { $0.lexicographicallyPrecedes($1) }
    }

    func expired(at now: Date) -> [[UInt8]] {
        peers.values.filter { $0.heartbeat.isExpired(at: now) }.map(\.identity)
    }

    func needingHeartbeat(at now: Date) -> [[UInt8]] {
        peers.values.filter { $0.heartbeat.shouldSend(at: now) }.map(\.identity)
    }
}
