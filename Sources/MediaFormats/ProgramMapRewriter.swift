/// Adds the program-level `metadata_pointer_descriptor` that Apple's timed-metadata
/// specification asks for to the PMT of an MPEG-TS that carries timed ID3. FFmpeg 5.1's muxer
/// writes the stream's `metadata_descriptor` but not this one, so Podium rewrites the PMT as
/// the muxer writes it: the descriptor goes at the end of the program info, the section length
/// grows by 17 bytes (taken from the packet's stuffing) and the CRC is computed again.
///
/// Pure byte work on whole 188-byte packets. A PMT that does not fit one packet with the
/// descriptor added, or that already has one, passes unchanged.
package struct ProgramMapRewriter {
    /// The PMT's PID, learnt from the PAT.
    package private(set) var programMapPID: Int?
    /// PMT packets changed so far.
    private(set) var rewritten = 0

    /// A new one, having seen nothing yet.
    package init() {}

    /// The descriptor for `program`: ID3 metadata carried in this transport stream.
    static func metadataPointerDescriptor(program: Int) -> [UInt8] {
        [
            0x25, 15,
            0xFF, 0xFF, 0x49, 0x44, 0x33, 0x20, // metadata_application_format 0xFFFF, identifier "ID3 "
            0xFF, 0x49, 0x44, 0x33, 0x20, // metadata_format 0xFF, identifier "ID3 "
            0x00, // metadata_service_id
            0x1F, // metadata_locator_record_flag 0, MPEG_carriage_flags 0 (this stream), reserved
            UInt8(program >> 8), UInt8(program & 0xFF),
        ]
    }

    /// Rewrites `packet` (188 bytes, in place) when it is the PMT.
    package mutating func process(_ packet: inout [UInt8]) {
        guard packet.count == 188, packet[0] == 0x47 else { return }
        let pid = Int(packet[1] & 0x1F) << 8 | Int(packet[2])
        let unitStart = packet[1] & 0x40 != 0
        let adaptation = (packet[3] >> 4) & 0x3
        guard unitStart, adaptation == 0x1 else { return }
        // Section start: 4-byte header, then the pointer field.
        let pointer = Int(packet[4])
        let section = 5 + pointer
        guard section + 3 <= 188 else { return }
        if pid == 0, packet[section] == 0x00 {
            let length = Int(packet[section + 1] & 0x0F) << 8 | Int(packet[section + 2])
            var entry = section + 8
            while entry + 4 <= min(188, section + 3 + length - 4) {
                let program = Int(packet[entry]) << 8 | Int(packet[entry + 1])
                if program != 0 {
                    programMapPID = Int(packet[entry + 2] & 0x1F) << 8 | Int(packet[entry + 3])
                    break
                }
                entry += 4
            }
            return
        }
        guard pid == programMapPID, packet[section] == 0x02 else { return }
        let sectionLength = Int(packet[section + 1] & 0x0F) << 8 | Int(packet[section + 2])
        let end = section + 3 + sectionLength
        let programInfoLength = Int(packet[section + 10] & 0x0F) << 8 | Int(packet[section + 11])
        let infoStart = section + 12
        let insertAt = infoStart + programInfoLength
        guard end <= 188, insertAt <= end - 4 else { return }
        // Already there: nothing to add.
        var cursor = infoStart
        while cursor + 2 <= insertAt {
            if packet[cursor] == 0x25 { return }
            cursor += 2 + Int(packet[cursor + 1])
        }
        let descriptor = Self.metadataPointerDescriptor(program: Int(packet[section + 3]) << 8 | Int(packet[section + 4]))
        // The bytes after the section must be stuffing enough to give up.
        guard end + descriptor.count <= 188, packet[end...].allSatisfy({ $0 == 0xFF }), programInfoLength + descriptor.count < 0x400 else { return }
        var rebuilt = Array(packet[..<insertAt]) + descriptor + Array(packet[insertAt..<(end - 4)])
        let newSectionLength = sectionLength + descriptor.count
        rebuilt[section + 1] = (packet[section + 1] & 0xF0) | UInt8(newSectionLength >> 8)
        rebuilt[section + 2] = UInt8(newSectionLength & 0xFF)
        let newInfoLength = programInfoLength + descriptor.count
        rebuilt[section + 10] = (packet[section + 10] & 0xF0) | UInt8(newInfoLength >> 8)
        rebuilt[section + 11] = UInt8(newInfoLength & 0xFF)
        let crc = Self.crc32(rebuilt[section...])
        rebuilt += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        rebuilt += [UInt8](repeating: 0xFF, count: 188 - rebuilt.count)
        packet = rebuilt
        rewritten += 1
    }

    /// CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial value all ones, not reflected), as PSI sections use.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }
}
