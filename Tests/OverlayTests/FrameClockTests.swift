import Overlay
import Testing

struct FrameClockTests {
    /// The per-frame projection works in ticks when the timestamp is in the anchor's time base:
    /// the same instants as exact rational arithmetic, before and after the anchor, for rates a
    /// tick holds (50, 25) and rates it cannot (59.94, 23.976), in several time bases.
    @Test func projectingInTicksGivesTheExactInstants() {
        func exact(_ engine: FrameClockEngine, _ pts: MediaTime, _ anchor: ClockAnchor) -> UTCInstant {
            let distance = pts.seconds - anchor.pts.seconds
            let frames = (distance / engine.frameDuration + Rational(1, 2)).floor
            let snapped = Rational(frames) * engine.frameDuration
            let error = distance - snapped
            if error <= pts.timeBase && Rational.zero - error <= pts.timeBase { return anchor.utc.advanced(by: snapped) }
            return anchor.utc.advanced(by: distance)
        }
        var generator = SystemRandomNumberGenerator()
        let rates = [Rational(50), Rational(25), Rational(60000, 1001), Rational(24000, 1001), Rational(30000, 1001)]
        let timeBases = [Rational(1, 90000), Rational(1, 1000), Rational(1001, 60000), Rational(1, 48000)]
        for rate in rates {
            for timeBase in timeBases {
                let anchor = ClockAnchor(pts: MediaTime(ticks: Int64.random(in: -1 << 33...1 << 33, using: &generator), timeBase: timeBase), utc: Self.origin)
                let engine = FrameClockEngine(source: .anchor, frameRate: rate, anchor: anchor)
                for _ in 0..<500 {
                    let offset = Bool.random(using: &generator) ? Int64.random(in: -5000...5000, using: &generator) : Int64.random(in: -(1 << 40)...(1 << 40), using: &generator)
                    let pts = MediaTime(ticks: anchor.pts.ticks + offset, timeBase: timeBase)
                    #expect(engine.project(pts, from: anchor) == exact(engine, pts, anchor), "rate \(rate), time base \(timeBase), offset \(offset)")
                }
                // Whole frames exactly, and a tick either side of them.
                let framesInTicks = engine.frameDuration / timeBase
                for frame in [-3, -1, 0, 1, 2, 1000] {
                    let whole = (Rational(Int128(frame)) * framesInTicks).floor
                    for nudge in [-1, 0, 1] as [Int128] {
                        let pts = MediaTime(ticks: anchor.pts.ticks + Int64(whole + nudge), timeBase: timeBase)
                        #expect(engine.project(pts, from: anchor) == exact(engine, pts, anchor))
                    }
                }
            }
        }
    }

    static let tick = Rational(1, 90000)
    static let origin = UTCInstant(iso8601: "2026-07-31T19:42:10Z")!

    static func pts(_ frame: Int64, base: Int64 = 0) -> MediaTime { MediaTime(ticks: base + frame * 1800, timeBase: tick) }

    @Test func theAnchorPlacesEveryFrameOfTheFirstEpoch() {
        var clock = FrameClockEngine(source: .anchor, frameRate: Rational(50), anchor: ClockAnchor(pts: Self.pts(0), utc: Self.origin))
        let placed = (Int64(0)..<100).map { clock.place(FrameClockInput(pts: Self.pts($0), epoch: 0))! }
        #expect(placed.allSatisfy { $0.source == .anchor })
        #expect(placed[99].captureUTC == Self.origin.advanced(by: Rational(99, 50)))
    }

    @Test func aNewEpochContinuesOneFrameLaterWhenNothingElseIsKnown() {
        var clock = FrameClockEngine(source: .anchor, frameRate: Rational(50), anchor: ClockAnchor(pts: Self.pts(0), utc: Self.origin))
        for frame in Int64(0)..<10 { _ = clock.place(FrameClockInput(pts: Self.pts(frame), epoch: 0)) }
        // The timestamps restart near zero: the anchor no longer applies.
        let next = clock.place(FrameClockInput(pts: Self.pts(0, base: 126_000), epoch: 1))!
        #expect(next.captureUTC == Self.origin.advanced(by: Rational(10, 50)))
        #expect(next.reanchored && next.source == .anchor)
    }

    @Test func aNewEpochOnALiveInputIsAsLateAsTheFramesArrivedApart() {
        var clock = FrameClockEngine(source: .anchor, frameRate: Rational(50), anchor: ClockAnchor(pts: Self.pts(0), utc: Self.origin))
        let arrival = Self.origin.advanced(by: Rational(1, 2))
        _ = clock.place(FrameClockInput(pts: Self.pts(0), epoch: 0, arrival: arrival))
        let after = clock.place(FrameClockInput(pts: Self.pts(0, base: 900_000), epoch: 1, arrival: arrival.advanced(by: Rational(3))))!
        #expect(after.captureUTC == Self.origin.advanced(by: Rational(3)))
    }

