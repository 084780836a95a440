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

/// A server whose database disk fills up answers feed posts with 503 naming the store, turns
/// not ready, and keeps every document it acknowledged before.
@Suite(.serialized)
struct StoreFaultAPITests {
    @Test func aFullDiskIs503NamingTheStoreAndNotReady() async throws {
        let disk = try SmallDisk()
        let store = try SQLiteStore(path: disk.folder.appendingPathComponent("podium.sqlite").path)
        let key = try store.createKey(scope: .feed, owner: "timing", createdUTC: "2026-07-31T19:00:00.000000Z").secret
        let results = Fixtures.swim.appendingPathComponent("results")
        let first = try Data(contentsOf: results.appendingPathComponent("01-DT_PARTIC.xml"))
        let later = try Data(contentsOf: results.appendingPathComponent("02-DT_RESULT-START_LIST.xml"))
        let desk = FeedDesk(intake: try ResultsIntake(store: store))
        let app = buildApplication(store: store, feeds: desk, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let accepted = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: first))
            #expect(accepted.status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            // The disk fills up.
            try disk.fill()
            let refused = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: [.authorization: "Bearer \(key)"], body: ByteBuffer(bytes: later))
            #expect(refused.status == .serviceUnavailable, "\(String(buffer: refused.body))")
            #expect(refused.headers[.retryAfter] == "5")
            let body = String(buffer: refused.body)
            #expect(body.contains("store_unavailable") && body.contains("database or disk is full"), "\(body)")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body).contains("database or disk is full"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            // The refused start list was not taken by the results either: no unit came of it.
            let units = try await client.execute(uri: "/v1/units", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(String(buffer: units.body) == #"{"next":null,"units":[]}"#, "\(String(buffer: units.body))")
        }
        // What was acknowledged is there; what was refused is not.
        let stored = try store.feedDocuments()
        #expect(stored.count == 1 && stored.first?.bytes == first, "\(stored.map(\.outcome))")
    }
}
