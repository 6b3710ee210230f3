import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads each of `names` from `baseURL` into `directory`, creating it if needed.
///
/// `verify` sees the downloaded bytes (and the URL, to name it in errors) before anything is
/// written, and the write itself is atomic (temporary file, then rename), so a failed, partial
/// or corrupt download never leaves a file in the cache that a later load would pick up.
func download(
    _ names: [String], into directory: String, from baseURL: String,
    verify: (_ data: Data, _ name: String, _ url: String) throws(DataError) -> Void
) throws(DataError) {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw .io(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
    }
    for name in names {
        let url = baseURL.hasSuffix("/") ? baseURL + name : baseURL + "/" + name
        let data = try fetch(url)
        try verify(data, name, url)
        let path = joinPath(directory, name)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

/// Fetches `url` completely into memory, blocking the calling thread.
///
/// Loading is a one-off synchronous step before training, so the callback API is bridged with
/// a semaphore instead of making every caller async. An ephemeral session keeps the 26 MB
/// responses out of URLCache.
private func fetch(_ url: String) throws(DataError) -> Data {
    guard let parsed = URL(string: url), parsed.scheme != nil else {
        throw .downloadFailed(url: url, reason: "not a valid URL")
    }
    var request = URLRequest(url: parsed)
    request.timeoutInterval = 60  // seconds without progress, not a cap on the whole transfer
    let session = URLSession(configuration: .ephemeral)
    defer { session.finishTasksAndInvalidate() }

    let outcome = FetchOutcome()
    let finished = DispatchSemaphore(value: 0)
    session.dataTask(with: request) { data, response, error in
        outcome.result = classify(data: data, response: response, error: error, url: url)
        finished.signal()
    }.resume()
    finished.wait()
    // The semaphore orders the callback's write before this read.
    return try outcome.result!.get()
}

/// Turns a completed transfer into the body or a reason it is unusable (an HTTP error page
/// must not reach the gzip decoder as if it were the file).
private func classify(data: Data?, response: URLResponse?, error: (any Error)?, url: String)
    -> Result<Data, DataError>
{
    if let error {
        return .failure(.downloadFailed(url: url, reason: error.localizedDescription))
    }
    if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
        return .failure(.downloadFailed(url: url, reason: "HTTP status \(http.statusCode)"))
    }
    guard let data else {
        return .failure(.downloadFailed(url: url, reason: "no response body"))
    }
    return .success(data)
}

/// Carries the completion handler's result to the waiting thread. It is written once, before
/// the semaphore is signalled, and read once after the wait, so no lock is needed.
private final class FetchOutcome: @unchecked Sendable {
    var result: Result<Data, DataError>?
}
