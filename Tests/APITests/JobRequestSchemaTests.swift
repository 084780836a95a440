import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Testing

/// The job request's schema, checked by its `Decodable` reading: every field of a valid request,
/// given a value of each wrong JSON type, null, or a field the object does not know, is a 400
/// whose message begins with that field's exact JSON path; and a schema fault is reported
/// before anything about this server (a missing fixture, an unknown template) is looked up.
@Suite(.serialized)
struct JobRequestSchemaTests {
    /// A request every part of which is valid, with every field present.
    static var valid: [String: Any] {
        [
        "input": "fixture:swim-100-free",
        "clock": ["source": "anchor", "latencyMs": 0, "timecodeDate": "2024-07-30", "timecodeZone": "+02:00"],
        "results": ["source": "fixture", "unit": "SWMM100MFR------------FNL-000100--"],
        "template": "swimming", "carriers": ["id3"], "cues": "on-change", "lookaheadMs": 0, "outputs": ["udp://127.0.0.1:9"],
        "hls": ["segmentSeconds": 2, "window": 6], "owner": "ops",
        ]
    }

    /// Each field's path and the JSON type it takes.
    static let fields: [(path: [String], type: String)] = [
        (["input"], "string"), (["clock"], "object"), (["clock", "source"], "string"), (["clock", "latencyMs"], "integer"),
        (["clock", "timecodeDate"], "string"), (["clock", "timecodeZone"], "string"), (["results"], "object"),
        (["results", "source"], "string"), (["results", "unit"], "string"), (["template"], "string"), (["carriers"], "array"), (["cues"], "string"),
        (["lookaheadMs"], "integer"), (["outputs"], "array"), (["hls"], "object"), (["hls", "segmentSeconds"], "number"),
        (["hls", "window"], "integer"), (["owner"], "string"),
    ]

    /// A value of every JSON type, by the names the messages use.
    static var values: [(type: String, value: Any)] {
        [("a boolean", true), ("an integer", 7), ("a number", 1.5), ("a string", "x"), ("an array", [1]), ("an object", ["a": 1])]
    }

    static func replacing(_ path: [String], with value: Any?, in object: [String: Any]) -> [String: Any] {
        var copy = object
        if path.count == 1 {
            copy[path[0]] = value ?? NSNull()
        } else {
            copy[path[0]] = replacing(Array(path.dropFirst()), with: value, in: object[path[0]] as! [String: Any])
        }
        return copy
    }

    static func body(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Whether a value of `name` fits a field of `type` (a number takes integers too).
    static func fits(_ name: String, _ type: String) -> Bool {
        switch type {
        case "number": name == "an integer" || name == "a number"
        default: name == (type == "integer" || type == "array" || type == "object" ? "an \(type)" : "a \(type)")
        }
    }

    @Test func everyFieldOfTheWrongTypeOrNullOrUnknownIsA400NamingItsPath() async throws {
        let server = try ServerUnderTest("job-request-schema")
        let admin: HTTPFields = [
            .authorization: "Bearer \(try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret)",
            .contentType: "application/json",
        ]
        try await server.serve { client in
            func post(_ body: String) async throws -> (status: Int, code: String?, message: String) {
                let response = try await client.execute(uri: "/v1/jobs", method: .post, headers: admin, body: ByteBuffer(string: body))
                let error = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])?["error"] as? [String: Any]
                return (Int(response.status.code), error?["code"] as? String, error?["message"] as? String ?? String(buffer: response.body))
            }
            // The valid request starts a job: every fault below is the one changed field's.
            let started = try await post(try Self.body(Self.valid))
            #expect(started.status == 201, "\(started.message)")
            var checked = 0
            for (path, type) in Self.fields {
                let jsonPath = "$." + path.joined(separator: ".")
                for (name, value) in Self.values where !Self.fits(name, type) {
                    let answer = try await post(try Self.body(Self.replacing(path, with: value, in: Self.valid)))
                    #expect(answer.status == 400 && answer.code == "bad_request", "\(jsonPath) = \(name): \(answer)")
                    #expect(answer.message.hasPrefix("\(jsonPath) must be "), "\(jsonPath) = \(name): \(answer.message)")
                    #expect(answer.message.hasSuffix(", not \(name)") || answer.message.hasSuffix("without NUL, not \(name)")
                        || type == "string" && answer.message.hasSuffix("not \(name)"), "\(jsonPath) = \(name): \(answer.message)")
                    checked += 1
                }
                let null = try await post(try Self.body(Self.replacing(path, with: nil, in: Self.valid)))
                #expect(null.status == 400 && null.message == "\(jsonPath) is null; leave the field out instead", "\(null)")
                // An object's field it does not know.
                if type == "object" {
                    let object = Self.valid[path[0]] as! [String: Any]
                    let unknown = try await post(try Self.body(Self.replacing(path, with: object.merging(["colour": "red"]) { $1 }, in: Self.valid)))
                    #expect(unknown.status == 400 && unknown.message.hasPrefix("\(jsonPath).colour is not a field here; the fields are "), "\(unknown)")
                }
            }
            #expect(checked > 60)
            let top = try await post(try Self.body(Self.valid.merging(["colour": "red"]) { $1 }))
            #expect(top.message == "$.colour is not a field here; the fields are carriers, clock, cues, hls, input, lookaheadMs, outputs, owner, results, template")
            // Array entries are named by their index.
            let entry = try await post(try Self.body(Self.replacing(["outputs"], with: ["udp://127.0.0.1:9", 5], in: Self.valid)))
            #expect(entry.message.hasPrefix("$.outputs[1] must be a non-empty string"), "\(entry)")
            let mode = try await post(try Self.body(Self.replacing(["cues"], with: "sometimes", in: Self.valid)))
            #expect(mode.status == 400 && mode.message.hasPrefix("$.cues must be one of every-frame, on-change"), "\(mode)")
            // The schema is checked first: a missing fixture is not looked up for a malformed request.
            let both = try await post(#"{"input": "fixture:not-here", "hls": {"window": 0}}"#)
            #expect(both.status == 400 && both.message.hasPrefix("$.hls.window must be an integer from 1 to 100, not 0"), "\(both)")
            let notFound = try await post(#"{"input": "fixture:not-here", "hls": {}}"#)
            #expect(notFound.status == 404)
        }
    }

    @Test func aRenderRequestIsReadAsStrictly() async throws {
        let server = try ServerUnderTest("render-request-schema")
        let designer: HTTPFields = [
            .authorization: "Bearer \(try server.store.createKey(scope: .designer, owner: "studio", createdUTC: "2026-07-31T19:40:00.000000Z").secret)",
        ]
        try await server.serve { client in
            for (body, message) in [
                (#"{"frame": 5}"#, "$.frame is not a field here; the fields are from, template, to"),
                (#"{"template": 5}"#, "$.template must be a template name or a template object, not an integer"),
                (#"{"template": "../x"}"#, "$.template is a plain template name, or a template object"),
                (#"{"from": -1}"#, "$.from must be an integer from 0 to 10000000, not -1"),
                (#"{"to": "9"}"#, "$.to must be an integer from 0 to 10000000, not a string"),
                (#"{"to": null}"#, "$.to is null; leave the field out instead"),
                ("[1]", "$ must be an object, not an array"),
                ("{", "the body is not valid JSON"),
            ] {
                let response = try await client.execute(uri: "/v1/fixtures/swim-100-free/render", method: .post, headers: designer, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                let error = try #require((try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])?["error"] as? [String: Any])
                #expect(error["message"] as? String == message, "\(body): \(error)")
            }
        }
    }
}
