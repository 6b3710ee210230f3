import Crypto
import Foundation

/// Zalando's Fashion-MNIST: 28x28 grayscale images of clothing in 10 classes, 60 000 for
/// training and 10 000 for testing, as shipped in the four official gzipped IDX files.
public struct FashionMNIST: Sendable {
    public let train: Dataset
    public let test: Dataset

    /// The official file names, which every copy (Debian package, cache, mirror) keeps.
    static let fileNames = [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ]

    /// Loads both splits, checking every file's decompressed MD5 and IDX header on each load, so
    /// a damaged copy fails loudly instead of silently skewing a sweep's results.
    ///
    /// - Parameters:
    ///   - directory: a directory holding the four `.gz` files. When given it is the only place
    ///     looked at, and a missing file there is an error: silently using another copy would
    ///     hide a typo.
    ///   - allowDownload: when no copy is found in `$FASHION_MNIST_DIR`,
    ///     `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`) or the user
    ///     cache (`$XDG_CACHE_HOME/vgsweep/fashion-mnist`, else `~/.cache/vgsweep/fashion-mnist`),
    ///     download the missing files into that cache.
    ///   - downloadBaseURL: the mirror to download from; defaults to `$FASHION_MNIST_URL`, else
    ///     the official S3 bucket.
    public static func load(
        directory: String? = nil, allowDownload: Bool = true, downloadBaseURL: String? = nil
    ) throws(DataError) -> FashionMNIST {
        var locations = DataLocations.standard(environment: ProcessInfo.processInfo.environment)
        if let downloadBaseURL {
            locations.downloadBaseURL = downloadBaseURL
        }
        return try load(
            directory: directory, allowDownload: allowDownload,
            locations: locations, expected: ExpectedFiles())
    }

    /// `load` with the environment and the expected content injected, so tests use temporary
    /// directories, local servers and small synthetic files.
    static func load(
        directory: String?, allowDownload: Bool, locations: DataLocations, expected: ExpectedFiles
    ) throws(DataError) -> FashionMNIST {
        let source = try sourceDirectory(
            explicit: directory, allowDownload: allowDownload, locations: locations, expected: expected)
        return FashionMNIST(
            train: try loadSplit("train", count: expected.trainCount, from: source, expected: expected),
            test: try loadSplit("t10k", count: expected.testCount, from: source, expected: expected))
    }

    /// The directory to load from, after downloading into the cache if nothing holds the set.
    private static func sourceDirectory(
        explicit: String?, allowDownload: Bool, locations: DataLocations, expected: ExpectedFiles
    ) throws(DataError) -> String {
        let fileManager = FileManager.default
        func missing(in directory: String) -> [String] {
            fileNames.filter { !fileManager.fileExists(atPath: joinPath(directory, $0)) }
        }
        if let explicit {
            if let name = missing(in: explicit).first {
                throw .missingFile(path: joinPath(explicit, name))
            }
            return explicit
        }
        if let found = locations.searchDirectories.first(where: { missing(in: $0).isEmpty }) {
            return found
        }
        let cache = locations.cacheDirectory
        let absent = missing(in: cache)
        if !absent.isEmpty {
            guard allowDownload else {
                throw .notFound(searched: locations.searchDirectories + [cache])
            }
            try download(absent, into: cache, from: locations.downloadBaseURL) {
                data, name, url throws(DataError) in
                _ = try expected.content(of: data, name: name, file: url)
            }
        }
        return cache
    }

    /// One split: `prefix` is "train" or "t10k", as in the official file names.
    private static func loadSplit(
        _ prefix: String, count: Int, from directory: String, expected: ExpectedFiles
    ) throws(DataError) -> Dataset {
        func content(_ name: String) throws(DataError) -> (bytes: [UInt8], path: String) {
            let path = joinPath(directory, name)
            let compressed: Data
            do {
                compressed = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
            }
            return (try expected.content(of: compressed, name: name, file: path), path)
        }
        let images = try content("\(prefix)-images-idx3-ubyte.gz")
        let labels = try content("\(prefix)-labels-idx1-ubyte.gz")
        return Dataset(
            pixels: try IDX.images(images.bytes, count: count, file: images.path),
            labels: try IDX.labels(labels.bytes, count: count, file: labels.path),
            featureCount: IDX.side * IDX.side, classCount: IDX.classCount)
    }
}

/// Where the loader looks for the files and where downloads go, resolved from the environment
/// once so tests can substitute their own without touching the process environment.
struct DataLocations: Sendable {
    /// Read-only copies, searched in order; the first holding all four files is used.
    var searchDirectories: [String]
    /// Searched last; missing files are downloaded here.
    var cacheDirectory: String
    var downloadBaseURL: String

    static func standard(environment: [String: String]) -> DataLocations {
        var search: [String] = []
        if let directory = environment["FASHION_MNIST_DIR"], !directory.isEmpty {
            search.append(directory)
        }
        search.append("/usr/share/datasets/fashion-mnist")
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        let cacheRoot = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? joinPath(environment["HOME"] ?? NSHomeDirectory(), ".cache")
        let url = environment["FASHION_MNIST_URL"].flatMap { $0.isEmpty ? nil : $0 }
        return DataLocations(
            searchDirectories: search,
            cacheDirectory: joinPath(joinPath(cacheRoot, "vgsweep"), "fashion-mnist"),
            downloadBaseURL: url ?? "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")
    }
}

/// What the loader accepts as the data set. The default is the official release; tests
/// substitute small synthetic sets and switch the checksums off.
struct ExpectedFiles: Sendable {
    var trainCount = 60_000
    var testCount = 10_000
    /// MD5 of each file's decompressed content, by file name; `nil` skips the check.
    var md5: [String: String]? = [
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    ]

    /// The decompressed content of the file `name`, checked against its MD5; `file` (a path or
    /// URL) names it in errors.
    func content(of compressed: Data, name: String, file: String) throws(DataError) -> [UInt8] {
        let bytes = try gunzip(compressed, file: file)
        if let expected = md5?[name] {
            let actual = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            guard actual == expected else {
                throw .checksumMismatch(file: file, actual: actual, expected: expected)
            }
        }
        return bytes
    }
}

/// `directory/name`, tolerating a trailing slash on `directory`.
func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
