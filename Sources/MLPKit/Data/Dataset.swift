import CKernels

/// A labelled image set held in memory, ready for training.
///
/// Pixels stay the bytes of the files, one image per row of `featureCount`, and become
/// floats (pixel / 255) only when a mini-batch is gathered: each worker holds 47 MB for the
/// training set instead of a 188 MB float copy, and a random mini-batch pulls a quarter of
/// the bytes from memory.
public struct Dataset: Sendable {
    /// `count * featureCount` pixel bytes.
    public var pixels: [UInt8]
    /// `count` class indices in `0..<classCount`.
    public var labels: [UInt8]
    public let featureCount: Int
    public let classCount: Int

    public var count: Int { labels.count }

    public init(pixels: [UInt8], labels: [UInt8], featureCount: Int, classCount: Int) {
        precondition(pixels.count == labels.count * featureCount, "images and labels disagree")
        self.pixels = pixels
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classCount
    }

    /// Image `index` as the network sees it: `featureCount` floats, pixel / 255.
    public func image(_ index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: featureCount) { out, initialized in
            gather([index][...], into: out.baseAddress!)
            initialized = featureCount
        }
    }

    /// Writes the images `indices`, one after another, as floats (pixel / 255) to `out`.
    /// The division gives the correctly rounded `Float(pixel) / 255` of every path.
    func gather(_ indices: ArraySlice<Int>, into out: UnsafeMutablePointer<Float>) {
        pixels.withUnsafeBufferPointer { all in
            indices.withUnsafeBufferPointer { rows in
                vgsweep_gather_pixels(all.baseAddress!, rows.baseAddress!, rows.count, featureCount, out)
            }
        }
    }
}
