import Foundation
import TestSupport
import Testing

struct ProbeCommandTests {
    static let clip = Fixtures.swim.appendingPathComponent("clip.ts").path
    static let clock = Fixtures.swim.appendingPathComponent("clock.json").path

    @Test func summarisesStreamsClockAndEpochs() async throws {
        let run = try await Fixtures.run(PodiumBinary.path, ["probe", Self.clip, "--clock", Self.clock])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("stream 0 (id 256): video h264, time base 1/90000, 50 fps, 600 packets"))
        #expect(run.out.contains("stream 1 (id 257): audio aac"))
        #expect(run.out.contains("frames: 600 at 50 fps; clock: anchor (placed by anchor 600)"))
        #expect(run.out.contains("epochs: 1; corrupt packets: 0; breaks between access units: 0; gaps: 0 (0 frames missing); reconnects: 0"))
    }

    @Test func aClockRateThatDisagreesWithTheStreamIsWarnedAbout() async throws {
        let folder = try Fixtures.scratchFolder()
        let clip = folder.appendingPathComponent("5994.ts")
        try await Clips.transportStream(at: clip, seconds: 1, rate: "60000/1001")
        // The fixture's clock file says 50 fps; the stream is 59.94.
        let run = try await Fixtures.run(PodiumBinary.path, ["probe", clip.path, "--clock", Self.clock])
        #expect(run.out.contains("WARNING: the clock was given 50 fps but the video stream states 60000/1001 fps"), "\(run.out)")
        let agreeing = try await Fixtures.run(PodiumBinary.path, ["probe", Self.clip, "--clock", Self.clock])
        #expect(!agreeing.out.contains("WARNING"))
    }

    @Test func framesAreOneJSONLinePerFrameWithEveryField() async throws {
        let run = try await Fixtures.run(PodiumBinary.path, ["probe", Self.clip, "--clock", Self.clock, "--frames"])
        #expect(run.status == 0, "\(run.err)")
        let lines = run.out.split(separator: "\n")
        #expect(lines.count == 600)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(first.keys) == ["index", "pts", "dts", "duration", "keyframe", "epoch", "captureUTC", "clockSource", "timeBase"])
        #expect(first["captureUTC"] as? String == "2026-07-31T19:42:10.000000Z")
        #expect(first["keyframe"] as? Bool == true && first["clockSource"] as? String == "anchor")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[599].utf8)) as? [String: Any])
        #expect(last["index"] as? Int == 599 && last["captureUTC"] as? String == "2026-07-31T19:42:21.980000Z")
        // The summary goes to standard error when the frames take standard output.
        #expect(run.err.contains("frames: 600"))
    }

    @Test func readsStandardInput() async throws {
        let run = try await Fixtures.run("/bin/sh", ["-c", "cat '\(Self.clip)' | '\(PodiumBinary.path)' probe - --clock '\(Self.clock)'"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("-: mpegts, stdin input"))
        #expect(run.out.contains("frames: 600"))
    }

    @Test func refusalsAndBadOptionsAreOneLine() async throws {
        for (arguments, fragment) in [
            (["probe", "concat:a.ts|b.ts"], "the concat protocol is never opened"),
            (["probe", "udp://192.0.2.7:5000"], "host 192.0.2.7 is not in the allowed hosts"),
            (["probe", Self.clip, "--clock-source", "sundial"], "--clock-source sundial is not one of"),
            (["probe", Self.clip, "--clock-source", "arrival"], "arrival times mean nothing for a recorded file input"),
            (["probe", Self.clip, "--clock-source", "tmcd", "--timecode-date", "2026-07-31"], "has no tmcd start timecode"),
        ] {
            let run = try await Fixtures.run(PodiumBinary.path, arguments)
            #expect(run.status != 0)
            #expect(run.err.split(separator: "\n").count == 1 && run.err.contains(fragment), "\(arguments): \(run.err)")
        }
    }
}
