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
        let frames = try golden.enumerated().map { index, line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return StoredFrame(seq: index, pts: 129_600 + Int64(index) * 1800, captureUTC: try #require(object["captureUTC"] as? String), overlayJSON: Data(line.utf8))
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

    /// 240 jobs in four states under three owners (chosen by a seeded generator, so each filter
    /// selects an irregular subset), paged with every filter a client can combine.
    @Test func pagesJobsNewestFirstByCursorWithStateAndOwnerFilters() async throws {
        var generator = SplitMix(state: 2026)
        var expected: [(id: Int64, state: String, owner: String?)] = [(jobID, "completed", nil)]
        for index in 0..<240 {
            let owner = ["channel-a", "channel-b", nil].randomElement(using: &generator)!
            let state = JobRecord.states.randomElement(using: &generator)!
            // An interrupted job is one whose node is gone: settled below.
            let id = try store.startJob(
                JobDescription(
                    createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://127.0.0.1:\(5000 + index)", output: "out.ts", unit: nil, clockSource: "arrival",
                    frameRate: "50", owner: owner, node: state == "interrupted" ? "n-gone" : nil
                ),
                documents: []
            )
            if state != "running" && state != "interrupted" {
                try store.finishJob(id, failure: state == "failed" ? "input ended" : nil, stopped: state == "stopped")
            }
            expected.append((id, state, owner))
        }
        let settled = try store.settleOrphans(nowMicros: 0, nowUTC: "2026-07-31T19:41:00.000000Z", liveness: { _ in .gone })
        #expect(settled.count == expected.filter { $0.state == "interrupted" }.count)
        let broadcaster = try store.createKey(scope: .broadcaster, owner: "channel-a", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        let (store, newestFirst) = (store, expected.sorted { $0.id > $1.id })
        try await withServer { client, auth in
            /// Every page of `query` with `limit`, following `next` to the end: the ids in order.
            func walk(_ query: String, limit: Int, headers: HTTPFields) async throws -> [Int64] {
                var ids: [Int64] = []
                var cursor: String?
                repeat {
                    try #require(ids.count <= 1000, "the pages never end")
                    let uri = "/v1/jobs?limit=\(limit)\(query)" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try Self.json(try await client.execute(uri: uri, method: .get, headers: headers))
                    let jobs = try #require(page["jobs"] as? [[String: Any]])
                    #expect(jobs.count <= limit)
                    ids += jobs.compactMap { ($0["id"] as? Int).map(Int64.init) }
                    cursor = page["next"] as? String
                    #expect(cursor == nil ? page["next"] is NSNull : !jobs.isEmpty, "next is null on the last page and only there")
                } while cursor != nil
                return ids
            }
            #expect(try await walk("", limit: 7, headers: auth) == newestFirst.map(\.id))
            #expect(try await walk("", limit: 1000, headers: auth) == newestFirst.map(\.id))
            for state in JobRecord.states {
                #expect(try await walk("&state=\(state)", limit: 9, headers: auth) == newestFirst.filter { $0.state == state }.map(\.id))
                #expect(
                    try await walk("&state=\(state)&owner=channel-b", limit: 4, headers: auth)
                        == newestFirst.filter { $0.state == state && $0.owner == "channel-b" }.map(\.id)
                )
            }
            // A broadcaster's pages hold its own jobs, whatever owner it names.
            let own = newestFirst.filter { $0.owner == "channel-a" }.map(\.id)
            #expect(try await walk("", limit: 5, headers: [.authorization: "Bearer \(broadcaster)"]) == own)
            #expect(try await walk("&owner=channel-b", limit: 5, headers: [.authorization: "Bearer \(broadcaster)"]).isEmpty)

            // A job that starts between two pages comes first on a fresh walk; the walk under way
            // neither repeats nor skips one of the jobs it had still to give.
            let first = try Self.json(try await client.execute(uri: "/v1/jobs?limit=10", method: .get, headers: auth))
            let cursor = try #require(first["next"] as? String)
            let added = try store.startJob(
                JobDescription(createdUTC: "2026-07-31T19:41:00.000000Z", input: "udp://127.0.0.1:6000", output: "out.ts", unit: nil, clockSource: "arrival", frameRate: "50"),
                documents: []
            )
            let second = try Self.json(try await client.execute(uri: "/v1/jobs?limit=10&cursor=\(cursor)", method: .get, headers: auth))
            #expect((second["jobs"] as? [[String: Any]])?.compactMap { ($0["id"] as? Int).map(Int64.init) } == Array(newestFirst.map(\.id)[10..<20]))
            #expect(try await walk("", limit: 50, headers: auth).first == added)
            // Nothing comes after job 0.
            #expect((try Self.json(try await client.execute(uri: "/v1/jobs?cursor=0", method: .get, headers: auth))["jobs"] as? [Any])?.isEmpty == true)

            for (query, parameter) in [
                ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("cursor=", "cursor"), ("cursor=abc", "cursor"),
                ("cursor=-4", "cursor"), ("cursor=%D9%A3", "cursor"), ("state=paused", "state"), ("owner=", "owner"),
            ] {
                let refused = try await client.execute(uri: "/v1/jobs?\(query)", method: .get, headers: auth)
                try Self.expectError(refused, status: .badRequest, code: "bad_request")
                #expect((try Self.json(refused)["error"] as? [String: Any]).flatMap { $0["details"] as? [String: String] }?.keys.contains(parameter) == true, "\(query)")
            }
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

    /// Past the end, or ending before it starts (as a range by PTS or UTC may): an empty page.
    @Test(arguments: ["from=1000&to=1010", "from=10&to=5", "fromPts=2000000&toPts=1000000"])
    func anEmptyRangeIsAnEmptyPageNotAnError(query: String) async throws {
        let jobID = jobID
        try await withServer { client, auth in
            let response = try await client.execute(uri: "/v1/jobs/\(jobID)/frames?\(query)", method: .get, headers: auth)
            #expect(response.status == .ok)
            let page = try Self.json(response)
            #expect((page["frames"] as? [Any])?.isEmpty == true)
            #expect(page["next"] is NSNull)
        }
    }

    @Test(arguments: [
        ("/v1/jobs/999", HTTPResponse.Status.notFound, "not_found"),
        ("/v1/jobs/abc", .badRequest, "bad_request"),
        ("/v1/jobs/-3", .badRequest, "bad_request"),
        ("/v1/jobs/999/frames", .notFound, "not_found"),
        ("/v1/jobs/JOB/frames?from=x", .badRequest, "bad_request"),
        ("/v1/jobs/JOB/frames?from=-1", .badRequest, "bad_request"),
        ("/v1/jobs/JOB/frames?from=10&toPts=5", .badRequest, "bad_request"),
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
            let response = try await client.execute(uri: "/v1/jobs", method: .delete, headers: auth)
            try Self.expectError(response, status: .methodNotAllowed, code: "method_not_allowed")
            // This router serves a store and runs no jobs: starting and stopping them are not among its methods.
            #expect(response.headers[.allow] == "GET, HEAD")
            let start = try await client.execute(uri: "/v1/jobs", method: .post, headers: auth)
            try Self.expectError(start, status: .methodNotAllowed, code: "method_not_allowed")
            let stop = try await client.execute(uri: "/v1/jobs/\(jobID)", method: .delete, headers: auth)
            try Self.expectError(stop, status: .methodNotAllowed, code: "method_not_allowed")
            #expect(stop.headers[.allow] == "GET, HEAD")
        }
    }

    /// HEAD is GET without the body: same status and headers, `Content-Length` of the GET body.
    @Test func headIsAnsweredAsGetWithoutTheBody() async throws {
        try await withServer { client, auth in
            for uri in ["/healthz", "/v1/jobs", "/v1/jobs/\(jobID)/frames/5", "/v1/jobs/999"] {
                let get = try await client.execute(uri: uri, method: .get, headers: auth)
                let head = try await client.execute(uri: uri, method: .head, headers: auth)
                #expect(head.status == get.status, "\(uri)")
                #expect(head.body.readableBytes == 0, "\(uri)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
                #expect(head.headers[.contentLength] == "\(get.body.readableBytes)", "\(uri)")
            }
        }
    }

    @Test func oneFrameIsTheVeryBytesCarriedInBandAndIsImmutableOnceTheJobEnded() async throws {
        let (jobID, golden) = (jobID, golden)
        try await withServer { client, auth in
            let response = try await client.execute(uri: "/v1/jobs/\(jobID)/frames/490", method: .get, headers: auth)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == golden[490])
            #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let etag = try #require(response.headers[.eTag])
            var conditional = auth
            conditional[.ifNoneMatch] = etag
            let again = try await client.execute(uri: "/v1/jobs/\(jobID)/frames/490", method: .get, headers: conditional)
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            // Another version of the same frame is another representation.
            let latest = try await client.execute(uri: "/v1/jobs/\(jobID)/frames/490?asOf=latest", method: .get, headers: conditional)
            #expect(latest.status == .ok)
            #expect(latest.headers[.eTag] != etag)
            try Self.expectError(try await client.execute(uri: "/v1/jobs/\(jobID)/frames/600", method: .get, headers: auth), status: .notFound, code: "not_found")
            try Self.expectError(try await client.execute(uri: "/v1/jobs/\(jobID)/frames/-1", method: .get, headers: auth), status: .badRequest, code: "bad_request")
            try Self.expectError(try await client.execute(uri: "/v1/jobs/\(jobID)/frames/next", method: .get, headers: auth), status: .badRequest, code: "bad_request")
        }
    }

    @Test(arguments: [
        "fromPts=1011600&toPts=1015200", "fromPts=1011000&toPts=1015999",
        "fromUtc=2026-07-31T19:42:19.8Z&toUtc=2026-07-31T19:42:19.84Z", "fromUtc=2026-07-31T19:42:19.79Z&toUtc=2026-07-31T19:42:19.859999Z",
    ])
    func framesAreChosenByPTSOrCaptureTime(query: String) async throws {
        let (jobID, golden) = (jobID, golden)
        try await withServer { client, auth in
            let page = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)/frames?\(query)", method: .get, headers: auth))
            let frames = try #require(page["frames"] as? [[String: Any]])
            #expect(frames.compactMap { $0["seq"] as? Int } == [490, 491, 492])
            #expect(page["from"] as? Int == 490 && page["to"] as? Int == 492)
            _ = golden
        }
    }

    @Test(arguments: [
        ("from=1&fromPts=2", "choose frames by one of"), ("fromUtc=yesterday", "ISO 8601"), ("fromPts=abc", "integer"),
        ("fromUTC=2026-07-31T19:42:19Z", "fromUTC is not a parameter of this endpoint"),
    ])
    func badFrameSelectionsAreNamed(query: String, message: String) async throws {
        let jobID = jobID
        try await withServer { client, auth in
            let response = try await client.execute(uri: "/v1/jobs/\(jobID)/frames?\(query)", method: .get, headers: auth)
            try Self.expectError(response, status: .badRequest, code: "bad_request")
            #expect(String(buffer: response.body).contains(message))
        }
    }

    @Test func theLiveEdgeOfARunningJobIsCachedForASecond() async throws {
        let running = try store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://x", output: "out.ts", unit: nil, clockSource: "arrival", frameRate: "50"),
            documents: []
        )
        try store.appendFrames((0..<10).map { StoredFrame(seq: $0, pts: Int64($0), captureUTC: "", overlayJSON: Data("{}".utf8)) }, toJob: running)
        try await withServer { client, auth in
            let aired = try await client.execute(uri: "/v1/jobs/\(running)/frames?from=0&to=5", method: .get, headers: auth)
            #expect(aired.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let edge = try await client.execute(uri: "/v1/jobs/\(running)/frames", method: .get, headers: auth)
            #expect(edge.headers[.cacheControl] == "public, max-age=1")
            let latest = try await client.execute(uri: "/v1/jobs/\(running)/frames/3?asOf=latest", method: .get, headers: auth)
            #expect(latest.headers[.cacheControl] == "public, max-age=1")
        }
    }

    @Test func answersServedFromMemoryAreTheAnswersOfTheStore() async throws {
        let (jobID, golden) = (jobID, golden)
        try await withServer { client, auth in
            for _ in 0..<2 {
                let frame = try await client.execute(uri: "/v1/jobs/\(jobID)/frames/490", method: .get, headers: auth)
                #expect(String(buffer: frame.body) == golden[490])
                // The same range as a page is another answer, however it is cached.
                let page = try Self.json(try await client.execute(uri: "/v1/jobs/\(jobID)/frames?from=490&to=490", method: .get, headers: auth))
                #expect((page["frames"] as? [[String: Any]])?.first?["seq"] as? Int == 490)
                #expect(page["to"] as? Int == 490)
            }
        }
    }
}
