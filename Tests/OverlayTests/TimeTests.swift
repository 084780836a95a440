import Foundation
import Overlay
import Testing

struct RationalTests {
    @Test func reducesAndKeepsTheSignOnTheNumerator() {
        let value = Rational(6, -4)
        #expect(value.numerator == -3)
        #expect(value.denominator == 2)
    }

    @Test(arguments: [
        (Rational(7, 2), Int128(3)), (Rational(-7, 2), Int128(-4)), (Rational(-4, 2), Int128(-2)), (Rational(0), Int128(0)),
    ])
    func floorRoundsTowardNegativeInfinity(value: Rational, expected: Int128) {
        #expect(value.floor == expected)
    }

    @Test func frameDurationsAtNTSCRatesSumExactly() {
        // Summing 1001/60000 one frame at a time drifts in floating point; as a fraction it cannot.
        let frame = Rational(1001, 60000)
        var sum = Rational.zero
        for _ in 0..<60000 { sum = sum + frame }
        #expect(sum == Rational(1001))
    }

    @Test(arguments: ["1/90000", "50", " 60000 / 1001 "])
    func parsesFractions(text: String) {
        #expect(Rational(parsing: text) != nil)
    }

    @Test(arguments: ["", "1/0", "a/b", "1/2/3", "1.5"])
    func refusesWhatIsNotAFraction(text: String) {
        #expect(Rational(parsing: text) == nil)
    }
}

struct UTCInstantTests {
    @Test func readsAVenueOffsetAsTheSameInstantInUTC() throws {
        let venue = try #require(UTCInstant(iso8601: "2026-07-31T21:42:11.500+02:00"))
        let utc = try #require(UTCInstant(iso8601: "2026-07-31T19:42:11.5Z"))
        #expect(venue == utc)
        #expect(venue.iso8601 == "2026-07-31T19:42:11.500000Z")
    }

    @Test func keepsEveryFractionDigitExactly() throws {
        let instant = try #require(UTCInstant(iso8601: "1970-01-01T00:00:00.000000001Z"))
        #expect(instant.secondsSinceEpoch == Rational(1, 1_000_000_000))
    }

    @Test func agreesWithFoundationOnWholeSeconds() throws {
        let instant = try #require(UTCInstant(iso8601: "2026-07-31T19:42:10Z"))
        #expect(instant.secondsSinceEpoch == Rational(1_785_526_930))
        let date = ISO8601DateFormatter().date(from: "2026-07-31T19:42:10Z")!
        #expect(instant.secondsSinceEpoch == Rational(Int128(date.timeIntervalSince1970)))
    }

    @Test func printsInstantsBeforeTheEpochAndOnLeapDays() throws {
        #expect(try #require(UTCInstant(iso8601: "1969-12-31T23:59:59.25Z")).iso8601 == "1969-12-31T23:59:59.250000Z")
        #expect(try #require(UTCInstant(iso8601: "2028-02-29T12:00:00-05:30")).iso8601 == "2028-02-29T17:30:00.000000Z")
    }

    @Test(arguments: [
        "2026-07-31T19:42:10", "2026-07-31 19:42", "2026-02-30T00:00:00Z", "2026-07-31T24:00:00Z",
        "2026-07-31T19:42:10.Z", "2026-07-31T19:42:10+2:00", "2026-07-31T19:42:10Zjunk", "",
    ])
    func refusesTimesWithoutAZoneOrOutOfRange(text: String) {
        #expect(UTCInstant(iso8601: text) == nil)
    }
}

struct CaptureClockTests {
    let anchor = ClockAnchor(
        pts: MediaTime(ticks: 129_600, timeBase: Rational(1, 90000)),
        utc: UTCInstant(millisecondsSinceEpoch: 1_785_526_930_000)
    )

    @Test func mapsPTSToCaptureUTCFromTheAnchor() {
        let clock = CaptureClock(anchor: anchor, frameRate: Rational(50))
        let frame = clock.timing(sequence: 75, pts: MediaTime(ticks: 129_600 + 75 * 1800, timeBase: Rational(1, 90000)))
        #expect(frame.captureStart == UTCInstant(millisecondsSinceEpoch: 1_785_526_931_500))
        #expect(frame.captureEnd == UTCInstant(millisecondsSinceEpoch: 1_785_526_931_520))
    }

    @Test func mapsFramesBeforeTheAnchorToo() {
        let clock = CaptureClock(anchor: anchor, frameRate: Rational(50))
        #expect(clock.captureUTC(of: MediaTime(ticks: 129_600 - 90000, timeBase: Rational(1, 90000)))
            == UTCInstant(millisecondsSinceEpoch: 1_785_526_929_000))
    }

    @Test func convertsBetweenTimeBases() {
        // The anchor is in 90 kHz ticks, the stream in MP4's 1/12800.
        let clock = CaptureClock(anchor: anchor, frameRate: Rational(60000, 1001))
        let pts = MediaTime(ticks: 12800 * 2, timeBase: Rational(1, 12800))
        #expect(clock.captureUTC(of: pts).seconds(since: anchor.utc) == Rational(2) - Rational(129_600, 90000))
        #expect(clock.frameDuration == Rational(1001, 60000))
    }

    @Test func aFrameShowsAnEventFromTheStartOfItsIntervalButNotItsEnd() {
        let clock = CaptureClock(anchor: anchor, frameRate: Rational(50))
        let frame = clock.timing(sequence: 0, pts: anchor.pts)
        #expect(frame.shows(eventAt: anchor.utc))
        #expect(frame.shows(eventAt: anchor.utc.advanced(by: Rational(19, 1000))))
        #expect(!frame.shows(eventAt: anchor.utc.advanced(by: Rational(20, 1000))))
    }
}

struct ClockFileTests {
    @Test func readsTheFixtureClock() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/swim-100-free/clock.json"))
        let clock = try ClockFile(json: data)
        #expect(clock.anchor.pts == MediaTime(ticks: 129_600, timeBase: Rational(1, 90000)))
        #expect(clock.anchor.utc.iso8601 == "2026-07-31T19:42:10.000000Z")
        #expect(clock.frameRate == Rational(50))
    }

    @Test(arguments: [
        (#"{"anchor":{"pts":1,"timeBase":"1/90000","utc":"2026-07-31T19:42:10Z"},"fps":50}"#, "unknown field \"fps\""),
        (#"{"anchor":{"pts":1.5,"timeBase":"1/90000","utc":"2026-07-31T19:42:10Z"}}"#, "anchor.pts"),
        (#"{"anchor":{"pts":1,"timeBase":"0/1","utc":"2026-07-31T19:42:10Z"}}"#, "anchor.timeBase"),
        (#"{"anchor":{"pts":1,"timeBase":"1/90000","utc":"2026-07-31T19:42:10"}}"#, "anchor.utc"),
        (#"{"anchor":{"pts":1,"timeBase":"1/90000","utc":"2026-07-31T19:42:10Z"},"frameRate":"-50"}"#, "frameRate"),
        (#"[1]"#, "JSON object"),
        (#"{"anchor":"#, "not valid JSON"),
    ])
    func namesTheFieldThatIsWrong(json: String, fragment: String) {
        #expect {
            _ = try ClockFile(json: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }
}
