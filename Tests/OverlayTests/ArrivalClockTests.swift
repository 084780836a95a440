import Foundation
import Overlay
import TestSupport
import Testing

struct ArrivalClockTests {
    static let start = 1_785_526_930.0

    static func pts(_ frame: Int) -> MediaTime { MediaTime(ticks: 129_600 + Int64(frame) * 1800, timeBase: Rational(1, 90000)) }
    static func instant(_ seconds: Double) -> UTCInstant {
        UTCInstant(secondsSinceEpoch: Rational(Int128((seconds * 1_000_000).rounded()), 1_000_000))
    }
    static func seconds(_ instant: UTCInstant) -> Double { Double(instant.secondsSinceEpoch) }

    /// A feed at 50 fps whose stream clock runs `drift` ppm against UTC, arriving `latency`
    /// after capture plus a queueing delay of up to `delay` seconds per frame, in order (a frame
    /// never arrives before the one sent ahead of it). Returns each frame's capture time.
    static func feed(
        frames: Int, drift: Double, latency: Double, delay: Double, seed: UInt64, into clock: inout ArrivalClock
    ) -> [(pts: MediaTime, capture: Double, arrival: Double)] {
        var generator = SplitMix(state: seed)
        var previous = -Double.infinity
        return (0..<frames).map { frame in
            let capture = start + Double(frame) / 50 * (1 + drift / 1_000_000)
            let arrival = max(previous, capture + latency + Double.random(in: 0...delay, using: &generator))
            previous = arrival
            clock.observe(pts: pts(frame), arrival: instant(arrival))
            return (pts(frame), capture, arrival)
        }
    }

    /// 30 s at 50 fps, 100 or 500 ppm either way, up to 40 ms of queueing per frame on top of a
    /// 0.5 s latency: after 10 s at least 99 % of frames are placed within half a frame, by
    /// the estimate at the time each frame arrived.
    @Test(arguments: [UInt64(1), 2, 3], [100.0, -100.0, 500.0, -500.0])
    func placesFramesWithinHalfAFrameUnderQueueingAndDrift(seed: UInt64, drift: Double) throws {
        var generator = SplitMix(state: seed)
        var clock = ArrivalClock(latency: 0.5)
        var previous = -Double.infinity
        var within = 0, judged = 0
        for frame in 0..<1500 {
            let capture = Self.start + Double(frame) / 50 * (1 + drift / 1_000_000)
            let arrival = max(previous, capture + 0.5 + Double.random(in: 0...0.040, using: &generator))
            previous = arrival
            clock.observe(pts: Self.pts(frame), arrival: Self.instant(arrival))
            guard frame >= 500 else { continue }
            let estimate = try #require(clock.captureUTC(of: Self.pts(frame)))
            judged += 1
            if abs(Self.seconds(estimate) - capture) <= 0.010 { within += 1 }
        }
        #expect(Double(within) / Double(judged) >= 0.99, "\(within) of \(judged) within half a frame")
    }

    /// Over its one-minute window the drift is measured within 100 ppm.
    @Test(arguments: [100.0, -100.0, 500.0])
    func measuresDriftOverItsWindow(drift: Double) throws {
        var clock = ArrivalClock(latency: 0.5)
        _ = Self.feed(frames: 3000, drift: drift, latency: 0.5, delay: 0.040, seed: 42, into: &clock)
        let estimated = try #require(clock.driftPPM)
        #expect(abs(estimated - drift) < 100, "drift estimated at \(estimated) ppm")
    }

    @Test func driftIsNotGuessedFromUnderTwentySeconds() {
        var clock = ArrivalClock(latency: 0)
        _ = Self.feed(frames: 500, drift: 300, latency: 0, delay: 0.040, seed: 7, into: &clock)
        #expect(clock.driftPPM == nil)
    }

    @Test func aStalledBurstDoesNotPullTheFit() throws {
        var clock = ArrivalClock(latency: 0)
        for frame in 0..<300 {
            let pts = MediaTime(ticks: Int64(frame) * 1800, timeBase: Rational(1, 90000))
            // Frames 100–109 were held up for 700 ms and arrived in a burst.
            let delay = (100..<110).contains(frame) ? 0.7 : 0.0
            clock.observe(pts: pts, arrival: UTCInstant(secondsSinceEpoch: Rational(Int128(frame) * 20 + Int128(delay * 1000), 1000)))
        }
        let estimate = try #require(clock.captureUTC(of: MediaTime(ticks: 105 * 1800, timeBase: Rational(1, 90000))))
        #expect(abs(Self.seconds(estimate) - 2.1) < 0.001)
        #expect(clock.steps == 0)
    }

