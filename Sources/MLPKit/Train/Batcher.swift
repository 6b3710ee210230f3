import Foundation

/// Gathers mini-batches by index into one preallocated input matrix and label array.
struct Batcher {
    private(set) var input: Matrix
    private(set) var labels: [Int32]
    let data: Dataset

    init(data: Dataset, maxRows: Int) {
        self.data = data
        input = Matrix(rows: maxRows, cols: data.featureCount)
        labels = [Int32](repeating: 0, count: maxRows)
    }

    /// Loads the rows `indices` (at most `maxRows` of them).
    mutating func load(_ indices: ArraySlice<Int>) {
        let f = data.featureCount
        input.setRows(indices.count)
        data.images.withUnsafeBufferPointer { src in
            input.storage.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    memcpy(dst.baseAddress! + r * f, src.baseAddress! + i * f, f * MemoryLayout<Float>.size)
                }
            }
        }
        for (r, i) in indices.enumerated() { labels[r] = Int32(data.labels[i]) }
    }

    var batchLabels: ArraySlice<Int32> { labels[0..<input.rows] }
}
