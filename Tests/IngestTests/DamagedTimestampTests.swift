import Foundation
@testable import MediaFormats
import Overlay
@testable import Pipeline
import TestSupport
import Testing

/// Packets with impossible timestamps (presentation before decode, decode going back) are
/// repaired for the muxer, counted, and the output goes on: as many frames as `ffmpeg -c copy`
/// keeps from the same damaged stream.
struct DamagedTimestampTests {
    @Test func theRepairKeepsDecodeTimesIncreasingAndPresentationAfterDecode() async {
        var repair = OutputTimestampRepair()
        #expect(repair.repair(stream: 0, pts: 3000, dts: 0) == (3000, 0, false))
        #expect(repair.repair(stream: 0, pts: 6000, dts: 3000) == (6000, 3000, false))
        // Presentation before decode: the median of both and just after the previous decode time.
        #expect(repair.repair(stream: 0, pts: 100, dts: 9000) == (3001, 3001, true))
        // Decode time going back (or standing still) moves forward by one tick.
        #expect(repair.repair(stream: 0, pts: 9000, dts: 3001) == (9000, 3002, true))
        #expect(repair.repair(stream: 0, pts: nil, dts: 3002) == (nil, 3003, true))
        #expect(repair.repair(stream: 0, pts: 12000, dts: nil) == (12000, nil, false))
        // Streams are independent.
        #expect(repair.repair(stream: 1, pts: 10, dts: 10) == (10, 10, false))
        #expect(repair.repair(stream: 0, pts: 12000, dts: 9000) == (12000, 9000, false))
    }

    /// A generated 10 s H.264 + AAC stream whose PES headers (where the timestamps are) are
    /// overwritten with random bytes in some packets, plus random bytes between packets.
    static func damagedStream(in folder: URL, seed: UInt64) async throws -> URL {
        let clean = folder.appendingPathComponent("clean-\(seed).ts")
        try await Clips.transportStream(at: clean, seconds: 10, size: "320x180")
        var generator = SplitMix(state: seed)
        let bytes = Array(try Data(contentsOf: clean))
        var damaged: [UInt8] = []
        for index in 0..<(bytes.count / 188) {
            var packet = Array(bytes[index * 188..<(index + 1) * 188])
            let startsPES = packet[1] & 0x40 != 0 && (packet[1] & 0x1F) << 8 | packet[2] != 0
            if startsPES, Int.random(in: 0..<25, using: &generator) == 0 {
                // The PTS/DTS bytes of the PES header (after the 4-byte TS header, or an adaptation field).
                let start = packet[3] & 0x20 != 0 ? 5 + Int(packet[4]) : 4
                for offset in (start + 9)..<min(start + 19, 188) { packet[offset] = UInt8.random(in: 0...255, using: &generator) }
            }
            damaged += packet
            if Int.random(in: 0..<400, using: &generator) == 0 {
                damaged += (0..<Int.random(in: 1..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
        }
        let path = folder.appendingPathComponent("damaged-\(seed).ts")
        try Data(damaged).write(to: path)
        return path
    }

    static func videoFrames(_ file: URL) async throws -> Int {
        let probe = try await Fixtures.run("ffprobe", ["-v", "quiet", "-select_streams", "v", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", file.path])
        return probe.out.split(whereSeparator: { !$0.isNumber }).first.flatMap { Int($0) } ?? 0
    }

    @Test(arguments: [UInt64(7), 23, 101])
    func aDamagedStreamIsWrittenWithAsManyFramesAsFFmpegsCopy(seed: UInt64) async throws {
        let folder = try Fixtures.scratchFolder()
        let input = try await Self.damagedStream(in: folder, seed: seed)
        let reference = folder.appendingPathComponent("ffmpeg-copy.ts")
        _ = try await Fixtures.run("ffmpeg", ["-hide_banner", "-v", "quiet", "-y", "-i", input.path, "-map", "0", "-c", "copy", "-f", "mpegts", reference.path])
        let expected = try await Self.videoFrames(reference)
        try #require(expected > 300)
        for name in ["out.ts", "out.mp4"] {
            let output = folder.appendingPathComponent(name)
            let report = try Enricher(inputURL: input.path, outputs: [try OutputTarget(output.path)], settings: EnrichmentSettings(carriers: .sei))
                .run(clock: ClockSettings(required: false)) { _, _, _ in FrameCarriage() }
            let stats = try #require(report.outputs.first)
            #expect(stats.failure == nil, "\(name): \(stats.failure ?? "")")
            let written = try await Self.videoFrames(output)
            #expect(written >= expected, "\(name): \(written) frames, ffmpeg -c copy \(expected); repaired \(stats.repairedTimestamps), refused \(stats.refusedByMuxer)")
        }
    }
}
