import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Synchronization
import Testing

/// The swimming fixture enriched once with both carriers into every file container and Podium's
/// HLS, read back with independent readers (the tests' MPEG-TS and SEI readers, ffprobe,
/// GStreamer's gst-discoverer).
struct EnrichedOutputs: Sendable {
    let folder: URL
    let report: EnrichmentReport
    /// The overlay of every frame, by frame index, as computed during the run.
    let overlays: [FrameOverlay]

    var ts: URL { folder.appendingPathComponent("out.ts") }
    var mp4: URL { folder.appendingPathComponent("out.mp4") }
    var fragmented: URL { folder.appendingPathComponent("fragmented.mp4") }
    var flv: URL { folder.appendingPathComponent("out.flv") }
    var playlist: URL { folder.appendingPathComponent("hls/index.m3u8") }

    static let shared: Result<EnrichedOutputs, any Error> = Result { try EnrichedOutputs() }

    private init() throws {
        let folder = try Fixtures.scratchFolder("enriched-outputs")
        self.folder = folder
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let book = try EnrichedClip.swimBook()
        let unit = try #require(book.units.first)
        let timeline = try #require(RaceTimeline(book: book, unit: unit))
        let outputs = try [
            "out.ts", "out.mp4", "fmp4:" + folder.appendingPathComponent("fragmented.mp4").path, "out.flv", "hls/index.m3u8",
        ].map { try OutputTarget($0.hasPrefix("fmp4:") ? $0 : folder.appendingPathComponent($0).path) }
        let carried = Notes((overlays: [FrameOverlay](), markers: RaceMarkerDetector()))
        let report = try Enricher(
            inputURL: Fixtures.swim.appendingPathComponent("clip.ts").path, outputs: outputs,
            settings: EnrichmentSettings(carriers: [.id3, .sei], hlsTargetDuration: 2)
        ).run(clock: ClockSettings(source: .anchor, anchor: clock.anchor, frameRate: clock.frameRate)) { timing, _, _ in
            let overlay = timeline.overlay(for: timing)
            let markers = carried.value.withLock { carried in
                carried.overlays.append(overlay)
                return carried.markers.markers(on: overlay, at: timing.captureStart)
            }
            return try FrameCarriage(InBandPayload(for: overlay, compact: false), carriers: [.id3, .sei], markers: markers)
        }
        self.report = report
        self.overlays = carried.value.withLock { $0.overlays }
    }

    /// The PES packets of the stream of `streamType`.
    static func packets(of stream: TransportStream, streamType: UInt8) throws -> [TransportStream.PES] {
        let pid = try #require(stream.pid(ofStreamType: streamType))
        return try #require(stream.packets[pid])
    }

    /// The Podium payloads of each access unit of an MP4 or FLV output, in decode order
    /// (FFmpeg turns the video back into Annex B; the test's own reader finds the messages).
    static func seiPayloads(ofContainer file: URL) async throws -> [[[UInt8]]] {
        // A file of its own per read: tests read out.mp4 and out.flv side by side, some the same file.
        let raw = file.deletingLastPathComponent().appendingPathComponent("\(file.lastPathComponent)-\(UUID().uuidString).h264")
        defer { try? FileManager.default.removeItem(at: raw) }
        try await Clips.ffmpeg(["-i", file.path, "-map", "0:v", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", raw.path])
        let units = SEIReader.accessUnits(inElementaryStream: Array(try Data(contentsOf: raw)))
        return units.map { SEIReader.userData(in: $0, uuid: SEICarrier.uuid) }
    }

    /// The decoded pictures of a file, frame by frame.
    static func decodedVideoHashes(_ file: URL) async throws -> [String] {
        let result = try await Fixtures.run("ffmpeg", ["-v", "error", "-i", file.path, "-map", "0:v", "-f", "framemd5", "-"])
        try #require(result.status == 0, "\(result.err)")
        return result.out.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",").last.map(String.init) ?? "" }
    }

