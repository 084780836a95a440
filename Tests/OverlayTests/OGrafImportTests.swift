import Foundation
import Overlay
import Testing
import TestSupport

/// A third-party OGraf graphic's manifest and the mapping that fills its data from Podium's
/// frames (docs/ograf.md, "A graphic of your own").
struct OGrafImportTests {
    static let graphics = Fixtures.root.appendingPathComponent("fixtures/ograf-graphics")

    static func manifest(_ members: String) -> Data {
        Data((#"{"$schema": "https://ograf.ebu.io/v1/specification/json-schemas/graphics/schema.json", "# + members + "}").utf8)
    }

    static func error(_ body: () throws -> Void) -> String {
        do { try body() } catch { return (error as? OGrafImportError)?.description ?? "\(error)" }
        return "no error"
    }

    /// The EBU's example manifests, as published, read as Podium reads any graphic's.
    @Test func theEBUsExampleManifestsAreRead() throws {
        let folder = Self.graphics.appendingPathComponent("ebu-manifests")
        let lowerThird = try OGrafGraphic(manifest: try Data(contentsOf: folder.appendingPathComponent("l3rd-name.ograf.json")))
        #expect(lowerThird.id == "l3rd-name" && lowerThird.main == "graphic.mjs")
        #expect(lowerThird.supportsRealTime && lowerThird.supportsNonRealTime)
        #expect(Set(lowerThird.fields.keys) == ["name", "title"])
        #expect(lowerThird.fields["name"]?.kinds == [.string] && lowerThird.fields["name"]?.defaultValue == .string("John Doe"))
        let minimal = try OGrafGraphic(manifest: try Data(contentsOf: folder.appendingPathComponent("minimal.ograf.json")))
        #expect(minimal.supportsRealTime && !minimal.supportsNonRealTime)
        #expect(Set(minimal.fields.keys) == ["message"])
        let logo = try OGrafGraphic(manifest: try Data(contentsOf: folder.appendingPathComponent("ograf-logo.ograf.json")))
        #expect(logo.fields.isEmpty && logo.required.isEmpty)
        let tester = try OGrafGraphic(manifest: try Data(contentsOf: folder.appendingPathComponent("renderer-test.ograf.json")))
        #expect(tester.id == "renderer-test")
    }

    @Test func aManifestThatCannotBeDrivenIsRefusedNamingWhatIsWrong() {
        let base = #""id": "x", "name": "X", "supportsRealTime": true, "supportsNonRealTime": true"#
        #expect(Self.error { _ = try OGrafGraphic(manifest: Data("[1]".utf8)) } == "the manifest is not a JSON object")
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(base)) }.contains("`main` must be a non-empty string (it is missing)"))
        for main in ["../graphic.mjs", "/etc/graphic.mjs", "https://example.com/g.mjs", "lib//g.mjs", "lib/../../g.mjs"] {
            #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(base + #", "main": "\#(main)""#)) }.contains("must be a path inside the graphic's folder"), "\(main)")
        }
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(#""id": "x", "name": "X", "main": "g.mjs", "supportsRealTime": "yes", "supportsNonRealTime": true"#)) }
            .contains("`supportsRealTime` must be true or false (it is a string)"))
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(#""id": "x", "name": "X", "main": "g.mjs", "supportsRealTime": false, "supportsNonRealTime": false"#)) }
            .contains("supports neither"))
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(base + #", "main": "g.mjs", "schema": {"type": "array"}"#)) }.contains("must describe an object"))
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(base + #", "main": "g.mjs", "schema": {"type": ["object"], "properties": {"a": {}}}"#)) } == "no error")
        #expect(Self.error { _ = try OGrafGraphic(manifest: Self.manifest(base + #", "main": "g.mjs", "schema": {"properties": {"a": {"type": "colour"}}}"#)) }
            .contains("field `a` has an unknown type `colour`"))
        #expect(Self.error { _ = try OGrafGraphic(manifest: Data(#"{"$schema": "https://example.com/v2/schema.json", "id": "x"}"#.utf8)) }.contains("not an OGraf v1 graphics schema"))
    }

    /// Paths into a frame overlay: members, indexes and items picked by a member, on the
    /// swimming fixture's last frame.
    @Test func pathsFindTheFramesValues() throws {
        let last = try #require(try Fixtures.swimGolden("frames.swimming").last)
        let frame = try JSONValue(parsing: Array(last.utf8))
        func value(_ path: String) throws -> JSONValue? { try OverlayPath(parsing: path).value(in: frame) }
        #expect(try value("lanes[lane=4].athlete.familyName") == .string("OKAFOR"))
        #expect(try value("lanes[lane=4].finish.rank") == .integer(1))
        #expect(try value("elements[id=results].visible") == .bool(true))
        #expect(try value("order[0]") == .integer(4))
        #expect(try value("clock.display") == .string("8.31"))
        #expect(try value("records[0].time.hundredths") == .integer(835))
        #expect(try value("lanes[lane=9].athlete") == nil)
        #expect(try value("order[8]") == nil)
        #expect(try value("clock.display.more") == nil)
        #expect(try value("elements[id=laneTag.4].text") == nil, "frame 599 shows no lane tags")
        for (path, why) in [
            ("", "is empty"), ("a..b", "empty member name"), ("a.", "ends with a dot"), ("a[0", "not closed"), ("a]", "without its `[`"),
            ("[0]", "starts with a bracket"), ("a[x]", "neither an index nor member=value"), ("a[0]b", "needs a dot after `]`"), ("a[=1]", "neither an index"),
        ] {
            #expect(Self.error { _ = try OverlayPath(parsing: path) }.contains(why), "\(path)")
        }
        #expect(try OverlayPath(parsing: "elements[id=laneTag.4].screen[0][1]").description == "elements[id=laneTag.4].screen[0][1]")
    }

