import MediaFormats
import TestSupport
import Testing

struct TimestampUnwrapperTests {
    static let period: Int64 = 1 << 33

    @Test func countsOnAcrossAWrap() {
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        let raw: [Int64] = [Self.period - 3600, Self.period - 1800, 0, 1800, 3600]
        #expect(raw.map { unwrapper.unwrap($0) } == [Self.period - 3600, Self.period - 1800, Self.period, Self.period + 1800, Self.period + 3600])
    }

    @Test func aSmallStepBackIsReorderingNotAWrap() {
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        let raw: [Int64] = [5400, 1800, 3600, 9000]
        #expect(raw.map { unwrapper.unwrap($0) } == raw)
    }

    @Test func reorderedFramesStraddlingTheWrapStayInOrder() {
        // B-frames: PTS in decode order around the wrap point.
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        let raw: [Int64] = [Self.period - 1800, 1800, Self.period - 900, 0]
        #expect(raw.map { unwrapper.unwrap($0) } == [Self.period - 1800, Self.period + 1800, Self.period - 900, Self.period])
    }

    @Test func keepsCountingOverManyWraps() {
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        var last: Int64 = 0
        for step in 0..<(4 * 1024) {
            let unwrapped = Int64(step) * (Self.period / 1024)
            last = unwrapper.unwrap(unwrapped % Self.period)
            #expect(last == unwrapped)
            if last != unwrapped { break }
        }
        #expect(last > 3 * Self.period)
    }

    @Test func acceptsValuesTheDemuxerAlreadyCorrectedByOnePeriod() {
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        let raw: [Int64] = [Self.period - 1800, Self.period, Self.period + 1800, 3600]
        #expect(raw.map { unwrapper.unwrap($0) } == [Self.period - 1800, Self.period, Self.period + 1800, Self.period + 3600])
    }

    @Test func startsFromTheContainersOwnValueWhenFFmpegHandsOutANegativeOne() {
        // FFmpeg's wrap correction turns a pre-wrap 2^33 − 1800 into −1800.
        var unwrapper = TimestampUnwrapper(wrapBits: 33)
        let raw: [Int64] = [-1800, 0, 1800]
        #expect(raw.map { unwrapper.unwrap($0) } == [Self.period - 1800, Self.period, Self.period + 1800])
    }

    @Test func leavesSixtyFourBitTimestampsAlone() {
        var unwrapper = TimestampUnwrapper(wrapBits: 64)
        #expect([Int64.max - 1, 0].map { unwrapper.unwrap($0) } == [Int64.max - 1, 0])
    }
}

struct PresentationOrderTests {
    @Test func releasesFramesInPresentationOrderOnceTheDecodeTimestampPassesThem() {
        // I P B B in decode order (PTS 2,5,3,4 with DTS 0,1,2,3), as x264 writes with 2 B-frames.
        var order = PresentationOrder<Int64>()
        var released: [Int64] = []
        for (pts, dts) in [(Int64(2), Int64(0)), (5, 1), (3, 2), (4, 3), (8, 4), (6, 5), (7, 6)] {
            order.insert(pts: pts)
            released += order.release(throughDecodeTimestamp: dts)
        }
        #expect(released == [2, 3, 4, 5, 6])
        #expect(order.drain() == [7, 8])
        #expect(order.count == 0)
    }
}

/// A live follower waits for no frame longer than it must: a frame one interval after the last
/// one released is final on arrival, whatever the decode timestamps say.
struct EarlyReleaseTests {
    /// Decode order of GOPs with B-pyramids and open GOPs (leading pictures after their keyframe),
    /// drawn at random: (PTS, DTS) per packet, PTS in frames × `ticks`, DTS rising.
    static func decodeOrder(frames: Int, ticks: Int64, generator: inout SplitMix) -> [(pts: Int64, dts: Int64)] {
        var presentation: [[Int]] = []
        var next = 0
        while next < frames {
            // A reference picture, then up to 3 B-pictures before it in presentation order,
            // decoded after it (the middle one first, as a pyramid).
            let run = min(Int.random(in: 0...3, using: &generator), frames - next - 1)
            let reference = next + run
            var group = [reference]
            if run > 0 {
                let middle = next + run / 2
                group.append(middle)
                group += (next..<reference).filter { $0 != middle }
            }
            presentation.append(group)
            next = reference + 1
        }
        let order = presentation.flatMap { $0 }
        let depth: Int64 = 2
        return order.enumerated().map { index, frame in (Int64(frame) * ticks + 100 * ticks, (Int64(index) - depth) * ticks + 100 * ticks) }
    }

