public import Foundation

/// An independent MPEG-TS reader for the tests: PAT, PMT and PES reassembly, written from
/// ISO/IEC 13818-1 and sharing no code with FFmpeg (whose 5.1 demuxer drops the first five
/// bytes of every stream_type 0x15 PES, so it cannot check our timed ID3).
public struct TransportStream {
    /// One elementary stream declared in the PMT.
    public struct ElementaryStream: Equatable {
        public let pid: Int
        public let streamType: UInt8
        /// ES_info descriptors, raw (tag, then bytes).
        public let descriptors: [(tag: UInt8, bytes: [UInt8])]

        public static func == (lhs: ElementaryStream, rhs: ElementaryStream) -> Bool {
            lhs.pid == rhs.pid && lhs.streamType == rhs.streamType
                && lhs.descriptors.map(\.tag) == rhs.descriptors.map(\.tag)
                && lhs.descriptors.map(\.bytes) == rhs.descriptors.map(\.bytes)
        }
    }

    /// One reassembled PES packet.
    public struct PES {
        public let streamID: UInt8
        public let pts: Int64?
        public let dts: Int64?
        public let dataAlignment: Bool
        public let payload: [UInt8]
    }

    /// Elementary streams of the (first) program, in PMT order.
    public private(set) var streams: [ElementaryStream] = []
    /// PES packets per PID, in stream order.
    public private(set) var packets: [Int: [PES]] = [:]
    /// Continuity-counter breaks seen per PID.
    public private(set) var continuityErrors = 0
    /// The program-level descriptors of the (first) PMT, raw (tag, then bytes).
    public private(set) var programDescriptors: [(tag: UInt8, bytes: [UInt8])] = []
    /// PMT sections whose CRC-32 did not match.
    public private(set) var badTableChecksums = 0

    /// An HLS playlist's MPEG-TS segments read as one stream, in playlist order (each segment
    /// starts with its own PAT and PMT, so the concatenation is a transport stream).
    public init(playlist: URL) throws {
        var bytes: [UInt8] = []
        for line in try String(contentsOf: playlist, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            bytes += try Data(contentsOf: playlist.deletingLastPathComponent().appendingPathComponent(String(line)))
        }
        try self.init(bytes: bytes)
    }

    /// Parses a whole transport stream; throws on lost sync or malformed tables.
    public init(bytes: [UInt8]) throws {
        guard bytes.count % 188 == 0 else { throw ReadError("length \(bytes.count) is not a multiple of 188") }
        var pmtPID: Int?
        var partial: [Int: [UInt8]] = [:]
        var lastCounter: [Int: UInt8] = [:]
        for start in stride(from: 0, to: bytes.count, by: 188) {
            let packet = bytes[start..<start + 188]
            guard packet[start] == 0x47 else { throw ReadError("lost sync at byte \(start)") }
            let pid = Int(packet[start + 1] & 0x1F) << 8 | Int(packet[start + 2])
            let unitStart = packet[start + 1] & 0x40 != 0
            let adaptation = (packet[start + 3] >> 4) & 0x3
            let counter = packet[start + 3] & 0x0F
            var offset = start + 4
            if adaptation & 0x2 != 0 { offset += 1 + Int(packet[start + 4]) }
            guard adaptation & 0x1 != 0, offset < start + 188, pid != 0x1FFF else { continue }
            if let previous = lastCounter[pid], (previous + 1) & 0x0F != counter { continuityErrors += 1 }
            lastCounter[pid] = counter
            let payload = Array(packet[offset..<start + 188])
            if pid == 0 {
                pmtPID = try TransportStream.programMapPID(fromPAT: payload)
            } else if pid == pmtPID {
                if !TransportStream.checksumMatches(payload) { badTableChecksums += 1 }
                if streams.isEmpty {
                    streams = try TransportStream.streams(fromPMT: payload)
                    programDescriptors = try TransportStream.programDescriptors(fromPMT: payload)
                }
            } else if streams.contains(where: { $0.pid == pid }) {
                // Only PIDs the PMT declares are PES streams; SDT and other tables are not.
                if unitStart {
                    if let pending = partial[pid] { packets[pid, default: []].append(try TransportStream.pes(pending)) }
                    partial[pid] = payload
                } else if partial[pid] != nil {
                    partial[pid]! += payload
                }
            }
        }
        for (pid, pending) in partial.sorted(by: { $0.key < $1.key }) {
            packets[pid, default: []].append(try TransportStream.pes(pending))
        }
    }

    private static func section(_ payload: [UInt8]) throws -> ArraySlice<UInt8> {
        let pointer = Int(payload[0])
        let start = 1 + pointer
        guard start + 3 <= payload.count else { throw ReadError("section header past the packet") }
        let length = Int(payload[start + 1] & 0x0F) << 8 | Int(payload[start + 2])
        guard start + 3 + length <= payload.count else { throw ReadError("section spans packets; not needed by these tests") }
        return payload[start..<start + 3 + length]
    }