    /// A value goes into a field as it is when its type fits, converted where nothing is lost,
    /// and not at all otherwise.
    @Test func valuesAreFittedToTheFieldsTypes() throws {
        let graphic = try OGrafGraphic(manifest: Self.manifest(#"""
            "id": "x", "name": "X", "main": "g.mjs", "supportsRealTime": true, "supportsNonRealTime": true,
            "schema": {"type": "object", "properties": {
              "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
              "e": {"type": "string", "enum": ["WR", "OR"]}, "any": {}, "sn": {"type": ["string", "null"]}, "o": {"type": "object"}
            }}
            """#))
        func fit(_ field: String, _ value: JSONValue) -> JSONValue? { graphic.fields[field]?.fitting(value) }
        #expect(fit("s", .integer(3)) == .string("3"))
        #expect(fit("s", .number(8.31)) == .string("8.31"))
        #expect(fit("s", .bool(true)) == .string("true"))
        #expect(fit("s", .object([:])) == nil)
        #expect(fit("i", .string(" 12 ")) == .integer(12))
        #expect(fit("i", .number(2)) == .number(2))
        #expect(fit("i", .number(2.5)) == nil)
        #expect(fit("i", .string("DNS")) == nil)
        #expect(fit("n", .integer(7)) == .integer(7))
        #expect(fit("n", .string("8.31")) == .number(8.31))
        #expect(fit("n", .string("nan")) == nil)
        #expect(fit("b", .string("true")) == .bool(true))
        #expect(fit("b", .integer(1)) == nil)
        #expect(fit("e", .string("WR")) == .string("WR"))
        #expect(fit("e", .string("ER")) == nil)
        #expect(fit("any", .array([.integer(1)])) == .array([.integer(1)]))
        #expect(fit("sn", .integer(4)) == .string("4"))
        #expect(fit("o", .object(["a": .integer(1)])) == .object(["a": .integer(1)]))
    }

    static func finishPlate() throws -> OGrafGraphic {
        try OGrafGraphic(manifest: try Data(contentsOf: graphics.appendingPathComponent("finish-plate/finish-plate.ograf.json")))
    }

    @Test func aMappingIsCheckedAgainstTheGraphicsSchema() throws {
        let graphic = try Self.finishPlate()
        func refusal(_ mapping: String) -> String { Self.error { _ = try OGrafDataMapping(json: Data(mapping.utf8), for: graphic) } }
        #expect(refusal(#"{"data": {"name": "clock.display", "time": "clock.display"}, "hide": "x"}"#).contains("unknown members: hide"))
        #expect(refusal(#"{"data": {"name": "clock.display", "time": "clock.display", "colour": "unit"}}"#)
            == "the mapping fills `colour`, which the graphic example.finish-plate does not declare (it has: name, nation, rank, record, time)")
        #expect(refusal(#"{"data": {"name": "clock.display"}}"#).contains("requires time, which the mapping does not fill"))
        #expect(refusal(#"{"data": {"name": "clock.display", "time": "clock.display", "rank": {"path": "order[0]", "default": "first"}}}"#)
            .contains("default for `rank` (a string) does not fit the field's type (integer)"))
        #expect(refusal(#"{"data": {"name": "clock.display", "time": {"path": "clock.display", "fallback": ""}}}"#).contains("unknown members: fallback"))
        #expect(refusal(#"{"data": {"name": "clock..display", "time": "clock.display"}}"#).contains("empty member name"))
        #expect(refusal(#"{"show": 1, "data": {"name": "clock.display", "time": "clock.display"}}"#).contains("`show` must be a path"))
        #expect(refusal(#"{"data": ["name"]}"#).contains("`data` must be an object"))
        #expect(refusal("{").contains("not a JSON object"))
    }

    /// The bundled mapping over the fixture: the plate is shown from the frame the result board
    /// comes up (546) and carries the winner; a value that does not fit its field is left out
    /// and reported, unless the mapping gives a default.
    @Test func aMappingFillsTheGraphicsDataFromEachFrame() throws {
        let graphic = try Self.finishPlate()
        let mapping = try OGrafDataMapping(json: try Data(contentsOf: Self.graphics.appendingPathComponent("finish-plate.mapping.json")), for: graphic)
        let frames = try Fixtures.swimGolden("frames.swimming").map { try JSONValue(parsing: Array($0.utf8)) }
        let data = frames.map(mapping.frameData)
        #expect(data.firstIndex(where: \.shown) == 546)
        #expect(data[546...].filter { !$0.shown }.isEmpty)
        #expect(data[599].data == .object(["name": .string("OKAFOR"), "nation": .string("USA"), "time": .string("8.31"), "rank": .integer(1)]))
        #expect(data[100].data == .object(["name": .string("OKAFOR"), "nation": .string("USA"), "time": .string("")]), "no finish yet: the time's default, no rank")
        #expect(data.filter { !$0.misfits.isEmpty }.isEmpty)

        let strict = try OGrafDataMapping(json: Data(#"{"data": {"name": "lanes[lane=4].athlete.familyName", "time": "clock.display", "rank": "unit"}}"#.utf8), for: graphic)
        let misfit = strict.frameData(for: frames[599])
        #expect(misfit.misfits == ["rank"])
        #expect(misfit.shown, "without `show` the graphic is on from the first frame")
        #expect(misfit.data == .object(["name": .string("OKAFOR"), "time": .string("8.31")]))
    }
}
