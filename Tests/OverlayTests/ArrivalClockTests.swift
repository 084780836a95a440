import Foundation
import Overlay
import TestSupport
import Testing

struct ArrivalClockTests {
    /// 10 s of 50 fps whose stream clock runs 100 ppm against UTC, arriving 0.5 s after capture
    /// with ±40 ms uniform jitter: at least 99 % of frames are placed within half a frame.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5], [100.0, -100.0])
    func placesFramesWithinHalfAFrameUnderJitterAndDrift(seed: UInt64, drift: Double) throws {
        var generator = SplitMix(state: seed)
        let start = 1_785_526_930.0
        let latency = 0.5
        var clock = ArrivalClock(latency: latency)
        var truth: [(pts: MediaTime, capture: Double)] = []
        for frame in 0..<500 {
            let pts = MediaTime(ticks: 129_600 + Int64(frame) * 1800, timeBase: Rational(1, 90000))
            // The camera's clock advances 1/50 s of its own per frame; in UTC that is (1 + drift) as long.
            let capture = start + Double(frame) / 50 * (1 + drift / 1_000_000)
            let arrival = capture + latency + Double.random(in: -0.040...0.040, using: &generator)
            clock.observe(pts: pts, arrival: UTCInstant(secondsSinceEpoch: Rational(Int128((arrival * 1_000_000).rounded()), 1_000_000)))
            truth.append((pts, capture))
        }
        let within = truth.filter { frame in
            guard let estimate = clock.captureUTC(of: frame.pts) else { return false }
            let seconds = Double(estimate.secondsSinceEpoch.numerator) / Double(estimate.secondsSinceEpoch.denominator)
            return abs(seconds - frame.capture) <= 0.010
        }.count
        #expect(Double(within) / Double(truth.count) >= 0.99, "\(within) of \(truth.count) within half a frame")
    }

    /// Drift is below what 10 s of ±40 ms jitter can resolve (the slope's standard error is
    /// about 350 ppm there); over the one-minute window it is measured within 100 ppm.
    @Test(arguments: [100.0, -100.0])
    func measuresDriftOverItsWindow(drift: Double) throws {
        var generator = SplitMix(state: 42)
        var clock = ArrivalClock(latency: 0.5)
        for frame in 0..<3000 {
            let capture = 1_785_526_930.0 + Double(frame) / 50 * (1 + drift / 1_000_000)
            let arrival = capture + 0.5 + Double.random(in: -0.040...0.040, using: &generator)
            clock.observe(pts: MediaTime(ticks: Int64(frame) * 1800, timeBase: Rational(1, 90000)),
                          arrival: UTCInstant(secondsSinceEpoch: Rational(Int128((arrival * 1_000_000).rounded()), 1_000_000)))
        }
        let estimated = try #require(clock.driftPPM)
        #expect(abs(estimated - drift) < 100, "drift estimated at \(estimated) ppm")
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
        #expect(abs(Double(estimate.secondsSinceEpoch.numerator) / Double(estimate.secondsSinceEpoch.denominator) - 2.1) < 0.001)
    }

    @Test func needsTwoFramesBeforeItAnswers() {
        var clock = ArrivalClock(latency: 0.2)
        let pts = MediaTime(ticks: 0, timeBase: Rational(1, 90000))
        #expect(clock.captureUTC(of: pts) == nil)
        clock.observe(pts: pts, arrival: UTCInstant(millisecondsSinceEpoch: 1000))
        #expect(clock.captureUTC(of: pts) == nil)
    }
}