    @Test func statedTimesReanchorOnlyWhenTheyDepartFromTheMapping() {
        var clock = FrameClockEngine(source: .programDateTime, frameRate: Rational(50))
        let first = clock.place(FrameClockInput(pts: Self.pts(0), epoch: 0, reference: Self.origin))!
        #expect(first.reanchored && first.captureUTC == Self.origin)
        // Half a millisecond off (a PDT's rounding): the mapping stands.
        let close = clock.place(FrameClockInput(pts: Self.pts(100), epoch: 0, reference: Self.origin.advanced(by: Rational(2) + Rational(1, 2000))))!
        #expect(!close.reanchored && close.captureUTC == Self.origin.advanced(by: Rational(2)))
        // 40 ms off: the stated time wins from here on.
        let jumped = clock.place(FrameClockInput(pts: Self.pts(200), epoch: 0, reference: Self.origin.advanced(by: Rational(4) + Rational(1, 25))))!
        #expect(jumped.reanchored)
        #expect(clock.place(FrameClockInput(pts: Self.pts(201), epoch: 0))!.captureUTC == Self.origin.advanced(by: Rational(4) + Rational(1, 25) + Rational(1, 50)))
    }

    @Test func arrivalStandsInUntilTheChosenSourceSpeaks() {
        var clock = FrameClockEngine(source: .producerReference, frameRate: Rational(50), latency: 0.2)
        let early = clock.place(FrameClockInput(pts: Self.pts(0), epoch: 0, arrival: Self.origin))!
        #expect(early.source == .arrival && early.captureUTC == Self.origin.advanced(by: Rational(-1, 5)))
        let stated = clock.place(FrameClockInput(pts: Self.pts(1), epoch: 0, arrival: Self.origin, reference: Self.origin))!
        #expect(stated.source == .producerReference && stated.captureUTC == Self.origin)
    }

    @Test func aRecordedInputWhoseSourceHasNotSpokenCannotBePlaced() {
        var clock = FrameClockEngine(source: .pictureTiming, frameRate: Rational(25))
        #expect(clock.place(FrameClockInput(pts: Self.pts(0), epoch: 0)) == nil)
    }

    @Test func ninetyKilohertzRoundingNeverReachesA5994CaptureTime() {
        let rate = Rational(60000, 1001)
        var clock = FrameClockEngine(source: .anchor, frameRate: rate, anchor: ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Self.tick), utc: Self.origin))
        for frame in 0..<1000 {
            // What a muxer writes: k · 1501.5 ticks, rounded to a whole tick.
            let ticks = (Int64(frame) * 3003 + 1) / 2
            let placed = clock.place(FrameClockInput(pts: MediaTime(ticks: ticks, timeBase: Self.tick), epoch: 0))!
            #expect(placed.captureUTC == Self.origin.advanced(by: Rational(Int128(frame)) / rate))
        }
    }

    @Test(arguments: [
        ("10:00:00:00", "25", Rational(36000)), ("10:00:00:12", "25", Rational(36000) + Rational(12, 25)),
        ("00:01:00;02", "30000/1001", Rational(1800) * Rational(1001, 30000)), ("00:10:00;00", "30000/1001", Rational(17982) * Rational(1001, 30000)),
        ("01:00:00;00", "60000/1001", Rational(215_784) * Rational(1001, 60000)),
    ])
    func timecodesCountFramesSinceMidnight(label: String, rate: String, seconds: Rational) throws {
        let timecode = try #require(SMPTETimecode(label))
        #expect(timecode.secondsSinceMidnight(frameRate: try #require(Rational(parsing: rate))) == seconds)
    }

    @Test func impossibleTimecodesAreRefused() {
        #expect(SMPTETimecode("25:00:00:00") == nil)
        #expect(SMPTETimecode("10:00:00") == nil)
        #expect(SMPTETimecode("10:00:00:25")!.secondsSinceMidnight(frameRate: Rational(25)) == nil)
        #expect(SMPTETimecode("00:01:00;00")!.secondsSinceMidnight(frameRate: Rational(30000, 1001)) == nil, "dropped label")
        #expect(SMPTETimecode("10:00:00;00")!.secondsSinceMidnight(frameRate: Rational(25)) == nil, "no drop-frame at 25 fps")
    }
}
