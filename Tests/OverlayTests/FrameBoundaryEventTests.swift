import Foundation
import Overlay
import Testing

/// An event placed from venue UTC lands on the frame whose capture interval holds its exact
/// instant: on a frame boundary it belongs to the frame that starts there, a microsecond
/// before to the frame before, a microsecond after to the frame that starts there. No
/// millisecond is lost against the start (a finish on a 59.94 fps boundary must not show a
/// frame early).
struct FrameBoundaryEventTests {
    static let unit = "SWMM100MFR------------FNL-000100--"

    /// The first frame, at `rate`, whose overlay shows lane 4's finish at `finishUTC`.
    static func firstFrameShowingFinish(at finishUTC: UTCInstant, start: UTCInstant, rate: Rational, frames: Int) throws -> Int? {
        let document = #"{"format":"podium-events","version":1,"unit":"\#(unit)","events":["#
            + #"{"id":"s","type":"start","utc":"\#(start.iso8601)"},"#
            + #"{"id":"f","type":"finish","lane":4,"utc":"\#(finishUTC.iso8601)"}]}"#
        var book = ResultsBook()
        _ = try book.accept(.events(try TimingEventBatch.parse(Data(document.utf8))))
        let code = try #require(UnitCode(unit))
        let timeline = try #require(RaceTimeline(book: book, unit: code))
        let clock = CaptureClock(anchor: ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000)), utc: start), frameRate: rate)
        for frame in 0..<frames {
            let captureStart = start.advanced(by: Rational(Int128(frame)) * clock.frameDuration)
            let timing = FrameTiming(
                sequence: frame, pts: MediaTime(ticks: Int64(frame), timeBase: clock.frameDuration),
                captureStart: captureStart, captureEnd: captureStart.advanced(by: clock.frameDuration)
            )
            if timeline.overlay(for: timing).lanes.first(where: { $0.lane == 4 })?.finish != nil { return frame }
        }
        return nil
    }

    /// Frames whose boundary falls on a whole microsecond at each rate (59.94: every third).
    @Test(arguments: [(Rational(50), 1234), (Rational(60000, 1001), 1233), (Rational(24000, 1001), 1230)])
    func anEventOnBeforeAndAfterAFrameBoundaryShowsOnItsOwnFrame(rate: Rational, boundary: Int) throws {
        // A start off the millisecond grid, as a timing system's can be.
        let start = try #require(UTCInstant(iso8601: "2026-07-31T19:42:11.500250Z"))
        let edge = start.advanced(by: Rational(Int128(boundary)) * Rational(rate.denominator, rate.numerator))
        let microsecond = Rational(1, 1_000_000)
        let frames = boundary + 3
        #expect(try Self.firstFrameShowingFinish(at: edge, start: start, rate: rate, frames: frames) == boundary)
        #expect(try Self.firstFrameShowingFinish(at: edge.advanced(by: Rational.zero - microsecond), start: start, rate: rate, frames: frames) == boundary - 1)
        #expect(try Self.firstFrameShowingFinish(at: edge.advanced(by: microsecond), start: start, rate: rate, frames: frames) == boundary)
    }

    @Test func aTimeWorkedOutFromInstantsShowsTruncatedButKeepsItsExactValue() {
        let time = RaceTime(elapsed: Rational(20_583_333, 1_000_000))
        #expect(time.milliseconds == 20_583 && time.description == "20.58")
        #expect(time.seconds == Rational(20_583_333, 1_000_000))
        #expect(RaceTime(milliseconds: 20_583) < time && !(time < RaceTime(milliseconds: 20_583)))
    }
}
