import API
import Feeds
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Store
import TestSupport
import Testing

/// Timing systems posting documents over HTTP, against a real SQLite audit log.
struct FeedsAPITests {
    let store: SQLiteStore
    let feedKey: String
    let viewerKey: String
    let folder: URL

    static let unit = "SWMM100MFR------------FNL-000100--"
    static let documents = [
        "00-DT_RECORD.xml", "01-DT_PARTIC.xml", "02-DT_RESULT-START_LIST.xml", "03-DT_RESULT-LIVE-reaction.xml",
        "04-DT_RESULT-LIVE-50m.xml", "05-DT_RESULT-OFFICIAL.xml",
    ]

    init() throws {
        folder = try Fixtures.scratchFolder("feeds-api")
        store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        feedKey = try store.createKey(scope: .feed, owner: "timing", createdUTC: "2026-07-31T19:00:00.000000Z").secret
        viewerKey = try store.createKey(scope: .viewer, owner: "app", createdUTC: "2026-07-31T19:00:00.000000Z").secret
    }

    func withRouter(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let desk = FeedDesk(intake: try ResultsIntake(store: store))
        let app = buildApplication(store: store, feeds: desk, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router, body)
    }

    /// `bytes` gzip-compressed by the system's gzip.
    func gzipped(_ bytes: Data, name: String) async throws -> Data {
        let file = folder.appendingPathComponent(name)
        try bytes.write(to: file)
        let result = try await Fixtures.run("gzip", ["-f", "-9", file.path])
        try #require(result.status == 0, "\(result.err)")
        return try Data(contentsOf: file.appendingPathExtension("gz"))
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    @Test func odfPostedGzipCompressedComesBackThroughTheUnits() async throws {
        var compressed: [Data] = []
        for name in Self.documents {
            compressed.append(try await gzipped(try Data(contentsOf: Fixtures.swim.appendingPathComponent("results").appendingPathComponent(name)), name: name))
        }
        let bodies = compressed
        let (key, viewer) = (feedKey, viewerKey)
        try await withRouter { client in
            for body in bodies {
                let response = try await client.execute(
                    uri: "/v1/feeds/odf", method: .post, headers: [HTTPField.Name("X-API-KEY")!: key, .contentEncoding: "gzip"], body: ByteBuffer(bytes: body)
                )
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(try Self.json(response)["outcome"] as? String == "accepted")
            }
            // The same document again is stored once: a duplicate, still a 200.
            let again = try await client.execute(
                uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)", .contentEncoding: "gzip"], body: ByteBuffer(bytes: bodies[5])
            )
            #expect(again.status == .ok)
            #expect(try Self.json(again)["outcome"] as? String == "duplicate")

            let units = try Self.json(try await client.execute(uri: "/v1/units", method: .get, headers: [.authorization: "Bearer \(viewer)"]))
            #expect((units["units"] as? [[String: Any]])?.compactMap { $0["unit"] as? String } == [Self.unit])
            let unit = try Self.json(try await client.execute(uri: "/v1/units/\(Self.unit)", method: .get, headers: [.authorization: "Bearer \(viewer)"]))
            let lanes = try #require(unit["lanes"] as? [[String: Any]])
            #expect(lanes.count == 8)
            #expect(lanes.first { $0["lane"] as? Int == 4 }?["finish"] as? String == "8.31")

            // The athletes and the records the feeds gave, as sent; before any was received, none.
            let athletes = try #require(try Self.json(try await client.execute(uri: "/v1/athletes", method: .get, headers: [.authorization: "Bearer \(viewer)"]))["athletes"] as? [[String: Any]])
            #expect(athletes.count == 8)
            #expect(athletes.first?["id"] as? String == "1100001" && athletes.first?["givenName"] as? String == "Tomás")
            let records = try #require(try Self.json(try await client.execute(uri: "/v1/records", method: .get, headers: [.authorization: "Bearer \(viewer)"]))["records"] as? [[String: Any]])
            #expect(records.contains { $0["type"] as? String == "WR" && $0["time"] as? String == "8.35" })
            let before = try Self.json(try await client.execute(uri: "/v1/athletes?asKnownAt=2000-01-01T00:00:00Z", method: .get, headers: [.authorization: "Bearer \(viewer)"]))
            #expect((before["athletes"] as? [Any])?.isEmpty == true)
            #expect(try await client.execute(uri: "/v1/records?asKnownAt=yesterday", method: .get, headers: [.authorization: "Bearer \(viewer)"]).status == .badRequest)
        }
        // Every document is in the audit log, durably, before its 200; the same bytes again are not stored twice.
        #expect(try store.feedDocuments().count == 6)
    }

