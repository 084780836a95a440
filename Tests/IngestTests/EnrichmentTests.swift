import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Testing

/// Enriches a clip with the real pipeline (FFmpeg, the pure core) and reads the result back
/// with the independent MPEG-TS reader.
struct EnrichedClip {
    let input: TransportStream
    let output: TransportStream
    let report: EnrichmentReport
    let outputPath: String

    static let streamTypeH264: UInt8 = 0x1B
    static let streamTypeAAC: UInt8 = 0x0F
    static let streamTypeMetadata: UInt8 = 0x15

    /// Enriches `clip`; `readInput` parses the input too (MPEG-TS inputs only).
    init(clip: URL, anchor: ClockAnchor, frameRate: Rational?, timeline: RaceTimeline, camera: CameraTrack? = nil, readInput: Bool = true) throws {
        let folder = try Fixtures.scratchFolder("enriched")
        outputPath = folder.appendingPathComponent("out.ts").path
        report = try Enricher(inputURL: clip.path, outputURL: outputPath).run(anchor: anchor, frameRate: frameRate) { timing in
            try OverlayPayload.id3Tag(for: timeline.overlay(for: timing, camera: camera?.pose(forCaptureAt: timing.captureStart)))
        }
        input = readInput ? try TransportStream(bytes: Array(try Data(contentsOf: clip))) : try TransportStream(bytes: [])
        output = try TransportStream(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: outputPath))))
    }

    /// The fixture enriched with its own documents.
    /// The swimming fixture's results documents, taken into a book.
    static func swimBook() throws -> ResultsBook {
        var book = ResultsBook()
        let folder = Fixtures.swim.appendingPathComponent("results")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".xml") {
            _ = try book.accept(try ODFDocument.parse(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        return book
    }

    static func swimFixture() throws -> EnrichedClip {
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let book = try swimBook()
        let unit = try #require(book.units.first)
        let timeline = try #require(RaceTimeline(book: book, unit: unit))
        let camera = try CameraTrack.recording(try Data(contentsOf: Fixtures.swim.appendingPathComponent("camera.jsonl")))
        return try EnrichedClip(
            clip: Fixtures.swim.appendingPathComponent("clip.ts"), anchor: clock.anchor, frameRate: clock.frameRate, timeline: timeline, camera: camera
        )
    }

    var videoPES: [TransportStream.PES] { output.packets[output.pid(ofStreamType: Self.streamTypeH264)!] ?? [] }
    var metadataPES: [TransportStream.PES] { output.packets[output.pid(ofStreamType: Self.streamTypeMetadata)!] ?? [] }

    /// The overlays carried in band, decoded from each ID3 tag's TXXX frame.
    func carriedOverlays() throws -> [(pes: TransportStream.PES, json: String, overlay: FrameOverlay)] {
        try metadataPES.map { pes in
            let tag = try ParsedID3Tag(bytes: pes.payload)
            let texts = try tag.userTexts()
            try #require(tag.majorVersion == 4 && texts.count == 1 && texts[0].description == OverlayPayload.textDescription)
            return (pes, texts[0].value, try JSONDecoder().decode(FrameOverlay.self, from: Data(texts[0].value.utf8)))
        }
    }
}

struct EnrichmentTests {
    @Test func theFixtureGetsExactlyOneTimedID3TagPerVideoFrameAtThatFramesPTS() async throws {
        let enriched = try EnrichedClip.swimFixture()
        #expect(enriched.report.frames == 600)
        let videoPTS = enriched.videoPES.compactMap(\.pts)
        #expect(videoPTS.count == 600)
        let carried = try enriched.carriedOverlays()
        #expect(carried.count == 600)
        #expect(carried.map(\.pes.pts!).sorted() == videoPTS.sorted())
        #expect(Set(carried.map(\.pes.pts!)).count == 600)
        // Released in presentation order: PTS and sequence numbers both increase.
        #expect(carried.map(\.pes.pts!) == videoPTS.sorted())
        #expect(carried.map(\.overlay.seq) == Array(0..<600))
        for item in carried {
            #expect(item.overlay.pts == item.pes.pts)
            #expect(item.pes.streamID == 0xBD)
            #expect(item.pes.dataAlignment)
        }
    }

    @Test func theCarriedJSONIsTheGoldenFileByteForByte() async throws {
        let golden = try Fixtures.swimGolden()
        let carried = try EnrichedClip.swimFixture().carriedOverlays().map(\.json)
        #expect(carried == golden)
    }

    @Test func theMetadataStreamIsDeclaredAsID3InThePMT() async throws {
        let enriched = try EnrichedClip.swimFixture()
        let metadata = try #require(enriched.output.streams.first { $0.streamType == EnrichedClip.streamTypeMetadata })
        // metadata_descriptor (tag 0x26) with format identifier "ID3 ".
        let descriptor = try #require(metadata.descriptors.first { $0.tag == 0x26 })
        #expect(Array(descriptor.bytes[2..<6]) == Array("ID3 ".utf8))
        // And the program-level metadata_pointer_descriptor Apple's specification asks for (Podium adds it).
        let pointer = try #require(enriched.output.programDescriptors.first { $0.tag == 0x25 })
        #expect(pointer.bytes == [0xFF, 0xFF] + Array("ID3 ".utf8) + [0xFF] + Array("ID3 ".utf8) + [0x00, 0x1F, 0x00, 0x01])
        #expect(enriched.output.badTableChecksums == 0)
    }

    @Test func everyOriginalStreamIsCopiedUnchangedOnItsOwnPID() async throws {
        let enriched = try EnrichedClip.swimFixture()
        for type in [EnrichedClip.streamTypeH264, EnrichedClip.streamTypeAAC] {
            let inputPID = try #require(enriched.input.pid(ofStreamType: type))
            #expect(enriched.output.pid(ofStreamType: type) == inputPID)
            let before = try #require(enriched.input.packets[inputPID])
            let after = try #require(enriched.output.packets[inputPID])
            // The elementary stream, byte for byte.
            let same = before.flatMap(\.payload) == after.flatMap(\.payload)
            #expect(same, "stream type \(type): elementary stream bytes differ")
            // Every timestamp the input carried is carried again.
            #expect(Set(before.compactMap(\.pts)).isSubset(of: Set(after.compactMap(\.pts))))
        }
        // Video is one access unit per PES on both sides: identical PES by PES, timestamps included.
        let videoPID = try #require(enriched.input.pid(ofStreamType: EnrichedClip.streamTypeH264))
        let before = try #require(enriched.input.packets[videoPID])
        let after = try #require(enriched.output.packets[videoPID])
        #expect(after.count == before.count)
        #expect(after.map(\.pts) == before.map(\.pts))
        #expect(after.map(\.dts) == before.map(\.dts))
        #expect(zip(after, before).allSatisfy { $0.payload == $1.payload })
        #expect(enriched.output.continuityErrors == 0)
    }

    @Test func ffprobeReadsTheOutputWithoutErrors() async throws {
        let enriched = try EnrichedClip.swimFixture()
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-show_streams", "-show_packets", enriched.outputPath])
        #expect(probe.status == 0)
        #expect(probe.err.isEmpty, "ffprobe said: \(probe.err)")
        #expect(probe.out.contains("codec_name=timed_id3"))
    }
}

struct EnrichmentErrorTests {
    let anchor = ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 90000)), utc: UTCInstant(millisecondsSinceEpoch: 0))

    func enrich(_ path: String) throws {
        let out = try Fixtures.scratchFolder().appendingPathComponent("out.ts").path
        _ = try Enricher(inputURL: path, outputURL: out).run(anchor: anchor, frameRate: nil) { _ in [] }
    }

    @Test func aMissingFileIsNamed() async {
        #expect(throws: MediaError.notFound(url: "/nonexistent/clip.ts")) { try enrich("/nonexistent/clip.ts") }
    }

    @Test(arguments: [UInt64(1), 2, 3, 0x9E37_79B9_7F4A_7C15])
    func randomBytesAreNotMedia(seed: UInt64) async throws {
        let path = try Fixtures.scratchFolder().appendingPathComponent("noise.ts").path
        try SplitMix.noise(seed: seed, count: 200_000).write(to: URL(fileURLWithPath: path))
        #expect {
            try enrich(path)
        } throws: { error in
            guard case MediaError.notMedia(let url, _) = error else { return false }
            return url == path
        }
    }

    @Test func audioWithoutVideoIsRefused() async throws {
        let path = try Fixtures.scratchFolder().appendingPathComponent("audio.ts").path
        let made = try await Fixtures.run("ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", "-f", "mpegts", path,
        ])
        try #require(made.status == 0, "ffmpeg: \(made.err)")
        #expect(throws: MediaError.noVideoStream(url: path)) { try enrich(path) }
    }

    @Test func anOutputThatCannotCarryTimedID3IsRefusedBeforeAnythingIsRead() async {
        #expect {
            _ = try Enricher(inputURL: Fixtures.swim.appendingPathComponent("clip.ts").path, outputURL: "/tmp/out.mp4")
                .run(anchor: anchor, frameRate: nil) { _ in [] }
        } throws: { error in
            guard case MediaError.unsupportedOutput = error else { return false }
            return true
        }
    }
}

