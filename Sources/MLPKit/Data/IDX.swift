/// Parsing of the IDX container the MNIST family ships in: a big-endian magic number whose last
/// byte is the dimension count, one big-endian UInt32 per dimension, then the raw unsigned bytes.
///
/// Every header field and the exact byte size is checked against what Fashion-MNIST must be, so
/// a file that passes parses into exactly `count` well-formed examples.
enum IDX {
    static let imagesMagic: UInt32 = 0x0000_0803  // unsigned bytes, 3 dimensions
    static let labelsMagic: UInt32 = 0x0000_0801  // unsigned bytes, 1 dimension
    static let side = 28
    static let classCount = 10

    /// The pixels of an `idx3` image file: `count * 784` bytes, row-major.
    static func images(_ bytes: [UInt8], count: Int, file: String) throws(DataError) -> [UInt8] {
        let header = 16
        try check(bytes, magic: imagesMagic, headerSize: header, file: file)
        let (fileCount, rows, cols) = (field(bytes, 4), field(bytes, 8), field(bytes, 12))
        guard rows == side && cols == side else {
            throw .malformedIDX(file: file, reason: "images are \(rows)x\(cols), expected \(side)x\(side)")
        }
        guard fileCount == count else {
            throw .malformedIDX(file: file, reason: "\(fileCount) images, expected \(count)")
        }
        let pixelCount = count * side * side
        try checkSize(bytes, expected: header + pixelCount, file: file)
        return Array(bytes[header...])
    }

    /// The class indices of an `idx1` label file, each checked to be below 10.
    static func labels(_ bytes: [UInt8], count: Int, file: String) throws(DataError) -> [UInt8] {
        let header = 8
        try check(bytes, magic: labelsMagic, headerSize: header, file: file)
        let fileCount = field(bytes, 4)
        guard fileCount == count else {
            throw .malformedIDX(file: file, reason: "\(fileCount) labels, expected \(count)")
        }
        try checkSize(bytes, expected: header + count, file: file)
        let labels = Array(bytes[header...])
        if let index = labels.firstIndex(where: { $0 >= classCount }) {
            throw .malformedIDX(
                file: file,
                reason: "label \(labels[index]) at index \(index) is not below \(classCount)")
        }
        return labels
    }

    private static func check(
        _ bytes: [UInt8], magic: UInt32, headerSize: Int, file: String
    ) throws(DataError) {
        guard bytes.count >= headerSize else {
            throw .malformedIDX(file: file, reason: "\(bytes.count) bytes, too short for an IDX header")
        }
        let found = UInt32(field(bytes, 0))
        guard found == magic else {
            throw .malformedIDX(file: file, reason: "IDX magic \(hex(found)), expected \(hex(magic))")
        }
    }

    private static func checkSize(_ bytes: [UInt8], expected: Int, file: String) throws(DataError) {
        guard bytes.count == expected else {
            throw .malformedIDX(file: file, reason: "\(bytes.count) bytes, expected \(expected)")
        }
    }

    /// The big-endian UInt32 at `offset`.
    private static func field(_ bytes: [UInt8], _ offset: Int) -> Int {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
