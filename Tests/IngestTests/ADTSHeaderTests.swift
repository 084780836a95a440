@testable import MediaFormats
import Testing

/// ADTS headers as MPEG-TS carries AAC, turned into what MP4 holds: the raw frame and a
/// two-byte AudioSpecificConfig (ISO/IEC 14496-3, 1.6.2.1).
struct ADTSHeaderTests {
    /// An ADTS header for one raw frame of `payload` bytes, built field by field.
    static func header(objectType: UInt8, frequency: UInt8, channels: UInt8, payload: Int, crc: Bool = false, rawBlocks: UInt8 = 0) -> [UInt8] {
        let length = (crc ? 9 : 7) + payload
        var bytes: [UInt8] = [
            0xFF, 0xF0 | (crc ? 0 : 1),
            (objectType - 1) << 6 | frequency << 2 | channels >> 2,
            (channels & 0x03) << 6 | UInt8((length >> 11) & 0x03),
            UInt8((length >> 3) & 0xFF),
            UInt8(length & 0x07) << 5 | 0x1F,
            0xFC | rawBlocks,
        ]
        if crc { bytes += [0x12, 0x34] }
        return bytes + [UInt8](repeating: 0xA5, count: payload)
    }

    static func parse(_ bytes: [UInt8]) -> ADTSHeader? { bytes.withUnsafeBytes { ADTSHeader($0) } }

    @Test func aLowComplexityStereoFrameAt48kHzGivesTheWellKnownConfig() throws {
        let header = try #require(Self.parse(Self.header(objectType: 2, frequency: 3, channels: 2, payload: 200)))
        #expect(header.length == 7)
        #expect(header.audioSpecificConfig == [0x11, 0x90])
    }

    @Test func aMonoFrameAt44_1kHzWithACRCHasANineByteHeader() throws {
        let header = try #require(Self.parse(Self.header(objectType: 2, frequency: 4, channels: 1, payload: 100, crc: true)))
        #expect(header.length == 9)
        #expect(header.audioSpecificConfig == [0x12, 0x08])
    }

    @Test func framesItCannotRewriteAsOneRawFrameAreLeftAlone() {
        #expect(Self.parse(Self.header(objectType: 2, frequency: 3, channels: 0, payload: 50)) == nil, "in-band channel layout")
        #expect(Self.parse(Self.header(objectType: 2, frequency: 13, channels: 2, payload: 50)) == nil, "reserved rate")
        #expect(Self.parse(Self.header(objectType: 2, frequency: 3, channels: 2, payload: 50, rawBlocks: 1)) == nil, "two raw blocks")
        #expect(Self.parse(Array(Self.header(objectType: 2, frequency: 3, channels: 2, payload: 50).prefix(40))) == nil, "cut short")
        #expect(Self.parse([0x47, 0x40, 0x11, 0x10, 0, 0, 0, 0]) == nil, "no sync word")
        #expect(Self.parse([0xFF, 0xF1, 0x50]) == nil, "shorter than a header")
    }
}
