import Foundation
@testable import MediaFormats
import Overlay
@testable import Pipeline
import Synchronization
import TestSupport
import Testing

/// A recording's frames are carried on a thread of their own: in order, every one, errors
/// passed back, and the thread gone (with the caller's closure let go) when it is closed.
struct CarryWorkerTests {
    struct Refused: Error, Equatable {
        let frame: Int
    }

    static func frame(_ index: Int) -> (FrameTiming, IngestFrame, UTCInstant) {
        let start = UTCInstant(secondsSinceEpoch: Rational(Int128(index), 50))
        let timing = FrameTiming(
            sequence: index, pts: MediaTime(ticks: Int64(index) * 1800, timeBase: Rational(1, 90000)), captureStart: start,
            captureEnd: start.advanced(by: Rational(1, 50))
        )
        let video = VideoFrame(pts: Int64(index) * 1800, dts: Int64(index) * 1800, duration: 1800, keyframe: index % 50 == 0, epoch: 0, arrival: nil, reference: nil)
        let frame = IngestFrame(index: index, video: video, timeBase: Rational(1, 90000), outputPTS: Int64(index) * 1800, timing: timing, source: .anchor)
        return (timing, frame, start)
    }

    /// Carries `count` frames with `carry`, taking now and then as the pipeline does, and everything at the end.
    static func carryAll(
        _ count: Int, capacity: Int = 256, carry: @escaping @Sendable (FrameTiming, IngestFrame, UTCInstant) throws -> FrameCarriage
    ) throws -> [CarryWorker.CarriedFrame] {
        let worker = CarryWorker(capacity: capacity, carrier: CarryingFunction(carry))
        var finished = false
        defer { worker.close(discarding: !finished) }
        var taken: [CarryWorker.CarriedFrame] = []
        for index in 0..<count {
            let (timing, frame, knownAt) = frame(index)
            try worker.submit(timing, frame: frame, knownAt: knownAt)
            if index % 7 == 0 { taken += try worker.take(all: false) }
        }
        taken += try worker.take(all: true)
        // Everything handed over came back: nothing is left to take.
        #expect(try worker.take(all: false).isEmpty)
        finished = true
        return taken
    }

    @Test(arguments: [1, 4, 256])
    func everyFrameIsCarriedOnceInOrder(capacity: Int) async throws {
        let threads = Notes<Set<UInt>>([])
        let carried = try Self.carryAll(1000, capacity: capacity) { timing, frame, knownAt in
            #expect(knownAt == timing.captureStart)
            threads.value.withLock { _ = $0.insert(UInt(pthread_self())) }
            if frame.index % 97 == 0 { usleep(200) }
            return FrameCarriage(id3Tag: [UInt8(truncatingIfNeeded: frame.index)])
        }
        #expect(carried.map(\.frame.index) == Array(0..<1000))
        #expect(carried.map(\.carriage.id3Tag) == (0..<1000).map { [UInt8(truncatingIfNeeded: $0)] })
        // One thread of its own carried them all.
        let carriers = threads.value.withLock { $0 }
        #expect(carriers.count == 1 && !carriers.contains(UInt(pthread_self())))
        #expect(carried.map(\.madeAt) == carried.map(\.madeAt).sorted())
    }

    @Test func anErrorStopsTheCarryingAndReachesTheJob() async throws {
        let calls = Notes(0)
        #expect(throws: Refused(frame: 300)) {
            _ = try Self.carryAll(1000) { _, frame, _ in
                calls.value.withLock { $0 += 1 }
                if frame.index == 300 { throw Refused(frame: 300) }
                return FrameCarriage()
            }
        }
        // Nothing after the failing frame was carried.
        #expect(calls.value.withLock { $0 } == 301)
    }

    @Test func closingWhileFramesWaitReturnsAndLetsTheClosureGo() async throws {
        final class Probe: Sendable {}
        weak var released: Probe?
        do {
            let probe = Probe()
            released = probe
            let worker = CarryWorker(capacity: 64, carrier: CarryingFunction { _, _, _ in
                _ = probe
                usleep(20_000)
                return FrameCarriage()
            })
            for index in 0..<64 {
                let (timing, frame, knownAt) = Self.frame(index)
                try worker.submit(timing, frame: frame, knownAt: knownAt)
            }
            // Carrying all 64 would take 1.3 s; closing waits for the frame in hand only.
            let started = Date()
            worker.close(discarding: true)
            #expect(Date().timeIntervalSince(started) < 0.5)
        }
        // The worker no longer holds the closure (nor what it captured) once closed.
        #expect(released == nil)
    }
}