    @Test(arguments: [Int64(1800), 3600, 1501, 1001])
    func everyFrameComesOutOnceInOrderAndNoLaterThanTheDecodeTimestampAllows(ticks: Int64) {
        var generator = SplitMix(state: UInt64(ticks))
        for _ in 0..<50 {
            let packets = Self.decodeOrder(frames: 200, ticks: ticks, generator: &generator)
            var sequencer = VideoFrameSequencer(wrapBits: 33, frameTicks: ticks, reorderDepth: 2)
            var legacy = PresentationOrder<Int64>()
            var released: [Int64] = []
            for (index, packet) in packets.enumerated() {
                released += sequencer.push(pts: packet.pts, dts: packet.dts).released.map(\.pts)
                legacy.insert(pts: packet.pts)
                _ = legacy.release(throughDecodeTimestamp: packet.dts)
                // Nothing released may be followed by a packet presented before it.
                let lowestToCome = packets[(index + 1)...].map(\.pts).min() ?? .max
                #expect(released.allSatisfy { $0 < lowestToCome })
                // Never later than the decode-timestamp rule alone would release.
                #expect(released.count + legacy.count >= index + 1)
            }
            released += sequencer.drain().map(\.pts)
            #expect(released == packets.map(\.pts).sorted())
        }
    }

    @Test func aFrameLostOnTheWayHoldsTheNextUntilTheDecodeTimestampPassesIt() {
        // Presentation 0 1 2 [3 lost] 4: frame 4 may not go before the decode timestamp says so.
        var sequencer = VideoFrameSequencer(wrapBits: 33, frameTicks: 1800, reorderDepth: 2)
        let packets: [(Int64, Int64)] = [(3600, 0), (1800, 1800), (5400, 3600), (9000, 5400)]
        var released: [[Int64]] = []
        for (pts, dts) in packets { released.append(sequencer.push(pts: pts, dts: dts).released.map(\.pts)) }
        // Nothing before the first release by decode timestamp (1800 at DTS 1800); 3600 and then
        // 5400 follow it one interval apart, at once; 9000 waits (7200 is missing).
        #expect(released == [[], [1800, 3600], [5400], []])
        #expect(sequencer.drain().map(\.pts) == [9000])
    }

    @Test func bPicturesOfAPyramidComeOutAsSoonAsTheyAreRead() {
        // x264's pyramid: I0 P4 B2 b1 b3 (presentation 0…4, one frame = 1800).
        var sequencer = VideoFrameSequencer(wrapBits: 33, frameTicks: 1800, reorderDepth: 2)
        let start: Int64 = 90_000
        let packets: [(Int64, Int64)] = [(0, -3600), (7200, -1800), (3600, 0), (1800, 1800), (5400, 3600)]
        let released = packets.map { sequencer.push(pts: start + $0.0, dts: start + $0.1).released.map { $0.pts - start } }
        // The DTS rule alone would give 5400 and 7200 only at the next GOP's packets.
        #expect(released == [[], [], [0], [1800, 3600], [5400, 7200]])
    }

    @Test(arguments: [Int64(591_624), -5_400, -500_000])
    func aDecodeTimestampDamagedInItsHeaderStartsNoEpochAndKeepsTheOrder(damage: Int64) {
        // One packet of 200 frames whose DTS bytes were flipped, its PTS intact (as a corrupted
        // PES header in a damaged TS gives): 6.6 s ahead (seen in the fixture's damage test),
        // three frames behind, or far behind.
        var generator = SplitMix(state: 7)
        let packets = Self.decodeOrder(frames: 200, ticks: 1800, generator: &generator)
        var sequencer = VideoFrameSequencer(wrapBits: 33, frameTicks: 1800, reorderDepth: 2)
        var released: [Int64] = [], epochs = Set<Int>(), repaired = 0
        for (index, packet) in packets.enumerated() {
            let step = sequencer.push(pts: packet.pts, dts: index == 101 ? packet.dts + damage : packet.dts)
            #expect(!step.newEpoch, "packet \(index) started an epoch")
            if step.synthesized { repaired += 1 }
            released += step.released.map(\.pts)
            epochs.formUnion(step.released.map(\.epoch))
        }
        released += sequencer.drain().map(\.pts)
        #expect(released == packets.map(\.pts).sorted())
        #expect(epochs == [0] && repaired == 1)
    }

    @Test func aRealDiscontinuityMovesBothTimestampsAndStillStartsAnEpoch() {
        var sequencer = VideoFrameSequencer(wrapBits: 33, frameTicks: 1800, reorderDepth: 2)
        _ = sequencer.push(pts: 3600, dts: 0)
        _ = sequencer.push(pts: 1800, dts: 1800)
        let spliced = sequencer.push(pts: 9_003_600, dts: 9_000_000)
        #expect(spliced.newEpoch && !spliced.synthesized)
    }
}
