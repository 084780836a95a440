import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Testing

/// The API served for real on loopback over a real SQLite store holding the fixture's frames.
struct JobsAPITests {
    let store: SQLiteStore
    let jobID: Int64
    let golden: [String]
    /// A viewer's key, sent with every request under /v1.
    let auth: HTTPFields

    init() throws {
        store = try SQLiteStore(path: try Fixtures.scratchFolder("api").appendingPathComponent("podium.sqlite").path)
        golden = try Fixtures.swimGolden()
        jobID = try store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "clip.ts", output: "out.ts", unit: "SWMM100MFR------------FNL-000100--", clockSource: "anchor", frameRate: "50"),
            documents: []
        )
        let frames = golden.enumerated().map { index, line in
            StoredFrame(seq: index, pts: 129_600 + Int64(index) * 1800, captureUTC: "", overlayJSON: Data(line.utf8))
        }
        try store.appendFrames(frames, toJob: jobID)
        try store.finishJob(jobID, failure: nil)
        let secret = try store.createKey(scope: .viewer, owner: "tests", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        auth = [.authorization: "Bearer \(secret)"]
    }

    func withServer(_ body: @Sendable (any TestClientProtocol, HTTPFields) async throws -> Void) async throws {
        let app = buildApplication(store: store, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        let auth = auth
        try await app.test(.live) { client in try await body(client, auth) }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    static func expectError(_ response: TestResponse, status: HTTPResponse.Status, code: String) throws {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        let error = try #require(try json(response)["error"] as? [String: Any])
        #expect(error["code"] as? String == code)
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(error["details"] is [String: Any])
    }

    @Test func healthzAnswersOK() async throws {
        try await withServer { client, auth in
            let response = try await client.execute(uri: "/healthz", method: .get, headers: auth)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
        }
    }

    @Test func listsAndShowsJobs() async throws {
        let jobID = jobID
        try await withServer { client, auth in
            let list = try Self.json(try await client.execute(uri: "/v1/jobs", method: .get, headers: auth))
            let jobs = try #require(list["jobs"] as? [[String: Any]])
            #expect(jobs.count == 1)
            #expect(jobs.first?["id"] as? Int == Int(jobID))
            let job = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)", method: .get, headers: auth))
            #expect(job["frames"] as? Int == 600)
            #expect(job["state"] as? String == "completed")
            #expect(job["unit"] as? String == "SWMM100MFR------------FNL-000100--")
        }
    }

    @Test func servesFramesByIndexWithTheBytesCarriedInBand() async throws {
        let (jobID, golden) = (jobID, golden)
        try await withServer { client, auth in
            let response = try await client.execute(uri: "/v1/jobs/\(jobID)/frames?from=490&to=492", method: .get, headers: auth)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text == #"{"frames":["# + golden[490...492].joined(separator: ",") + #"],"from":490,"jobId":\#(jobID),"next":null,"to":492}"#)
            let frames = try #require(try Self.json(response)["frames"] as? [[String: Any]])
            #expect(frames.map { $0["seq"] as? Int } == [490, 491, 492])
        }
    }

    @Test func pagesLongRangesWithANextCursor() async throws {
        let jobID = jobID
        try await withServer { client, auth in
            let first = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)/frames", method: .get, headers: auth))
            #expect((first["frames"] as? [Any])?.count == 500)
            #expect(first["next"] as? Int == 500)
            #expect(first["to"] as? Int == 599)
            let second = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)/frames?from=500", method: .get, headers: auth))
            #expect((second["frames"] as? [[String: Any]])?.map { $0["seq"] as? Int } == (500..<600).map { $0 })
            #expect(second["next"] is NSNull)
        }
    }

    @Test func aRangePastTheEndIsEmptyNotAnError() async throws {
        let jobID = jobID
        try await withServer { client, auth in
            let page = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)/frames?from=1000&to=1010", method: .get, headers: auth))
            #expect((page["frames"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: [
        ("/v1/jobs/999", HTTPResponse.Status.notFound, "not_found"),
        ("/v1/jobs/abc", .badRequest, "bad_request"),
        ("/v1/jobs/-3", .badRequest, "bad_request"),
        ("/v1/jobs/999/frames", .notFound, "not_found"),
        ("/v1/jobs/JOB/frames?from=x", .badRequest, "bad_request"),
        ("/v1/jobs/JOB/frames?from=-1", .badRequest, "bad_request"),
        ("/v1/jobs/JOB/frames?from=10&to=5", .badRequest, "bad_request"),
        ("/v1/nothing-here", .notFound, "not_found"),
    ])
    func errorsHaveOneShape(uri: String, status: HTTPResponse.Status, code: String) async throws {
        let path = uri.replacingOccurrences(of: "JOB", with: "\(jobID)")
        try await withServer { client, auth in
            try Self.expectError(try await client.execute(uri: path, method: .get, headers: auth), status: status, code: code)
        }
    }

    @Test func aMethodTheRouteDoesNotServeIsAnsweredInTheSameShape() async throws {
        try await withServer { client, auth in
            try Self.expectError(try await client.execute(uri: "/v1/jobs", method: .delete, headers: auth), status: .notFound, code: "not_found")
        }
    }
}
