import API
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Store
import TestSupport
import Testing

/// Server-Sent Events of a job's frames: every frame once, in order, resumable.
struct LivePushTests {
    let store: SQLiteStore
    let key: String
    let golden: [String]

    init() throws {
        store = try SQLiteStore(path: try Fixtures.scratchFolder("live-push").appendingPathComponent("podium.sqlite").path)
        key = try store.createKey(scope: .viewer, owner: "app", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        golden = try Fixtures.swimGolden()
    }

    func startJob() throws -> Int64 {
        try store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://venue", output: "out.ts", unit: nil, clockSource: "arrival", frameRate: "50"),
            documents: []
        )
    }

    func frames(_ range: Range<Int>) -> [StoredFrame] {
        range.map { StoredFrame(seq: $0, pts: 129_600 + Int64($0) * 1800, captureUTC: "", overlayJSON: Data(golden[$0].utf8)) }
    }

    /// The complete events of an SSE body: (event, id, data). An event counts once the blank line
    /// after it has arrived, as a browser's EventSource dispatches it.
    static func events(_ text: String) -> [(event: String, id: Int?, data: String)] {
        text.components(separatedBy: "\n\n").dropLast().compactMap { block in
            var event = "message"
            var id: Int?
            var data: String?
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return data.map { (event, id, $0) }
        }
    }

    /// A job's event stream read to its end on a connection of its own: status, content type, body.
    static func stream(port: Int, job: Int64, query: String, headers: [(String, String)]) async throws -> (status: Int, contentType: String?, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs/\(job)/events\(query)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        return (Int(response.status.code), response.headers.first(name: "Content-Type"), String(buffer: try await response.body.collect(upTo: 64 << 20)))
    }

    /// An event stream of `job` opened on a client of its own, to read as it comes (shut the
    /// client down when done).
    static func openStream(port: Int, job: Int64, query: String, key: String) async throws -> (client: HTTPClient, response: HTTPClientResponse) {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs/\(job)/events\(query)")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        return (http, try await http.execute(request, timeout: .seconds(30)))
    }

