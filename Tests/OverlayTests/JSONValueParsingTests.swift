import Foundation
import Overlay
import Testing
import TestSupport

/// `JSONValue(parsing:)`, the fast reader per-frame work uses, against Foundation's decoder.
struct JSONValueParsingTests {
    /// The swimming fixture's frames (with and without the template) read as `JSONDecoder` reads
    /// them; every seventh, as the decoder takes about 35 ms a frame in a debug build.
    @Test func theFixturesFramesReadAsFoundationReadsThem() throws {
        for name in ["frames", "frames.swimming"] {
            for line in try Fixtures.swimGolden(name).enumerated().filter({ $0.offset % 7 == 0 }).map(\.element) {
                #expect(try JSONValue(parsing: Array(line.utf8)) == (try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))))
            }
        }
    }

    @Test func valuesEscapesAndNumbers() throws {
        let text = #" {"a": [1, -2, 3.5, -0.25e2, 1E3, 9223372036854775807, 9223372036854775808], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83c\udfca", "t": true, "f": false, "n": null, "e": {}, "l": []} "#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value == .object([
            "a": .array([.integer(1), .integer(-2), .number(3.5), .number(-25), .number(1000), .integer(Int64.max), .number(9223372036854775808)]),
            "s": .string("q\"\\/\u{8}\u{c}\n\r\té🏊"), "t": .bool(true), "f": .bool(false), "n": .null, "e": .object([:]), "l": .array([]),
        ]))
    }

    @Test func whatIsNotJSONIsRefusedSayingWhere() {
        func refusal(_ text: String, depthLimit: Int = 256) -> String {
            do { _ = try JSONValue(parsing: Array(text.utf8), depthLimit: depthLimit) } catch { return error.description }
            return "no error"
        }
        #expect(refusal("") == "not JSON: the end where a value belongs at byte 0")
        #expect(refusal("{\"a\" 1}").contains("no ':' after a member name"))
        #expect(refusal("[1 2]").contains("neither ',' nor ']'"))
        #expect(refusal("[1,]").contains("an unexpected character"))
        #expect(refusal("{\"a\":1,}").contains("no member name"))
        #expect(refusal("01").contains("leading zero"))
        #expect(refusal("1.").contains("no digits after '.'"))
        #expect(refusal("1e").contains("no exponent digits"))
        #expect(refusal("1e999").contains("out of range"))
        #expect(refusal("tru").contains("an unknown word"))
        #expect(refusal("\"a").contains("not closed"))
        #expect(refusal("\"a\u{1}\"").contains("control character"))
        #expect(refusal(#""\x""#).contains("unknown escape"))
        #expect(refusal(#""\ud83c""#).contains("lone surrogate"))
        #expect(refusal(#""\u12""#).contains("four hex digits"))
        #expect(refusal("1 2") == "not JSON: more after the value at byte 2")
        #expect(refusal(String(repeating: "[", count: 300) + String(repeating: "]", count: 300)).contains("nesting deeper than 256"))
        #expect(refusal("[[1]]", depthLimit: 2).contains("nesting deeper than 2"))
    }
}
