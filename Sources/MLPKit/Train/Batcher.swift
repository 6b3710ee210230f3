/// Gathers mini-batches by index into one preallocated input matrix and label array.
public struct Batcher {
    public private(set) var input: Matrix
    private(set) var labels: [Int32]
    let data: Dataset

    public init(data: Dataset, maxRows: Int) {
        self.data = data
        input = Matrix(rows: maxRows, cols: data.featureCount)
        labels = [Int32](repeating: 0, count: maxRows)
    }

    /// Loads the rows `indices` (at most `maxRows` of them).
    public mutating func load(_ indices: ArraySlice<Int>) {
        input.setRows(indices.count)
        input.storage.withUnsafeMutableBufferPointer { data.gather(indices, into: $0.baseAddress!) }
        for (r, i) in indices.enumerated() { labels[r] = Int32(data.labels[i]) }
    }

    public var batchLabels: ArraySlice<Int32> { labels[0..<input.rows] }
}