    func withServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(store: store, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live, body)
    }

    @Test func aFinishedJobStreamsEveryFrameOnceInOrderThenEnds() async throws {
        let job = try startJob()
        try store.appendFrames(frames(0..<600), toJob: job)
        try store.finishJob(job, failure: nil)
        let (key, golden) = (key, golden)
        try await withServer { client in
            // Read on a connection of its own, with room for the suite's load: the test client's
            // 20 s deadline is for one request, and this is a whole job's stream.
            let port = try #require(client.port)
            let (status, contentType, body) = try await Self.stream(port: port, job: job, query: "", headers: [("Authorization", "Bearer \(key)")])
            #expect(status == 200)
            #expect(contentType == "text/event-stream; charset=utf-8")
            let events = Self.events(body)
            #expect(events.count == 601)
            #expect(events.dropLast().map(\.id) == Array(0..<600))
            #expect(events.dropLast().map(\.data) == golden)
            #expect(events.last?.event == "end" && events.last?.data == #"{"frames":600,"state":"completed"}"#)
            // Resuming, by query or by Last-Event-ID, gives exactly what comes after.
            let after = Self.events(try await Self.stream(port: port, job: job, query: "?after=299", headers: [("Authorization", "Bearer \(key)")]).body)
            #expect(after.dropLast().compactMap(\.id) == Array(300..<600))
            let resumed = Self.events(try await Self.stream(port: port, job: job, query: "", headers: [("Authorization", "Bearer \(key)"), ("Last-Event-ID", "499")]).body)
            #expect(resumed.dropLast().compactMap(\.id) == Array(500..<600))
        }
    }

    /// A latency promise: `scripts/test.sh` runs it on its own, after the parallel suite.
    @Test func revokingTheKeyEndsItsOpenStreamWithinASecond() async throws {
        let job = try startJob()
        try store.appendFrames(frames(0..<10), toJob: job)
        let store = store
        let (record, secret) = try store.createKey(scope: .viewer, owner: "soon-revoked", createdUTC: "2026-07-31T19:40:00.000000Z")
        try await withServer { client in
            let (http, response) = try await Self.openStream(port: try #require(client.port), job: job, query: "?after=-1", key: secret)
            var text = ""
            var revokedAt: ContinuousClock.Instant?
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if revokedAt == nil, Self.events(text).count >= 10 {
                    // The job runs on; its follower's key is revoked (as `podium keys revoke` does).
                    #expect(try store.revokeKey(id: record.id, at: "2026-07-31T19:41:00.000000Z"))
                    revokedAt = .now
                }
            }
            let ended = try #require(revokedAt.map { ContinuousClock.now - $0 })
            try await http.shutdown()
            #expect(ended < .seconds(1), "the stream ended \(ended) after the revocation")
            #expect(Self.events(text).last?.event == "revoked")
        }
    }

    @Test func aClientFollowingARunningJobDisconnectsAndResumesWithoutAGap() async throws {
        let job = try startJob()
        let (store, key, golden) = (store, key, golden)
        let producer = Task {
            // The job stores its frames as it makes them: 25 at a time, every 20 ms.
            for start in stride(from: 0, to: 600, by: 25) {
                try store.appendFrames(frames(start..<start + 25), toJob: job)
                try await Task.sleep(for: .milliseconds(20))
            }
            try store.finishJob(job, failure: nil)
        }
        try await withServer { client in
            let port = try #require(client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            func follow(lastEventID: Int?, stopAfter: Int?) async throws -> [(event: String, id: Int?, data: String)] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/jobs/\(job)/events")
                request.headers.add(name: "Authorization", value: "Bearer \(key)")
                if let lastEventID { request.headers.add(name: "Last-Event-ID", value: "\(lastEventID)") }
                let response = try await http.execute(request, timeout: .seconds(30))
                var text = ""
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    let seen = Self.events(text)
                    // Disconnect mid-stream: stop reading once past `stopAfter`.
                    if let stopAfter, let last = seen.last?.id, last >= stopAfter { return seen }
                }
                return Self.events(text)
            }
            do {
                let first = try await follow(lastEventID: -1, stopAfter: 200)
                let lastSeen = try #require(first.last?.id)
                let second = try await follow(lastEventID: lastSeen, stopAfter: nil)
                let ids = first.compactMap(\.id) + second.compactMap(\.id)
                #expect(ids == Array(0..<600), "every frame once, in order, across the reconnection")
                #expect((first + second).filter { $0.event == "frame" }.map(\.data) == golden)
                #expect(second.last?.event == "end")
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
        try await producer.value
    }

    @Test func aClientTooFarBehindARunningJobIsDroppedWithTheReason() async throws {
        let job = try startJob()
        try store.appendFrames((0..<3200).map { StoredFrame(seq: $0, pts: Int64($0), captureUTC: "", overlayJSON: Data("{}".utf8)) }, toJob: job)
        let key = key
        try await withServer { client in
            let response = try await client.execute(uri: "/v1/jobs/\(job)/events?after=-1", method: .get, headers: [.authorization: "Bearer \(key)"])
            let events = Self.events(String(buffer: response.body))
            #expect(events.map(\.event) == ["dropped"])
            #expect(events.first?.data.contains("3200 frames behind") == true)
            #expect(events.first?.data.contains(#""resumeAfter":-1"#) == true)
        }
    }

    /// Without `after`, a follower of a running job starts at its live edge: 3,200 frames stored
    /// before it joined are not replayed (nor is it dropped for being behind them); the frames
    /// stored after it joined come, in order, then the end.
    @Test func aFollowerWithoutAfterJoinsARunningJobAtItsLiveEdge() async throws {
        let job = try startJob()
        try store.appendFrames((0..<3200).map { StoredFrame(seq: $0, pts: Int64($0), captureUTC: "", overlayJSON: Data("{}".utf8)) }, toJob: job)
        let (store, key) = (store, key)
        try await withServer { client in
            let (http, response) = try await Self.openStream(port: try #require(client.port), job: job, query: "", key: key)
            // The stream is open (its head came): what the job stores from now on is followed.
            let producer = Task {
                for start in stride(from: 3200, to: 3300, by: 10) {
                    try store.appendFrames((start..<start + 10).map { StoredFrame(seq: $0, pts: Int64($0), captureUTC: "", overlayJSON: Data("{}".utf8)) }, toJob: job)
                    try await Task.sleep(for: .milliseconds(10))
                }
                try store.finishJob(job, failure: nil)
            }
            var text = ""
            for try await chunk in response.body { text += String(buffer: chunk) }
            try await producer.value
            try await http.shutdown()
            let events = Self.events(text)
            #expect(events.compactMap(\.id) == Array(3200..<3300))
            #expect(events.last?.event == "end")
        }
    }

    /// A push's connection holds little (`PushConnection`), so at a job's end most of what a slow
    /// client has still to read is queued in the server: the connection must not go before it has.
    /// The client reads 1.45 MB in about 2 s alone; beside the whole suite it has taken
    /// longer than 30 s, so it waits up to 2 minutes and says so if its own time ran out.
    @Test func aSlowWebSocketClientGetsEveryFrameAndTheEndOfAFinishedJob() async throws {
        let job = try startJob()
        try store.appendFrames(frames(0..<600), toJob: job)
        try store.finishJob(job, failure: nil)
        let key = key
        try await withServer { client in
            let session = try await RawWebSocket.session(
                port: try #require(client.port), path: "/v1/jobs/\(job)/ws", headers: [("Authorization", "Bearer \(key)")], slowly: true,
                waitingAtMost: 120
            )
            #expect(!session.timedOut, "the test client's own time limit ran out before the server closed")
            let seqs = session.texts.compactMap { $0.firstMatch(of: /"seq":(\d+)\}$/).map { Int($0.1)! } }
            #expect(seqs == Array(0..<600))
            #expect(session.texts.last?.contains(#""event":"end""#) == true)
            #expect(session.close?.code == 1000)
        }
    }

    /// A follower of a job with nothing new: a WebSocket ping every heartbeat keeps proxies from
    /// closing the quiet stream, and the server's end of the connection has TCP keepalive on, which
    /// finds a peer gone without a word whatever the server's load.
    @Test func aQuietWebSocketStreamIsPingedAndKeptAliveByTCP() async throws {
        let job = try startJob()
        let key = key
        try await withServer { client in
            let port = try #require(client.port)
            // The session and the watch of the server's side of its connection, as the kernel
            // shows it, run on threads of their own: the suite's load may hold this task for
            // seconds. The session lasts long enough for a ping 15 s after the push starts,
            // however late that load lets it start.
            let (quiet, timers) = try await OwnThread.run {
                try Loopback.watchingTCPTimers(localPort: port) {
                    try RawWebSocket.readSession(port: port, path: "/v1/jobs/\(job)/ws", headers: [("Authorization", "Bearer \(key)")], waitingAtMost: 45)
                }
            }
            // The keepalive timer runs once the push has begun.
            #expect(timers.contains(2), "timers of the server's connections: \(timers.sorted())")
            #expect(quiet.statusLine.hasPrefix("HTTP/1.1 101 "))
            #expect(quiet.pings >= 1)
            #expect(quiet.close == nil && !quiet.closedByServer)
        }
    }

    @Test func aWebSocketClientTooFarBehindIsToldWhyAndWhereToResume() async throws {
        let job = try startJob()
        try store.appendFrames((0..<3200).map { StoredFrame(seq: $0, pts: Int64($0), captureUTC: "", overlayJSON: Data("{}".utf8)) }, toJob: job)
        let key = key
        try await withServer { client in
            let pushed = try await ServerJobsTests.followOverWebSocket(port: try #require(client.port), job: job, after: -1, key: [.authorization: "Bearer \(key)"])
            #expect(pushed.seqs.isEmpty)
            #expect(pushed.last?["event"] as? String == "dropped")
            #expect(pushed.last?["resumeAfter"] as? Int == -1)
            #expect((pushed.last?["reason"] as? String)?.contains("3200 frames behind") == true)
            // From where it is told to resume, after paging, it follows again.
            let resumed = try await ServerJobsTests.followOverWebSocket(port: try #require(client.port), job: job, after: 3000, key: [.authorization: "Bearer \(key)"], stopAfter: 199)
            #expect(resumed.seqs == Array(3001..<3200))
        }
    }
}
