import API
import AsyncHTTPClient
import Feeds
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import NIOCore
import NIOHTTP1
import Overlay
import Store
import TestSupport
import Testing

/// Jobs run by the server: started and stopped over the API, fed by the results feeds while they
/// run, pushed to clients over Server-Sent Events and WebSocket, their HLS served.
@Suite(.serialized)
struct ServerJobsTests {
    let server: ServerUnderTest
    let keys: [String: HTTPFields]
    var folder: URL { server.folder }
    var store: SQLiteStore { server.store }
    var runner: JobRunner { server.runner }
    static let unit = "SWMM100MFR------------FNL-000100--"

    init() throws {
        server = try ServerUnderTest("server-jobs")
        var keys: [String: HTTPFields] = [:]
        for (name, scope, owner) in [
            ("admin", APIScope.admin, "ops"), ("channel1", .broadcaster, "channel1"), ("channel2", .broadcaster, "channel2"),
            ("viewer", .viewer, "app"), ("designer", .designer, "studio"), ("feed", .feed, "timing"),
        ] {
            keys[name] = [.authorization: "Bearer \(try server.store.createKey(scope: scope, owner: owner, createdUTC: "2026-07-31T19:40:00.000000Z").secret)"]
        }
        self.keys = keys
    }

    func withServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await server.serve(limits: RateLimits(perSecond: 10_000, burst: 10_000), body)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any], "\(String(buffer: response.body))")
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, key: HTTPFields) async throws -> TestResponse {
        var headers = key
        headers[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func waitUntilEnded(_ id: Int64, timeout: Double = 30) async throws -> JobRecord {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let job = try await store.job(id: id), job.state != "running" { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Timeout(what: "job \(id) to end")
    }

    struct Timeout: Error { let what: String }

    /// Frames received over WebSocket: the `frame` envelopes' seqs and overlays, and the last message.
    static func followOverWebSocket(port: Int, job: Int64, after: Int?, key: HTTPFields, stopAfter: Int? = nil) async throws -> (seqs: [Int], overlays: [String], last: [String: Any]?) {
        let session = try await RawWebSocket.session(
            port: port, path: "/v1/jobs/\(job)/ws" + (after.map { "?after=\($0)" } ?? ""), headers: key.map { ($0.name.rawName, $0.value) },
            closeAfterTexts: stopAfter
        )
        #expect(session.statusLine.hasPrefix("HTTP/1.1 101 "), "\(session.statusLine)")
        #expect(session.closedByServer, "the server left the connection open")
        let received = stopAfter.map { Array(session.texts.prefix($0)) } ?? session.texts
        var seqs: [Int] = []
        var overlays: [String] = []
        var last: [String: Any]?
        for text in received {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            if object["event"] as? String == "frame" {
                seqs.append(try #require(object["seq"] as? Int))
                let overlay = try #require(object["frame"])
                overlays.append(String(decoding: try JSONSerialization.data(withJSONObject: overlay, options: [.sortedKeys]), as: UTF8.self))
            } else {
                last = object
            }
        }
        return (seqs, overlays, last)
    }

    @Test func aJobStoppedBeforeItsInputArrivesEndsStoppedNotFailed() async throws {
        let port = Loopback.freePort()
        try await withServer { client in
            let fixtureResults = Fixtures.swim.appendingPathComponent("results")
            let start = try String(contentsOf: fixtureResults.appendingPathComponent("02-DT_RESULT-START_LIST.xml"), encoding: .utf8)
            #expect(try await Self.post(client, "/v1/feeds/odf", start, key: keys["feed"]!).status == .ok)
            // Nothing is ever sent to the input: the job waits for it, and is stopped meanwhile.
            let created = try await Self.post(client, "/v1/jobs", """
                {"input": "udp://127.0.0.1:\(port)", "clock": {"source": "arrival"}, "results": {"source": "feeds", "unit": "\(Self.unit)"}, "hls": {}}
                """, key: keys["channel1"]!)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let job = Int64(try #require(try Self.json(created)["id"] as? Int))
            try await Task.sleep(for: .milliseconds(300))
            let stopped = try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: keys["channel1"]!)
            #expect(stopped.status == .ok, "\(String(buffer: stopped.body))")
            let record = try await waitUntilEnded(job)
            #expect(record.state == "stopped" && record.failure == nil, "\(record.state): \(record.failure ?? "")")
        }
    }

    @Test func aLiveJobRunByTheServerIsFedByTheFeedsPushedOverBothStreamsAndStopped() async throws {
        let fixtureResults = Fixtures.swim.appendingPathComponent("results")
        let port = Loopback.freePort()
        try await withServer { client in
            let serverPort = try #require(client.port)
            for name in ["00-DT_RECORD.xml", "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml"] {
                let response = try await Self.post(client, "/v1/feeds/odf", try String(contentsOf: fixtureResults.appendingPathComponent(name), encoding: .utf8), key: keys["feed"]!)
                #expect(response.status == .ok, "\(name): \(String(buffer: response.body))")
            }
            let created = try await Self.post(client, "/v1/jobs", """
                {"input": "udp://127.0.0.1:\(port)", "clock": {"source": "arrival"}, "results": {"source": "feeds", "unit": "\(Self.unit)"},
                 "lookaheadMs": 1000, "carriers": ["id3"], "hls": {"segmentSeconds": 1, "window": 4}, "template": "swimming"}
                """, key: keys["channel1"]!)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let job = Int64(try #require(try Self.json(created)["id"] as? Int))
            #expect(created.headers[.location] == "/v1/jobs/\(job)")
            #expect(try Self.json(created)["hls"] as? String == "/v1/jobs/\(job)/hls/index.m3u8")
            #expect(await Loopback.waitForUDPListener(on: port))

            let sender = try BackgroundProcess("ffmpeg", [
                "-hide_banner", "-v", "error", "-re", "-i", Fixtures.swim.appendingPathComponent("clip.ts").path,
                "-map", "0", "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316",
            ])
            let keys = keys
            // Followers: SSE and WebSocket for the whole job, and a WebSocket that leaves after 100 frames.
            // (Its own connection: the test client has one, which the other requests need meanwhile.)
            async let sse = LivePushTests.stream(port: serverPort, job: job, query: "?after=-1", headers: keys["viewer"]!.map { ($0.name.rawName, $0.value) }).body
            async let webSocket = Self.followOverWebSocket(port: serverPort, job: job, after: -1, key: keys["viewer"]!)
            let early = try await Self.followOverWebSocket(port: serverPort, job: job, after: -1, key: keys["viewer"]!, stopAfter: 100)
            #expect(early.seqs == Array(0..<100))

            // Midway, the official result arrives through the feeds: the running job takes it at once.
            try await Task.sleep(for: .seconds(4))
            let arrived = Date()
            let official = try await Self.post(client, "/v1/feeds/odf", try String(contentsOf: fixtureResults.appendingPathComponent("05-DT_RESULT-OFFICIAL.xml"), encoding: .utf8), key: keys["feed"]!)
            #expect(official.status == .ok)
            await sender.wait(timeout: 30)
            try await Task.sleep(for: .seconds(1.5))

            // The one that left resumes where it stopped, without a gap.
            let resumed = try await Self.followOverWebSocket(port: serverPort, job: job, after: 99, key: keys["viewer"]!, stopAfter: 50)
            #expect(resumed.seqs == Array(100..<150))

            // Another broadcaster cannot see or stop it; a viewer cannot stop it; its owner can.
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: keys["channel2"]!).status == .notFound)
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: keys["viewer"]!).status == .forbidden)
            let stopped = try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: keys["channel1"]!)
            #expect(stopped.status == .ok, "\(String(buffer: stopped.body))")
            #expect(try Self.json(stopped)["state"] as? String == "stopped")

            let record = try #require(try await store.job(id: job))
            #expect(record.frames >= 590, "\(record.frames) frames")
            let sseEvents = LivePushTests.events(try await sse)
            #expect(sseEvents.dropLast().compactMap(\.id) == Array(0..<record.frames))
            #expect(sseEvents.last?.event == "end" && sseEvents.last?.data == #"{"frames":\#(record.frames),"state":"stopped"}"#)
            let ws = try await webSocket
            #expect(ws.seqs == Array(0..<record.frames))
            #expect(ws.last?["event"] as? String == "end" && ws.last?["state"] as? String == "stopped")
            // Both streams carry the very frames stored (the WebSocket's re-serialised to compare).
            let stored = try await store.frames(jobID: job, from: 0, to: record.frames - 1, limit: 10_000, asOf: .aired)
            #expect(sseEvents.dropLast().map(\.data) == stored.map { String(decoding: $0.overlayJSON, as: UTF8.self) })
            let reserialised = try stored.map {
                String(decoding: try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: $0.overlayJSON), options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(ws.overlays == reserialised)

            // The official result landed on frames captured before it arrived (the look-ahead held
            // them), every later frame shows it, and the frames before it are the corrections.
            let showsFinish = { (frame: StoredFrame) in String(decoding: frame.overlayJSON, as: UTF8.self).contains(#""finish":"#) }
            let first = try #require(stored.firstIndex(where: showsFinish), "no frame showed the official result")
            #expect(stored[first...].allSatisfy(showsFinish))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let landed = try #require(formatter.date(from: stored[first].captureUTC))
            // Not on the frames of long before either: those aired before it came. How long
            // before depends on how far the job's airing lags capture, the 1 s look-ahead plus
            // whatever a loaded machine adds (3 s was seen beside the whole suite); a document
            // applied to frames already aired would land about 6 s back, at the clip's start.
            #expect(landed < arrived && landed > arrived.addingTimeInterval(-4.5), "landed on \(landed), arrived \(arrived)")
            #expect(record.corrections == first)

            // Its HLS: a complete playlist once stopped, segments that are MPEG-TS with the tags.
            let playlist = try await client.execute(uri: "/v1/jobs/\(job)/hls/index.m3u8", method: .get, headers: keys["viewer"]!)
            #expect(playlist.status == .ok)
            #expect(playlist.headers[.contentType] == "application/vnd.apple.mpegurl")
            let text = String(buffer: playlist.body)
            #expect(text.contains("#EXT-X-ENDLIST"))
            let segment = try #require(text.split(separator: "\n").last { $0.hasSuffix(".ts") })
            let bytes = try await client.execute(uri: "/v1/jobs/\(job)/hls/\(segment)", method: .get, headers: keys["viewer"]!)
            #expect(bytes.status == .ok && bytes.headers[.contentType] == "video/mp2t")
            #expect(bytes.body.readableBytes > 188 && bytes.body.getInteger(at: 0, as: UInt8.self) == 0x47)
            #expect(bytes.headers[.cacheControl] == "public, max-age=31536000, immutable")
            for hostile in ["..%2F..%2Fpodium.sqlite", ".hidden.ts", "index.m3u8.bak"] {
                #expect(try await client.execute(uri: "/v1/jobs/\(job)/hls/\(hostile)", method: .get, headers: keys["viewer"]!).status == .notFound, "\(hostile)")
            }

            // A job that has ended is removed with its frames and its files.
            let jobFolder = try #require(hlsFolder(of: record))
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: keys["channel1"]!).status == .noContent)
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .get, headers: keys["admin"]!).status == .notFound)
            #expect(try await store.frames(jobID: job, from: 0, to: 10, limit: 10, asOf: .aired).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: jobFolder))
        }
    }

    func hlsFolder(of job: JobRecord) -> String? {
        job.description.output.split(separator: " ").first { $0.hasSuffix(".m3u8") }
            .map { URL(fileURLWithPath: String($0)).deletingLastPathComponent().deletingLastPathComponent().path }
    }

    @Test func aJobOnAFixtureRunsToItsEndAndMatchesTheGoldenRenderAsCorrected() async throws {
        try await withServer { client in
            // Every frame tagged on the HLS, which would otherwise tag on change.
            let created = try await Self.post(
                client, "/v1/jobs", #"{"input": "fixture:swim-100-free", "hls": {}, "carriers": ["id3", "sei"], "cues": "every-frame"}"#, key: keys["admin"]!
            )
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let object = try Self.json(created)
            let id = Int64(try #require(object["id"] as? Int))
            #expect(object["input"] as? String == "fixture:swim-100-free")
            let record = try await waitUntilEnded(id)
            #expect(record.state == "completed", "\(record.failure ?? "")")
            #expect(record.frames == 600)
            let stats = try JSONDecoder().decode(JobStats.self, from: try #require(record.stats))
            #expect(stats.outputs.count == 1 && stats.outputs.allSatisfy { $0.unchangedCues == 0 }, "\(stats.outputs)")
            let playlist = try #require(record.description.output.split(separator: " ").first { $0.hasSuffix(".m3u8") }.map { URL(fileURLWithPath: String($0)) })
            let stream = try TransportStream(playlist: playlist)
            #expect(stream.packets[try #require(stream.pid(ofStreamType: 0x15))]?.count == 600)
            let latest = try await store.frames(jobID: id, from: 0, to: 599, limit: 600, asOf: .latest)
            #expect(latest.map { String(decoding: $0.overlayJSON, as: UTF8.self) } == (try Fixtures.swimGolden()))
            // The push of a finished job is every frame, then its end.
            let events = LivePushTests.events(String(buffer: try await client.execute(uri: "/v1/jobs/\(id)/events?after=589", method: .get, headers: keys["viewer"]!).body))
            #expect(events.compactMap(\.id) == Array(590..<600))
            #expect(events.last?.event == "end")
            let ws = try await Self.followOverWebSocket(port: try #require(client.port), job: id, after: 589, key: keys["viewer"]!)
            #expect(ws.seqs == Array(590..<600) && ws.last?["state"] as? String == "completed")
        }
    }

    /// What a request is refused for, and that nothing was stored or opened.
    @Test(arguments: [
        ("", "bad_request", "empty"),
        ("{", "bad_json", "not valid JSON"),
        ("[]", "bad_request", "$ must be an object"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "colour": "red"}"#, "bad_request", "$.colour is not a field"),
        (#"{"input": 5, "hls": {}}"#, "bad_request", "$.input must be a string"),
        (#"{"hls": {}}"#, "bad_request", "$.input is required"),
        (#"{"input": "/etc/passwd", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "cannot_start", "$.input must be a network source"),
        (#"{"input": "file:///work/clip.ts", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "cannot_start", "$.input must be a network source"),
        (#"{"input": "concat:a.ts|b.ts", "hls": {}}"#, "refused_input", "$.input"),
        (#"{"input": "udp://203.0.113.9:5000", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "refused_input", "203.0.113.9"),
        (#"{"input": "http://127.0.0.1/x.mp4", "hls": {}}"#, "refused_input", "HLS playlist"),
        (#"{"input": "srt://192.0.2.2:9000?streamid=mode=listener", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "refused_input", "host 192.0.2.2"),
        (#"{"input": "udp://127.evil.example:5000", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "refused_input", "host 127.evil.example"),
        (#"{"input": "http://127.evil.example/live.m3u8", "hls": {}, "results": {"source": "feeds", "unit": "SWMM100MFR------------FNL-000100--"}}"#, "refused_input", "host 127.evil.example"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["udp://127.evil.example:6000"]}"#, "cannot_start", "127.evil.example, which is not an allowed host"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["srt://192.0.2.2:9000?streamid=mode=listener"]}"#, "cannot_start", "192.0.2.2, which is not an allowed host"),
        (#"{"input": "gopher://127.0.0.1/x", "hls": {}}"#, "refused_input", "gopher"),
        (#"{"input": "fixture:../../etc", "hls": {}}"#, "bad_request", "plain name"),
        (#"{"input": "fixture:nothing-here", "hls": {}}"#, "not_found", "no fixture nothing-here"),
        (#"{"input": "udp://127.0.0.1:5000", "hls": {}}"#, "cannot_start", "$.results is required"),
        (#"{"input": "udp://127.0.0.1:5000", "hls": {}, "results": {"source": "feeds", "unit": "100m"}}"#, "bad_request", "$.results.unit must be a 34-character RSC"),
        (#"{"input": "udp://127.0.0.1:5000", "hls": {}, "results": {"source": "fixture"}}"#, "cannot_start", "fixture only when the input is a fixture"),
        (#"{"input": "fixture:swim-100-free", "hls": {"window": 0}}"#, "bad_request", "$.hls.window must be an integer from 1 to 100"),
        (#"{"input": "fixture:swim-100-free", "hls": {"window": true}}"#, "bad_request", "$.hls.window must be an integer"),
        (#"{"input": "fixture:swim-100-free", "lookaheadMs": 60000, "hls": {}}"#, "bad_request", "$.lookaheadMs must be an integer from 0 to 10000"),
        (#"{"input": "fixture:swim-100-free", "carriers": ["id3", "scte35"], "hls": {}}"#, "bad_request", "$.carriers holds id3"),
        (#"{"input": "fixture:swim-100-free"}"#, "cannot_start", "at least one output"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["/tmp/out.ts"]}"#, "cannot_start", "$.outputs[0] must be a udp://"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["udp://198.51.100.7:6000"]}"#, "cannot_start", "198.51.100.7, which is not an allowed host"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["rtmp://127.0.0.1/live/x"]}"#, "cannot_start", "sei carrier only"),
        (#"{"input": "fixture:swim-100-free", "outputs": ["udp://127.0.0.1:6000?exec=rm"]}"#, "refused_output", "exec"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "template": "../../etc/passwd"}"#, "bad_request", "$.template is a plain template name"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "owner": ""}"#, "bad_request", "$.owner must be a non-empty string"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "owner": " channel1"}"#, "bad_request", "$.owner must be a name of 1 to 100 characters"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "owner": "chan\u0001nel"}"#, "bad_request", "without control characters"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "owner": "\#(String(repeating: "o", count: 101))"}"#, "bad_request", "$.owner must be a name of 1 to 100"),
        (#"{"input": "fixture:swim-100-free", "hls": {}, "template": "no-such-template"}"#, "unknown_template", "no template no-such-template"),
    ])
    func hostileJobRequestsAreRefusedNamingWhatWasWrongAndNothingIsStored(body: String, code: String, message: String) async throws {
        try await withServer { client in
            let response = try await Self.post(client, "/v1/jobs", body, key: keys["admin"]!)
            // 400: the request breaks the OpenAPI document; 422: it fits, but no job can start from it here.
            let status = ["bad_request": 400, "bad_json": 400, "not_found": 404][code] ?? 422
            #expect(response.status.code == status, "\(response.status)")
            let error = try #require(try Self.json(response)["error"] as? [String: Any])
            #expect(error["code"] as? String == code, "\(error)")
            #expect((error["message"] as? String)?.contains(message) == true, "\(error["message"] ?? "")")
        }
        #expect(try await store.jobs().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("jobs").path))
    }

    @Test func anOversizedJobRequestIs413AndWhoMayStartJobsIsChecked() async throws {
        try await withServer { client in
            let huge = #"{"input": "fixture:swim-100-free", "hls": {}, "owner": ""# + String(repeating: "x", count: 70_000) + "\"}"
            #expect(try await Self.post(client, "/v1/jobs", huge, key: keys["admin"]!).status == .contentTooLarge)
            let body = #"{"input": "fixture:swim-100-free", "hls": {}}"#
            for name in ["viewer", "designer", "feed"] {
                #expect(try await Self.post(client, "/v1/jobs", body, key: keys[name]!).status == .forbidden, "\(name)")
            }
            #expect(try await client.execute(uri: "/v1/jobs", method: .post, headers: [:], body: ByteBuffer(string: body)).status == .unauthorized)
            // A broadcaster's job is its own, and it may not make one for another.
            let refused = try await Self.post(client, "/v1/jobs", #"{"input": "fixture:swim-100-free", "hls": {}, "owner": "channel2"}"#, key: keys["channel1"]!)
            #expect(refused.status == .forbidden)
            let created = try await Self.post(client, "/v1/jobs", body, key: keys["channel1"]!)
            #expect(created.status == .created)
            let id = try #require(try Self.json(created)["id"] as? Int)
            _ = try await waitUntilEnded(Int64(id))
            #expect(try await store.job(id: Int64(id))?.description.owner == "channel1")
            let mine = try Self.json(try await client.execute(uri: "/v1/jobs", method: .get, headers: keys["channel1"]!))["jobs"] as? [[String: Any]]
            let theirs = try Self.json(try await client.execute(uri: "/v1/jobs", method: .get, headers: keys["channel2"]!))["jobs"] as? [[String: Any]]
            #expect(mine?.count == 1 && theirs?.isEmpty == true)
            // An admin may make one for a broadcaster.
            let forChannel2 = try await Self.post(client, "/v1/jobs", #"{"input": "fixture:swim-100-free", "hls": {}, "owner": "channel2"}"#, key: keys["admin"]!)
            #expect(forChannel2.status == .created)
            _ = try await waitUntilEnded(Int64(try #require(try Self.json(forChannel2)["id"] as? Int)))
            let theirsNow = try Self.json(try await client.execute(uri: "/v1/jobs", method: .get, headers: keys["channel2"]!))["jobs"] as? [[String: Any]]
            #expect(theirsNow?.count == 1)
        }
    }

    @Test func unsupportedMethodsAre405WithAllow() async throws {
        try await withServer { client in
            for (uri, method, allow) in [
                ("/v1/jobs", HTTPRequest.Method.delete, "GET, HEAD, POST"), ("/v1/jobs/1", .put, "GET, HEAD, DELETE"), ("/v1/jobs/1/frames", .post, "GET, HEAD"),
                ("/v1/fixtures", .post, "GET, HEAD"), ("/v1/fixtures/swim-100-free/render", .get, "POST"),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: keys["admin"]!)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                #expect(String(buffer: response.body).contains(#""code":"method_not_allowed""#))
            }
            // A plain GET of the WebSocket endpoint is told to upgrade.
            #expect(try await client.execute(uri: "/v1/jobs/1/ws", method: .get, headers: keys["admin"]!).status == .notFound)
        }
    }

    /// A refused WebSocket handshake could only be a bare 400; a well-formed one is upgraded and
    /// told why over the socket, where a browser's page can read it (close code 4000 + status).
    @Test(arguments: [
        ("/v1/jobs/999/ws", "admin", 404, "not_found"),
        ("/v1/jobs/999/ws", nil, 401, "unauthorized"),
        ("/v1/jobs/999/ws", "feed", 403, "forbidden"),
    ] as [(String, String?, Int, String)])
    func aRefusedWebSocketIsToldWhyOverTheSocket(path: String, key: String?, status: Int, code: String) async throws {
        try await withServer { client in
            // Made byte by byte, so what is checked is the wire, with no client library between.
            let headers = (key.map { keys[$0]! } ?? [:]).map { ($0.name.rawName, $0.value) }
            let socket = try await RawWebSocket.session(port: try #require(client.port), path: path, headers: headers)
            #expect(socket.statusLine.hasPrefix("HTTP/1.1 101 "), "\(socket.statusLine)")
            #expect(socket.close?.code == 4000 + status)
            #expect(socket.close?.reason == code)
            #expect(socket.closedByServer, "the server left the connection open after the close handshake")
            let message = try #require(socket.texts.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(message["event"] as? String == "refused")
            #expect(message["status"] as? Int == status)
            #expect((message["error"] as? [String: Any])?["code"] as? String == code)
        }
    }

    @Test func aMalformedWebSocketHandshakeIs400AndAPlainGetIs426() async throws {
        try await withServer { client in
            let port = try #require(client.port)
            let admin = keys["admin"]!.map { ($0.name.rawName, $0.value) }
            for path in ["/v1/jobs/1/ws?after=-5", "/v1/jobs/0/ws", "/v1/jobs/x/ws"] {
                let session = try await RawWebSocket.session(port: port, path: path, headers: admin, waitingAtMost: 5)
                #expect(session.statusLine.hasPrefix("HTTP/1.1 400 "), "\(path): \(session.statusLine)")
                #expect(session.closedByServer, "\(path)")
            }
            let created = try await Self.post(client, "/v1/jobs", #"{"input": "fixture:swim-100-free", "hls": {}}"#, key: keys["admin"]!)
            let job = try #require(try Self.json(created)["id"] as? Int)
            let plain = try await client.execute(uri: "/v1/jobs/\(job)/ws", method: .get, headers: keys["admin"]!)
            #expect(plain.status == .upgradeRequired)
            #expect(plain.headers[.upgrade] == "websocket")
            _ = try await waitUntilEnded(Int64(job))
        }
    }

    @Test func fixturesAreListedAndRenderedWithATemplateByNameOrInline() async throws {
        try await withServer { client in
            let listed = try Self.json(try await client.execute(uri: "/v1/fixtures", method: .get, headers: keys["viewer"]!))
            let names = (listed["fixtures"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["athletics-100m", "swim-100-free"])

            let golden = try Fixtures.swimGolden("frames.swimming")
            let rendered = try await Self.post(client, "/v1/fixtures/swim-100-free/render", #"{"template": "swimming", "from": 300, "to": 309}"#, key: keys["designer"]!)
            #expect(rendered.status == .ok, "\(String(buffer: rendered.body))")
            let text = String(buffer: rendered.body)
            #expect(text == #"{"fixture":"swim-100-free","frames":["# + golden[300...309].joined(separator: ",") + #"],"from":300,"template":"swimming","to":309}"#)

            let template = try String(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json"), encoding: .utf8)
            let inline = try await Self.post(client, "/v1/fixtures/swim-100-free/render", #"{"template": \#(template), "from": 599}"#, key: keys["designer"]!)
            #expect(String(buffer: inline.body).contains(golden[599]))

            let plain = try Self.json(try await Self.post(client, "/v1/fixtures/swim-100-free/render", "", key: keys["designer"]!))
            #expect((plain["frames"] as? [Any])?.count == 600)

            #expect(try await Self.post(client, "/v1/fixtures/swim-100-free/render", "{}", key: keys["viewer"]!).status == .forbidden)
            #expect(try await Self.post(client, "/v1/fixtures/nothing/render", "{}", key: keys["designer"]!).status == .notFound)
            #expect(try await Self.post(client, "/v1/fixtures/..%2Fswim-100-free/render", "{}", key: keys["designer"]!).status == .badRequest)
            let badTemplate = try await Self.post(client, "/v1/fixtures/swim-100-free/render", #"{"template": {"name": 5}}"#, key: keys["designer"]!)
            #expect(badTemplate.status == .unprocessableContent)
            let unknownField = try await Self.post(client, "/v1/fixtures/swim-100-free/render", #"{"frame": 5}"#, key: keys["designer"]!)
            #expect(unknownField.status == .badRequest && String(buffer: unknownField.body).contains("$.frame is not a field"))
        }
    }
}

/// Secrets in URLs never reach the store, the API or the logs.
struct RedactionTests {
    @Test(arguments: [
        ("srt://venue:9000?passphrase=verysecret123&latency=200", "srt://venue:9000?passphrase=***&latency=200"),
        ("srt://venue:9000?mode=listener&PASSPHRASE=a&passphrase=b", "srt://venue:9000?mode=listener&PASSPHRASE=***&passphrase=***"),
        ("udp://127.0.0.1:5000", "udp://127.0.0.1:5000"),
        ("srt://venue:9000?passphrase=", "srt://venue:9000?passphrase=***"),
    ])
    func srtPassphrasesAreReplaced(url: String, shown: String) async {
        #expect(EnrichmentJob.redacted(url) == shown)
    }
}

/// A frame read back from the store to be corrected is rendered at the instant it aired at.
struct AiredTimingTests {
    @Test func aStoredFrameGivesBackTheExactTimingItAiredWith() async throws {
        let rate = Rational(60000, 1001)
        let duration = Rational(1001, 60000)
        let start = UTCInstant(iso8601: "2026-07-31T19:42:19.800000Z")!.advanced(by: duration)
        let stored = StoredFrame(seq: 1, pts: 1501, captureUTC: start.iso8601, overlayJSON: Data(), captureExact: start.secondsSinceEpoch.description)
        let timing = try EnrichmentJob.timing(of: stored, timeBase: Rational(1, 90000), frameDuration: Rational(1) / rate)
        #expect(timing == FrameTiming(sequence: 1, pts: MediaTime(ticks: 1501, timeBase: Rational(1, 90000)), captureStart: start, captureEnd: start.advanced(by: duration)))
        // Stored without the exact instant (a whole number of microseconds), the text is exact.
        let whole = StoredFrame(seq: 0, pts: 0, captureUTC: "2026-07-31T19:42:19.800000Z", overlayJSON: Data())
        #expect(try EnrichmentJob.timing(of: whole, timeBase: Rational(1, 90000), frameDuration: duration).captureStart == UTCInstant(iso8601: "2026-07-31T19:42:19.800000Z"))
    }
}

/// A WebSocket client written out on a plain socket: the handshake, the server's frames up to its
/// close, the close answered as RFC 6455 asks, and whether the server then closed the connection.
/// Tests read the wire with it rather than through a client library: one that hangs when a
/// server answers and closes quickly would hang the suite, not fail a test.
enum RawWebSocket {
    struct Session: Sendable {
        var statusLine = ""
        var texts: [String] = []
        var close: (code: Int, reason: String)?
        var closedByServer = false
        /// Ping frames the server sent.
        var pings = 0
        /// The reader's own time limit ran out before the server closed.
        var timedOut = false
    }

    /// Connects to `path`, reads until the server's close frame (answering it), or, once
    /// `closeAfterTexts` text messages have come, closes first with 1000 and reads to the server's
    /// close. A refused handshake is read until the server closes the connection. `slowly` reads
    /// 4 KiB at a time with 5 ms between reads, as a client on a slow link does.
    static func session(
        port: Int, path: String, headers: [(String, String)], closeAfterTexts: Int? = nil, slowly: Bool = false, waitingAtMost limit: Double = 30
    ) async throws -> Session {
        try await OwnThread.run {
            try readSession(port: port, path: path, headers: headers, closeAfterTexts: closeAfterTexts, slowly: slowly, waitingAtMost: limit)
        }
    }

    /// `session`, waiting on the calling thread.
    static func readSession(
        port: Int, path: String, headers: [(String, String)], closeAfterTexts: Int? = nil, slowly: Bool = false, waitingAtMost limit: Double = 30
    ) throws -> Session {
        let socket = try BlockingSocket(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        socket.send(Array((request + "\r\n").utf8))
        var reader = FrameReader()
        var sentClose = false
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            switch socket.receive(upTo: slowly ? 4096 : 65536) {
            case .bytes(let bytes):
                reader.take(bytes)
                if slowly { Thread.sleep(forTimeInterval: 0.005) }
            case .nothing: continue
            case .closed:
                reader.session.closedByServer = true
                return reader.session
            }
            if !sentClose, let close = reader.session.close {
                socket.send(closeFrame(code: close.code))
                sentClose = true
            } else if !sentClose, let closeAfterTexts, reader.session.texts.count >= closeAfterTexts {
                socket.send(closeFrame(code: 1000))
                sentClose = true
            }
        }
        reader.session.timedOut = true
        return reader.session
    }

    /// A close frame with `code`, masked as every client frame must be.
    static func closeFrame(code: Int) -> [UInt8] {
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
        return [0x88, 0x80 | 2] + mask + zip(payload, mask).map { $0 ^ $1 }
    }

    /// Parses as bytes arrive: the response head's status line, then the (unmasked) server frames.
    struct FrameReader {
        var session = Session()
        private var bytes: [UInt8] = []
        private var at = 0
        private var headRead = false
        private var message: [UInt8] = []

        mutating func take(_ more: [UInt8]) {
            bytes += more
            if !headRead {
                let end = Array("\r\n\r\n".utf8)
                guard let headEnd = bytes.indices.first(where: { bytes[$0...].starts(with: end) }) else { return }
                session.statusLine = String(decoding: bytes[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")[0]
                headRead = true
                at = headEnd + 4
                // A refused handshake's body is not WebSocket frames.
                guard session.statusLine.hasPrefix("HTTP/1.1 101 ") else { return }
            }
            guard session.statusLine.hasPrefix("HTTP/1.1 101 ") else { return }
            while at + 2 <= bytes.count {
                let opcode = bytes[at] & 0x0F
                var length = Int(bytes[at + 1] & 0x7F)
                var payloadStart = at + 2
                if length == 126 {
                    guard at + 4 <= bytes.count else { return }
                    length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                    payloadStart = at + 4
                } else if length == 127 {
                    guard at + 10 <= bytes.count else { return }
                    length = bytes[(at + 2)..<(at + 10)].reduce(0) { $0 << 8 | Int($1) }
                    payloadStart = at + 10
                }
                guard payloadStart + length <= bytes.count else { return }
                let payload = bytes[payloadStart..<(payloadStart + length)]
                let final = bytes[at] & 0x80 != 0
                switch opcode {
                case 0x1, 0x0:
                    // A text message may come in fragments: a text frame, then continuations.
                    message += payload
                    if final {
                        session.texts.append(String(decoding: message, as: UTF8.self))
                        message = []
                    }
                case 0x8 where payload.count >= 2:
                    session.close = (Int(payload[payloadStart]) << 8 | Int(payload[payloadStart + 1]), String(decoding: payload.dropFirst(2), as: UTF8.self))
                case 0x9:
                    session.pings += 1
                default: break
                }
                at = payloadStart + length
            }
        }
    }
}
