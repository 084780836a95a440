import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Synchronization
import Testing

/// Recorded inputs generated inside the tests: wraps, discontinuities, exotic rates, damage, timecodes.
struct RecordedInputTests {
    static let day = UTCInstant(iso8601: "2026-07-31T10:00:00Z")!

    /// Every frame of `path`, read with `clock`.
    static func frames(_ path: String, clock: ClockSettings) throws -> (frames: [IngestFrame], stats: IngestStats) {
        let session = try IngestSession(url: path, clock: clock)
        var frames: [IngestFrame] = []
        let stats = try session.run(frame: { frames.append($0) })
        return (frames, stats)
    }

    static func microseconds(_ instant: UTCInstant) -> Int64 {
        Int64((instant.secondsSinceEpoch * Rational(1_000_000) + Rational(1, 2)).floor)
    }

    @Test func aTimestampWrapInTheMiddleKeepsPTSIncreasingAndTheClockContinuous() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("wrap.ts")
        // Starts 2 s before 2^33 ticks: the wrap falls in the middle of the 4 s clip.
        try await Clips.transportStream(at: clip, seconds: 4, extra: ["-output_ts_offset", String(Double(1 << 33) / 90000 - 2)])
        let anchor = ClockAnchor(pts: MediaTime(ticks: (1 << 33) - 2 * 90000, timeBase: Rational(1, 90000)), utc: Self.day)
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(source: .anchor, anchor: anchor))
        #expect(frames.count == 200)
        #expect(stats.epochs == 1)
        let pts = frames.map(\.video.pts)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 })
        #expect(pts.last! > 1 << 33, "the count goes on past 2^33")
        let utc = frames.map { Self.microseconds($0.timing!.captureStart) }
        #expect(zip(utc, utc.dropFirst()).allSatisfy { $1 - $0 == 20_000 })
        // The same instant anchored on a frame after the wrap, as an operator reads it off the stream (33 bits).
        let later = frames[150]
        let wrappedAnchor = ClockAnchor(pts: MediaTime(ticks: later.video.pts % (1 << 33), timeBase: Rational(1, 90000)), utc: later.timing!.captureStart)
        let (again, _) = try Self.frames(clip.path, clock: ClockSettings(source: .anchor, anchor: wrappedAnchor))
        #expect(again.map { $0.timing!.captureStart } == frames.map { $0.timing!.captureStart })
    }

    @Test func twoPiecesConcatenatedByteForByteAreTwoEpochsWithNoFrameMisplaced() async throws {
        let folder = try Fixtures.scratchFolder()
        let first = folder.appendingPathComponent("a.ts")
        let second = folder.appendingPathComponent("b.ts")
        try await Clips.transportStream(at: first, seconds: 2)
        try await Clips.transportStream(at: second, seconds: 3, size: "352x198")
        let joined = folder.appendingPathComponent("joined.ts")
        try (try Data(contentsOf: first) + Data(contentsOf: second)).write(to: joined)
        let start = try Self.frames(first.path, clock: ClockSettings(required: false)).frames[0].video.pts
        let anchor = ClockAnchor(pts: MediaTime(ticks: start, timeBase: Rational(1, 90000)), utc: Self.day)
        let (frames, stats) = try Self.frames(joined.path, clock: ClockSettings(source: .anchor, anchor: anchor))
        #expect(stats.epochs == 2)
        // FFmpeg 5.1 blames the continuity break at the splice on the PES before it, an intact
        // access unit: read again, its own packets are whole, so it is a break between access
        // units, not damage, and it is carried like every other.
        #expect(frames.count == 250 && stats.corruptPackets == 0 && stats.breaksBetweenAccessUnits == 1)
        let boundary = try #require(frames.firstIndex { $0.video.epoch == 1 })
        #expect(frames[..<boundary].allSatisfy { $0.video.epoch == 0 } && frames[boundary...].allSatisfy { $0.video.epoch == 1 })
        #expect(frames.count - boundary == 150, "the second piece arrives whole")
        // The first piece sits on its anchor; the second follows it one frame after its last frame, none on the first piece's time.
        let origin = Self.microseconds(Self.day)
        for frame in frames[..<boundary] {
            #expect(Self.microseconds(frame.timing!.captureStart) == origin + (frame.video.pts - start) * 1_000_000 / 90000)
        }
        let lastBefore = Self.microseconds(frames[boundary - 1].timing!.captureStart)
        for (offset, frame) in frames[boundary...].enumerated() {
            #expect(Self.microseconds(frame.timing!.captureStart) == lastBefore + Int64(offset + 1) * 20_000)
        }
        let pieceTwo = frames[boundary...].map(\.video.pts)
        #expect(zip(pieceTwo, pieceTwo.dropFirst()).allSatisfy { $1 - $0 == 1800 })

        // Enriched, the two epochs join into one timeline an independent reader accepts.
        let out = folder.appendingPathComponent("out.ts")
        let naming = Notes([Int64]())
        let report = try Enricher(inputURL: joined.path, outputURL: out.path).run(anchor: anchor, frameRate: nil) { timing in
            naming.value.withLock { $0.append(timing.pts.ticks) }
            return []
        }
        let named = naming.value.withLock { $0 }
        #expect(report.frames == frames.count)
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-show_entries", "packet=pts", "-select_streams", "v", "-of", "csv=p=0", out.path])
        #expect(probe.status == 0 && probe.err.isEmpty, "ffprobe: \(probe.err)")
        let written = probe.out.split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Int64($0) } }
        #expect(written.count == 250)
        // One timestamp: the PTS each frame's payload names is the PTS it has in the output,
        // the second piece's frames too (moved onto the joined timeline).
        #expect(named.map { $0 % (1 << 33) }.sorted() == written.sorted())
        #expect(named.count == 250 && Set(named).count == 250)
    }

    /// Two independently encoded pieces, byte for byte one after the other: every picture of
    /// both reaches the TS and the HLS output and decodes as it does from its own piece, the HLS
    /// marks the join with `EXT-X-DISCONTINUITY` on a segment of its own, and reading alone
    /// (what `probe` does) and enriching see the same gaps and the same damage.
    @Test func aByteSplicedClipKeepsEveryPictureInEveryOutputAndProbeAndEnrichAgree() async throws {
        let folder = try Fixtures.scratchFolder()
        let first = folder.appendingPathComponent("a.ts")
        let second = folder.appendingPathComponent("b.ts")
        try await Clips.transportStream(at: first, seconds: 3)
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc=size=320x180:rate=50:duration=3", "-f", "lavfi", "-i", "sine=frequency=660:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "37", "-bf", "2", "-c:a", "aac", "-f", "mpegts", second.path,
        ])
        let joined = folder.appendingPathComponent("joined.ts")
        try (try Data(contentsOf: first) + Data(contentsOf: second)).write(to: joined)
        let start = try Self.frames(first.path, clock: ClockSettings(required: false)).frames[0].video.pts
        let anchor = ClockAnchor(pts: MediaTime(ticks: start, timeBase: Rational(1, 90000)), utc: Self.day)
        let clock = ClockSettings(source: .anchor, anchor: anchor)

        let (read, readStats) = try Self.frames(joined.path, clock: clock)
        let outputs = try ["out.ts", "hls/index.m3u8"].map { try OutputTarget(folder.appendingPathComponent($0).path) }
        let report = try Enricher(inputURL: joined.path, outputs: outputs, settings: EnrichmentSettings(carriers: [.id3, .sei], hlsTargetDuration: 2))
            .run(clock: clock) { timing, _, _ in FrameCarriage(id3Tag: try ID3Tag(frames: [.userText(description: "pts", value: "\(timing.pts.ticks)")]).encoded()) }
        #expect(read.count == 300 && report.frames == 300)
        #expect(report.ingest.gaps == readStats.gaps && report.ingest.epochs == readStats.epochs && readStats.epochs == 2)
        #expect(report.ingest.corruptPackets == readStats.corruptPackets && readStats.corruptPackets == 0)
        #expect(report.ingest.breaksBetweenAccessUnits == readStats.breaksBetweenAccessUnits && readStats.breaksBetweenAccessUnits == 1)
        #expect(report.outputs.allSatisfy { $0.failure == nil && $0.dropped == 0 })

        // Every picture decodes as it does from its own piece (the SEI is not part of the picture).
        let pieces = try await EnrichedOutputs.decodedVideoHashes(first) + EnrichedOutputs.decodedVideoHashes(second)
        #expect(pieces.count == 300)
        await #expect(try EnrichedOutputs.decodedVideoHashes(folder.appendingPathComponent("out.ts")) == pieces)
        await #expect(try EnrichedOutputs.decodedVideoHashes(folder.appendingPathComponent("hls/index.m3u8")) == pieces)

        // The join opens a segment of its own, marked; the segment before ends with the first piece.
        let playlist = try String(contentsOf: folder.appendingPathComponent("hls/index.m3u8"), encoding: .utf8).split(separator: "\n")
        #expect(playlist.filter { $0 == "#EXT-X-DISCONTINUITY" }.count == 1)
        let marked = try #require(playlist.firstIndex(of: "#EXT-X-DISCONTINUITY"))
        let after = try #require(playlist[marked...].first { !$0.hasPrefix("#") })
        let before = try #require(playlist[..<marked].last { !$0.hasPrefix("#") })
        let opening = try TransportStream(bytes: Array(try Data(contentsOf: folder.appendingPathComponent("hls/\(after)"))))
        let closing = try TransportStream(bytes: Array(try Data(contentsOf: folder.appendingPathComponent("hls/\(before)"))))
        let boundary = try #require(read.firstIndex { $0.video.epoch == 1 })
        let openingPTS = try EnrichedOutputs.packets(of: opening, streamType: 0x1B).compactMap(\.pts)
        let closingPTS = try EnrichedOutputs.packets(of: closing, streamType: 0x1B).compactMap(\.pts)
        #expect(openingPTS.min() == read[boundary].outputPTS % (1 << 33))
        #expect(closingPTS.max() == read[boundary - 1].outputPTS % (1 << 33))
    }

    @Test func hevcAt5994IsExactToTheMicrosecond() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("hevc.ts")
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=60000/1001:duration=3",
            "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:pools=1:frame-threads=1", "-f", "mpegts", clip.path,
        ])
        let start = try Self.frames(clip.path, clock: ClockSettings(required: false)).frames[0].video.pts
        let anchor = ClockAnchor(pts: MediaTime(ticks: start, timeBase: Rational(1, 90000)), utc: Self.day)
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(source: .anchor, anchor: anchor))
        #expect(stats.frameRate == Rational(60000, 1001))
        #expect(frames.count >= 179)
        for frame in frames {
            // k · 1001/60000 s, in whole microseconds, rounded half up: computed in integers only.
            let k = Int64(frame.index)
            let expected = Self.microseconds(Self.day) + (k * 1001 * 1_000_000 * 2 + 60000) / (60000 * 2)
            #expect(Self.microseconds(frame.timing!.captureStart) == expected, "frame \(k)")
        }
    }

    /// Damage is decided per access unit by its own packets: a video packet lost from inside an
    /// access unit damages that unit; the same break on the packet that starts the next one
    /// (nothing lost, as at a splice) damages neither. Both are carried.
    @Test func aLostPacketDamagesItsOwnAccessUnitOnly() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("clip.ts")
        try await Clips.transportStream(at: clip, seconds: 2, size: "640x360", extra: ["-bf", "0", "-b:v", "3M"])
        let bytes = Array(try Data(contentsOf: clip))
        let stream = try TransportStream(bytes: bytes)
        let pid = try #require(stream.pid(ofStreamType: 0x1B))
        // The video packets, with whether each starts a PES.
        let video = stride(from: 0, to: bytes.count - 187, by: 188).filter { offset in
            (Int(bytes[offset + 1] & 0x1F) << 8 | Int(bytes[offset + 2])) == pid
        }
        let starts = video.filter { bytes[$0 + 1] & 0x40 != 0 }
        // The 20th access unit: drop a packet from its middle in one copy; in the other, break the
        // counter on the packet that starts the 21st (every packet kept, as a splice does).
        let unit = try #require(video.firstIndex(of: starts[20]))
        let next = try #require(video.firstIndex(of: starts[21]))
        try #require(next - unit > 4, "the access unit is too small to lose a packet from its middle")
        let lost = video[(unit + next) / 2]
        let inside = folder.appendingPathComponent("inside.ts")
        try Data(bytes[..<lost] + bytes[(lost + 188)...]).write(to: inside)
        var spliced = bytes
        for offset in video[next...] { spliced[offset + 3] = (spliced[offset + 3] & 0xF0) | ((spliced[offset + 3] &+ 5) & 0x0F) }
        let between = folder.appendingPathComponent("between.ts")
        try Data(spliced).write(to: between)

        let clock = ClockSettings(required: false)
        let (whole, wholeStats) = try Self.frames(clip.path, clock: clock)
        let (damaged, damagedStats) = try Self.frames(inside.path, clock: clock)
        #expect(damagedStats.corruptPackets == 1 && damagedStats.breaksBetweenAccessUnits == 0)
        #expect(damaged.count == whole.count, "the damaged access unit is carried")
        let (kept, keptStats) = try Self.frames(between.path, clock: clock)
        #expect(keptStats.corruptPackets == 0 && keptStats.breaksBetweenAccessUnits == 1)
        #expect(kept.count == whole.count && wholeStats.corruptPackets == 0 && wholeStats.breaksBetweenAccessUnits == 0)
    }

    @Test func corruptedBytesAreCountedAndSkippedAndTheJobCompletes() async throws {
        var bytes = Array(try Data(contentsOf: Fixtures.swim.appendingPathComponent("clip.ts")))
        var generator = SplitMix(state: 11)
        var damaged: [UInt8] = []
        for packet in 0..<(bytes.count / 188) {
            var slice = Array(bytes[packet * 188..<(packet + 1) * 188])
            let roll = Int.random(in: 0..<100, using: &generator)
            if (1000..<4000).contains(packet) && roll == 0 { continue }   // a lost packet: continuity error
            if (1000..<4000).contains(packet) && roll == 1 {
                for _ in 0..<6 { slice[Int.random(in: 4..<188, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            }
            damaged += slice
        }
        damaged += (0..<4000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes = damaged
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("damaged.ts")
        try Data(bytes).write(to: clip)
        let anchor = try ClockFile(json: Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json"))).anchor
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(source: .anchor, anchor: anchor))
        #expect(stats.corruptPackets > 0)
        #expect(frames.count > 500 && frames.count < 600)
        #expect(frames.map(\.index) == Array(0..<frames.count))
        // Frames lost to damage are gaps; the frames that remain keep their exact time.
        #expect(stats.gaps.reduce(0) { $0 + $1.framesMissing } + frames.count == 600)
    }

    @Test func aMovTimecodeTrackPlacesFramesOnItsDay() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("tc.mov")
        try await Clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", "-timecode", "10:00:00:12", clip.path])
        let day = try #require(TimecodeDay(date: "2026-07-31", zone: "+02:00"))
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(timecodeDay: day))
        #expect(stats.clockSource == .timecodeTrack, "auto chooses the timecode track once a day is given")
        // 10:00:00:12 at 25 fps in UTC+2 is 08:00:00.48Z.
        #expect(frames[0].timing?.captureStart == UTCInstant(iso8601: "2026-07-31T08:00:00.48Z"))
        #expect(frames[49].timing?.captureStart == UTCInstant(iso8601: "2026-07-31T08:00:02.44Z"))
        // Each frame carries the track's own label, counted on.
        #expect(frames[0].timing?.timecode?.description == "10:00:00:12")
        #expect(frames[49].timing?.timecode?.description == "10:00:02:11")
        #expect(throws: MediaError.self) { try IngestSession(url: clip.path, clock: ClockSettings(source: .timecodeTrack)) }
    }

    /// A drop-frame tmcd track at 59.94 across a minute: labels 00–03 of the new minute are
    /// skipped, and each frame still sits 1001/60000 s after the one before.
    @Test func aDropFrameTimecodeTrackLabelsFramesAcrossAMinute() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("df.mov")
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=60000/1001:duration=0.2", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
            "-timecode", "10:00:59;56", clip.path,
        ])
        let day = try #require(TimecodeDay(date: "2026-07-31"))
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(timecodeDay: day))
        #expect(stats.clockSource == .timecodeTrack)
        let labels = frames.prefix(6).compactMap { $0.timing?.timecode?.description }
        #expect(labels == ["10:00:59;56", "10:00:59;57", "10:00:59;58", "10:00:59;59", "10:01:00;04", "10:01:00;05"])
        let captures = frames.prefix(6).compactMap { $0.timing?.captureStart }
        #expect(zip(captures, captures.dropFirst()).allSatisfy { $1.seconds(since: $0) == Rational(1001, 60000) })
    }

    @Test func pictureTimingTimecodesAreReadByDecodingAndFollowATimecodeJump() async throws {
        let folder = try Fixtures.scratchFolder()
        let raw = folder.appendingPathComponent("raw.h264")
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=50:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
            "-x264-params", "aud=1:pic-struct=1:bframes=0", "-f", "h264", raw.path,
        ])
        // Frames 0–49 from 19:42:10:00; frames 50–99 restamped from 19:42:30:00 (a generator re-jammed).
        let bytes = Array(try Data(contentsOf: raw))
        let units = PictureTimingStamper.nalUnits(bytes)
        let split = units.indices.filter { units[$0][0] & 0x1F == 9 }[50]
        func annexB(_ units: ArraySlice<[UInt8]>) -> [UInt8] { units.flatMap { [0, 0, 0, 1] + $0 } }
        let first = PictureTimingStamper.stamp(annexB(units[..<split]), firstFrame: (19 * 3600 + 42 * 60 + 10) * 50, fps: 50)
        let second = PictureTimingStamper.stamp(annexB(units[split...]), firstFrame: (19 * 3600 + 42 * 60 + 30) * 50, fps: 50)
        let stamped = folder.appendingPathComponent("stamped.h264")
        try Data(first + second).write(to: stamped)
        let clip = folder.appendingPathComponent("stamped.ts")
        try await Clips.ffmpeg(["-framerate", "50", "-i", stamped.path, "-c", "copy", "-f", "mpegts", clip.path])

        let day = try #require(TimecodeDay(date: "2026-07-31"))
        let (frames, stats) = try Self.frames(clip.path, clock: ClockSettings(source: .pictureTiming, timecodeDay: day))
        #expect(frames.count == 100)
        #expect(stats.placedBy == [.pictureTiming: 100])
        let base = Self.microseconds(UTCInstant(iso8601: "2026-07-31T19:42:10Z")!)
        for frame in frames {
            let expected = frame.index < 50 ? base + Int64(frame.index) * 20_000 : base + 20_000_000 + Int64(frame.index - 50) * 20_000
            #expect(Self.microseconds(frame.timing!.captureStart) == expected, "frame \(frame.index)")
        }
        // The labels the stream stated come back on the frames, the jump included.
        #expect(frames[0].timing?.timecode?.description == "19:42:10:00")
        #expect(frames[49].timing?.timecode?.description == "19:42:10:49")
        #expect(frames[50].timing?.timecode?.description == "19:42:30:00")
        #expect(frames[99].timing?.timecode?.description == "19:42:30:49")
        // Without any timecode in the stream the source has nothing to say, and says so.
        let plain = folder.appendingPathComponent("plain.ts")
        try await Clips.transportStream(at: plain, seconds: 1)
        #expect(throws: MediaError.self) { try Self.frames(plain.path, clock: ClockSettings(source: .pictureTiming, timecodeDay: day)) }
    }

    @Test func aFileWithoutAnyClockIsAClearErrorUnlessOnlyProbed() async throws {
        let path = Fixtures.swim.appendingPathComponent("clip.ts").path
        #expect {
            try IngestSession(url: path, clock: ClockSettings())
        } throws: { error in
            "\(error)".contains("carries no clock") && "\(error)".contains("--clock")
        }
        let (frames, stats) = try Self.frames(path, clock: ClockSettings(required: false))
        #expect(frames.count == 600 && frames.allSatisfy { $0.timing == nil } && stats.clockSource == nil)
    }

    @Test func refusesNotMediaAndInputsWithoutVideo() async throws {
        let folder = try Fixtures.scratchFolder()
        let noise = folder.appendingPathComponent("noise.ts")
        var generator = SplitMix(state: 3)
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: noise)
        #expect(throws: MediaError.self) { try IngestSession(url: noise.path, clock: ClockSettings(required: false)) }
        let audio = folder.appendingPathComponent("audio.ts")
        try await Clips.ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mpegts", audio.path])
        #expect(throws: MediaError.noVideoStream(url: audio.path)) { try IngestSession(url: audio.path, clock: ClockSettings(required: false)) }
    }
}