    /// The decoded video and audio of a file, frame by frame (FFmpeg's framemd5).
    static func decodedHashes(_ file: URL) async throws -> [String] {
        let result = try await Fixtures.run("ffmpeg", ["-v", "error", "-i", file.path, "-map", "0:v", "-map", "0:a", "-f", "framemd5", "-"])
        try #require(result.status == 0, "\(result.err)")
        // Stream index, size and hash, stream by stream: containers interleave and rebase timestamps differently.
        let frames = result.out.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return ["0", "1"].flatMap { stream in frames.filter { $0[0] == stream }.map { [$0[0], $0[4], $0[5]].joined(separator: ",") } }
    }
}

struct EnrichedOutputTests {
    func outputs() throws -> EnrichedOutputs { try EnrichedOutputs.shared.get() }

    @Test func everyMPEGTSFrameCarriesExactlyOneTagAndOneSEIWithItsOwnOverlay() async throws {
        let enriched = try outputs()
        let stream = try TransportStream(bytes: Array(try Data(contentsOf: enriched.ts)))
        let video = try EnrichedOutputs.packets(of: stream, streamType: 0x1B)
        let tags = try EnrichedOutputs.packets(of: stream, streamType: 0x15)
        #expect(video.count == 600)
        #expect(tags.count == 600)
        var seiByPTS: [Int64: [UInt8]] = [:]
        for pes in video {
            let messages = SEIReader.userData(in: pes.payload, uuid: SEICarrier.uuid)
            try #require(messages.count == 1, "PES at \(pes.pts ?? -1) holds \(messages.count) Podium SEI")
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(messages[0]))
            #expect(overlay.pts % (1 << 33) == pes.pts)
            #expect(overlay == enriched.overlays[overlay.frame])
            seiByPTS[try #require(pes.pts)] = messages[0]
        }
        // Tags in presentation order, each at its frame's PTS, holding the very bytes of that frame's SEI.
        #expect(tags.compactMap(\.pts) == tags.compactMap(\.pts).sorted())
        for tag in tags {
            let text = try #require(try ParsedID3Tag(bytes: tag.payload).userTexts().first)
            let pts = try #require(tag.pts)
            #expect(Array(text.value.utf8) == seiByPTS[pts])
            #expect(tag.dataAlignment)
        }
    }

    @Test(arguments: ["out.mp4", "fragmented.mp4", "out.flv"])
    func everyAccessUnitOfAnMP4OrFLVOutputCarriesOnePodiumSEI(name: String) async throws {
        let enriched = try outputs()
        let payloads = try await EnrichedOutputs.seiPayloads(ofContainer: enriched.folder.appendingPathComponent(name))
        #expect(payloads.count == 600)
        #expect(payloads.allSatisfy { $0.count == 1 })
        let frames = try payloads.compactMap(\.first).map { try JSONDecoder().decode(FrameOverlay.self, from: Data($0)) }
        #expect(Set(frames.map(\.frame)) == Set(0..<600))
        for frame in frames { #expect(frame == enriched.overlays[frame.frame]) }
    }

    /// One timestamp: each MP4 and fragmented-MP4 sample is presented at the `pts` its own
    /// payload names (ffprobe applies the edit list and the fragments' decode times), so a player
    /// on either container finds the overlay by the time it shows.
    @Test(arguments: ["out.mp4", "fragmented.mp4"])
    func everyMP4SampleIsPresentedAtThePTSItsPayloadNames(name: String) async throws {
        let enriched = try outputs()
        let file = enriched.folder.appendingPathComponent(name)
        let payloads = try await EnrichedOutputs.seiPayloads(ofContainer: file)
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts", "-of", "csv=p=0", file.path])
        try #require(probe.status == 0, "\(probe.err)")
        let presented = probe.out.split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Int64($0) } }
        try #require(presented.count == 600 && payloads.count == 600)
        for (pts, payload) in zip(presented, payloads) {
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(try #require(payload.first)))
            #expect(overlay.timeBase == "1/90000")
            #expect(overlay.pts == pts, "frame \(overlay.frame) is presented at \(pts)")
        }
        // The first sample is the input's first frame, at the input's PTS (1.4 s in), not at zero.
        #expect(presented.min() == enriched.overlays[0].pts)
    }

