import Foundation
@testable import MediaFormats
@testable import MediaIO
import Overlay
@testable import Pipeline
import Testing

/// A recording's packets are read faster than a file takes them: the job waits for its output,
/// and what waits is bounded in bytes, so a job's memory does not grow with its input's length.
struct OutputQueueTests {
    /// A sink whose first write waits (a slow disk), then takes everything.
    final class SlowSink: OutputSink {
        /// Seconds.
        let firstWriteDelay: TimeInterval
        private(set) var written = 0
        init(firstWriteDelay: TimeInterval) { self.firstWriteDelay = firstWriteDelay }

        func write(_ packet: OutputPacket) throws(MediaError) -> Bool {
            if written == 0 { Thread.sleep(forTimeInterval: firstWriteDelay) }
            written += 1
            return false
        }

        func finish() throws(MediaError) {}
    }

    @Test(arguments: [64 * 1024, 512 * 1024, 6 << 20])
    func aFileOutputHoldsAtMostItsByteBoundWhileTheJobWaits(packetBytes: Int) async throws {
        let sink = SlowSink(firstWriteDelay: 0.3)
        let worker = OutputWorker(
            target: try OutputTarget("recording.ts"), policy: .wait, capacity: 4096, jobCancellation: InputCancellation()
        ) { _ throws(MediaError) in sink }
        worker.start(with: try worker.openNow())
        let payload = [UInt8](repeating: 0x47, count: packetBytes)
        // 24 MiB in all: without a byte bound they would all wait while the first write does.
        let count = max(4, (24 << 20) / packetBytes)
        for index in 0..<count {
            let packet = try Packet.metadata(payload, pts: Int64(index) * 1800)
            worker.send(OutputPacket(role: .podiumMetadata, packet: packet, timeBase: Rational(1, 90000), isVideo: false, readAt: 0))
        }
        let stats = worker.finish(grace: 5)
        #expect(stats.written == count && stats.dropped == 0, "\(stats)")
        // The bound, plus the packet that found the queue just under it (or alone in it when larger).
        #expect(stats.deepestQueueBytes <= max(OutputWorker.waitingByteCapacity + packetBytes, packetBytes), "\(stats.deepestQueueBytes)")
        #expect(sink.written == count)
    }

    /// Records which packets reach the muxer, by the index the test gave each as its read time.
    final class RecordingSink: OutputSink {
        private(set) var reached: [UInt64] = []
        func write(_ packet: OutputPacket) throws(MediaError) -> Bool {
            reached.append(packet.readAt)
            return false
        }

        func finish() throws(MediaError) {}
    }

    /// Tags of ten frames: what each shows, and whether its frame is a keyframe.
    static let tags: [(signature: Int?, keyframe: Bool)] = [
        (1, true), (1, false), (1, false), (2, false), (2, false), (1, false), (1, true), (1, false), (nil, false), (nil, false),
    ]

    @Test(arguments: [(CueMode.onChange, [0, 3, 5, 6, 8, 9] as [UInt64]), (.everyFrame, Array(0..<10))])
    func anOutputWritesTheTagsItsCueModeAdmits(mode: CueMode, written: [UInt64]) throws {
        let sink = RecordingSink()
        let worker = OutputWorker(
            target: try OutputTarget("live/index.m3u8"), policy: .wait, capacity: 64, cues: mode, jobCancellation: InputCancellation()
        ) { _ throws(MediaError) in sink }
        worker.start(with: try worker.openNow())
        for (index, tag) in Self.tags.enumerated() {
            let packet = try Packet.metadata([0x49, 0x44, 0x33], pts: Int64(index) * 1800)
            worker.send(OutputPacket(
                role: .podiumMetadata, packet: packet, timeBase: Rational(1, 90000), isVideo: false,
                cueSignature: tag.signature, cueOnKeyframe: tag.keyframe, readAt: UInt64(index)
            ))
        }
        let stats = worker.finish(grace: 5)
        // A repeat after a change goes out again (5), a keyframe's tag always (6), an unknown payload always (8, 9).
        #expect(sink.reached == written)
        #expect(stats.unchangedCues == 10 - written.count && stats.written == written.count, "\(stats)")
    }

    @Test func aFilterThatLostPacketsSendsTheNextTagEvenIfItLooksUnchanged() {
        var filter = CueFilter(mode: .onChange)
        func tag(_ signature: Int) -> OutputPacket {
            OutputPacket(role: .podiumMetadata, packet: try! Packet.metadata([0x49], pts: 0), timeBase: Rational(1, 90000), isVideo: false, cueSignature: signature, readAt: 0)
        }
        var admitted: [Bool] = []
        admitted.append(filter.admits(tag(7)))
        admitted.append(filter.admits(tag(7)))
        filter.forget()
        admitted.append(filter.admits(tag(7)))
        admitted.append(filter.admits(tag(7)))
        #expect(admitted == [true, false, true, false])
    }
}