    private static func programMapPID(fromPAT payload: [UInt8]) throws -> Int {
        let table = try section(payload)
        let base = table.startIndex
        guard table[base] == 0x00 else { throw ReadError("PAT table_id \(table[base])") }
        var index = base + 8
        while index + 4 <= table.endIndex - 4 {
            let program = Int(table[index]) << 8 | Int(table[index + 1])
            let pid = Int(table[index + 2] & 0x1F) << 8 | Int(table[index + 3])
            if program != 0 { return pid }
            index += 4
        }
        throw ReadError("PAT lists no program")
    }

    private static func programDescriptors(fromPMT payload: [UInt8]) throws -> [(tag: UInt8, bytes: [UInt8])] {
        let table = try section(payload)
        let base = table.startIndex
        let length = Int(table[base + 10] & 0x0F) << 8 | Int(table[base + 11])
        var result: [(tag: UInt8, bytes: [UInt8])] = []
        var cursor = base + 12
        while cursor + 2 <= base + 12 + length {
            let size = Int(table[cursor + 1])
            result.append((table[cursor], Array(table[cursor + 2..<cursor + 2 + size])))
            cursor += 2 + size
        }
        return result
    }

    /// Whether a section's CRC-32/MPEG-2 (computed bit by bit here, from ISO/IEC 13818-1 Annex A) matches.
    private static func checksumMatches(_ payload: [UInt8]) -> Bool {
        guard let table = try? section(payload) else { return false }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in table {
            for bit in (0..<8).reversed() {
                let incoming = UInt32(byte >> UInt8(bit) & 1)
                let top = crc >> 31
                crc <<= 1
                if top ^ incoming == 1 { crc ^= 0x04C1_1DB7 }
            }
        }
        // Run over the section including its CRC, the register ends at zero.
        return crc == 0
    }

    private static func streams(fromPMT payload: [UInt8]) throws -> [ElementaryStream] {
        let table = try section(payload)
        let base = table.startIndex
        guard table[base] == 0x02 else { throw ReadError("PMT table_id \(table[base])") }
        let programInfoLength = Int(table[base + 10] & 0x0F) << 8 | Int(table[base + 11])
        var index = base + 12 + programInfoLength
        var result: [ElementaryStream] = []
        while index + 5 <= table.endIndex - 4 {
            let type = table[index]
            let pid = Int(table[index + 1] & 0x1F) << 8 | Int(table[index + 2])
            let infoLength = Int(table[index + 3] & 0x0F) << 8 | Int(table[index + 4])
            var descriptors: [(UInt8, [UInt8])] = []
            var cursor = index + 5
            while cursor + 2 <= index + 5 + infoLength {
                let length = Int(table[cursor + 1])
                descriptors.append((table[cursor], Array(table[cursor + 2..<cursor + 2 + length])))
                cursor += 2 + length
            }
            result.append(ElementaryStream(pid: pid, streamType: type, descriptors: descriptors.map { (tag: $0.0, bytes: $0.1) }))
            index += 5 + infoLength
        }
        return result
    }

    private static func timestamp(_ bytes: ArraySlice<UInt8>) -> Int64 {
        let b = Array(bytes)
        return Int64(b[0] >> 1 & 0x07) << 30 | Int64(b[1]) << 22 | Int64(b[2] >> 1) << 15 | Int64(b[3]) << 7 | Int64(b[4] >> 1)
    }

    private static func pes(_ bytes: [UInt8]) throws -> PES {
        guard bytes.count >= 9, bytes[0] == 0, bytes[1] == 0, bytes[2] == 1 else { throw ReadError("PES without start code") }
        let streamID = bytes[3]
        let declaredLength = Int(bytes[4]) << 8 | Int(bytes[5])
        let flags = bytes[7] >> 6
        let headerLength = Int(bytes[8])
        let pts: Int64? = flags & 0x2 != 0 ? timestamp(bytes[9..<14]) : nil
        let dts: Int64? = flags == 0x3 ? timestamp(bytes[14..<19]) : pts
        let end = declaredLength == 0 ? bytes.count : min(bytes.count, 6 + declaredLength)
        return PES(
            streamID: streamID, pts: pts, dts: dts, dataAlignment: bytes[6] & 0x04 != 0,
            payload: Array(bytes[(9 + headerLength)..<end])
        )
    }

    /// The PID of the first stream of `streamType`.
    public func pid(ofStreamType streamType: UInt8) -> Int? { streams.first { $0.streamType == streamType }?.pid }

    /// Why a stream could not be read.
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