    @Test(arguments: ["out.ts", "out.mp4", "fragmented.mp4", "out.flv", "hls/index.m3u8"])
    func pictureAndSoundDecodeExactlyAsTheInputDoes(name: String) async throws {
        let enriched = try outputs()
        let input = try await EnrichedOutputs.decodedHashes(Fixtures.swim.appendingPathComponent("clip.ts"))
        let output = try await EnrichedOutputs.decodedHashes(enriched.folder.appendingPathComponent(name))
        #expect(input.count > 600)
        #expect(output == input)
    }

    @Test(arguments: ["out.ts", "out.mp4", "fragmented.mp4", "out.flv", "hls/index.m3u8"])
    func ffprobeAndGStreamerOpenEveryOutputWithoutErrors(name: String) async throws {
        let enriched = try outputs()
        let path = enriched.folder.appendingPathComponent(name).path
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-show_streams", "-show_format", path])
        #expect(probe.status == 0)
        #expect(probe.err.isEmpty, "ffprobe: \(probe.err)")
        let discovered = try await Fixtures.run("gst-discoverer-1.0", ["-v", URL(fileURLWithPath: path).absoluteString])
        #expect(discovered.status == 0, "gst-discoverer: \(discovered.out) \(discovered.err)")
        #expect(!discovered.out.lowercased().contains("error"), "gst-discoverer: \(discovered.out)")
        #expect(discovered.out.contains("video"), "gst-discoverer: \(discovered.out)")
        #expect(discovered.out.contains("audio"), "gst-discoverer: \(discovered.out)")
    }

