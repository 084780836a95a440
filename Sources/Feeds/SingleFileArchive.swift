public import Foundation

/// Reads the one file of a zip archive whose name ends with a given suffix, with a hard size
/// limit: a zip bomb stops at the limit, whatever the archive's headers claim. Used for zipped
/// Lenex (`.lxf`) and for the fixtures' zipped golden files.
///
/// The archive structure is read here, every offset and length checked against the bytes there
/// are, because the archive comes from outside: a general zip library trapped on a corrupt
/// header and spun forever on a truncated stream (both found by the `documents` fuzz target).
/// Inflating goes through `RawInflate` (zlib, bounded).
public enum SingleFileArchive {
    /// The contents of the only entry ending in `suffix`; errors say what was wrong.
    public static func contents(of data: Data, endingWith suffix: String, limit: Int, maximumEntries: Int = 16) throws(ArchiveError) -> Data {
        let bytes = [UInt8](data)
        let entries = try centralDirectory(bytes, maximumEntries: maximumEntries)
        let matching = entries.filter { !$0.path.hasSuffix("/") && $0.path.lowercased().hasSuffix(suffix) }
        guard matching.count == 1, let entry = matching.first else { throw .wrongCount(suffix: suffix, found: matching.count) }
        let stored = try storedBytes(of: entry, in: bytes)
        let inflated: Data
        switch entry.method {
        case 0:
            guard stored.count <= limit else { throw .overLimit(path: entry.path, limit: limit) }
            inflated = Data(stored)
        case 8:
            inflated = try inflate(stored, path: entry.path, limit: limit)
        default:
            throw .corrupt(path: entry.path, reason: "compression method \(entry.method) is not taken (stored or deflate only)")
        }
        guard CRC32Checksum.of(inflated) == entry.crc32 else { throw .corrupt(path: entry.path, reason: "CRC-32 does not match") }
        return inflated
    }

    /// One central directory record.
    struct Entry {
        let path: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let localHeaderOffset: Int
    }

    /// Little-endian fields at checked offsets.
    private static func u16(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at + 2 <= bytes.count else { return nil }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at + 4 <= bytes.count else { return nil }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }

    /// The entries the end-of-central-directory record leads to.
    static func centralDirectory(_ bytes: [UInt8], maximumEntries: Int) throws(ArchiveError) -> [Entry] {
        // The end record sits in the last 22 + 65,535 bytes (its comment is at most that long).
        guard bytes.count >= 22 else { throw .unreadable }
        var end: Int?
        var at = bytes.count - 22
        while at >= max(0, bytes.count - 22 - 65_535) {
            if u32(bytes, at) == 0x0605_4B50 {
                end = at
                break
            }
            at -= 1
        }
        guard let end, let total = u16(bytes, end + 10), let size = u32(bytes, end + 12), let offset = u32(bytes, end + 16) else {
            throw .unreadable
        }
        if total == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF { throw .corrupt(path: "the archive", reason: "ZIP64 archives are not taken") }
        guard total <= maximumEntries else { throw .tooManyEntries(maximumEntries) }
        guard offset + size <= end else { throw .corrupt(path: "the archive", reason: "its central directory lies outside it") }
        var entries: [Entry] = []
        var cursor = offset
        for _ in 0..<total {
            guard u32(bytes, cursor) == 0x0201_4B50, let flags = u16(bytes, cursor + 8), let method = u16(bytes, cursor + 10),
                  let crc = u32(bytes, cursor + 16), let compressed = u32(bytes, cursor + 20), let nameLength = u16(bytes, cursor + 28),
                  let extraLength = u16(bytes, cursor + 30), let commentLength = u16(bytes, cursor + 32), let local = u32(bytes, cursor + 42),
                  cursor + 46 + nameLength <= bytes.count
            else { throw .corrupt(path: "the archive", reason: "a central directory record is cut short or malformed") }
            let path = String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
            if flags & 0x0001 != 0 { throw .corrupt(path: path, reason: "it is encrypted") }
            if compressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF { throw .corrupt(path: path, reason: "ZIP64 entries are not taken") }
            entries.append(Entry(path: path, method: UInt16(method), crc32: UInt32(crc), compressedSize: compressed, localHeaderOffset: local))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// The entry's bytes as stored, located through its local header.
    static func storedBytes(of entry: Entry, in bytes: [UInt8]) throws(ArchiveError) -> ArraySlice<UInt8> {
        let at = entry.localHeaderOffset
        guard u32(bytes, at) == 0x0403_4B50, let nameLength = u16(bytes, at + 26), let extraLength = u16(bytes, at + 28) else {
            throw .corrupt(path: entry.path, reason: "its local header is missing or malformed")
        }
        let start = at + 30 + nameLength + extraLength
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw .corrupt(path: entry.path, reason: "its data runs past the end of the archive")
        }
        return bytes[start..<(start + entry.compressedSize)]
    }

    /// A raw deflate stream inflated, stopping at `limit`.
    private static func inflate(_ deflated: ArraySlice<UInt8>, path: String, limit: Int) throws(ArchiveError) -> Data {
        do {
            return try RawInflate.inflate(Data(deflated), limit: limit)
        } catch .overLimit {
            throw .overLimit(path: path, limit: limit)
        } catch .truncated {
            throw .corrupt(path: path, reason: "its deflate stream ends early")
        } catch {
            throw .corrupt(path: path, reason: "its deflate stream does not decode")
        }
    }
}

/// CRC-32 (ISO-HDLC, as zip and gzip use it).
enum CRC32Checksum {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func of(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Why an archive could not be read.
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    case unreadable
    case tooManyEntries(Int)
    case wrongCount(suffix: String, found: Int)
    case overLimit(path: String, limit: Int)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable: "not a readable zip archive"
        case .tooManyEntries(let count): "the archive holds more than \(count) entries"
        case let .wrongCount(suffix, found): "the archive must hold exactly one \(suffix) file, found \(found)"
        case let .overLimit(path, limit): "\(path) inflates past the \(limit / 1024 / 1024) MB limit"
        case let .corrupt(path, reason): "\(path) cannot be unzipped: \(reason)"
        }
    }
}
