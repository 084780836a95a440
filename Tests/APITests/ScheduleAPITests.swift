import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Overlay
import Store
import TestSupport
import Testing

/// The schedule the feeds give, over the API, and jobs that take "the unit at this venue now".
@Suite(.serialized)
struct ScheduleAPITests {
    let server: ServerUnderTest
    let feed: HTTPFields
    let viewer: HTTPFields
    let broadcaster: HTTPFields

    init() throws {
        let server = try ServerUnderTest("schedule-api")
        func key(_ scope: APIScope, _ owner: String) throws -> HTTPFields {
            [.authorization: "Bearer \(try server.store.createKey(scope: scope, owner: owner, createdUTC: "2024-07-01T00:00:00.000000Z").secret)"]
        }
        self.server = server
        feed = try key(.feed, "timing")
        viewer = try key(.viewer, "app")
        broadcaster = try key(.broadcaster, "channel1")
    }

    /// A DT_SCHEDULE written as the Paris 2024 ones are (sessions with venue names, units with
    /// venue, start, end, session and names in two languages), for a discipline with a digit.
    static func schedule(discipline: String, venue: String, venueName: String, units: [(code: String, start: String, end: String, name: String)], version: Int = 3) -> String {
        var text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OdfBody CompetitionCode="OG2024" DocumentCode="\(discipline)-------------------------------" DocumentType="DT_SCHEDULE" Version="\(version)" FeedFlag="P" Date="2022-12-19" Time="155804862" LogicalDate="2022-12-19" Source="OMS">
        <Competition>
        <ExtendedInfos><ExtendedInfo Type="CS" Code="VERSION" Value="1.01" /></ExtendedInfos>
        <Session SessionCode="\(discipline)01" StartDate="2024-07-30T17:30:00+02:00" EndDate="2024-07-30T19:30:00+02:00" Venue="\(venue)" VenueName="\(venueName)" SessionStatus="SCHEDULED" SessionType="ALL">
        <SessionName Value="\(discipline)01" Language="ENG" />
        </Session>

        """
        for unit in units {
            text += """
            <Unit Code="\(unit.code)" PhaseType="3" ScheduleStatus="SCHEDULED" StartDate="\(unit.start)" EndDate="\(unit.end)" Venue="\(venue)" Location="\(venue)" SessionCode="\(discipline)01">
            <ItemName Language="ENG" Value="\(unit.name)" />
            <ItemName Language="FRA" Value="\(unit.name) (FRA)" />
            </Unit>

            """
        }
        return text + "</Competition>\n</OdfBody>\n"
    }

    static let basketball = schedule(discipline: "BK3", venue: "LC1", venueName: "La Concorde 1", units: [
        ("BK3WTEAM3-------------GPA-000100--", "2024-07-30T17:30:00+02:00", "2024-07-30T17:55:00+02:00", "Women's Pool Round"),
        ("BK3MTEAM3-------------GPA-000100--", "2024-07-30T18:35:00+02:00", "2024-07-30T19:00:00+02:00", "Men's Pool Round"),
    ])
    static let rugby = schedule(discipline: "RU7", venue: "STA", venueName: "Stade de France", units: [
        ("RU7MTEAM7-------------GPA-000100--", "2024-07-24T15:30:00+02:00", "2024-07-24T16:00:00+02:00", "Men's Pool A"),
    ])

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any], "\(String(buffer: response.body))")
    }

    func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, key: HTTPFields) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: key, body: ByteBuffer(string: body))
    }

    @Test func schedulesWithDigitDisciplinesAreServedByStartAndFiltered() async throws {
        let (feed, viewer) = (feed, viewer)
        try await server.serve { client in
            for document in [Self.basketball, Self.rugby] {
                let response = try await post(client, "/v1/feeds/odf", document, key: feed)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            func units(_ query: String) async throws -> [[String: Any]] {
                let response = try await client.execute(uri: "/v1/schedule\(query)", method: .get, headers: viewer)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                return try #require(try Self.json(response)["units"] as? [[String: Any]])
            }
            let all = try await units("")
            #expect(all.compactMap { $0["unit"] as? String } == [
                "RU7MTEAM7-------------GPA-000100--", "BK3WTEAM3-------------GPA-000100--", "BK3MTEAM3-------------GPA-000100--",
            ])
            let first = try #require(all.first)
            #expect(first["start"] as? String == "2024-07-24T13:30:00.000000Z")
            #expect(first["end"] as? String == "2024-07-24T14:00:00.000000Z")
            #expect(first["venue"] as? String == "STA" && first["venueName"] as? String == "Stade de France")
            #expect(first["name"] as? String == "Men's Pool A" && first["discipline"] as? String == "RU7" && first["session"] as? String == "RU701")
            #expect(try await units("?discipline=BK3").count == 2)
            #expect(try await units("?venue=STA").count == 1)
            #expect(try await units("?from=2024-07-30T16:00:00Z&to=2024-07-30T16:40:00Z").compactMap { $0["unit"] as? String } == ["BK3MTEAM3-------------GPA-000100--"])
            let bad = try await client.execute(uri: "/v1/schedule?from=yesterday", method: .get, headers: viewer)
            #expect(bad.status == .badRequest)
            #expect((try Self.json(bad)["error"] as? [String: Any])?["message"] as? String == "from must be an ISO 8601 date-time with a zone")
            #expect(try await client.execute(uri: "/v1/schedule", method: .get).status == .unauthorized)
        }
    }

    @Test func aJobOnTheFeedsTakesTheUnitScheduledAtItsVenue() async throws {
        let (feed, broadcaster) = (feed, broadcaster)
        let port = Loopback.freePort()
        try await server.serve { client in
            #expect(try await post(client, "/v1/feeds/odf", Self.basketball, key: feed).status == .ok)
            let created = try await post(client, "/v1/jobs", """
                {"input": "udp://127.0.0.1:\(port)", "clock": {"source": "arrival"}, "hls": {},
                 "results": {"source": "feeds", "venue": "LC1", "at": "2024-07-30T18:40:00+02:00"}}
                """, key: broadcaster)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let job = try #require(try Self.json(created)["id"] as? Int)
            let shown = try Self.json(try await client.execute(uri: "/v1/jobs/\(job)", method: .get, headers: broadcaster))
            #expect(shown["unit"] as? String == "BK3MTEAM3-------------GPA-000100--")
            #expect(try await client.execute(uri: "/v1/jobs/\(job)", method: .delete, headers: broadcaster).status == .ok)

            let between = try await post(client, "/v1/jobs", """
                {"input": "udp://127.0.0.1:\(port)", "clock": {"source": "arrival"}, "hls": {},
                 "results": {"source": "feeds", "venue": "LC1", "at": "2024-07-30T18:10:00+02:00"}}
                """, key: broadcaster)
            #expect(between.status == .unprocessableContent)
            #expect((try Self.json(between)["error"] as? [String: Any])?["message"] as? String
                == "$.results.venue has no unit scheduled at 2024-07-30T16:10:00.000000Z in the schedule received so far")

            // Requests that cannot mean anything are refused, naming the field: 400 when the
            // OpenAPI document already says so, 422 when only this server's state can.
            for (results, input, status, message) in [
                (#"{"source": "feeds", "venue": "LC1", "unit": "BK3MTEAM3-------------GPA-000100--"}"#, "udp://127.0.0.1:\(port)", 400, "$.results.venue and results.unit exclude each other"),
                (#"{"source": "feeds", "venue": "LC1", "at": "tonight"}"#, "udp://127.0.0.1:\(port)", 400, "$.results.at must be an ISO 8601 date-time with a zone"),
                (#"{"source": "feeds", "unit": "BK3MTEAM3-------------GPA-000100--", "ledger": "rehearsal"}"#, "udp://127.0.0.1:\(port)", 422, "$.results.ledger is rehearsal, which this server does not keep (podium serve --rehearsals)"),
                (#"{"source": "feeds", "unit": "BK3MTEAM3-------------GPA-000100--", "ledger": "staging"}"#, "udp://127.0.0.1:\(port)", 400, "$.results.ledger must be production or rehearsal, not staging"),
                (#"{"source": "fixture", "venue": "LC1"}"#, "fixture:swim-100-free", 422, "$.results.venue applies to results from the feeds only"),
            ] {
                let refused = try await post(client, "/v1/jobs", #"{"input": "\#(input)", "hls": {}, "results": \#(results)}"#, key: broadcaster)
                #expect(refused.status.code == status, "\(results)")
                #expect((try Self.json(refused)["error"] as? [String: Any])?["message"] as? String == message)
            }
        }
    }
}