    @Test func theHLSPlaylistDatesEverySegmentByItsFirstFramesCapture() async throws {
        let enriched = try outputs()
        let text = try String(contentsOf: enriched.playlist, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "#EXTM3U")
        #expect(lines.contains("#EXT-X-PLAYLIST-TYPE:VOD"))
        #expect(lines.last == "#EXT-X-ENDLIST")
        let target = try #require(lines.first { $0.hasPrefix("#EXT-X-TARGETDURATION:") }.flatMap { Int($0.split(separator: ":")[1]) })
        var date: String?
        var segments: [(uri: String, date: String, duration: Double)] = []
        var duration = 0.0
        for line in lines {
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") { date = String(line.dropFirst(25)) }
            if line.hasPrefix("#EXTINF:") { duration = Double(line.dropFirst(8).dropLast()) ?? -1 }
            if !line.hasPrefix("#") { segments.append((line, try #require(date), duration)) }
        }
        #expect(segments.count >= 5)
        var frames = 0
        for segment in segments {
            #expect(segment.duration <= Double(target))
            let stream = try TransportStream(bytes: Array(try Data(contentsOf: enriched.folder.appendingPathComponent("hls").appendingPathComponent(segment.uri))))
            let video = try EnrichedOutputs.packets(of: stream, streamType: 0x1B)
            let tags = try EnrichedOutputs.packets(of: stream, streamType: 0x15)
            frames += video.count
            // Opens on an IDR picture, and carries the tag of each of its own frames.
            #expect(SEIReader.nalTypes(in: video[0].payload).contains(5), "\(segment.uri) does not start on a keyframe")
            #expect(Set(tags.compactMap(\.pts)) == Set(video.compactMap(\.pts)))
            let first = try #require(video.min { $0.pts! < $1.pts! })
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(SEIReader.userData(in: first.payload, uuid: SEICarrier.uuid)[0]))
            let capture = try #require(UTCInstant(iso8601: overlay.captureUTC))
            let stated = try #require(UTCInstant(iso8601: segment.date))
            let difference = stated.seconds(since: capture)
            #expect(difference <= Rational(1, 1000) && Rational(-1, 1000) <= difference, "\(segment.uri): \(segment.date) vs \(overlay.captureUTC)")
        }
        #expect(frames == 600)
    }

    @Test func theHLSPlaylistMarksTheRaceWithDateRanges() async throws {
        let enriched = try outputs()
        let text = try String(contentsOf: enriched.playlist, encoding: .utf8)
        let ranges = text.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-DATERANGE:") }
        #expect(ranges.count == 4)
        #expect(ranges.contains { $0.contains(#"X-PODIUM-KIND="start""#) && $0.contains(#"CLASS="com.podium.race""#) })
        #expect(ranges.contains { $0.contains(#"X-PODIUM-KIND="record""#) && $0.contains("X-PODIUM-LANE=4") && $0.contains(#"X-PODIUM-RECORDS="WR""#) })
        // The start is dated by the first frame whose clock runs.
        let start = try #require(enriched.overlays.first { $0.clock.state == .running })
        #expect(ranges.contains { $0.contains(#"START-DATE="\#(start.captureUTC.prefix(23))Z""#) })
    }

    @Test func theRunReportsEveryOutputComplete() async throws {
        let report = try outputs().report
        #expect(report.frames == 600 && report.tagged == 600)
        #expect(report.outputs.count == 5)
        for output in report.outputs {
            #expect(output.failure == nil)
            #expect(output.dropped == 0)
            #expect(output.written == report.outputs[0].written)
        }
    }
}

struct OutputRefusalTests {
    let anyAnchor = ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000)), utc: UTCInstant(iso8601: "2026-07-31T19:42:10Z")!)

    @Test(arguments: [
        ("http://example.com/out.ts", "outputs are files"),
        ("tcp://127.0.0.1:9000", "outputs are files"),
        ("concat:a.ts|b.ts", "is not an output Podium writes"),
        ("udp://127.0.0.1", "need a port"),
        ("udp://:9000", "need a destination host"),
        ("udp://127.0.0.1:9000?localport=1", "option \"localport\""),
        ("srt://127.0.0.1:9000?mode=rendezvous", "caller or listener"),
        ("rtmp://127.0.0.1/live", "application and a stream name"),
        ("out.mkv", "the container is chosen by the name"),
        ("fmp4:out.ts", "fmp4: names an .mp4 file"),
    ])
    func anOutputPodiumDoesNotWriteIsRefusedByName(output: String, rule: String) async {
        #expect {
            _ = try OutputTarget(output)
        } throws: { error in
            "\(error)".contains(rule) && "\(error)".contains(output)
        }
    }

    @Test(arguments: [
        ("live.ts", OutputContainer.mpegts), ("live.mp4", .mp4), ("fmp4:live.mp4", .fragmentedMP4), ("live.flv", .flv),
        ("hls/index.m3u8", .mpegts), ("udp://239.1.1.1:5000?ttl=4", .mpegts), ("srt://:9000?mode=listener", .mpegts),
        ("rtmp://127.0.0.1/live/key", .flv), ("-", .mpegts),
    ])
    func theContainerFollowsTheName(output: String, container: OutputContainer) async throws {
        #expect(try OutputTarget(output).container == container)
    }

    @Test func timedID3AloneIntoAnMP4IsRefusedBeforeAnythingIsRead() async throws {
        let folder = try Fixtures.scratchFolder()
        let out = folder.appendingPathComponent("out.mp4")
        #expect {
            _ = try Enricher(inputURL: "/nonexistent.ts", outputs: [try OutputTarget(out.path)]).run(clock: ClockSettings()) { _, _, _ in FrameCarriage() }
        } throws: { error in
            "\(error)".contains("add --carrier sei")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func theSameOutputTwiceIsRefused() async throws {
        let folder = try Fixtures.scratchFolder()
        let out = folder.appendingPathComponent("out.ts").path
        #expect {
            _ = try Enricher(inputURL: "/nonexistent.ts", outputs: [try OutputTarget(out), try OutputTarget("file://" + out)])
                .run(clock: ClockSettings()) { _, _, _ in FrameCarriage() }
        } throws: { error in
            "\(error)".contains("given twice")
        }
    }

    @Test func theSEICarrierNeedsH264OrHEVC() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("mpeg2.ts")
        try await Clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1", "-c:v", "mpeg2video", "-f", "mpegts", clip.path])
        #expect {
            _ = try Enricher(inputURL: clip.path, outputs: [try OutputTarget(folder.appendingPathComponent("out.ts").path)], settings: EnrichmentSettings(carriers: .sei))
                .run(clock: ClockSettings(source: .anchor, anchor: anyAnchor)) { _, _, _ in FrameCarriage() }
        } throws: { error in
            "\(error)".contains("needs H.264 or HEVC video; this video is mpeg2video")
        }
    }

    @Test func anOutputThatCannotBeWrittenFailsTheJobBeforeAnyOtherIsWritten() async throws {
        let folder = try Fixtures.scratchFolder()
        let good = folder.appendingPathComponent("good.ts")
        #expect {
            _ = try Enricher(
                inputURL: Fixtures.swim.appendingPathComponent("clip.ts").path,
                outputs: [try OutputTarget(good.path), try OutputTarget("/proc/podium-cannot-write/out.ts")]
            ).run(clock: ClockSettings(source: .anchor, anchor: anyAnchor)) { _, _, _ in FrameCarriage() }
        } throws: { error in
            "\(error)".contains("/proc/podium-cannot-write/out.ts")
        }
        let written = (try? Data(contentsOf: good))?.count ?? 0
        #expect(written < 188 * 10, "the good output holds \(written) bytes; nothing should have been read")
    }
}

