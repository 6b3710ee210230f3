/// The trials waiting for a worker, in sweep order; a trial handed back after a lost worker
/// goes to the front, so a retry does not wait behind the whole sweep.
struct TrialQueue {
    struct Entry {
        var id: String
        var parameters: [(String, String)]
        /// Attempts started so far (the next one is `attempts + 1`).
        var attempts: Int
    }

    private var entries: [Entry] = []
    private var head = 0

    init(_ entries: [Entry]) { self.entries = entries }

    var count: Int { entries.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func pop() -> Entry? {
        guard head < entries.count else { return nil }
        defer { head += 1 }
        return entries[head]
    }

    mutating func pushFront(_ entry: Entry) {
        if head > 0 { head -= 1; entries[head] = entry } else { entries.insert(entry, at: 0) }
    }

    /// Takes a trial out of the queue (a restarted coordinator adopting a worker's trial).
    mutating func remove(_ id: String) -> Entry? {
        guard let i = entries[head...].firstIndex(where: { $0.id == id }) else { return nil }
        let entry = entries[i]
        entries.remove(at: i)
        return entry
    }
}
