import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Testing

/// Keys and scopes, both ways, against a real SQLite store.
struct KeysAPITests {
    let store: SQLiteStore
    let path: String
    let secrets: [String: String]
    let broadcastersJob: Int64
    let unownedJob: Int64

    init() throws {
        let path = try Fixtures.scratchFolder("keys").appendingPathComponent("podium.sqlite").path
        let store = try SQLiteStore(path: path)
        self.path = path
        self.store = store
        func job(owner: String?) throws -> Int64 {
            let id = try store.startJob(
                JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: "clip.ts", output: "out.ts", unit: nil, clockSource: "anchor", frameRate: "50", owner: owner),
                documents: []
            )
            try store.appendFrames([StoredFrame(seq: 0, pts: 0, captureUTC: "", overlayJSON: Data(#"{"seq":0}"#.utf8))], toJob: id)
            try store.finishJob(id, failure: nil)
            return id
        }
        broadcastersJob = try job(owner: "channel-a")
        unownedJob = try job(owner: nil)
        var secrets: [String: String] = [:]
        for (name, scope, owner) in [
            ("viewer", APIScope.viewer, "app"), ("designer", .designer, "studio"), ("feed", .feed, "timing"),
            ("channel-a", .broadcaster, "channel-a"), ("channel-b", .broadcaster, "channel-b"), ("admin", .admin, "ops"), ("revoked", .viewer, "old"),
        ] {
            let created = try store.createKey(scope: scope, owner: owner, createdUTC: "2026-07-31T19:40:00.000000Z")
            secrets[name] = created.secret
            if name == "revoked" { _ = try store.revokeKey(id: created.record.id, at: "2026-07-31T19:41:00.000000Z") }
        }
        self.secrets = secrets
    }

    func withRouter(limits: RateLimits = RateLimits(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(store: store, limits: limits, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router, body)
    }

    static func bearer(_ secret: String?) -> HTTPFields {
        secret.map { [.authorization: "Bearer \($0)"] } ?? [:]
    }

    static func errorCode(_ response: TestResponse) throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    @Test(arguments: [nil, "pk_not-a-key", "revoked", "Basic dXNlcjpwYXNz"])
    func aRequestWithoutAValidKeyIsUnauthorized(key: String?) async throws {
        let secret = key.flatMap { secrets[$0] ?? $0 }
        try await withRouter { client in
            let headers: HTTPFields = key?.hasPrefix("Basic") == true ? [.authorization: key!] : Self.bearer(secret)
            let response = try await client.execute(uri: "/v1/jobs", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="podium""#)
            #expect(try Self.errorCode(response) == "unauthorized")
        }
    }

    @Test func theKeyMayComeAsXAPIKeyAndHealthNeedsNone() async throws {
        let secret = try #require(secrets["viewer"])
        try await withRouter { client in
            let response = try await client.execute(uri: "/v1/jobs", method: .get, headers: [HTTPField.Name("X-API-KEY")!: secret])
            #expect(response.status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test(arguments: [
        ("viewer", HTTPResponse.Status.ok), ("broadcaster", .ok), ("admin", .ok), ("designer", .forbidden), ("feed", .forbidden),
    ])
    func readingJobsNeedsAReadingScope(scope: String, status: HTTPResponse.Status) async throws {
        let secret = try #require(secrets[scope == "broadcaster" ? "channel-a" : scope])
        let job = broadcastersJob
        try await withRouter { client in
            for path in ["/v1/jobs", "/v1/jobs/\(job)", "/v1/jobs/\(job)/frames"] {
                let response = try await client.execute(uri: path, method: .get, headers: Self.bearer(secret))
                #expect(response.status == status, "\(scope) \(path)")
                if status == .forbidden {
                    #expect(try Self.errorCode(response) == "forbidden")
                    #expect(String(buffer: response.body).contains(#""scope":"\#(scope)""#))
                }
            }
        }
    }

    @Test func aBroadcasterSeesOnlyItsOwnJobs() async throws {
        let (mine, other, ownedJob, unowned) = (try #require(secrets["channel-a"]), try #require(secrets["channel-b"]), broadcastersJob, unownedJob)
        try await withRouter { client in
            let list = try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.bearer(mine))
            let jobs = try #require((try JSONSerialization.jsonObject(with: Data(String(buffer: list.body).utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
            #expect(jobs.compactMap { $0["id"] as? Int }.map(Int64.init) == [ownedJob])
            #expect(try await client.execute(uri: "/v1/jobs/\(unowned)", method: .get, headers: Self.bearer(mine)).status == .notFound)
            // Another broadcaster does not even learn the job exists.
            let foreign = try await client.execute(uri: "/v1/jobs/\(ownedJob)/frames", method: .get, headers: Self.bearer(other))
            #expect(foreign.status == .notFound)
            let otherList = try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.bearer(other))
            #expect(String(buffer: otherList.body) == #"{"jobs":[],"next":null}"#)
        }
    }

    @Test func aKeyOverItsRateIsToldWhenToComeBackAndOthersAreNotSlowed() async throws {
        let (viewer, admin) = (try #require(secrets["viewer"]), try #require(secrets["admin"]))
        // One request per 100 s after a burst of two: however slow the machine, the third is over the rate.
        try await withRouter(limits: RateLimits(perSecond: 0.01, burst: 2)) { client in
            for _ in 0..<2 { #expect(try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.bearer(viewer)).status == .ok) }
            let limited = try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.bearer(viewer))
            #expect(limited.status == .tooManyRequests)
            #expect(try Self.errorCode(limited) == "rate_limited")
            let retry = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect(retry >= 1 && retry <= 100)
            #expect(try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.bearer(admin)).status == .ok)
        }
    }

    @Test func theStoreHoldsDigestsNeverSecrets() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path)) + ((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
        for secret in secrets.values {
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
            #expect(bytes.range(of: Data(secret.dropFirst(3).prefix(20).utf8)) == nil)
        }
        let keys = try store.keys()
        #expect(keys.count == 7)
        #expect(keys.filter { $0.revokedUTC != nil }.map(\.owner) == ["old"])
    }
}
