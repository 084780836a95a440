import Foundation
import MediaFormats
import Overlay
import Pipeline
import TestSupport
import Testing

/// Recomputes, without Podium's parser or timeline, on which frame each result event of the
/// fixture must appear and what the clock must read, and checks the enriched stream against it.
///
/// Documents are read with regular expressions, times with Foundation's ISO 8601 formatter and
/// integer milliseconds: frame i of the 50 fps clip covers [20·i, 20·i + 20) ms after the anchor.
struct IndependentTimingTests {
    struct LaneFacts {
        var reactionMs: Int?
        var reactionText: String?
        var splitMs: Int?
        var splitText: String?
        var finishMs: Int?
        var finishText: String?
    }

    static func milliseconds(_ text: String) -> Int {
        // "8.31", "0.59", "1:47.92": minutes optional, two decimals.
        let parts = text.split(separator: ":")
        let seconds = Double(parts.last!)!
        let minutes = parts.count == 2 ? Int(parts[0])! : 0
        return minutes * 60_000 + Int((seconds * 1000).rounded())
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        let regex = try! NSRegularExpression(pattern: pattern)
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    @Test func everyEventAppearsOnTheFrameThatContainsItAndTheClockReadsRight() async throws {
        let official = try String(contentsOf: Fixtures.swim.appendingPathComponent("results/05-DT_RESULT-OFFICIAL.xml"), encoding: .utf8)
        let clock = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.swim.appendingPathComponent("clock.json"))) as! [String: Any]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let anchorDate = try #require(formatter.date(from: (clock["anchor"] as! [String: Any])["utc"] as! String))
        let startText = try #require(Self.firstMatch(#"StartDate="([^"]+)""#, in: official))
        let startDate = try #require(formatter.date(from: startText))
        let startMs = Int((startDate.timeIntervalSince(anchorDate) * 1000).rounded())
        #expect(startMs == 1500)

