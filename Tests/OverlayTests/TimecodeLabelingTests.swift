import Overlay
import Testing

/// Labelling capture instants with SMPTE 12M time-of-day timecodes: the inverse of reading a
/// label into an instant, drop-frame where the rate has it, in the zone the generator runs in.
struct TimecodeLabelingTests {
    static let midnight = UTCInstant(iso8601: "2026-07-31T00:00:00Z")!

    /// Every frame of the first twelve minutes and a spread over the whole day: the label of a
    /// frame's instant reads back as that instant.
    @Test(arguments: [Rational(30000, 1001), Rational(60000, 1001), Rational(25), Rational(50), Rational(24000, 1001), Rational(30)])
    func labellingIsTheInverseOfReading(rate: Rational) throws {
        let labels = TimecodeLabeling(day: TimecodeDay(date: "2026-07-31"), frameRate: rate)
        let perDay = Int((Rational(86_400) * rate).floor)
        let frames = Array(0..<Int((Rational(720) * rate).floor)) + stride(from: 0, to: perDay, by: 7919)
        for frame in frames {
            // The frame's instant on this labelling's own reading: exact for drop-frame counting,
            // clock time plus frames of the nominal rate otherwise.
            let instant: UTCInstant
            if labels.dropFrame {
                instant = Self.midnight.advanced(by: Rational(Int128(frame)) / rate)
            } else {
                let nominal = Int((rate + Rational(999, 1000)).floor)
                instant = Self.midnight.advanced(by: Rational(Int128(frame / nominal)) + Rational(Int128(frame % nominal), Int128(nominal)))
            }
            let label = labels.label(instant)
            let back = try #require(label.secondsSinceMidnight(frameRate: rate), "\(label) does not read at \(rate)")
            #expect(Self.midnight.advanced(by: back) == instant, "frame \(frame) is labelled \(label)")
        }
    }

    @Test func dropFrameSkipsTheFirstLabelsOfEachMinuteButTheTenth() {
        let at2997 = TimecodeLabeling(day: nil, frameRate: Rational(30000, 1001))
        let at5994 = TimecodeLabeling(day: nil, frameRate: Rational(60000, 1001))
        func label(_ labels: TimecodeLabeling, frame: Int) -> String {
            labels.label(Self.midnight.advanced(by: Rational(Int128(frame)) / labels.frameRate)).description
        }
        #expect(label(at2997, frame: 1799) == "00:00:59;29")
        #expect(label(at2997, frame: 1800) == "00:01:00;02")
        #expect(label(at2997, frame: 17982) == "00:10:00;00")
        #expect(label(at2997, frame: 17981) == "00:09:59;29")
        #expect(label(at5994, frame: 3600) == "00:01:00;04")
        #expect(label(at5994, frame: 35964) == "00:10:00;00")
        // A whole day of drop-frame counting comes back to midnight.
        #expect(label(at2997, frame: 2_589_408) == "00:00:00;00")
    }

    @Test func theStreamsOwnCountingAndZoneAreKept() {
        let nonDrop = TimecodeLabeling(day: nil, frameRate: Rational(30000, 1001), dropFrame: false)
        #expect(!nonDrop.dropFrame)
        #expect(nonDrop.label(Self.midnight.advanced(by: Rational(61))).description == "00:01:01:00")
        #expect(!TimecodeLabeling(day: nil, frameRate: Rational(25), dropFrame: true).dropFrame, "25 fps has no drop-frame counting")
        let venue = TimecodeLabeling(day: TimecodeDay(date: "2026-07-31", zone: "+02:00"), frameRate: Rational(50))
        #expect(venue.label(UTCInstant(iso8601: "2026-07-31T18:00:00.5Z")!).description == "20:00:00:25")
        // Before the zone's midnight the label is of the evening before.
        #expect(venue.label(UTCInstant(iso8601: "2026-07-30T21:59:59.98Z")!).description == "23:59:59:49")
        // A capture time a microsecond short of a frame boundary (a boundary rounded down to the
        // microsecond) is the frame that starts there; ten microseconds short is the one before.
        #expect(venue.label(UTCInstant(iso8601: "2026-07-31T18:00:00.039999Z")!).description == "20:00:00:02")
        #expect(venue.label(UTCInstant(iso8601: "2026-07-31T18:00:00.03999Z")!).description == "20:00:00:01")
    }
}
