import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Overlay
import Store
import TestSupport
import Testing

/// A server reads the time of day from the one clock it is given: a document's receipt, a job's
/// record, "now" for a venue's schedule and a playback token's expiry all move with it.
struct WallClockTests {
    /// A clock that always reads the same instant: the evening of a final, long past.
    struct StoppedClock: WallClock {
        let instant: UTCInstant
        func microsecondsSinceEpoch() -> Int64 {
            let (micros, _) = (instant.secondsSinceEpoch.numerator * 1_000_000).quotientAndRemainder(dividingBy: instant.secondsSinceEpoch.denominator)
            return Int64(micros)
        }
    }

    @Test func receiptsJobsTheScheduleAndPlaybackReadTheServersClock() async throws {
        let evening = try #require(UTCInstant(iso8601: "2024-07-30T16:40:00.250000Z"))
        let server = try ServerUnderTest("wall-clock", wallClock: StoppedClock(instant: evening))
        func key(_ scope: APIScope, _ owner: String) throws -> HTTPFields {
            [.authorization: "Bearer \(try server.store.createKey(scope: scope, owner: owner, createdUTC: "2024-07-01T00:00:00.000000Z").secret)"]
        }
        let (feed, broadcaster) = (try key(.feed, "timing"), try key(.broadcaster, "channel1"))
        let port = Loopback.freePort()
        try await server.serve { client in
            let posted = try await client.execute(uri: "/v1/feeds/odf", method: .post, headers: feed, body: ByteBuffer(string: ScheduleAPITests.basketball))
            #expect(posted.status == .ok, "\(String(buffer: posted.body))")
            #expect(try server.store.feedDocuments().map(\.receivedUTC) == ["2024-07-30T16:40:00.250000Z"])

            // No `at`: the unit on at the venue by the server's clock (18:40 in Paris), not the machine's.
            let created = try await client.execute(uri: "/v1/jobs", method: .post, headers: broadcaster, body: ByteBuffer(string: """
                {"input": "udp://127.0.0.1:\(port)", "clock": {"source": "arrival"}, "hls": {}, "results": {"source": "feeds", "venue": "LC1"}}
                """))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any])
            let job = try #require(body["id"] as? Int)
            let shown = try #require(try JSONSerialization.jsonObject(with: Data(
                try await client.execute(uri: "/v1/jobs/\(job)", method: .get, headers: broadcaster).body.readableBytesView
            )) as? [String: Any])
            #expect(shown["unit"] as? String == "BK3MTEAM3-------------GPA-000100--")
            #expect(shown["createdUTC"] as? String == "2024-07-30T16:40:00.250000Z")
            // A playback token lives six hours by the same clock.
            let playback = try await client.execute(uri: "/v1/jobs/\(job)/playback", method: .post, headers: broadcaster)
            #expect(playback.status == .created, "\(String(buffer: playback.body))")
            let grant = try #require(try JSONSerialization.jsonObject(with: Data(playback.body.readableBytesView)) as? [String: Any])
            #expect(grant["expiresUTC"] as? String == "2024-07-30T22:40:00.000000Z")
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: broadcaster).status == .ok)
        }
    }
}