struct HEVCCarriageTests {
    @Test(arguments: ["out.ts", "out.mp4"])
    func everyHEVCPictureCarriesPodiumsPrefixSEI(name: String) async throws {
        let folder = try Fixtures.scratchFolder("hevc-\(name)")
        let clip = folder.appendingPathComponent("hevc.ts")
        try await Clips.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
            "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:pools=1:frame-threads=1", "-f", "mpegts", clip.path,
        ])
        let out = folder.appendingPathComponent(name)
        let anchor = ClockAnchor(pts: MediaTime(ticks: 126_000, timeBase: Rational(1, 90000)), utc: UTCInstant(iso8601: "2026-07-31T19:42:10Z")!)
        let report = try Enricher(inputURL: clip.path, outputs: [try OutputTarget(out.path)], settings: EnrichmentSettings(carriers: .sei))
            .run(clock: ClockSettings(source: .anchor, anchor: anchor)) { _, frame, _ in
                FrameCarriage(seiPayload: Array(#"{"frame":\#(frame.index)}"#.utf8))
            }
        #expect(report.frames == 50 && report.tagged == 50)
        #expect(report.accessUnitsWithoutSlice == 0)
        // FFmpeg's HEVC decoder finds a user_data_unregistered message on every picture.
        let frames = try await Fixtures.run("ffprobe", ["-v", "error", "-select_streams", "v", "-show_frames", "-show_entries", "frame=pts:frame_side_data=side_data_type", "-of", "csv=p=0", out.path])
        #expect(frames.status == 0 && frames.err.isEmpty, "\(frames.err)")
        // One line per picture (a picture with the encoder's own message too lists it on a line of its own).
        let lines = frames.out.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(lines.count == 50)
        #expect(lines.allSatisfy { $0.contains("User Data Unregistered") }, "\(lines.prefix(3))")
        await #expect(try EnrichedOutputs.decodedVideoHashes(out) == EnrichedOutputs.decodedVideoHashes(clip))
    }
}
