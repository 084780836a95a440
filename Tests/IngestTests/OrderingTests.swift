import Ingest
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
