import Foundation
import Overlay
import TestSupport
import Testing

/// The published schemas (docs/*.schema.json) accept what Podium produces, checked by an
/// independent validator (python3-jsonschema), and the compact payload stays within its budget.
struct SchemaTests {
    static let validate = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = [(i, e.message) for i, line in enumerate(open(sys.argv[2])) for e in list(validator.iter_errors(json.loads(line)))[:1]]
    print(json.dumps(bad[:5]))
    """

    static func invalidLines(schema: String, lines: URL) async throws -> String {
        let run = try await Fixtures.run("/usr/bin/python3", ["-c", validate, Fixtures.root.appendingPathComponent("docs/\(schema)").path, lines.path])
        try #require(run.status == 0, "python3-jsonschema: \(run.err)")
        return run.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: ["frames", "frames.swimming"])
    func theGoldenFramesFollowTheFrameOverlaySchema(name: String) async throws {
        let lines = try Fixtures.scratchFolder().appendingPathComponent("\(name).jsonl")
        try Data((try Fixtures.swimGolden(name).joined(separator: "\n") + "\n").utf8).write(to: lines)
        await #expect(try Self.invalidLines(schema: "frame-overlay.schema.json", lines: lines) == "[]")
    }

    @Test func theCompactPayloadFollowsItsSchemaAndStaysWithinBudget() async throws {
        let frames = try Fixtures.swimGolden("frames.swimming").map { try JSONDecoder().decode(FrameOverlay.self, from: Data($0.utf8)) }
        let payloads = frames.map(CompactPayload.json(for:))
        let file = try Fixtures.scratchFolder().appendingPathComponent("compact.jsonl")
        try Data(payloads.map { $0 + Data("\n".utf8) }.joined()).write(to: file)
        await #expect(try Self.invalidLines(schema: "compact-payload.schema.json", lines: file) == "[]")
        let sizes = payloads.map(\.count).sorted()
        #expect(sizes.last! <= CompactPayload.budget, "largest compact payload: \(sizes.last!) bytes")
        #expect(sizes[sizes.count / 2] < 500, "median \(sizes[sizes.count / 2])")
    }

    /// A laid-out lane tag carries its label box and then its point, so a reader of the in-band
    /// payload alone draws the leader line the previews draw.
    @Test func aLaidOutLaneTagCarriesItsBoxAndItsPointInTheCompactPayload() throws {
        let overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(try Fixtures.swimGolden("frames.swimming")[490].utf8))
        let tag = try #require(overlay.elements.first { $0.id == "laneTag.4" })
        let rect = try #require(tag.rect), point = try #require(tag.screen?.first)
        let compact = try #require(try JSONSerialization.jsonObject(with: CompactPayload.json(for: overlay)) as? [String: Any])
        let carried = try #require((compact["e"] as? [[Any]])?.first { $0.first as? String == "laneTag.4" })
        let geometry = try #require(carried[3] as? [Double])
        #expect(geometry.count == 6)
        for (got, want) in zip(geometry, rect + point) { #expect(abs(got - want) <= 0.0005, "\(geometry) for \(rect) + \(point)") }
        // A board has its rectangle only.
        let clock = try #require((compact["e"] as? [[Any]])?.first { $0.first as? String == "clock" })
        #expect((clock[3] as? [Double])?.count == 4)
    }

    @Test func compactNumbersAndStringsAreExactJSON() async throws {
        let element = FrameOverlay.Element(id: "results", kind: "resultBoard", text: "1 WRÓBEL \"POL\"\n2\tX\u{1}", rect: [0.25, 0.2, 0.5, 0.6],
                                           world: nil, screen: nil, visible: true, opacity: 0.3333)
        var overlay = try JSONDecoder().decode(FrameOverlay.self, from: Data(try Fixtures.swimGolden()[0].utf8))
        overlay.elements = [element]
        let json = CompactPayload.json(for: overlay)
        let decoded = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let elements = try #require(decoded["e"] as? [[Any]])
        #expect(elements.first?[1] as? String == "1 WRÓBEL \"POL\"\n2\tX\u{1}")
        #expect(elements.first?[2] as? Double == 0.333)
        #expect(elements.first?[3] as? [Double] == [0.25, 0.2, 0.5, 0.6])
        #expect(decoded["s"] as? Int == 0 && decoded["p"] as? Int == 129_600)
    }
}
