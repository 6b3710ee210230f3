import Foundation

/// Paranoid Pirate heartbeating for one peer: send something at least every `interval`;
/// consider the peer dead after `liveness` intervals without hearing from it. Any message
/// counts, in both directions.
public struct Heartbeat: Sendable {
    public var interval: Double
    public var liveness: Int
    public private(set) var lastHeard: Date
    public private(set) var lastSent: Date

    public init(interval: Double = 1, liveness: Int = 3, now: Date = Date()) {
        self.interval = interval
        self.liveness = liveness
        lastHeard = now
        lastSent = now
    }

    public mutating func heard(at now: Date = Date()) { lastHeard = now }
    public mutating func sent(at now: Date = Date()) { lastSent = now }

    public func shouldSend(at now: Date = Date()) -> Bool { now.timeIntervalSince(lastSent) >= interval }
    public func isExpired(at now: Date = Date()) -> Bool { now.timeIntervalSince(lastHeard) > interval * Double(liveness) }

    /// Milliseconds until the next heartbeat is due: a poll timeout that wakes up in time.
    public func millisecondsToNextSend(at now: Date = Date()) -> Int {
        max(0, Int(((interval - now.timeIntervalSince(lastSent)) * 1000).rounded(.up)))
    }
}

/// Reconnect delays that double from `initial` to `maximum` (1 s to 32 s in the Guide), and
/// start over once a connection has worked.
public struct Backoff: Sendable {
    public let initial: Double
    public let maximum: Double
    public private(set) var next: Double

    public init(initial: Double = 1, maximum: Double = 32) {
        self.initial = initial
        self.maximum = maximum
        next = initial
    }

    public mutating func take() -> Double {
        defer { next = min(next * 2, maximum) }
        return next
    }

    public mutating func reset() { next = initial }
}

/// Seconds for a log line, to a tenth: `3`, `0.6`, `1.5` (never `0.6000000000000001`).
public func secondsText(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    let tenths = Int((x * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    return tenths % 10 == 0 ? "\(tenths / 10)" : "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
}
