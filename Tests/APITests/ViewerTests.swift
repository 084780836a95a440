import API
import Feeds
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import NIOCore
import Store
import Synchronization
import TestSupport
import Testing

/// The web viewer in a real browser (Debian's Chromium, headless) against a live server on
/// loopback, and the previews it is compared with.
@Suite(.serialized)
struct ViewerTests {
    let server: ServerUnderTest
    let designer: String

    init() throws {
        server = try ServerUnderTest("viewer")
        designer = try server.store.createKey(scope: .designer, owner: "studio", createdUTC: "2026-07-31T19:40:00.000000Z").secret
    }

    func withServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await server.serve(body)
    }

    /// Opens the viewer at `url` until its state says the chosen frame is drawn (or an error came).
    static func visitUntilReady(_ chromium: HeadlessChromium, _ url: String) async throws -> HeadlessChromium.Visit {
        try await chromium.visit(url, probe: "document.getElementById('state').textContent") { text in
            guard let state = pageState(text) else { return false }
            return state["ready"] as? Bool == true || !((state["errors"] as? [Any])?.isEmpty ?? true)
        }
    }

    /// The state the page publishes.
    static func pageState(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    @Test func theViewerSeeksToAFrameAndDrawsThatFramesElementsWithoutErrors() async throws {
        let golden = try Fixtures.swimGolden("frames.swimming")
        let frame312 = try #require(try JSONSerialization.jsonObject(with: Data(golden[312].utf8)) as? [String: Any])
        let expected = (frame312["elements"] as? [[String: Any]] ?? []).filter { element in
            (element["opacity"] as? Double ?? 0) > 0 && (element["rect"] != nil || element["visible"] as? Bool == true && element["screen"] != nil)
        }.compactMap { $0["id"] as? String }
        #expect(!expected.isEmpty)
        let chromium = try await HeadlessChromium.launch()
        let key = designer
        try await withServer { client in
            let port = try #require(client.port)
            let page = try await client.execute(uri: "/viewer", method: .get, headers: [:])
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            defer { chromium.close() }
            let visit = try await Self.visitUntilReady(chromium, "http://127.0.0.1:\(port)/viewer#key=\(key)&fixture=swim-100-free&template=swimming&frame=312")
            let state = try #require(Self.pageState(visit.value), "\(visit.value)")
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            #expect((state["errors"] as? [Any])?.isEmpty == true, "\(state)")
            #expect(state["frame"] as? Int == 312, "\(state)")
            #expect(state["ready"] as? Bool == true, "\(visit.value)")
            #expect(state["elements"] as? [String] == expected)

            // The picture under the overlay is frame 312 too: of the server's previews of nearby
            // frames (FFmpeg's decoding, Cairo's drawing), the screenshot's video is nearest 312's.
            // Compared where the frames differ: the burned-in counter, and the picture above the player's controls.
            let shown = try Pixels(png: visit.screenshot, crop: (0, 0, 640, 300))
            var distances: [Int: (counter: Double, picture: Double)] = [:]
            for frame in [240, 311, 312, 313] {
                let preview = try await client.execute(uri: "/v1/fixtures/swim-100-free/frames/\(frame)/preview.png?template=swimming", method: .get, headers: [.authorization: "Bearer \(key)"])
                #expect(preview.status == .ok)
                let drawn = try Pixels(png: Data(preview.body.readableBytesView), crop: (0, 0, 640, 300))
                distances[frame] = (shown.meanDifference(from: drawn, in: (0, 0, 104, 36)), shown.meanDifference(from: drawn))
            }
            let nearest = distances.min { $0.value.picture < $1.value.picture }?.key
            #expect(nearest == 312 && distances[312]!.picture < 12, "\(distances.sorted { $0.key < $1.key })")
            #expect(distances[312]!.counter < distances[240]!.counter / 4, "\(distances.sorted { $0.key < $1.key })")
        }
    }

    @Test func aJobsHLSPlaysInTheBrowsersOwnPlayerThroughAPlaybackURLWithItsOverlays() async throws {
        let admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        let chromium = try await HeadlessChromium.launch()
        try await withServer { client in
            defer { chromium.close() }
            let port = try #require(client.port)
            let created = try await client.execute(
                uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"input": "fixture:swim-100-free", "template": "swimming", "hls": {"segmentSeconds": 2}}"#)
            )
            try #require(created.status == .created)
            let id = try #require(try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any])["id"] as! Int
            var state = "running"
            while state == "running" {
                try await Task.sleep(for: .milliseconds(100))
                state = try await server.store.job(id: Int64(id))?.state ?? ""
            }
            // The playback URL works without a key, for this job only, and a wrong token gets nothing.
            let playback = try await client.execute(uri: "/v1/jobs/\(id)/playback", method: .post, headers: [.authorization: "Bearer \(admin)"])
            #expect(playback.status == .created)
            let url = try #require(try JSONSerialization.jsonObject(with: Data(playback.body.readableBytesView)) as? [String: Any])["url"] as? String ?? ""
            #expect(try await client.execute(uri: url, method: .get, headers: [:]).status == .ok)
            #expect(try await client.execute(uri: url.replacingOccurrences(of: "/play/\(id)/", with: "/play/\(id + 1)/"), method: .get, headers: [:]).status == .notFound)
            #expect(try await client.execute(uri: "/play/\(id)/1-00/index.m3u8", method: .get, headers: [:]).status == .notFound)
            // A token whose code is changed in its last digit, or given in capitals, is refused or accepted by
            // the code's value, not its spelling.
            let token = try #require(url.split(separator: "/").dropFirst(2).first.map(String.init))
            let forged = String(token.dropLast()) + (token.last == "0" ? "1" : "0")
            #expect(try await client.execute(uri: url.replacingOccurrences(of: token, with: forged), method: .get, headers: [:]).status == .notFound)
            #expect(try await client.execute(uri: url.replacingOccurrences(of: token, with: token.uppercased()), method: .get, headers: [:]).status == .ok)

            let aired = try #require(try JSONSerialization.jsonObject(with: Data(try await client.execute(uri: "/v1/jobs/\(id)/frames/312", method: .get, headers: [.authorization: "Bearer \(admin)"]).body.readableBytesView)) as? [String: Any])
            let expected = (aired["elements"] as? [[String: Any]] ?? []).filter { element in
                (element["opacity"] as? Double ?? 0) > 0 && (element["rect"] != nil || element["visible"] as? Bool == true && element["screen"] != nil)
            }.compactMap { $0["id"] as? String }
            let visit = try await Self.visitUntilReady(chromium, "http://127.0.0.1:\(port)/viewer#key=\(admin)&job=\(id)&video=hls&frame=312")
            let page = try #require(Self.pageState(visit.value), "\(visit.value)")
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            #expect(page["mode"] as? String == "job-hls" && (page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect(page["frame"] as? Int == 312 && page["elements"] as? [String] == expected, "\(page)")
            // The HLS picture under the overlay is frame 312's.
            let shown = try Pixels(png: visit.screenshot, crop: (0, 0, 640, 300))
            var distances: [Int: Double] = [:]
            for frame in [240, 311, 312, 313] {
                let preview = try await client.execute(uri: "/v1/jobs/\(id)/frames/\(frame)/preview.png", method: .get, headers: [.authorization: "Bearer \(admin)"])
                distances[frame] = shown.meanDifference(from: try Pixels(png: Data(preview.body.readableBytesView), crop: (0, 0, 640, 300)))
            }
            #expect(distances.min { $0.value < $1.value }?.key == 312 && distances[312]! < 12, "\(distances.sorted { $0.key < $1.key })")
        }
    }

    @Test func aJobWithoutAPictureToPlayStillShowsTheChosenFramesOverlay() async throws {
        let admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        let golden = try Fixtures.swimGolden("frames.swimming")
        let job = try server.store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://127.0.0.1:5000", output: "udp://127.0.0.1:6000", unit: nil, clockSource: "arrival", frameRate: "50"),
            documents: []
        )
        try server.store.appendFrames(golden.enumerated().map { StoredFrame(seq: $0, pts: 129_600 + Int64($0) * 1800, captureUTC: "", overlayJSON: Data($1.utf8)) }, toJob: job)
        try server.store.finishJob(job, failure: nil)
        let chromium = try await HeadlessChromium.launch()
        try await withServer { client in
            defer { chromium.close() }
            let visit = try await Self.visitUntilReady(chromium, "http://127.0.0.1:\(try #require(client.port))/viewer#key=\(admin)&job=\(job)&frame=312")
            let page = try #require(Self.pageState(visit.value), "\(visit.value)")
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            #expect(page["mode"] as? String == "job" && page["frame"] as? Int == 312 && (page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect((page["elements"] as? [String])?.isEmpty == false)
        }
    }

    /// A running job: the viewer follows it live (the SDK's `followJob` over SSE), drawing each
    /// frame as it is stored, until the job ends.
    @Test func aRunningJobIsFollowedLiveUntilItEnds() async throws {
        let admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        let golden = try Fixtures.swimGolden("frames.swimming")
        let store = server.store
        let job = try store.startJob(
            JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "udp://127.0.0.1:5000", output: "udp://127.0.0.1:6000", unit: nil, clockSource: "arrival", frameRate: "50"),
            documents: []
        )
        let frames = golden.enumerated().map { StoredFrame(seq: $0, pts: 129_600 + Int64($0) * 1800, captureUTC: "", overlayJSON: Data($1.utf8)) }
        try store.appendFrames(Array(frames[0..<100]), toJob: job)
        let chromium = try await HeadlessChromium.launch()
        try await withServer { client in
            defer { chromium.close() }
            // The job goes on once the page follows it: 50 frames every 100 ms, then its end.
            let following = Notes(false)
            let producer = Task {
                let deadline = ContinuousClock.now + .seconds(60)
                while !following.value.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                try await Task.sleep(for: .milliseconds(500))
                for start in stride(from: 100, to: 600, by: 50) {
                    try store.appendFrames(Array(frames[start..<(start + 50)]), toJob: job)
                    try await Task.sleep(for: .milliseconds(100))
                }
                try store.finishJob(job, failure: nil)
            }
            let visit = try await chromium.visit("http://127.0.0.1:\(try #require(client.port))/viewer#key=\(admin)&job=\(job)", probe: "document.getElementById('state').textContent + '|' + document.getElementById('status').textContent") { text in
                if text.contains(#""mode":"live""#) { following.value.withLock { $0 = true } }
                return text.hasSuffix("|the job has ended") || text.contains("\"errors\":[\"")
            }
            try await producer.value
            let parts = visit.value.split(separator: "|", maxSplits: 1).map(String.init)
            let page = try #require(Self.pageState(parts.first ?? ""), "\(visit.value)")
            #expect(visit.errors.isEmpty, "\(visit.errors)")
            #expect(page["mode"] as? String == "live" && (page["errors"] as? [Any])?.isEmpty == true, "\(page)")
            #expect(parts.last == "the job has ended", "\(visit.value)")
            #expect(page["frame"] as? Int == 599, "\(page)")
            // From the live edge on (the page may join a few frames past 99), every batch drawn.
            #expect((page["drawn"] as? Int ?? 0) >= 400, "\(page)")
        }
    }
}
