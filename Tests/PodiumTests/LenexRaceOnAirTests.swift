import Foundation
import Overlay
import Store
import TestSupport
import Testing

/// A real Lenex-timed race aired end to end: the 2009 Swiss Masters men's 100 m breaststroke,
/// heat 3 (fixtures/real), on a clip made here, through `podium enrich` with the swimming
/// template. The start comes from a Podium `start` event, as a start console sends it; every
/// split and touch must appear first on the frame whose capture interval holds start + its time.
struct LenexRaceOnAirTests {
    static let unit = "SWMM100MBR----LX2B8579TIM-0026003-"
    /// The clip's first frame is captured at this instant; 25 frames a second.
    static let anchorUTC = "2009-09-27T12:00:00.000Z"
    /// The start: 2 s into the clip, the start of frame 50.
    static let startUTC = "2009-09-27T12:00:02.000Z"

    @Test func aLenexHeatAirsWithEverySplitAndTouchOnItsFrame() async throws {
        let folder = try Fixtures.scratchFolder("lenex-on-air")
        let clip = folder.appendingPathComponent("clip.ts")
        let made = try await Fixtures.run("ffmpeg", [
            "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-t", "96",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-f", "mpegts", clip.path,
        ])
        try #require(made.status == 0, "\(made.err)")
        let probe = try await Fixtures.run("ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-read_intervals", "%+#1", "-of", "csv=p=0", clip.path,
        ])
        let firstPTS = try #require(Int(probe.out.split(separator: "\n").first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: " ,")) } ?? ""))
        let clock = folder.appendingPathComponent("clock.json")
        try Data(#"{"anchor": {"pts": \#(firstPTS), "timeBase": "1/90000", "utc": "\#(Self.anchorUTC)"}, "frameRate": "25/1"}"#.utf8).write(to: clock)

        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Fixtures.root.appendingPathComponent("fixtures/real/lenex/swiss-masters-2009-results.lxf"), to: results.appendingPathComponent("1-results.lxf")
        )
        try Data(#"{"format": "podium-events", "version": 1, "unit": "\#(Self.unit)", "events": [{"id": "start", "type": "start", "utc": "\#(Self.startUTC)"}]}"#.utf8)
            .write(to: results.appendingPathComponent("2-start.json"))

        let run = try await Fixtures.run(PodiumBinary.path, [
            "enrich", clip.path, "--results", results.path, "--clock", clock.path, "--unit", Self.unit, "--template", "swimming",
            "--out", folder.appendingPathComponent("out.ts").path, "--database", folder.appendingPathComponent("podium.sqlite").path,
        ])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("2400 frames, 2400 tagged"), "\(run.out)")

        let store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        let job = try #require(try await store.jobs().first)
        let frames = try await store.frames(jobID: job.id, from: 0, to: 2399, limit: 2400, asOf: .latest)
        #expect(frames.count == 2400)
        func overlay(_ index: Int) throws -> FrameOverlay {
            try JSONDecoder().decode(FrameOverlay.self, from: frames[index].overlayJSON)
        }
        func lane(_ number: Int, on index: Int) throws -> FrameOverlay.Lane {
            try #require(try overlay(index).lanes.first { $0.lane == number })
        }
        let first = try overlay(0)
        #expect(first.unit == Self.unit)
        #expect(first.lanes.map(\.lane) == [1, 2, 3, 4, 5, 6])
        #expect(first.lanes.map { $0.athlete?.familyName } == ["Schweitzer", "Gutierrez", "Strickler", "Sato", "Vrana", "Rozalski"])
        #expect(first.clock.state == .notStarted)
        #expect(try overlay(50).clock.state == .running, "the start is the first instant of frame 50")

        // Lane 4 (Sato): 50 m in 36.44 at 38.44 s into the clip, frame 961 (38.44–38.48 s);
        // the touch 1:16.21 at 78.21 s, frame 1955 (78.20–78.24 s), the winning time.
        #expect(try lane(4, on: 960).splits.isEmpty)
        #expect(try lane(4, on: 961).splits.first?.time.display == "36.44")
        #expect(try lane(4, on: 961).splits.first?.distance == 50)
        #expect(try lane(4, on: 1954).finish == nil)
        let touch = try #require(try lane(4, on: 1955).finish)
        #expect(touch.time.display == "1:16.21" && touch.rank == 1)
        #expect(try overlay(1955).clock.display == "1:16.21")
        // Lane 6 (Rozalski), the last to touch: 1:32.70 at 94.70 s, frame 2367 (94.68–94.72 s).
        #expect(try lane(6, on: 2366).finish == nil)
        #expect(try lane(6, on: 2367).finish?.time.display == "1:32.70")
        #expect(try lane(6, on: 2367).finish?.rank == 6)
        // The template draws on the same frames.
        #expect(try overlay(1955).elements.contains { $0.text.contains("1:16.21") })
    }
}