    /// The lists of a real meet (a Swiss masters meet's results and the Swiss junior records,
    /// fixtures/real/lenex) walked page by page give exactly the whole list, in its order.
    @Test func everyFeedListIsPagedByCursor() async throws {
        let folder = Fixtures.root.appendingPathComponent("fixtures/real/lenex")
        let meets = try ["swiss-masters-2009-results.lxf", "swiss-junior-records-2009.lxf"].map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        let (key, viewer) = (feedKey, viewerKey)
        try await withRouter { client in
            for meet in meets {
                let response = try await client.execute(uri: "/v1/feeds/lenex", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: meet))
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            let headers: HTTPFields = [.authorization: "Bearer \(viewer)"]
            for (path, name, limit) in [("/v1/athletes", "athletes", 17), ("/v1/records", "records", 10), ("/v1/units", "units", 3), ("/v1/schedule", "units", 4)] {
                let whole = try #require(try Self.json(try await client.execute(uri: "\(path)?limit=1000", method: .get, headers: headers))[name] as? [[String: Any]])
                #expect(whole.count > limit * 2, "\(path) has \(whole.count)")
                var walked: [[String: Any]] = []
                var cursor: String?
                repeat {
                    try #require(walked.count <= whole.count, "\(path): the pages never end")
                    let query = "limit=\(limit)" + (cursor.map { "&cursor=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? "")
                    let page = try Self.json(try await client.execute(uri: "\(path)?\(query)", method: .get, headers: headers))
                    let items = try #require(page[name] as? [[String: Any]])
                    #expect(items.count == limit || page["next"] is NSNull, "\(path): a short page is the last")
                    walked += items
                    cursor = page["next"] as? String
                } while cursor != nil
                #expect(walked.map { NSDictionary(dictionary: $0) } == whole.map { NSDictionary(dictionary: $0) }, "\(path)")
            }
            let athletes = try #require(try Self.json(try await client.execute(uri: "/v1/athletes?limit=1000", method: .get, headers: headers))["athletes"] as? [[String: Any]])
            let ids = athletes.compactMap { $0["id"] as? String }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            #expect(try await client.execute(uri: "/v1/records?limit=0", method: .get, headers: headers).status == .badRequest)
        }
    }

    /// The lenex feed takes a `.lxf` (zipped) as it comes from a meet manager, and its `.lef`;
    /// both are the same document, so the second is a duplicate.
    @Test func aZippedLenexFileIsTakenOnTheLenexFeed() async throws {
        let zipped = try Data(contentsOf: Fixtures.root.appendingPathComponent("fixtures/feeds/lenex/podium-open.lxf"))
        let plain = try Data(contentsOf: Fixtures.root.appendingPathComponent("fixtures/feeds/lenex/podium-open.lef"))
        let key = feedKey
        try await withRouter { client in
            let first = try await client.execute(uri: "/v1/feeds/lenex", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: zipped))
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            #expect(try Self.json(first)["outcome"] as? String == "accepted")
            #expect(try Self.json(first)["format"] as? String == "lenex")
            let second = try await client.execute(uri: "/v1/feeds/lenex", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: plain))
            #expect(try Self.json(second)["outcome"] as? String == "duplicate")
            let wrongFeed = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: zipped))
            #expect(wrongFeed.status == .unprocessableContent)
            #expect((try Self.json(wrongFeed)["error"] as? [String: Any])?["message"] as? String == "this feed takes odf; the body is lenex-zip")
        }
    }

    /// A server that takes rehearsals answers a test document `rehearsal` and shows it only on
    /// the rehearsal ledger.
    @Test func aRehearsalDocumentIsAnsweredAndShownApart() async throws {
        let text = try String(contentsOf: Fixtures.swim.appendingPathComponent("results/05-DT_RESULT-OFFICIAL.xml"), encoding: .utf8)
            .replacingOccurrences(of: #"FeedFlag="P""#, with: #"FeedFlag="T""#)
        let (key, viewer) = (feedKey, viewerKey)
        let desk = FeedDesk(intake: try ResultsIntake(store: store, takesRehearsals: true))
        let app = buildApplication(store: store, feeds: desk, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router) { client in
            let posted = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(string: text))
            #expect(posted.status == .ok, "\(String(buffer: posted.body))")
            #expect(try Self.json(posted)["outcome"] as? String == "rehearsal")
            let production = try Self.json(try await client.execute(uri: "/v1/units", method: .get, headers: [.authorization: "Bearer \(viewer)"]))
            #expect((production["units"] as? [[String: Any]])?.isEmpty == true)
            let rehearsal = try Self.json(try await client.execute(uri: "/v1/units?ledger=rehearsal", method: .get, headers: [.authorization: "Bearer \(viewer)"]))
            #expect((rehearsal["units"] as? [[String: Any]])?.compactMap { $0["unit"] as? String } == [Self.unit])
            let unit = try await client.execute(uri: "/v1/units/\(Self.unit)?ledger=rehearsal", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(unit.status == .ok)
            #expect(try await client.execute(uri: "/v1/units/\(Self.unit)", method: .get, headers: [.authorization: "Bearer \(viewer)"]).status == .notFound)
            #expect(try await client.execute(uri: "/v1/units?ledger=staging", method: .get, headers: [.authorization: "Bearer \(viewer)"]).status == .badRequest)
        }
        #expect(try store.feedDocuments().map(\.outcome) == ["rehearsal"])
    }

    @Test func onlyAFeedKeyMayPost() async throws {
        let body = try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/01-DT_PARTIC.xml"))
        let viewer = viewerKey
        try await withRouter { client in
            let forbidden = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(viewer)"], body: ByteBuffer(bytes: body))
            #expect(forbidden.status == .forbidden)
            let anonymous = try await client.execute(uri: "/v1/feeds/odf", method: .post, body: ByteBuffer(bytes: body))
            #expect(anonymous.status == .unauthorized)
        }
        #expect(try store.feedDocuments().isEmpty)
    }

    @Test func hostileBodiesAreRefusedByName() async throws {
        let key = feedKey
        let bomb = try await gzipped(Data(count: 11 * 1024 * 1024), name: "zeros.xml")
        let lenex = try Data(contentsOf: Fixtures.root.appendingPathComponent("fixtures/feeds/lenex/podium-open.lef"))
        let oversized = Data(repeating: UInt8(ascii: " "), count: 10 * 1024 * 1024 + 1)
        let cases: [(String, HTTPFields, Data, HTTPResponse.Status, String)] = [
            ("/v1/feeds/odf", [.contentEncoding: "gzip"], bomb, .contentTooLarge, "too_large"),
            ("/v1/feeds/odf", [:], oversized, .contentTooLarge, "too_large"),
            ("/v1/feeds/odf", [.contentEncoding: "gzip"], Data("<OdfBody/>".utf8), .unprocessableContent, "bad_encoding"),
            ("/v1/feeds/odf", [.contentEncoding: "br"], Data("<OdfBody/>".utf8), .unsupportedMediaType, "unsupported_encoding"),
            ("/v1/feeds/odf", [:], lenex, .unprocessableContent, "rejected_document"),
            ("/v1/feeds/odf", [:], Data(), .badRequest, "bad_request"),
            ("/v1/feeds/paper", [:], Data("x".utf8), .notFound, "not_found"),
        ]
        try await withRouter { client in
            for (path, extra, body, status, code) in cases {
                var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                headers.append(contentsOf: extra)
                let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
                #expect(response.status == status, "\(path) \(extra) \(body.count) bytes: \(String(buffer: response.body))")
                #expect((try Self.json(response)["error"] as? [String: Any])?["code"] as? String == code)
            }
        }
        #expect(try store.feedDocuments().isEmpty, "nothing refused at the door is stored")
    }

    @Test func aDocumentThatCannotBeReadIsLoggedAndAnswered422() async throws {
        let key = feedKey
        try await withRouter { client in
            let response = try await client.execute(
                uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(string: "<OdfBody DocumentType=\"DT_RESULT\"><Competition>")
            )
            #expect(response.status == .unprocessableContent)
            let error = try #require(try Self.json(response)["error"] as? [String: Any])
            #expect(error["code"] as? String == "rejected_document")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
        #expect(try store.feedDocuments().map(\.outcome) == ["rejected"])
    }

    /// A document that once overflowed the stack: over real HTTP it is refused in one line, stored
    /// as rejected, and the server goes on answering (the same body twice, and a good one after).
    @Test func aDocumentNestedSixtyThousandDeepIsRejectedAndTheServerStaysUp() async throws {
        var text = "<?xml version=\"1.0\"?>\n" + #"<OdfBody CompetitionCode="OG" DocumentCode="X" DocumentType="DT_RESULT" Version="1" FeedFlag="P">"#
        text += String(repeating: "<a>", count: 60_000) + String(repeating: "</a>", count: 60_000) + "</OdfBody>"
        var lenex = #"<LENEX version="3.0">"#
        lenex += String(repeating: "<MEETS>", count: 60_000) + String(repeating: "</MEETS>", count: 60_000) + "</LENEX>"
        let cases = [("odf", Data(text.utf8), "odf: line 2: malformed XML: <a> is nested more than 256 elements deep"),
                     ("lenex", Data(lenex.utf8), "lenex: line 1: malformed XML: <MEETS> is nested more than 256 elements deep")]
        let good = try Data(contentsOf: Fixtures.swim.appendingPathComponent("results/01-DT_PARTIC.xml"))
        let key = feedKey
        let desk = FeedDesk(intake: try ResultsIntake(store: store))
        let app = buildApplication(store: store, feeds: desk, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            for (format, body, message) in cases {
                for _ in 0..<2 {
                    let response = try await client.execute(
                        uri: "/v1/feeds/\(format)", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: body)
                    )
                    #expect(response.status == .unprocessableContent)
                    let error = try #require(try Self.json(response)["error"] as? [String: Any])
                    #expect(error["message"] as? String == message)
                }
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let accepted = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: good))
            #expect(try Self.json(accepted)["outcome"] as? String == "accepted")
        }
        let stored = try store.feedDocuments()
        #expect(stored.map(\.outcome) == ["rejected", "rejected", "applied"], "\(stored.map { ($0.outcome, $0.detail) })")
    }
}
