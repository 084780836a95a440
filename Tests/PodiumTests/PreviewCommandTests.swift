import Foundation
import TestSupport
import Testing

/// `podium preview`: PNG files and contact sheets of a fixture's frames with their overlay.
struct PreviewCommandTests {
    static func size(_ path: String) async throws -> [Int] {
        let probe = try await Fixtures.run("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
        return probe.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
    }

    @Test func writesChosenFramesAndAContactSheet() async throws {
        let folder = try Fixtures.scratchFolder()
        let fixture = Fixtures.swim.path
        let frames = try await Fixtures.run(PodiumBinary.path, ["preview", fixture, "--template", "swimming", "--frame", "312", "--utc", "2026-07-31T19:42:20.000Z", "--out", folder.path])
        #expect(frames.status == 0, "\(frames.err)")
        // 19:42:20.000 is 10 s after the anchor frame at 19:42:10 (PTS 1.44 s): frame 500.
        #expect(frames.out.split(separator: "\n").map { URL(fileURLWithPath: String($0)).lastPathComponent } == ["frame-000312.png", "frame-000500.png"])
        await #expect(try Self.size(folder.appendingPathComponent("frame-000312.png").path) == [640, 360])
        // The CLI draws what the API serves: the same reference picture.
        let drawn = try Pixels(png: try Data(contentsOf: folder.appendingPathComponent("frame-000312.png")))
        let reference = try Pixels(png: try Data(contentsOf: Fixtures.swim.appendingPathComponent("expected/preview-312.swimming.png")))
        #expect(drawn.meanDifference(from: reference) < 2)

        // One frame a second over the 12 s clip, 4 tiles of 320 a row with 4 px between them.
        let sheet = try await Fixtures.run(PodiumBinary.path, ["preview", fixture, "--template", "swimming", "--every", "1s", "--sheet", "--width", "320", "--out", folder.path])
        #expect(sheet.status == 0, "\(sheet.err)")
        await #expect(try Self.size(folder.appendingPathComponent("sheet.png").path) == [4 * 320 + 5 * 4, 3 * 180 + 4 * 4])
    }

    @Test(arguments: [
        (["--frame", "9999"], "there is no frame 9999"),
        ([String](), "choose frames"),
        (["--utc", "yesterday"], "not an ISO 8601"),
        (["--frame", "1", "--width", "4"], "16 to 3840"),
    ])
    func refusalsAreOneLineNamingWhatWasWrong(arguments: [String], message: String) async throws {
        let folder = try Fixtures.scratchFolder()
        let run = try await Fixtures.run(PodiumBinary.path, ["preview", Fixtures.swim.path, "--out", folder.path] + arguments)
        #expect(run.status == 1)
        #expect(run.err.hasPrefix("podium preview: error: ") && run.err.contains(message), "\(run.err)")
        #expect(run.err.split(separator: "\n").count == 1)
    }

    @Test func aLiveJobHasNoPicturesToPreview() async throws {
        let folder = try Fixtures.scratchFolder()
        let database = folder.appendingPathComponent("podium.sqlite").path
        let run = try await Fixtures.run(PodiumBinary.path, ["preview", "1", "--frame", "0", "--database", database, "--out", folder.path])
        #expect(run.status == 1 && run.err.contains("has no job 1"), "\(run.err)")
    }
}
