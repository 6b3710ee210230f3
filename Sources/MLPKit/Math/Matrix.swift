/// A row-major matrix of `Float`, the one tensor type of MLPKit.
///
/// The storage is sized once for the largest batch a buffer will ever hold; `rows` is the
/// number of rows in use now. A smaller last batch (or an evaluation batch) shrinks `rows`
/// without reallocating, so the training step never allocates.
public struct Matrix: Sendable, Equatable {
    /// Rows in use; at most `capacityRows`.
    public private(set) var rows: Int
    public let cols: Int
    /// Row-major; `storage.count == capacityRows * cols`.
    public var storage: [Float]

    public var capacityRows: Int { cols == 0 ? 0 : storage.count / cols }
    public var count: Int { rows * cols }

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "negative matrix size")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "\(values.count) values for a \(rows)x\(cols) matrix")
        self.rows = rows
        self.cols = cols
        self.storage = values
    }

    /// Uses the first `rows` rows of the storage; never reallocates.
    public mutating func setRows(_ rows: Int) {
        precondition(rows >= 0 && rows <= capacityRows, "\(rows) rows exceed capacity \(capacityRows)")
        self.rows = rows
    }

    public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// The rows in use, as a flat array (for tests and reports, not for hot loops).
    public var activeValues: [Float] { Array(storage[0..<count]) }

    public mutating func fill(_ value: Float) {
        let n = count
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i] = value }
        }
    }

    /// Sum of squares of the rows in use, accumulated in Double so large layers stay exact enough.
    public func sumOfSquares() -> Double {
        let n = count
        return storage.withUnsafeBufferPointer { p in
            var s: Double = 0
            for i in 0..<n { let v = Double(p[i]); s += v * v }
            return s
        }
    }
}
