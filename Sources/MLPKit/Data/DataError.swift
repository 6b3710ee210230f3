/// Why Fashion-MNIST could not be loaded.
///
/// Every case names the file (a path, or the URL a download came from) and what is wrong with
/// it, because the fix is almost always "delete or replace that one file".
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The directory the caller named explicitly lacks one of the four files.
    case missingFile(path: String)
    /// No searched directory holds the set, and downloading was not allowed.
    case notFound(searched: [String])
    /// A file or directory could not be read or written.
    case io(path: String, reason: String)
    /// The file is not a complete, valid gzip stream.
    case corruptGzip(file: String, reason: String)
    /// The decompressed content is not the official file.
    case checksumMismatch(file: String, actual: String, expected: String)
    /// The decompressed content is not the IDX layout Fashion-MNIST uses.
    case malformedIDX(file: String, reason: String)
    /// Fetching a file failed before its content could be checked.
    case downloadFailed(url: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            "\(path): no such file"
        case .notFound(let searched):
            "Fashion-MNIST not found in \(searched.joined(separator: ", ")) and downloading is disabled"
        case .io(let path, let reason):
            "\(path): \(reason)"
        case .corruptGzip(let file, let reason):
            "\(file): \(reason)"
        case .checksumMismatch(let file, let actual, let expected):
            "\(file): MD5 \(actual) does not match the expected \(expected)"
        case .malformedIDX(let file, let reason):
            "\(file): \(reason)"
        case .downloadFailed(let url, let reason):
            "\(url): download failed: \(reason)"
        }
    }
}
