@testable import MediaFormats
import Testing

struct ProgramMapRewriterTests {
    /// A TS packet holding a PSI section (pointer field 0), stuffed with 0xFF, CRC computed.
    static func packet(pid: Int, section body: [UInt8]) -> [UInt8] {
        var section = body
        let crc = ProgramMapRewriter.crc32(section[...])
        section += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        let header: [UInt8] = [0x47, 0x40 | UInt8(pid >> 8), UInt8(pid & 0xFF), 0x10, 0x00]
        return header + section + [UInt8](repeating: 0xFF, count: 188 - header.count - section.count)
    }

    static let pat = packet(pid: 0, section: [0x00, 0xB0, 13, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00])

    /// A PMT for program 1 on PID 0x1000: video on 0x100, timed ID3 on 0x102, `programInfo` as given.
    static func pmt(programInfo: [UInt8] = [], streams: Int = 2) -> [UInt8] {
        var body: [UInt8] = [0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0 | UInt8(programInfo.count >> 8), UInt8(programInfo.count & 0xFF)] + programInfo
        for index in 0..<streams {
            body += [index == 0 ? 0x1B : 0x15, 0xE1, UInt8(index), 0xF0, 0x00]
        }
        let length = body.count + 4
        return packet(pid: 0x1000, section: [0x02, 0xB0 | UInt8(length >> 8), UInt8(length & 0xFF)] + body)
    }

    @Test func thePMTGainsTheMetadataPointerDescriptorWithAFreshChecksum() {
        var rewriter = ProgramMapRewriter()
        var pat = Self.pat
        rewriter.process(&pat)
        #expect(pat == Self.pat)
        #expect(rewriter.programMapPID == 0x1000)
        var pmt = Self.pmt()
        rewriter.process(&pmt)
        #expect(rewriter.rewritten == 1)
        // The same PMT built with the descriptor in place is byte for byte what came out.
        #expect(pmt == Self.pmt(programInfo: ProgramMapRewriter.metadataPointerDescriptor(program: 1)))
    }

    @Test func aPMTThatHasOneOrCannotGrowIsLeftAlone() {
        var rewriter = ProgramMapRewriter()
        var pat = Self.pat
        rewriter.process(&pat)
        let already = Self.pmt(programInfo: ProgramMapRewriter.metadataPointerDescriptor(program: 1))
        var copy = already
        rewriter.process(&copy)
        #expect(copy == already)
        // 33 streams fill the packet: no room for 17 more bytes.
        let full = Self.pmt(streams: 33)
        var fullCopy = full
        rewriter.process(&fullCopy)
        #expect(fullCopy == full)
        #expect(rewriter.rewritten == 0)
    }
}
