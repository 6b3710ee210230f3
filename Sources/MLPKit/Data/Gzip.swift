import CZlib
import Foundation

/// Decompresses a whole gzip file held in memory.
///
/// The data files are small enough (26 MB compressed, 47 MB inflated) that one in-memory pass
/// is both the simplest and the fastest option. Concatenated gzip members are decoded one after
/// another, as `gunzip` does. A stream that ends early or fails its CRC throws, naming `file`,
/// rather than returning partial data.
func gunzip(_ compressed: some ContiguousBytes, file: String) throws(DataError) -> [UInt8] {
    let result = compressed.withUnsafeBytes { inflateAll($0) }
    switch result {
    case .success(let bytes): return bytes
    case .failure(let reason): throw .corruptGzip(file: file, reason: reason.text)
    }
}

/// Why inflating failed; wrapped so it can travel in a `Result` out of `withUnsafeBytes`.
private struct InflateFailure: Error {
    let text: String
}

/// The inflate loop proper, kept apart so every zlib pointer stays inside this file.
private func inflateAll(_ input: UnsafeRawBufferPointer) -> Result<[UInt8], InflateFailure> {
    var stream = z_stream()
    // windowBits 15 + 32: largest window, and auto-detect the gzip (or zlib) header.
    let initStatus = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard initStatus == Z_OK else {
        return .failure(InflateFailure(text: "zlib inflateInit2 failed with status \(initStatus)"))
    }
    defer { inflateEnd(&stream) }

    var output = [UInt8](repeating: 0, count: sizeHint(input))
    var produced = 0
    var fed = 0
    while true {
        // avail_in is 32-bit, so feed inputs over 4 GB in slices.
        if stream.avail_in == 0 && fed < input.count {
            let slice = min(input.count - fed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self) + fed)
            stream.avail_in = UInt32(slice)
            fed += slice
        }
        if produced == output.count {
            output.append(contentsOf: repeatElement(0, count: output.count))
        }
        let room = min(output.count - produced, Int(UInt32.max))
        let status = output.withUnsafeMutableBufferPointer { buffer in
            stream.next_out = buffer.baseAddress! + produced
            stream.avail_out = UInt32(room)
            return inflate(&stream, Z_NO_FLUSH)
        }
        produced += room - Int(stream.avail_out)

        switch status {
        case Z_STREAM_END:
            guard stream.avail_in > 0 || fed < input.count else {
                output.removeLast(output.count - produced)
                return .success(output)
            }
            // Another gzip member follows; anything that is not one fails its header check.
            inflateReset(&stream)
        case Z_OK, Z_BUF_ERROR:
            // Input exhausted with output room left means the stream stopped before its end.
            if stream.avail_in == 0 && fed == input.count && stream.avail_out > 0 {
                return .failure(InflateFailure(text: "truncated gzip stream"))
            }
        case Z_DATA_ERROR, Z_NEED_DICT:
            let detail = stream.msg.map { String(cString: $0) } ?? "invalid data"
            return .failure(InflateFailure(text: "corrupt gzip stream (\(detail))"))
        case Z_MEM_ERROR:
            return .failure(InflateFailure(text: "out of memory while decompressing"))
        default:
            return .failure(InflateFailure(text: "zlib inflate failed with status \(status)"))
        }
    }
}

/// The inflated size recorded in the gzip trailer (ISIZE, size mod 2^32), so the output is
/// usually allocated once. It is only a hint: capped at deflate's maximum ratio so a corrupt
/// trailer cannot trigger a huge allocation, and the loop grows the buffer if it is short.
private func sizeHint(_ input: UnsafeRawBufferPointer) -> Int {
    guard input.count >= 18 else { return 4096 }  // 18 = smallest gzip member
    let trailer = input.count - 4
    let isize = (0..<4).reduce(0) { $0 | Int(input[trailer + $1]) << (8 * $1) }
    return max(4096, min(isize, input.count * 1032))
}
