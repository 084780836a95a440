@testable import MediaFormats
import Testing

/// A video PID's MPEG-TS packets, judged one by one (ISO/IEC 13818-1, 2.4.3.3: the continuity
/// counter, duplicates, packets without payload, signalled discontinuities), and each break
/// placed inside an access unit or at the start of one.
struct TransportContinuityTests {
    static func packet(pid: Int, counter: UInt8, start: Bool = false, error: Bool = false, payload: Bool = true, discontinuity: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xFF, count: 188)
        bytes[0] = 0x47
        bytes[1] = (error ? 0x80 : 0) | (start ? 0x40 : 0) | UInt8(pid >> 8)
        bytes[2] = UInt8(pid & 0xFF)
        bytes[3] = (discontinuity ? 0x20 : 0) | (payload ? 0x10 : 0) | counter
        if discontinuity { bytes[4] = 1; bytes[5] = 0x80 }
        return bytes
    }

    static let audio = packet(pid: 0x101, counter: 9)
    /// An access unit of three packets (counters 3–5), an audio packet among them.
    static let unit = packet(pid: 0x100, counter: 3, start: true) + audio + packet(pid: 0x100, counter: 4) + packet(pid: 0x100, counter: 5)

    static func breaks(_ bytes: [UInt8]) -> [Int] {
        let found = TransportContinuity.breaks(in: bytes, pid: 0x100)
        return [found.inside, found.atUnitStart]
    }

    @Test func whatKeepsTheCountIsNoBreak() {
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 6, start: true)) == [0, 0])
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 5)) == [0, 0], "a duplicate")
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 5, start: true)) == [0, 1], "a new packet repeating the counter")
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 5, payload: false)) == [0, 0], "no payload, no count")
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 12, discontinuity: true)) == [0, 0], "a signalled discontinuity")
        #expect(Self.breaks(Self.packet(pid: 0x100, counter: 11) + Self.unit) == [0, 1], "only a unit's start breaks here")
        #expect(Self.breaks(Self.audio) == [0, 0])
    }

    @Test func aBreakIsPlacedInsideAUnitOrAtItsStart() {
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 7)) == [1, 0], "a packet lost inside")
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 7, start: true)) == [0, 1], "a break where the next unit starts")
        #expect(Self.breaks(Self.unit + Self.packet(pid: 0x100, counter: 6, error: true)) == [1, 0], "a transport error")
        #expect(Self.breaks(Array(Self.unit.dropLast(188)) + [0x00] + Array(repeating: 0, count: 187)) == [1, 0], "a lost sync byte")
    }
}