struct TemplatedEnrichmentTests {
    @Test func aTemplatedJobCarriesTheCompactElementsOfEveryFrameAtItsPTS() async throws {
        let clock = try ClockFile(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json")))
        let book = try EnrichedClip.swimBook()
        let unit = try #require(book.units.first)
        let renderer = TemplateRenderer(
            template: try OverlayTemplate.parse(try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json"))),
            timeline: try #require(RaceTimeline(book: book, unit: unit)),
            lens: try Lens(json: try Data(contentsOf: Fixtures.swim.appendingPathComponent("lens.json")))
        )
        let camera = try CameraTrack.recording(try Data(contentsOf: Fixtures.swim.appendingPathComponent("camera.jsonl")))
        let out = try Fixtures.scratchFolder().appendingPathComponent("templated.ts")
        _ = try Enricher(inputURL: Fixtures.swim.appendingPathComponent("clip.ts").path, outputURL: out.path)
            .run(anchor: clock.anchor, frameRate: clock.frameRate) { timing in
                try CompactPayload.id3Tag(for: renderer.render(timing, camera: camera.pose(forCaptureAt: timing.captureStart)))
            }
        let stream = try TransportStream(bytes: Array(try Data(contentsOf: out)))
        let tagPID = try #require(stream.pid(ofStreamType: 0x15))
        let videoPID = try #require(stream.pid(ofStreamType: 0x1B))
        let tags = try #require(stream.packets[tagPID])
        let video = try #require(stream.packets[videoPID]).compactMap(\.pts).sorted()
        #expect(tags.count == 600)
        #expect(tags.compactMap(\.pts) == video)
        for (index, tag) in tags.enumerated() {
            let texts = try ParsedID3Tag(bytes: tag.payload).userTexts()
            #expect(texts.count == 1 && texts[0].description == CompactPayload.textDescription)
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(texts[0].value.utf8)) as? [String: Any])
            #expect(payload["s"] as? Int == index)
            #expect((payload["p"] as? NSNumber)?.int64Value == tag.pts)
            #expect(texts[0].value.utf8.count <= CompactPayload.budget)
        }
    }
}
