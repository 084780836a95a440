import CInflate
import Foundation

/// Inflates a raw deflate stream (RFC 1951) with zlib, through a bounded output buffer, stopping
/// at a size limit. The bytes come from outside (gzip bodies, `.lxf` entries): a stream that ends
/// early, loops or lies about its size gets an error, never a hang; the general zip library's
/// own loop spun forever on a truncated stream (found by the `documents` fuzz target).
enum RawInflate {
    /// Why a stream could not be inflated.
    enum Failure: Error, Equatable {
        /// The stream is not valid deflate.
        case corrupt
        /// The input ended before the stream's final block.
        case truncated
        /// It inflates past the limit.
        case overLimit
    }

    /// The inflated bytes of `input`, at most `limit` of them.
    static func inflate(_ input: Data, limit: Int) throws(Failure) -> Data {
        var stream = z_stream()
        guard podium_inflate_init_raw(&stream) == Z_OK else { throw .corrupt }
        defer { inflateEnd(&stream) }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let source = [UInt8](input)
        let result: Result<Data, Failure> = source.withUnsafeBufferPointer { incoming in
            // zlib reads through `next_in` and never writes it (the pointer type is mutable in its C API only).
            stream.next_in = UnsafeMutablePointer(mutating: incoming.baseAddress)
            stream.avail_in = UInt32(incoming.count)
            while true {
                let (status, produced) = buffer.withUnsafeMutableBufferPointer { outgoing -> (Int32, Int) in
                    stream.next_out = outgoing.baseAddress
                    stream.avail_out = UInt32(outgoing.count)
                    let status = CInflate.inflate(&stream, Z_NO_FLUSH)
                    return (status, outgoing.count - Int(stream.avail_out))
                }
                if produced > 0 {
                    guard output.count + produced <= limit else { return .failure(.overLimit) }
                    output.append(contentsOf: buffer[0..<produced])
                }
                switch status {
                case Z_STREAM_END: return .success(output)
                case Z_OK: continue
                // No progress is possible: the input is used up before the final block.
                case Z_BUF_ERROR: return .failure(.truncated)
                default: return .failure(.corrupt)
                }
            }
        }
        return try result.get()
    }
}
