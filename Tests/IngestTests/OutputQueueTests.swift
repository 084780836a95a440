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
}