    /// A sender that stops for 3 s and goes on where it was: after a second of frames 3 s above
    /// the line, the line follows them.
    @Test func followsASenderThatPausedOnceASecondOfFramesSaysSo() throws {
        var clock = ArrivalClock(latency: 0)
        var steppedAt: Int?
        for frame in 0..<1500 {
            let arrival = Self.start + Double(frame) / 50 + (frame >= 300 ? 3 : 0)
            if clock.observe(pts: Self.pts(frame), arrival: Self.instant(arrival)) { steppedAt = steppedAt ?? frame }
        }
        #expect((350...351).contains(steppedAt ?? 0))
        #expect(clock.steps == 1)
        let estimate = try #require(clock.captureUTC(of: Self.pts(1499)))
        #expect(abs(Self.seconds(estimate) - (Self.start + 1499.0 / 50 + 3)) < 0.001)
        // What it learnt before the step moved with it: no drift is read into the jump.
        #expect(abs(try #require(clock.driftPPM)) < 1)
    }

    /// Early arrivals say the most: the first frame arrived late, the line moves down to the
    /// fastest frame at once.
    @Test func aFasterFrameLowersTheLineAtOnce() throws {
        var clock = ArrivalClock(latency: 0)
        clock.observe(pts: Self.pts(0), arrival: Self.instant(Self.start + 0.080))
        #expect(abs(Self.seconds(try #require(clock.captureUTC(of: Self.pts(0)))) - (Self.start + 0.080)) < 0.000_001)
        clock.observe(pts: Self.pts(1), arrival: Self.instant(Self.start + 0.020))
        #expect(abs(Self.seconds(try #require(clock.captureUTC(of: Self.pts(0)))) - Self.start) < 0.000_001)
    }

    @Test func answersFromItsFirstFrame() {
        var clock = ArrivalClock(latency: 0.2)
        #expect(clock.captureUTC(of: Self.pts(0)) == nil)
        clock.observe(pts: Self.pts(0), arrival: UTCInstant(millisecondsSinceEpoch: 1000))
        #expect(clock.captureUTC(of: Self.pts(0)) == UTCInstant(millisecondsSinceEpoch: 800))
    }
}

struct ArrivalPlacementTests {
    static let rate = Rational(50)

    /// Frames already out keep their times: when the fit moves, the next frames move at most a
    /// tenth of a frame each, always forward, until they are on the fit again.
    @Test func theEngineSlewsTowardTheFitABoundedStepAtATime() throws {
        var clock = FrameClockEngine(source: .arrival, frameRate: Self.rate)
        let start = ArrivalClockTests.start
        // The first frame arrives 80 ms late; from the second on, frames arrive on time.
        var placed: [Double] = []
        for frame in 0..<100 {
            let arrival = start + Double(frame) / 50 + (frame == 0 ? 0.080 : 0)
            let next = clock.place(FrameClockInput(pts: ArrivalClockTests.pts(frame), epoch: 0, arrival: ArrivalClockTests.instant(arrival)))
            let placement = try #require(next)
            placed.append(ArrivalClockTests.seconds(placement.captureUTC))
        }
        let steps = zip(placed, placed.dropFirst()).map { $1 - $0 }
        #expect(steps.allSatisfy { $0 >= 0.018 - 0.000_001 && $0 <= 0.022 + 0.000_001 }, "\(steps.prefix(45))")
        // 80 ms at 2 ms a frame: on the fit again after 40 frames.
        #expect(abs(placed[40] - (start + 40.0 / 50)) < 0.000_01)
        #expect(abs(placed[99] - (start + 99.0 / 50)) < 0.000_01)
        #expect(clock.arrivalState?.steps == 0)
    }

    @Test func aStepTheFitFoundIsTakenAtOnce() throws {
        var clock = FrameClockEngine(source: .arrival, frameRate: Self.rate)
        let start = ArrivalClockTests.start
        var last: FramePlacement?
        for frame in 0..<400 {
            let arrival = start + Double(frame) / 50 + (frame >= 300 ? 3 : 0)
            last = clock.place(FrameClockInput(pts: ArrivalClockTests.pts(frame), epoch: 0, arrival: ArrivalClockTests.instant(arrival)))
        }
        let placement = try #require(last)
        #expect(abs(ArrivalClockTests.seconds(placement.captureUTC) - (start + 399.0 / 50 + 3)) < 0.000_01)
        #expect(clock.arrivalState?.steps == 1)
    }
}
