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
    /// The ids in `entries[head...]`, so that `remove` of an id not queued (every finished
    /// trial's) costs O(1) rather than a scan.
    private var queued: Set<String>

    init(_ entries: [Entry]) {
        self.entries = entries
        queued = Set(entries.map(\.id))
    }

    var count: Int { entries.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func pop() -> Entry? {
        guard head < entries.count else { return nil }
        defer { head += 1 }
        queued.remove(entries[head].id)
        return entries[head]
    }

    mutating func pushFront(_ entry: Entry) {
        queued.insert(entry.id)
        if head > 0 { head -= 1; entries[head] = entry } else { entries.insert(entry, at: 0) }
    }

    /// Takes a trial out of the queue (a restarted coordinator adopting a worker's trial).
    mutating func remove(_ id: String) -> Entry? {
        guard queued.contains(id), let i = entries[head...].firstIndex(where: { $0.id == id }) else { return nil }
        queued.remove(id)
        return entries.remove(at: i)
    }
}
