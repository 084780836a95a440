import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Testing

/// HLS from open-GOP video: a keyframe's leading pictures come after it in decode order and show
/// before it. Segments are cut in decode order, so they travel with their keyframe, and each
/// segment is read back with the test's own MPEG-TS reader: the pictures it holds form one
/// unbroken run of presentation times, EXTINF is that run's length, dates join without a gap,
/// and every frame's tag is in the segment that holds the frame.
struct OpenGOPHLSTests {
    struct Encoding: CustomTestStringConvertible, Sendable {
        let name: String
        let rate: Rational
        let streamType: UInt8
        let arguments: [String]
        var testDescription: String { name }
    }

    static let encodings = [
        // x265's own default is an open GOP (CRA keyframes with leading pictures).
        Encoding(name: "HEVC 59.94, x265 open GOP", rate: Rational(60000, 1001), streamType: 0x24, arguments: [
            "-c:v", "libx265", "-preset", "ultrafast",
            "-x265-params", "keyint=120:min-keyint=120:open-gop=1:bframes=3:scenecut=0:log-level=error:pools=1:frame-threads=1",
        ]),
        Encoding(name: "H.264 50, x264 open-gop=1", rate: Rational(50), streamType: 0x1B, arguments: [
            "-c:v", "libx264", "-preset", "veryfast", "-x264-params", "keyint=100:min-keyint=100:open-gop=1:bframes=3:b-pyramid=normal:scenecut=0",
        ]),
    ]

    @Test(arguments: encodings)
    func segmentsHoldWholeRunsOfPicturesTheirPlaylistStates(encoding: Encoding) async throws {
        let folder = try Fixtures.scratchFolder("open-gop")
        let clip = folder.appendingPathComponent("clip.ts")
        try await Clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=\(encoding.rate.numerator)/\(encoding.rate.denominator):duration=10"]
            + encoding.arguments + ["-f", "mpegts", clip.path])
        let source = try TransportStream(bytes: Array(try Data(contentsOf: clip)))
        let sourcePictures = try #require(source.pid(ofStreamType: encoding.streamType).flatMap { source.packets[$0] })
        let firstPTS = try #require(sourcePictures.compactMap(\.pts).min())
        let day = try #require(UTCInstant(iso8601: "2026-08-02T18:00:00Z"))
        let anchor = ClockAnchor(pts: MediaTime(ticks: firstPTS, timeBase: Rational(1, 90000)), utc: day)
        let playlist = folder.appendingPathComponent("hls/index.m3u8")
        _ = try Enricher(inputURL: clip.path, outputs: [try OutputTarget(playlist.path)], settings: EnrichmentSettings(carriers: [.id3], hlsTargetDuration: 2))
            .run(clock: ClockSettings(source: .anchor, anchor: anchor, frameRate: encoding.rate)) { timing, _, _ in
                FrameCarriage(id3Tag: try ID3Tag(frames: [.userText(description: "pts", value: "\(timing.pts.ticks)")]).encoded())
            }

        let frameTicks = Int64((Rational(90000) / encoding.rate).floor)
        var segments: [(date: UTCInstant, duration: Double, uri: String)] = []
        var date: UTCInstant?
        var duration = 0.0
        for line in try String(contentsOf: playlist, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") { date = UTCInstant(iso8601: String(line.dropFirst(25))) }
            if line.hasPrefix("#EXTINF:") { duration = try #require(Double(line.dropFirst(8).dropLast())) }
            if !line.hasPrefix("#") { segments.append((try #require(date), duration, String(line))) }
        }
        try #require(segments.count >= 4)
        var held = 0
        var opened = 0
        var previousLast: Int64?
        for (index, segment) in segments.enumerated() {
            let stream = try TransportStream(bytes: Array(try Data(contentsOf: folder.appendingPathComponent("hls").appendingPathComponent(segment.uri))))
            let pictures = try #require(stream.pid(ofStreamType: encoding.streamType).flatMap { stream.packets[$0] })
            let tags = stream.pid(ofStreamType: 0x15).flatMap { stream.packets[$0] } ?? []
            let shown = pictures.compactMap(\.pts).sorted()
            try #require(shown.count == pictures.count && !shown.isEmpty)
            held += shown.count
            // Leading pictures: the keyframe that opens the segment is not the first it shows.
            if try #require(pictures[0].pts) > shown[0] { opened += 1 }
            // One unbroken run of presentation times, continuing the run before.
            #expect(zip(shown, shown.dropFirst()).allSatisfy { (frameTicks...frameTicks + 1).contains($1 - $0) }, "\(segment.uri) holds a hole")
            if let previousLast {
                #expect((frameTicks...frameTicks + 1).contains(shown[0] - previousLast), "\(segment.uri) starts at \(shown[0]); the one before ended at \(previousLast)")
            }
            previousLast = shown.last
            // EXTINF is the span of what the segment holds.
            #expect(abs(segment.duration * Double(encoding.rate) - Double(shown.count)) < 0.01, "\(segment.uri): EXTINF \(segment.duration) s for \(shown.count) pictures")
            // Each tag names a frame this segment holds, and every frame has its tag here.
            let named = try tags.map { tag in Int64(try ParsedID3Tag(bytes: tag.payload).userTexts().first?.value ?? "") ?? -1 }
            #expect(named == named.sorted() && Set(named) == Set(shown), "\(segment.uri): tags \(Set(named).symmetricDifference(shown).sorted()) are not with their frames")
            // The date is the capture of the lowest PTS, and the next date follows by EXTINF.
            let capture = day.advanced(by: Rational(Int128(shown[0] - firstPTS), 90000))
            #expect(abs(Double(segment.date.seconds(since: capture))) <= 0.001, "\(segment.uri) is dated \(segment.date.iso8601)")
            if index + 1 < segments.count {
                let gap = Double(segments[index + 1].date.seconds(since: segment.date)) - segment.duration
                #expect(abs(gap) <= 0.001, "\(segment.uri): date + EXTINF misses the next date by \(gap) s")
            }
        }
        #expect(opened >= segments.count - 2, "the encoder made closed GOPs: the test tries nothing")
        #expect(held == sourcePictures.count)
        let total = segments.map(\.duration).reduce(0, +)
        #expect(abs(total * Double(encoding.rate) - Double(sourcePictures.count)) < 0.01 * Double(segments.count))
    }
}
