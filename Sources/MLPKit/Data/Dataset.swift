/// A labelled image set held in memory, ready for training: pixels already scaled to [0, 1].
///
/// Images are stored row-major, one image per row of `featureCount` floats, so a mini-batch
/// is a gather of rows and the first layer's GEMM reads it directly.
public struct Dataset: Sendable {
    /// `count * featureCount` floats, pixel / 255.
    public var images: [Float]
    /// `count` class indices in `0..<classCount`.
    public var labels: [UInt8]
    public let featureCount: Int
    public let classCount: Int

    public var count: Int { labels.count }

    public init(images: [Float], labels: [UInt8], featureCount: Int, classCount: Int) {
        precondition(images.count == labels.count * featureCount, "images and labels disagree")
        self.images = images
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classCount
    }
}