        var lanes: [Int: LaneFacts] = [:]
        let blocks = official.components(separatedBy: "<Result ").dropFirst()
        for block in blocks {
            let laneText = try #require(Self.firstMatch(#"StartOrder="(\d+)""#, in: block))
            let lane = Int(laneText)!
            var facts = LaneFacts()
            facts.reactionText = Self.firstMatch(#"Code="REACT_TIME" Value="([^"]+)""#, in: block)
            facts.splitText = Self.firstMatch(#"Code="INTERMEDIATE" Pos="1" Value="([^"]+)""#, in: block)
            facts.finishText = Self.firstMatch(#"^[^>]*Result="([^"]+)""#, in: block)
            facts.reactionMs = facts.reactionText.map(Self.milliseconds)
            facts.splitMs = facts.splitText.map(Self.milliseconds)
            facts.finishMs = facts.finishText.map(Self.milliseconds)
            lanes[lane] = facts
        }
        #expect(lanes.count == 8)
        let firstTouchMs = lanes.values.compactMap(\.finishMs).min()!
        let lastTouchMs = lanes.values.compactMap(\.finishMs).max()!
        let frameOf = { (eventMs: Int) in (startMs + eventMs) / 20 }

        let carried = try EnrichedClip.swimFixture().carriedOverlays().map(\.overlay)
        for (lane, facts) in lanes.sorted(by: { $0.key < $1.key }) {
            let index = lane - 1
            let firstReaction = carried.firstIndex { $0.lanes[index].reaction != nil }
            let firstSplit = carried.firstIndex { !$0.lanes[index].splits.isEmpty }
            let firstFinish = carried.firstIndex { $0.lanes[index].finish != nil }
            #expect(firstReaction == frameOf(facts.reactionMs!), "lane \(lane) reaction")
            #expect(firstSplit == frameOf(facts.splitMs!), "lane \(lane) 50 m split")
            #expect(firstFinish == frameOf(facts.finishMs!), "lane \(lane) finish")
            #expect(carried.last?.lanes[index].reaction?.display == facts.reactionText)
            #expect(carried.last?.lanes[index].splits.first?.time.display == facts.splitText)
            #expect(carried.last?.lanes[index].finish?.time.display == facts.finishText)
        }
        for (frame, overlay) in carried.enumerated() {
            let frameStartMs = frame * 20
            let expected: (String, Int64)
            if frameStartMs + 20 <= startMs {
                expected = ("notStarted", 0)
            } else if startMs + lastTouchMs < frameStartMs + 20 {
                expected = ("final", Int64(firstTouchMs / 10))
            } else if startMs + firstTouchMs < frameStartMs + 20 {
                expected = ("stopped", Int64(firstTouchMs / 10))
            } else {
                expected = ("running", Int64(max(0, frameStartMs - startMs) / 10))
            }
            #expect(overlay.clock.state.rawValue == expected.0 && overlay.clock.hundredths == expected.1, "frame \(frame)")
        }
    }
}

/// Clips made on the fly with FFmpeg's lavfi sources, for what the fixture does not cover.
struct GeneratedClipTests {
    static func makeClip(_ arguments: [String], name: String) async throws -> URL {
        let path = try Fixtures.scratchFolder(name).appendingPathComponent("\(name).ts")
        let made = try await Fixtures.run("ffmpeg", ["-nostdin", "-v", "error"] + arguments + [
            "-c:v", "libx264", "-threads", "1", "-preset", "ultrafast", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p",
            "-f", "mpegts", path.path,
        ])
        try #require(made.status == 0, "ffmpeg: \(made.err)")
        return path
    }

    static let emptyTimeline = RaceTimeline(
        results: UnitResults(unit: UnitCode("SWMM100MFR------------FNL-000100--")!, status: nil, startTime: nil, lanes: []),
        athletes: [:]
    )

    @Test func aPTSWrapMidClipKeepsFramesAndCaptureTimesCounting() async throws {
        // 2^33 ticks is 95443.717 s; starting 95441.5 s in (plus the muxer's 1.4 s delay), the 33-bit PTS wraps 0.8 s into the clip.
        let clip = try await Self.makeClip([
            "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=3", "-output_ts_offset", "95441.5",
        ], name: "wrap")
        let raw = try TransportStream(bytes: Array(Data(contentsOf: clip)))
        let videoPID = try #require(raw.pid(ofStreamType: 0x1B))
        // The first access unit is the IDR frame, first in presentation order too (closed GOP).
        let firstPTS = try #require(raw.packets[videoPID]?.first?.pts)
        let anchor = ClockAnchor(pts: MediaTime(ticks: firstPTS, timeBase: Rational(1, 90000)), utc: UTCInstant(millisecondsSinceEpoch: 1_767_225_600_000))
        let enriched = try EnrichedClip(clip: clip, anchor: anchor, frameRate: nil, timeline: Self.emptyTimeline)
        let carried = try enriched.carriedOverlays()
        #expect(carried.count == 75)
        let period: Int64 = 1 << 33
        #expect(carried.contains { $0.overlay.pts >= period }, "the clip must actually cross the wrap")
        for (index, item) in carried.enumerated() {
            #expect(item.overlay.seq == index)
            #expect(item.overlay.pts == firstPTS + Int64(index) * 3600)
            #expect(item.pes.pts == item.overlay.pts % period)
            let millis = index * 40
            #expect(item.overlay.captureUTC == String(format: "2026-01-01T00:00:%02d.%03d000Z", millis / 1000, millis % 1000))
        }
        let videoPTS = Set(enriched.videoPES.compactMap(\.pts))
        #expect(Set(carried.compactMap(\.pes.pts)) == videoPTS)
    }

    @Test func anNTSCRateGivesCaptureTimesOnTheExactFrameGrid() async throws {
        let clip = try await Self.makeClip(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=60000/1001:duration=2"], name: "ntsc")
        let raw = try TransportStream(bytes: Array(Data(contentsOf: clip)))
        let videoPID = try #require(raw.pid(ofStreamType: 0x1B))
        // The first access unit is the IDR frame, first in presentation order too (closed GOP).
        let firstPTS = try #require(raw.packets[videoPID]?.first?.pts)
        let anchor = ClockAnchor(pts: MediaTime(ticks: firstPTS, timeBase: Rational(1, 90000)), utc: UTCInstant(millisecondsSinceEpoch: 1_767_225_600_000))
        let enriched = try EnrichedClip(clip: clip, anchor: anchor, frameRate: nil, timeline: Self.emptyTimeline)
        #expect(enriched.report.frameRate == Rational(60000, 1001))
        let carried = try enriched.carriedOverlays()
        #expect(carried.count == 120)
        for (index, item) in carried.enumerated() {
            // 1001/60000 s is 1501.5 ticks: PTS alternate 1501/1502 steps, but capture times keep to
            // the frame grid, k · 1001/60000 s: a tick of rounding never reaches them.
            let ticks = item.overlay.pts - firstPTS
            #expect(item.pes.pts == item.overlay.pts)
            let micros = Int64(index) * 1001 * 1_000_000 / 60000
            #expect(item.overlay.captureUTC == String(format: "2026-01-01T00:00:%02lld.%06lldZ", micros / 1_000_000, micros % 1_000_000))
            #expect(abs(ticks * 60000 - Int64(index) * 1001 * 90000) < 60000, "frame \(index) sits within a tick of its nominal time")
        }
    }
}

/// Inputs in other containers: MP4 (length-prefixed H.264, which the MPEG-TS muxer turns into
/// Annex B) and Matroska (no decode timestamps at all, which Podium synthesises).
struct OtherContainerTests {
    @Test(arguments: ["mp4", "mkv", "flv"])
    func everyFrameIsTaggedOnceAtItsPTSAndTheOutputDecodes(container: String) async throws {
        let folder = try Fixtures.scratchFolder("container-\(container)")
        let input = folder.appendingPathComponent("clip.\(container)")
        let made = try await Fixtures.run("ffmpeg", ["-nostdin", "-v", "error", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path, "-map", "0", "-c", "copy", input.path])
        try #require(made.status == 0, "ffmpeg: \(made.err)")
        let anchor = ClockAnchor(pts: MediaTime(ticks: 0, timeBase: Rational(1, 1000)), utc: UTCInstant(millisecondsSinceEpoch: 1_785_526_930_000))
        let enriched = try EnrichedClip(clip: input, anchor: anchor, frameRate: nil, timeline: GeneratedClipTests.emptyTimeline, readInput: false)
        #expect(enriched.report.frames == 600)
        let video = enriched.videoPES
        #expect(video.count == 600)
        let carried = try enriched.carriedOverlays()
        #expect(carried.map(\.pes.pts) == video.compactMap(\.pts).sorted())
        #expect(carried.map(\.overlay.seq) == Array(0..<600))
        // Decode timestamps: present, increasing, never after their presentation.
        let decode = video.compactMap(\.dts)
        #expect(decode.count == 600)
        #expect(zip(decode, decode.dropFirst()).allSatisfy { $0 < $1 })
        #expect(video.allSatisfy { ($0.dts ?? 0) <= ($0.pts ?? 0) })
        // Listing the frames (as `podium render` does) gives the same presentation order.
        let listed = try FrameReader(inputURL: input.path).presentationTimestamps().pts
        #expect(listed.count == 600)
        #expect(zip(listed, listed.dropFirst()).allSatisfy { $0 < $1 })
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-show_packets", enriched.outputPath])
        #expect(probe.status == 0 && probe.err.isEmpty, "ffprobe: \(probe.err)")
        // Capture times advance exactly one frame (20 ms) per frame, whatever the container's time base.
        func micros(_ utc: String) -> Int64 {
            let clock = utc.split(separator: "T")[1].dropLast().split(separator: ":")
            let seconds = clock[2].split(separator: ".")
            return (Int64(clock[0])! * 3600 + Int64(clock[1])! * 60 + Int64(seconds[0])!) * 1_000_000 + Int64(seconds[1])!
        }
        let first = micros(try #require(carried.first).overlay.captureUTC)
        #expect(carried.enumerated().allSatisfy { micros($0.element.overlay.captureUTC) - first == Int64($0.offset) * 20_000 })
    }
}

struct DecodeTimestampSynthesizerTests {
    @Test func decodeTimestampsGrowByAFrameAndNeverPassTheirPresentation() async {
        var synthesizer = DecodeTimestampSynthesizer(duration: 20, depth: 2)
        // I P B B P B B as x264 writes with two B-frames, PTS in ms.
        let presentation: [Int64] = [40, 100, 60, 80, 160, 120, 140]
        let decode = presentation.map { synthesizer.decodeTimestamp(forPresentation: $0) }
        #expect(decode == [0, 20, 40, 60, 80, 100, 120])
        #expect(zip(decode, presentation).allSatisfy { $0 <= $1 })
    }

    @Test func aLatePresentationPullsTheSequenceDown() async {
        var synthesizer = DecodeTimestampSynthesizer(duration: 20, depth: 0)
        let decode = [Int64(0), 20, 30, 50].map { synthesizer.decodeTimestamp(forPresentation: $0) }
        #expect(decode == [0, 20, 30, 50])
    }
}
