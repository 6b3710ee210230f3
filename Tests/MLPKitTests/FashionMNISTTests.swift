import Foundation
import XCTest

@testable import MLPKit

/// The loader against the real files (Debian's dataset-fashion-mnist), deliberately damaged
/// copies, small synthetic IDX sets, and a local HTTP server standing in for the download mirror.
final class FashionMNISTTests: XCTestCase {
    static let realDirectory = "/usr/share/datasets/fashion-mnist"

    /// Loaded once: a debug-build load of the real set takes over a second.
    static let realSet = Result { () throws(DataError) in try FashionMNIST.load(allowDownload: false) }

    private var scratch = ""
    private var server: LocalHTTPServer?

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "FashionMNISTTests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        server?.stop()
        server = nil
        try FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: Real data

    func testRealDataLoadsWithExpectedShapeAndBalance() throws {
        let set = try Self.realSet.get()
        XCTAssertEqual(set.train.count, 60_000)
        XCTAssertEqual(set.test.count, 10_000)
        XCTAssertEqual(set.train.featureCount, 784)
        XCTAssertEqual(set.train.classCount, 10)
        XCTAssertEqual(set.train.pixels.count, 60_000 * 784)
        XCTAssertEqual(set.test.pixels.count, 10_000 * 784)
        XCTAssertEqual(classCounts(set.train.labels), Array(repeating: 6_000, count: 10))
        XCTAssertEqual(classCounts(set.test.labels), Array(repeating: 1_000, count: 10))
        XCTAssertTrue(pixelRange(set.train.pixels) == (0, 255))
        XCTAssertTrue(pixelRange(set.test.pixels) == (0, 255))
        // Known values of the official files: first labels, and the first image's pixel sum.
        XCTAssertEqual(Array(set.train.labels.prefix(4)), [9, 0, 0, 3])
        XCTAssertEqual(Array(set.test.labels.prefix(4)), [9, 2, 1, 1])
        XCTAssertEqual(set.train.pixels[0..<784].reduce(0) { $0 + Int($1) }, 76_247)
        XCTAssertEqual(set.train.image(0).reduce(0, +) * 255, 76_247, accuracy: 0.1)
    }

    func testStandardLocationsFollowTheDocumentedOrder() {
        let full = DataLocations.standard(environment: [
            "FASHION_MNIST_DIR": "/data/fm", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u",
            "FASHION_MNIST_URL": "http://mirror/",
        ])
        XCTAssertEqual(full.searchDirectories, ["/data/fm", "/usr/share/datasets/fashion-mnist"])
        XCTAssertEqual(full.cacheDirectory, "/xdg/vgsweep/fashion-mnist")
        XCTAssertEqual(full.downloadBaseURL, "http://mirror/")

        let bare = DataLocations.standard(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "rel"])
        XCTAssertEqual(bare.searchDirectories, ["/usr/share/datasets/fashion-mnist"])
        XCTAssertEqual(bare.cacheDirectory, "/home/u/.cache/vgsweep/fashion-mnist")
        XCTAssertEqual(
            bare.downloadBaseURL, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")
    }

    // MARK: Damaged files

    func testExplicitDirectoryMissingAFileIsAnErrorNamingIt() throws {
        try linkRealFiles(except: "t10k-labels-idx1-ubyte.gz")
        let missing = scratch + "/t10k-labels-idx1-ubyte.gz"
        assertLoadFails(directory: scratch, with: .missingFile(path: missing), mentioning: missing)
    }

    func testTruncatedGzipIsAnErrorNamingTheFile() throws {
        let name = "train-images-idx3-ubyte.gz"
        try linkRealFiles(except: name)
        let real = try Data(contentsOf: URL(fileURLWithPath: Self.realDirectory + "/" + name))
        let path = scratch + "/" + name
        try real.prefix(100_000).write(to: URL(fileURLWithPath: path))
        assertLoadFails(
            directory: scratch, with: .corruptGzip(file: path, reason: "truncated gzip stream"),
            mentioning: path)
    }

