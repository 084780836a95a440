import Foundation
import Overlay
import TestSupport
import Testing

/// What an on-change output compares: frames that differ only in what identifies them and in a
/// running clock's reading look the same; anything a reader draws differently does not.
struct CueSignatureTests {
    let race = RaceFixture()

    /// Frame 300 of the swimming render (clock running at 4.50, split boards up), with `edit`
    /// applied to its JSON.
    static func swimmingFrame(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> FrameOverlay {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(try Fixtures.swimGolden("frames.swimming")[300].utf8)) as? [String: Any])
        edit(&json)
        return try JSONDecoder().decode(FrameOverlay.self, from: try JSONSerialization.data(withJSONObject: json))
    }

    /// The next frame as the render would give it if nothing but the clock moved.
    static func oneFrameLater(_ json: inout [String: Any]) {
        json["frame"] = 301
        json["seq"] = 301
        json["pts"] = 671_400
        json["captureUTC"] = "2026-07-31T19:42:16.020000Z"
        json["timecode"] = "19:42:16:01"
        json["clock"] = ["display": "4.52", "hundredths": 452, "startUTC": "2026-07-31T19:42:11.500000Z", "state": "running"]
        var elements = json["elements"] as! [[String: Any]]
        elements[0]["text"] = "4.52"
        json["elements"] = elements
    }

    @Test func aRunningClockAndTheFrameKeysAreNotAChangeInTheCompactForm() throws {
        let frame = try Self.swimmingFrame(), later = try Self.swimmingFrame(Self.oneFrameLater)
        #expect(CueSignature.of(frame, compact: true) == CueSignature.of(later, compact: true))
        #expect(CueSignature.of(frame, compact: false) == CueSignature.of(later, compact: false))
        // The full form carries the world-record line, which moves on every frame of the race;
        // this template hides its element, so the compact form does not change with it.
        let moved = try Self.swimmingFrame { json in
            Self.oneFrameLater(&json)
            var line = json["worldRecordLine"] as! [String: Any]
            line["positionMillimetres"] = 44_474
            json["worldRecordLine"] = line
        }
        #expect(CueSignature.of(frame, compact: false) != CueSignature.of(moved, compact: false))
        #expect(CueSignature.of(frame, compact: true) == CueSignature.of(moved, compact: true))
        let compact = try #require(try JSONSerialization.jsonObject(with: CompactPayload.json(for: frame)) as? [String: Any])
        #expect(compact["c"] as? [String] == ["2026-07-31T19:42:11.500000Z", "clock"])
    }

    @Test(arguments: ["a split board's text", "a hidden lane tag shown", "a stopped clock", "a clock that shows tenths"])
    func whatAReaderDrawsDifferentlyIsAChange(edit: String) throws {
        let later = try Self.swimmingFrame { json in
            Self.oneFrameLater(&json)
            var elements = json["elements"] as! [[String: Any]]
            switch edit {
            case "a split board's text": elements[9]["text"] = "7 ARAUJO 4.21 +0.24"
            case "a hidden lane tag shown": elements[1]["visible"] = true
            case "a stopped clock": json["clock"] = ["display": "4.52", "hundredths": 452, "state": "stopped"]
            default: elements[0]["text"] = "4.5"
            }
            json["elements"] = elements
        }
        #expect(CueSignature.of(try Self.swimmingFrame(), compact: true) != CueSignature.of(later, compact: true))
    }

    @Test func theFullFormChangesWithTheStateAndNotWithTheRunningClock() {
        let timeline = RaceFixture.timeline([RaceFixture.lane(4, reaction: 590)])
        let signature = { (frame: Int) in CueSignature.of(timeline.overlay(for: race.frame(frame)), compact: false) }
        #expect(signature(76) == signature(77) && signature(77) == signature(103))
        #expect(signature(74) != signature(75), "the start")
        #expect(signature(103) != signature(104), "lane 4's reaction")
    }
}
