import Foundation
import Overlay
import TestSupport
import Testing

/// Podium writes `FrameOverlay` JSON by hand; these hold it to `JSONEncoder` byte for byte.
struct CanonicalJSONTests {
    static func encoderJSON(_ overlay: FrameOverlay) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(overlay))
    }

    @Test(arguments: [
        "swim-100-free/expected/frames.jsonl.zip", "swim-100-free/expected/frames.swimming.jsonl.zip",
        "athletics-100m/expected/frames.jsonl.zip", "athletics-100m/expected/frames.athletics-100m.jsonl.zip",
    ])
    func everyGoldenFrameIsWrittenAsJSONEncoderWritesIt(golden: String) throws {
        let lines = try Fixtures.goldenLines(Fixtures.root.appendingPathComponent("fixtures").appendingPathComponent(golden))
        #expect(lines.count == 600)
        for line in lines {
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(line.utf8))
            let written = overlay.canonicalJSONBytes()
            #expect(written == Array(line.utf8))
            #expect(written == (try Self.encoderJSON(overlay)))
        }
    }

    /// A job's writer reuses the previous frame's lanes and elements: the bytes stay exactly those
    /// of `canonicalJSONBytes()`, in order, backwards and shuffled (lanes and elements changing
    /// every frame), and the lanes' range holds the lanes' own JSON.
    @Test(arguments: ["swim-100-free/expected/frames.swimming.jsonl.zip", "athletics-100m/expected/frames.athletics-100m.jsonl.zip"])
    func aJobsWriterReusesBytesAndWritesTheSameJSON(golden: String) throws {
        let lines = try Fixtures.goldenLines(Fixtures.root.appendingPathComponent("fixtures").appendingPathComponent(golden))
        let overlays = try lines.map { try JSONDecoder().decode(FrameOverlay.self, from: Data($0.utf8)) }
        var generator = SystemRandomNumberGenerator()
        for order in [Array(overlays.indices), Array(overlays.indices.reversed()), overlays.indices.shuffled(using: &generator)] {
            var writer = FrameJSONWriter()
            for index in order {
                let json = writer.json(for: overlays[index])
                #expect(json.bytes == Array(lines[index].utf8), "frame \(index)")
                let lanes = try JSONDecoder().decode([FrameOverlay.Lane].self, from: Data(json.bytes[json.lanes]))
                #expect(lanes == overlays[index].lanes)
                #expect(json.bytes[json.lanes].first == UInt8(ascii: "[") && json.bytes[json.lanes].last == UInt8(ascii: "]"))
            }
        }
    }

    /// A correction of the data version alone is stored as the version: put into the aired
    /// JSON, it gives exactly the corrected frame's JSON, whatever the version's text.
    @Test(arguments: ["swim-100-free/expected/frames.swimming.jsonl.zip", "athletics-100m/expected/frames.athletics-100m.jsonl.zip"])
    func replacingTheDataVersionGivesTheCorrectedFramesJSON(golden: String) throws {
        let lines = try Fixtures.goldenLines(Fixtures.root.appendingPathComponent("fixtures").appendingPathComponent(golden))
        var withVersion = 0
        for line in lines {
            let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(line.utf8))
            for version in Self.awkwardTexts {
                let replaced = FrameJSON.replacingDataVersion(in: Array(line.utf8), with: version)
                if overlay.dataVersion == nil {
                    #expect(replaced == nil)
                } else {
                    #expect(replaced == overlay.withDataVersion(version).canonicalJSONBytes(), "\(version.debugDescription)")
                }
            }
            if overlay.dataVersion != nil { withVersion += 1 }
        }
        #expect(withVersion > 0)
    }

    /// Only the frame's own member is replaced: not a text that looks like it, not an element's
    /// value of the same name; a frame without a version has nothing to replace.
    @Test func onlyTheFramesOwnDataVersionIsReplaced() throws {
        let lookalike = #"x","dataVersion":"y"#
        let element = FrameOverlay.Element(
            id: "e", kind: "text", text: lookalike, values: ["dataVersion": "element's"], rect: [0, 0, 1, 1], world: nil, screen: nil,
            visible: true, opacity: 1
        )
        for version: String? in [nil, "DT_RESULT v1", lookalike] {
            let overlay = FrameOverlay(
                seq: 1, frame: 1, pts: 0, timeBase: "1/90000", captureUTC: lookalike, dataVersion: version, camera: nil, unit: lookalike,
                clock: FrameOverlay.Clock(state: .running, hundredths: 5), lanes: [], order: [], leader: nil, records: [],
                worldRecordLine: nil, elements: [element]
            )
            let replaced = FrameJSON.replacingDataVersion(in: overlay.canonicalJSONBytes(), with: "DT_RESULT v2 \"final\"")
            if version == nil {
                #expect(replaced == nil)
            } else {
                #expect(replaced == overlay.withDataVersion("DT_RESULT v2 \"final\"").canonicalJSONBytes())
            }
        }
    }

    static let awkwardTexts = [
        "plain", "quote \" and backslash \\", "slash / stays", "tab\tnew\nline\rform\u{0C}back\u{08}", "\u{01}\u{1F}\u{7F}",
        "ÉKSTRÖM 中文 🏊", "",
    ]

    static let awkwardNumbers: [Double] = [
        0, -0.0, 1, -20, 0.1, 1.0 / 3, 1e-05, 123.456, 132.906982421875, 1e15, 1e16, 123456789012345, 2.5e-300, -7.25,
    ]

    @Test func awkwardTextsAndNumbersAreWrittenAsJSONEncoderWritesThem() throws {
        for (index, text) in Self.awkwardTexts.enumerated() {
            let number = Self.awkwardNumbers[index % Self.awkwardNumbers.count]
            let element = FrameOverlay.Element(
                id: text, kind: "text", text: text, values: [text: text, "b": "2", "a": "1"], rect: Self.awkwardNumbers,
                world: FrameOverlay.WorldAnchor(anchor: text, points: [Self.awkwardNumbers]), screen: [[number, -number]], visible: index % 2 == 0,
                opacity: number
            )
            let overlay = FrameOverlay(
                seq: index, frame: -index, pts: Int64.max - Int64(index), timeBase: "1/90000", captureUTC: text, timecode: index % 2 == 0 ? text : nil,
                dataVersion: index % 3 == 0 ? nil : text,
                camera: CameraPose(camera: 1, pan: number, tilt: -number, roll: 0.5, x: 1e-05, y: 25, z: -0.0, zoom: 16384, focus: -1),
                unit: text, clock: FrameOverlay.Clock(state: .running, hundredths: Int64(index) * 101), lanes: [], order: [3, 1, -2],
                leader: index % 2 == 0 ? nil : 4, records: [], worldRecordLine: nil, elements: [element, element]
            )
            #expect(overlay.canonicalJSONBytes() == (try Self.encoderJSON(overlay)), "text \(text.debugDescription), number \(number)")
        }
        for number in Self.awkwardNumbers {
            let element = FrameOverlay.Element(id: "n", kind: "line", text: "", rect: [number], world: nil, screen: nil, visible: true, opacity: number)
            let overlay = FrameOverlay(
                seq: 0, frame: 0, pts: 0, timeBase: "1/1", captureUTC: "", dataVersion: nil, camera: nil, unit: nil,
                clock: FrameOverlay.Clock(state: .notStarted, hundredths: 0), lanes: [], order: [], leader: nil, records: [],
                worldRecordLine: nil, elements: [element]
            )
            #expect(overlay.canonicalJSONBytes() == (try Self.encoderJSON(overlay)), "number \(number)")
        }
    }
}
