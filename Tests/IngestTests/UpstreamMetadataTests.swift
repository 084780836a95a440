import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Testing

struct UpstreamMetadataTests {
    /// An input that already carries timed ID3 (here: Podium's own enrichment, as an upstream
    /// packager's would) keeps every tag byte for byte, on its own PID, next to Podium's new ones.
    @Test func upstreamTimedID3PassesThroughByteForByte() async throws {
        let folder = try Fixtures.scratchFolder()
        let first = try EnrichedClip.swimFixture()
        let again = folder.appendingPathComponent("again.ts")
        let clock = try ClockFile(json: Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let report = try Enricher(inputURL: first.outputPath, outputURL: again.path).run(anchor: clock.anchor, frameRate: clock.frameRate) { timing in
            try OverlayPayload.id3Tag(for: GeneratedClipTests.emptyTimeline.overlay(for: timing, camera: nil))
        }
        #expect(report.unrepairableID3Packets == 0)
        let output = try TransportStream(bytes: Array(try Data(contentsOf: again)))
        let metadataPIDs = output.streams.filter { $0.streamType == 0x15 }.map(\.pid)
        #expect(metadataPIDs.count == 2)
        let upstreamPID = try #require(first.output.pid(ofStreamType: 0x15))
        #expect(metadataPIDs.contains(upstreamPID), "the upstream PID is kept")
        let before = first.metadataPES
        let after = output.packets[upstreamPID] ?? []
        #expect(after.count == before.count)
        #expect(zip(before, after).allSatisfy { $0.payload == $1.payload && $0.pts == $1.pts })
        let ffprobe = try await Fixtures.run("ffprobe", ["-v", "error", again.path])
        #expect(ffprobe.status == 0 && ffprobe.err.isEmpty, "ffprobe: \(ffprobe.err)")
    }

    @Test func aTagMissingItsFirstFiveBytesIsRebuiltWithItsVersion() async throws {
        let v24: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 17] + Array("TIT2".utf8) + [0, 0, 0, 7, 0, 0, 3] + Array("swim!!".utf8)
        #expect(TimedID3Repair.restore(Array(v24.dropFirst(5))) == v24)
        #expect(TimedID3Repair.restore(v24) == v24)
        // v2.3 frame sizes are plain 32-bit: 200 bytes is 0x000000C8, not syncsafe.
        let body: [UInt8] = Array("PRIV".utf8) + [0, 0, 0, 200, 0, 0] + [UInt8](repeating: 0x61, count: 200)
        let size = body.count
        let v23: [UInt8] = Array("ID3".utf8) + [3, 0, 0, 0, 0, UInt8(size >> 7), UInt8(size & 0x7F)] + body
        #expect(TimedID3Repair.restore(Array(v23.dropFirst(5))) == v23)
        #expect(TimedID3Repair.restore([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == nil)
        #expect(TimedID3Repair.restore(Array(v24.dropFirst(5).dropLast())) == nil, "a size that does not match is not guessed at")
    }
}
