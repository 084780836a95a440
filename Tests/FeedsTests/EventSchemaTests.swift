import Foundation
import Overlay
import TestSupport
import Testing

/// The published JSON Schema (docs/podium-events.schema.json) and the parser agree: checked with
/// an independent validator (python3-jsonschema) on the fixture and on a table of near misses.
struct EventSchemaTests {
    static let unit = "SWMM100MFR------------FNL-000100--"

    static func document(_ events: String, unit: String = unit, extra: String = "") -> String {
        #"{"format":"podium-events","version":1,"unit":"\#(unit)"\#(extra),"events":[\#(events)]}"#
    }

    static let cases: [String] = [
        document(#"{"id":"a","type":"start","utc":"2026-07-31T19:42:11.500Z"}"#),
        document(#"{"id":"a","type":"reaction","lane":4,"time":"0.59","utc":"2026-07-31T19:42:12.090+02:00"}"#),
        document(#"{"id":"a","type":"split","lane":4,"distance":50,"utc":"2026-07-31T19:42:15.480Z"}"#),
        document(#"{"id":"a","type":"finish","lane":4,"time":"1:47.92","utc":"2026-07-31T19:42:19.810Z"}"#, extra: #","feed":"T""#),
        document(#"{"id":"a","type":"status","lane":7,"status":"OK","utc":"2026-07-31T19:42:30Z"}"#),
        document(#"{"id":"a","type":"photoFinish","lane":2,"pending":false,"utc":"2026-07-31T19:42:30Z"}"#),
        // Near misses, each refused by both.
        document(#"{"id":"a","type":"start","lane":1,"utc":"2026-07-31T19:42:11Z"}"#),
        document(#"{"id":"a","type":"split","lane":4,"utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"split","lane":4,"distance":0,"utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"finish","lane":"4","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"finish","lane":4.5,"utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"finish","lane":4,"time":"fast","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"finish","lane":4,"utc":"2026-07-31 19:42:15"}"#),
        document(#"{"id":"a","type":"status","lane":4,"status":"WDR","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"photoFinish","lane":4,"pending":"yes","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"","type":"start","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"jump","utc":"2026-07-31T19:42:15Z"}"#),
        document(#"{"id":"a","type":"start","utc":"2026-07-31T19:42:15Z","note":"x"}"#),
        document(""),
        document(#"{"id":"a","type":"start","utc":"2026-07-31T19:42:15Z"}"#, unit: "SWMM100MFR"),
        document(#"{"id":"a","type":"start","utc":"2026-07-31T19:42:15Z"}"#, extra: #","feed":"X""#),
        document(#"{"id":"a","type":"start","utc":"2026-07-31T19:42:15Z"}"#, extra: #","source":"x""#),
        #"{"format":"podium-events","version":2,"unit":"\#(unit)","events":[{"id":"a","type":"start","utc":"2026-07-31T19:42:15Z"}]}"#,
    ]

    @Test func theFixtureAndEveryCaseGetTheSameAnswerFromSchemaAndParser() async throws {
        let schema = Fixtures.root.appendingPathComponent("docs/podium-events.schema.json").path
        let fixture = try String(contentsOf: Fixtures.root.appendingPathComponent("fixtures/feeds/events/swim-100-free-events.json"), encoding: .utf8)
        let documents = [fixture] + Self.cases
        let input = try Fixtures.scratchFolder().appendingPathComponent("cases.json")
        try JSONSerialization.data(withJSONObject: documents).write(to: input)
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        print(json.dumps([validator.is_valid(json.loads(text)) for text in json.load(open(sys.argv[2]))]))
        """
        let run = try await Fixtures.run("/usr/bin/python3", ["-c", script, schema, input.path])
        try #require(run.status == 0, "python3-jsonschema: \(run.err)")
        let verdicts = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [Bool])
        #expect(verdicts.count == documents.count)
        #expect(verdicts.first == true, "the fixture is valid")
        for (document, schemaSaysValid) in zip(documents, verdicts) {
            let parserAccepts = (try? TimingEventBatch.parse(Data(document.utf8))) != nil
            #expect(parserAccepts == schemaSaysValid, "schema \(schemaSaysValid), parser \(parserAccepts): \(document)")
        }
    }
}
