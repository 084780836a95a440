public import Foundation

/// Reads a gzip member (RFC 1952), as timing systems send ODF over HTTP with
/// `Content-Encoding: gzip`, with a hard limit on what it inflates to (a small body that would
/// inflate to gigabytes stops at the limit).
public enum GzipBody {
    /// Why a body could not be read.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notGzip
        case corrupt(String)
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .notGzip: "the body is not gzip (it does not start with 1f 8b 08)"
            case .corrupt(let detail): "the gzip body is corrupt: \(detail)"
            case .tooLarge(let limit): "the body inflates to more than \(limit / 1024 / 1024) MB"
            }
        }
    }

    /// The inflated bytes of `body`.
    public static func inflate(_ body: Data, limit: Int) throws(Failure) -> Data {
        let bytes = [UInt8](body)
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8 else { throw .notGzip }
        let flags = bytes[3]
        var offset = 10
        if flags & 0x04 != 0 { // FEXTRA
            guard offset + 2 <= bytes.count else { throw .corrupt("extra field past the end") }
            offset += 2 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8)
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 { // FNAME, FCOMMENT: zero-terminated
            guard let end = bytes[min(offset, bytes.count)...].firstIndex(of: 0) else { throw .corrupt("name or comment not terminated") }
            offset = end + 1
        }
        if flags & 0x02 != 0 { offset += 2 } // FHCRC
        guard offset <= bytes.count - 8 else { throw .corrupt("no compressed data") }
        let deflated = body.subdata(in: body.startIndex + offset..<body.endIndex - 8)
        let inflated: Data
        do {
            inflated = try RawInflate.inflate(deflated, limit: limit)
        } catch .overLimit {
            throw .tooLarge(limit: limit)
        } catch .truncated {
            throw .corrupt("the deflate stream ends early")
        } catch {
            throw .corrupt("the deflate stream does not decode")
        }
        let checksum = CRC32Checksum.of(inflated)
        let trailer = bytes.suffix(8).map(UInt32.init)
        let storedCRC = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
        let storedSize = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24
        guard storedCRC == checksum else { throw .corrupt("CRC-32 does not match") }
        guard storedSize == UInt32(truncatingIfNeeded: inflated.count) else { throw .corrupt("length does not match") }
        return inflated
    }
}
