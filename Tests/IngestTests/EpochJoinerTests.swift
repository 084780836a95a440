@testable import MediaFormats
import Overlay
@testable import Pipeline
import Testing

/// Epochs joined into one output timeline, checked against values worked out by hand.
struct EpochJoinerTests {
    static let video = StreamDescription(
        index: 0, kind: .video, codecName: "h264", timeBase: Rational(1, 90000), frameRate: Rational(50), containerID: 256,
        timestampWrapBits: 33, isTimedID3: false, reorderDepth: 0
    )
    static let audio = StreamDescription(
        index: 1, kind: .audio, codecName: "aac", timeBase: Rational(1, 48000), frameRate: nil, containerID: 257,
        timestampWrapBits: 33, isTimedID3: false, reorderDepth: 0
    )

    @Test func theFirstEpochIsTheInputItself() {
        var joiner = EpochJoiner(streams: [Self.video, Self.audio], margin: Rational(1, 2))
        for tick in stride(from: Int64(126_000), to: 306_000, by: 1800) {
            #expect(joiner.outputTicks(tick, stream: 0, epoch: 0) == tick)
        }
        for tick in stride(from: Int64(67_200), to: 163_200, by: 1024) {
            let placed = joiner.place(pts: tick, dts: tick, duration: 1024, stream: 1)
            #expect(placed.0 == tick && placed.1 == tick)
        }
    }

    @Test func aReopenedInputFollowsHalfASecondAfterEverythingBefore() {
        var joiner = EpochJoiner(streams: [Self.video, Self.audio], margin: Rational(1, 2))
        // Epoch 0: video to 2 s (tick 180,000), audio to 2.1 s (100,800 at 48 kHz): the end is 2.1 s.
        for tick in stride(from: Int64(0), through: 180_000, by: 1800) { _ = joiner.outputTicks(tick, stream: 0, epoch: 0) }
        for tick in stride(from: Int64(0), through: 100_800, by: 960) { _ = joiner.place(pts: tick, dts: tick, duration: 960, stream: 1) }
        joiner.startEpoch()
        // Epoch 1 starts at 0.1 s: its shift is 2.1 + 0.5 − 0.1 = 2.5 s, for every stream.
        #expect(joiner.outputTicks(9000, stream: 0, epoch: 1) == 9000 + 225_000)
        #expect(joiner.outputTicks(10_800, stream: 0, epoch: 1) == 10_800 + 225_000)
        let audio = joiner.place(pts: 4800, dts: 4800, duration: 960, stream: 1)
        #expect(audio.0 == 4800 + 120_000 && audio.1 == 4800 + 120_000)
    }

    @Test func anotherStreamsJumpStartsItsOwnEpoch() {
        var joiner = EpochJoiner(streams: [Self.video, Self.audio], margin: Rational(1, 2))
        _ = joiner.outputTicks(180_000, stream: 0, epoch: 0)
        // Audio at 1 s, then 1 s later exactly (not a jump), then 0.05 s back (not a jump either).
        #expect(joiner.place(pts: 48_000, dts: 48_000, duration: 960, stream: 1).0 == 48_000)
        #expect(joiner.place(pts: 96_000, dts: 96_000, duration: 960, stream: 1).0 == 96_000)
        #expect(joiner.place(pts: 93_600, dts: 93_600, duration: 960, stream: 1).0 == 93_600)
        // 0.2 s back is a jump: a new epoch, placed half a second after the end (2 s, the video's).
        let back = joiner.place(pts: 84_000, dts: 84_000, duration: 960, stream: 1)
        #expect(back.0 == Int64(2 * 48000 + 24000))
        // More than 1 s forward from there is another.
        let forward = joiner.place(pts: 84_000 + 48_001, dts: 84_000 + 48_001, duration: 960, stream: 1)
        #expect(forward.0 == Int64(3 * 48000))
    }
}
