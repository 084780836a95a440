import Foundation
import TestSupport
import Testing

/// Cue modes end to end: the swimming fixture enriched with its template by the `podium` binary,
/// its timed-ID3 tags read back by the tests' own MPEG-TS and ID3 readers, the keyframes named by
/// ffprobe. Every-frame output is the reference: an on-change output must hold a tag exactly on
/// the frames where a reader of the previous frame's payload (its clock run on by the documented
/// rule) would show something else, and on every keyframe; and from the last tag at or before
/// any frame, that rule gives the frame's every-frame payload exactly.
struct CueModeTests {
    /// One carried tag: its PES PTS and its payload (compact or full), parsed by Foundation alone.
    struct Cue {
        let pts: Int64
        let payload: [String: Any]
        var frame: Int { payload["f"] as? Int ?? payload["frame"] as? Int ?? -1 }
    }

    static func enrich(into folder: URL, outputs: [String], cues: String?, extra: [String] = ["--template", "swimming"]) async throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try await Fixtures.run(PodiumBinary.path, [
            "enrich", Fixtures.swim.appendingPathComponent("clip.ts").path,
            "--results", Fixtures.swim.appendingPathComponent("results").path,
            "--clock", Fixtures.swim.appendingPathComponent("clock.json").path,
            "--camera", Fixtures.swim.appendingPathComponent("camera.jsonl").path,
            "--database", folder.appendingPathComponent("podium.sqlite").path,
        ] + extra + outputs.flatMap { ["--out", folder.appendingPathComponent($0).path] } + (cues.map { ["--cues", $0] } ?? []))
        try #require(run.status == 0, "stderr: \(run.err)")
        return run.out
    }

    /// The tags of a TS file, or of an HLS playlist's segments in playlist order.
    static func cues(in file: URL) throws -> [Cue] {
        let stream = file.pathExtension == "m3u8" ? try TransportStream(playlist: file) : try TransportStream(bytes: Array(try Data(contentsOf: file)))
        let pid = try #require(stream.pid(ofStreamType: 0x15), "no timed-ID3 stream in \(file.lastPathComponent)")
        return try (stream.packets[pid] ?? []).map { pes in
            let texts = try ParsedID3Tag(bytes: pes.payload).userTexts()
            let text = try #require(texts.first { $0.description == "com.podium.elements" || $0.description == "com.podium.overlay" }, "a tag without Podium's payload")
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(text.value.utf8)) as? [String: Any])
            return Cue(pts: try #require(pes.pts), payload: payload)
        }
    }

    /// The PTS (mod 2^33) of the input's keyframes, by ffprobe.
    static func keyframePTS() async throws -> Set<Int64> {
        let run = try await Fixtures.run("ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,flags", "-of", "csv=p=0",
            Fixtures.swim.appendingPathComponent("clip.ts").path,
        ])
        try #require(run.status == 0, "\(run.err)")
        return Set(run.out.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 2, fields[1].hasPrefix("K"), let pts = Int64(fields[0]) else { return nil }
            return pts
        })
    }

    /// Microseconds since the epoch of an ISO 8601 instant with six fraction digits.
    static func microseconds(_ text: String) throws -> Int64 {
        let parts = text.dropLast().split(separator: ".")
        try #require(parts.count == 2 && text.hasSuffix("Z"), "not an instant: \(text)")
        let formatter = ISO8601DateFormatter()
        let whole = try #require(formatter.date(from: String(parts[0]) + "Z"), "not an instant: \(text)")
        return Int64(whole.timeIntervalSince1970) * 1_000_000 + (try #require(Int64(parts[1])))
    }

    /// A race time as the clock shows it: `0.00`, `8.31`, `1:47.92` (written here from the spec).
    static func display(_ hundredths: Int64) -> String {
        let fraction = String(format: "%02d", hundredths % 100), seconds = hundredths / 100 % 60, minutes = hundredths / 6000
        return minutes > 0 ? "\(minutes):\(String(format: "%02d", seconds)).\(fraction)" : "\(seconds).\(fraction)"
    }

    /// What a reader shows on the frame captured at `captureUTC` from `payload`: its elements,
    /// with the ones `c` names showing ⌊(u − start) × 100⌋ hundredths (at least 0), and `c`.
    static func shown(from payload: [String: Any], at captureUTC: String) throws -> Data {
        var elements = payload["e"] as? [[Any]] ?? []
        let clock = payload["c"] as? [String]
        if let clock {
            let elapsed = try microseconds(captureUTC) - microseconds(clock[0])
            let text = display(max(0, elapsed) / 10_000)
            for index in elements.indices where clock.dropFirst().contains(elements[index][0] as? String ?? "") { elements[index][1] = text }
        }
        return try JSONSerialization.data(withJSONObject: ["e": elements, "c": clock ?? []], options: .sortedKeys)
    }

    @Test func onChangeTagsAreTheVisibleChangesAndTheKeyframesAndGiveEveryFrameItsState() async throws {
        let folder = try Fixtures.scratchFolder()
        // With no --cues, the TS gets a tag on every frame and the HLS playlist on change.
        let standard = try await Self.enrich(into: folder.appendingPathComponent("standard"), outputs: ["every.ts", "hls/index.m3u8"], cues: nil)
        let every = try Self.cues(in: folder.appendingPathComponent("standard/every.ts"))
        let hls = try Self.cues(in: folder.appendingPathComponent("standard/hls/index.m3u8"))
        _ = try await Self.enrich(into: folder.appendingPathComponent("chosen"), outputs: ["change.ts"], cues: "on-change")
        let chosen = try Self.cues(in: folder.appendingPathComponent("chosen/change.ts"))
        let keyframes = try await Self.keyframePTS()

        try #require(every.count == 600)
        #expect(every.map(\.frame) == Array(0..<600))
        #expect(keyframes.count >= 2 && keyframes.isSubset(of: Set(every.map(\.pts))))
        let running = every.filter { $0.payload["c"] != nil }
        #expect(running.count > 300, "the clock runs for most of the clip: \(running.count) frames say when it started")

        // Where a reader of the previous frame's payload would show something else, or a keyframe.
        var expected: [Int] = []
        for (index, cue) in every.enumerated() {
            let now = try Self.shown(from: cue.payload, at: try #require(cue.payload["u"] as? String))
            let carriedOn = try index == 0 ? nil : Self.shown(from: every[index - 1].payload, at: try #require(cue.payload["u"] as? String))
            if now != carriedOn || keyframes.contains(cue.pts % (1 << 33)) { expected.append(index) }
        }
        #expect(expected.count < 200, "a cue on \(expected.count) of 600 frames is not on change")
        #expect(hls.map(\.frame) == expected)
        #expect(chosen.map(\.frame) == expected)
        #expect(standard.contains("\(600 - expected.count) cues left out (nothing new on their frame)"), "\(standard)")

        // Each on-change tag is its frame's every-frame tag, at its PTS; and it gives the frames after it.
        for cue in chosen {
            let reference = every[cue.frame]
            #expect(cue.pts == reference.pts)
            #expect(try JSONSerialization.data(withJSONObject: cue.payload, options: .sortedKeys)
                == JSONSerialization.data(withJSONObject: reference.payload, options: .sortedKeys))
        }
        var last = 0
        var unrecovered: [Int] = []
        for frame in 0..<600 {
            while last + 1 < chosen.count, chosen[last + 1].frame <= frame { last += 1 }
            let at = try #require(every[frame].payload["u"] as? String)
            if try Self.shown(from: chosen[last].payload, at: at) != Self.shown(from: every[frame].payload, at: at) { unrecovered.append(frame) }
        }
        #expect(unrecovered.isEmpty, "frames whose state the last cue does not give: \(unrecovered.prefix(10))")
    }

    @Test func everyFrameOnAPlaylistTagsEveryFrameAndAnUnknownModeIsRefused() async throws {
        let folder = try Fixtures.scratchFolder()
        let out = try await Self.enrich(into: folder.appendingPathComponent("every"), outputs: ["hls/index.m3u8"], cues: "every-frame")
        #expect(!out.contains("cues left out"))
        #expect(try Self.cues(in: folder.appendingPathComponent("every/hls/index.m3u8")).map(\.frame) == Array(0..<600))

        let refused = try await Fixtures.run(PodiumBinary.path, [
            "enrich", Fixtures.swim.appendingPathComponent("clip.ts").path, "--cues", "sometimes",
            "--results", Fixtures.swim.appendingPathComponent("results").path, "--clock", Fixtures.swim.appendingPathComponent("clock.json").path,
            "--out", folder.appendingPathComponent("refused.ts").path, "--database", folder.appendingPathComponent("refused.sqlite").path,
        ])
        #expect(refused.status != 0)
        #expect(refused.err.contains("--cues sometimes: not a cue mode; the modes are every-frame, on-change"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("refused.ts").path))
    }
}