    func testWrongContentFailsTheChecksumNamingTheFile() throws {
        let name = "train-labels-idx1-ubyte.gz"
        try linkRealFiles(except: name)
        let realPath = Self.realDirectory + "/" + name
        var labels = try gunzip(Data(contentsOf: URL(fileURLWithPath: realPath)), file: realPath)
        labels[100] = (labels[100] + 1) % 10  // still a valid label, so only the MD5 can tell
        let path = try writeGzip(labels, name: name)
        let error = loadError(directory: scratch)
        guard case .checksumMismatch(path, _, "9018921c3c673c538a1fc5bad174d6f9")? = error else {
            return XCTFail("expected an MD5 mismatch for \(path), got \(String(describing: error))")
        }
        XCTAssertTrue(error!.description.hasPrefix(path + ": MD5 "), error!.description)
    }

    // MARK: IDX parsing on synthetic sets

    /// Synthetic sets are 6 training and 4 test images; checksums cannot apply to them.
    static let synthetic = ExpectedFiles(trainCount: 6, testCount: 4, md5: nil)

    func testSyntheticSetDecodesPixelsAndLabelsExactly() throws {
        try writeSyntheticSet()
        let set = try FashionMNIST.load(
            directory: scratch, allowDownload: false, locations: unusedLocations(),
            expected: Self.synthetic)
        XCTAssertEqual(set.train.labels, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(set.test.labels, [0, 1, 2, 3])
        XCTAssertEqual(set.train.pixels.count, 6 * 784)
        // The eight-lane conversion gives exactly the scalar `pixel / 255`.
        for i in 0..<6 {
            XCTAssertEqual(set.train.image(i), (0..<784).map { Float((i * 784 + $0) % 256) / 255 }, "image \(i)")
        }
    }

    func testWrongIDXMagicIsAnErrorNamingTheFile() throws {
        try writeSyntheticSet()
        var images = Self.idxImages(count: 6)
        images[3] = 0x01  // a label file's magic
        let path = try writeGzip(images, name: "train-images-idx3-ubyte.gz")
        assertLoadFails(
            directory: scratch, expected: Self.synthetic,
            with: .malformedIDX(file: path, reason: "IDX magic 0x00000801, expected 0x00000803"),
            mentioning: path)
    }

    func testWrongIDXCountIsAnErrorNamingTheFile() throws {
        try writeSyntheticSet()
        let path = try writeGzip(Self.idxLabels(count: 5), name: "train-labels-idx1-ubyte.gz")
        assertLoadFails(
            directory: scratch, expected: Self.synthetic,
            with: .malformedIDX(file: path, reason: "5 labels, expected 6"), mentioning: path)
    }

    func testIDXRejectsWrongSizesShapesAndLabels() {
        func imagesError(_ bytes: [UInt8]) -> DataError? {
            Result { () throws(DataError) in try IDX.images(bytes, count: 2, file: "f") }.failure
        }
        func labelsError(_ bytes: [UInt8]) -> DataError? {
            Result { () throws(DataError) in try IDX.labels(bytes, count: 4, file: "f") }.failure
        }
        let images = Self.idxImages(count: 2)
        let size = 16 + 2 * 784
        XCTAssertEqual(
            imagesError(images + [0]), .malformedIDX(file: "f", reason: "\(size + 1) bytes, expected \(size)"))
        XCTAssertEqual(
            imagesError(images.dropLast()),
            .malformedIDX(file: "f", reason: "\(size - 1) bytes, expected \(size)"))
        var wide = images
        wide[15] = 32
        XCTAssertEqual(
            imagesError(wide), .malformedIDX(file: "f", reason: "images are 28x32, expected 28x28"))

        XCTAssertEqual(
            labelsError([0, 0, 8]), .malformedIDX(file: "f", reason: "3 bytes, too short for an IDX header"))
        var badLabel = Self.idxLabels(count: 4)
        badLabel[8 + 3] = 10
        XCTAssertEqual(
            labelsError(badLabel), .malformedIDX(file: "f", reason: "label 10 at index 3 is not below 10"))
    }

    func testGunzipHandlesConcatenatedMembersAndRejectsGarbage() throws {
        let first = try gzipped(Array("hello, ".utf8))
        let second = try gzipped(Array("world".utf8))
        XCTAssertEqual(try gunzip(first + second, file: "f"), Array("hello, world".utf8))
        XCTAssertThrowsError(try gunzip(first + [1, 2, 3], file: "f"))
        XCTAssertThrowsError(try gunzip(Array("not gzip at all".utf8), file: "f"))
        XCTAssertEqual(
            Result { () throws(DataError) in try gunzip([UInt8](), file: "f") }.failure,
            .corruptGzip(file: "f", reason: "truncated gzip stream"))
    }

    // MARK: Download

    func testMissingSetDownloadsIntoTheCacheVerifiesAndLoads() throws {
        let mirror = scratch + "/mirror"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        for name in FashionMNIST.fileNames {
            try FileManager.default.copyItem(
                atPath: Self.realDirectory + "/" + name, toPath: mirror + "/" + name)
        }
        let server = try startServer(serving: mirror)
        let cache = scratch + "/cache/vgsweep/fashion-mnist"
        let locations = DataLocations(
            searchDirectories: [scratch + "/nowhere"], cacheDirectory: cache,
            downloadBaseURL: server.baseURL)

        XCTAssertEqual(
            loadError(locations: locations, allowDownload: false),
            .notFound(searched: [scratch + "/nowhere", cache]))

        let set = try FashionMNIST.load(
            directory: nil, allowDownload: true, locations: locations, expected: ExpectedFiles())
        XCTAssertEqual(set.train.count, 60_000)
        XCTAssertEqual(set.test.count, 10_000)
        XCTAssertEqual(try cacheContents(cache), FashionMNIST.fileNames.sorted())
        for name in FashionMNIST.fileNames {
            XCTAssertTrue(
                FileManager.default.contentsEqual(
                    atPath: cache + "/" + name, andPath: Self.realDirectory + "/" + name), name)
        }
    }

    func testFailedDownloadsLeaveNothingInTheCache() throws {
        let mirror = scratch + "/mirror"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        let server = try startServer(serving: mirror)
        let cache = scratch + "/cache"
        let locations = DataLocations(
            searchDirectories: [], cacheDirectory: cache, downloadBaseURL: server.baseURL)

        // Nothing listens on port 1: the connection is refused.
        let refused = DataLocations(
            searchDirectories: [], cacheDirectory: cache, downloadBaseURL: "http://127.0.0.1:1")
        guard case .downloadFailed("http://127.0.0.1:1/train-images-idx3-ubyte.gz", _)? =
            loadError(locations: refused)
        else { return XCTFail("expected a refused connection") }
        XCTAssertEqual(try cacheContents(cache), [])

        // An empty mirror answers 404, which must not be mistaken for the file.
        guard case .downloadFailed(let url, "HTTP status 404")? = loadError(locations: locations)
        else { return XCTFail("expected HTTP 404") }
        XCTAssertTrue(url.hasPrefix(server.baseURL), url)
        XCTAssertEqual(try cacheContents(cache), [])

        // Valid gzip of the wrong content: only the checksum can tell, and it names the URL.
        for name in FashionMNIST.fileNames {
            try Data(gzipped(Array("not fashion-mnist".utf8)))
                .write(to: URL(fileURLWithPath: mirror + "/" + name))
        }
        guard case .checksumMismatch(let file, _, _)? = loadError(locations: locations) else {
            return XCTFail("expected an MD5 mismatch")
        }
        XCTAssertTrue(file.hasPrefix(server.baseURL), file)
        XCTAssertEqual(try cacheContents(cache), [])
    }

    // MARK: Helpers

    /// Smallest and largest value in one raw pass; `min()` and `max()` are slow in debug builds.
    private func pixelRange(_ pixels: [UInt8]) -> (UInt8, UInt8) {
        pixels.withUnsafeBufferPointer { buffer in
            var (low, high) = (UInt8.max, UInt8.min)
            for value in buffer {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            return (low, high)
        }
    }

    private func classCounts(_ labels: [UInt8]) -> [Int] {
        labels.reduce(into: Array(repeating: 0, count: 10)) { $0[Int($1)] += 1 }
    }

    /// Locations that must not be consulted (an explicit directory is given).
    private func unusedLocations() -> DataLocations {
        DataLocations(
            searchDirectories: [], cacheDirectory: scratch + "/no-cache", downloadBaseURL: "http://0.0.0.0:9/")
    }

    private func loadError(
        directory: String? = nil, locations: DataLocations? = nil, allowDownload: Bool = true,
        expected: ExpectedFiles = ExpectedFiles()
    ) -> DataError? {
        Result { () throws(DataError) in
            try FashionMNIST.load(
                directory: directory, allowDownload: allowDownload,
                locations: locations ?? unusedLocations(), expected: expected)
        }.failure
    }

    private func assertLoadFails(
        directory: String, expected: ExpectedFiles = ExpectedFiles(), with error: DataError,
        mentioning path: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let actual = loadError(directory: directory, expected: expected)
        XCTAssertEqual(actual, error, file: file, line: line)
        XCTAssertTrue(
            actual?.description.hasPrefix(path + ": ") ?? false,
            "\(String(describing: actual)) should name \(path)", file: file, line: line)
    }

    private func linkRealFiles(except skipped: String) throws {
        for name in FashionMNIST.fileNames where name != skipped {
            try FileManager.default.createSymbolicLink(
                atPath: scratch + "/" + name, withDestinationPath: Self.realDirectory + "/" + name)
        }
    }

    /// Writes `bytes` gzipped as `scratch/name` and returns its path.
    @discardableResult
    private func writeGzip(_ bytes: [UInt8], name: String) throws -> String {
        let path = scratch + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try Data(gzipped(bytes)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A 6 + 4 image set whose pixel i is i % 256 and whose labels count up from 0.
    private func writeSyntheticSet() throws {
        for (prefix, count) in [("train", 6), ("t10k", 4)] {
            try writeGzip(Self.idxImages(count: count), name: "\(prefix)-images-idx3-ubyte.gz")
            try writeGzip(Self.idxLabels(count: count), name: "\(prefix)-labels-idx1-ubyte.gz")
        }
    }

    static func idxImages(count: Int) -> [UInt8] {
        bigEndian([0x803, UInt32(count), 28, 28]) + (0..<(count * 784)).map { UInt8($0 % 256) }
    }

    static func idxLabels(count: Int) -> [UInt8] {
        bigEndian([0x801, UInt32(count)]) + (0..<count).map { UInt8($0 % 10) }
    }

    private static func bigEndian(_ fields: [UInt32]) -> [UInt8] {
        fields.flatMap { field in (0..<4).reversed().map { UInt8(truncatingIfNeeded: field >> (8 * $0)) } }
    }

    /// `bytes` compressed by /bin/gzip, an encoder independent of the decoder under test.
    private func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = scratch + "/gzip-input-" + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-n", path]
        try gzip.run()
        gzip.waitUntilExit()
        XCTAssertEqual(gzip.terminationStatus, 0)
        defer { try? FileManager.default.removeItem(atPath: path + ".gz") }
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    private func cacheContents(_ cache: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: cache) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
    }

    private func startServer(serving directory: String) throws -> LocalHTTPServer {
        let started = try LocalHTTPServer(serving: directory)
        server = started
        return started
    }
}

/// `python3 -m http.server`'s handler on 127.0.0.1, on a port the OS picks: the script prints
/// the port once the socket is listening, so there is neither a port race nor a polling loop.
private final class LocalHTTPServer {
    private let process = Process()
    let baseURL: String

    init(serving directory: String) throws {
        let script = """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }  // python exited
            line.append(chunk)
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        baseURL = "http://127.0.0.1:\(port)/"
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
