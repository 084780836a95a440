import Foundation
@testable import MediaFormats
import Overlay
@testable import Pipeline
import TestSupport
import Testing

/// A recording opened ahead on a thread of its own is the same input as one the job opens; a
/// network input is never opened ahead, and a failed opening reaches the job.
struct InputOpeningTests {
    static let clock = ClockSettings(required: false)

    @Test func aRecordingOpenedAheadIsTheSameInputAndEnrichesTheSame() throws {
        let clip = Fixtures.swim.appendingPathComponent("clip.ts").path
        let opening = try #require(InputOpening.start(url: clip, policy: InputPolicy(), clock: Self.clock, cancellation: InputCancellation()))
        let ahead = try opening.session()
        let direct = try IngestSession(url: clip, clock: Self.clock)
        #expect(ahead.streams == direct.streams && ahead.frameRate == direct.frameRate && ahead.formatName == direct.formatName)
        // Asked twice, it answers twice (the job may ask after a caller did).
        #expect(try opening.session() === ahead)

        let folder = try Fixtures.scratchFolder()
        let clock = try ClockFile(json: Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let settings = ClockSettings(source: .anchor, anchor: clock.anchor, frameRate: clock.frameRate)
        var outputs: [Data] = []
        for opened in [InputOpening.start(url: clip, policy: InputPolicy(), clock: settings, cancellation: InputCancellation()), nil] {
            let out = folder.appendingPathComponent(opened == nil ? "direct.ts" : "ahead.ts")
            let enricher = try Enricher(inputURL: clip, outputURL: out.path)
            let report = try enricher.run(clock: settings, opening: opened, carry: { timing, _, _ in
                FrameCarriage(id3Tag: [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, UInt8(timing.sequence % 128)])
            })
            #expect(report.frames == 600 && report.tagged == 600)
            outputs.append(try Data(contentsOf: out))
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test func onlyALocalFileIsOpenedAhead() {
        for url in ["udp://127.0.0.1:47999", "srt://127.0.0.1:47998?mode=listener", "-", "http://127.0.0.1:1/live.m3u8"] {
            #expect(InputOpening.start(url: url, policy: InputPolicy(), clock: Self.clock, cancellation: InputCancellation()) == nil, "\(url)")
        }
    }

    @Test func aFailedOpeningReachesTheJob() throws {
        let missing = try Fixtures.scratchFolder().appendingPathComponent("missing.ts").path
        let opening = try #require(InputOpening.start(url: missing, policy: InputPolicy(), clock: Self.clock, cancellation: InputCancellation()))
        #expect(throws: MediaError.notFound(url: missing)) { try opening.session() }
        let out = try Fixtures.scratchFolder().appendingPathComponent("out.ts").path
        #expect(throws: MediaError.notFound(url: missing)) {
            try Enricher(inputURL: missing, outputURL: out).run(clock: Self.clock, opening: opening, carry: { _, _, _ in FrameCarriage() })
        }
    }
}
