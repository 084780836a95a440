import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Store
import TestSupport
import Testing

/// Designers' templates over the API, against a real SQLite store.
struct TemplatesAPITests {
    let store: SQLiteStore
    let designer: String
    let viewer: String
    let swimming: Data

    init() throws {
        store = try SQLiteStore(path: try Fixtures.scratchFolder("templates-api").appendingPathComponent("podium.sqlite").path)
        designer = try store.createKey(scope: .designer, owner: "studio", createdUTC: "2026-07-31T19:00:00.000000Z").secret
        viewer = try store.createKey(scope: .viewer, owner: "app", createdUTC: "2026-07-31T19:00:00.000000Z").secret
        swimming = try Data(contentsOf: Fixtures.root.appendingPathComponent("templates/swimming.json"))
    }

    func withRouter(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(store: store, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router, body)
    }

    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    @Test func aDesignerStoresATemplateAndEveryoneReadsItBack() async throws {
        let (designer, viewer, swimming) = (designer, viewer, swimming)
        try await withRouter { client in
            let created = try await client.execute(uri: "/v1/templates/pool-final", method: .put, headers: Self.bearer(designer), body: ByteBuffer(bytes: swimming))
            #expect(created.status == .created)
            #expect(try Self.json(created)["replaced"] as? Bool == false)
            let replaced = try await client.execute(uri: "/v1/templates/pool-final", method: .put, headers: Self.bearer(designer), body: ByteBuffer(bytes: swimming))
            #expect(replaced.status == .ok)
            let read = try await client.execute(uri: "/v1/templates/pool-final", method: .get, headers: Self.bearer(viewer))
            #expect(read.status == .ok)
            #expect(Array(buffer: read.body) == Array(swimming))
            let list = try Self.json(try await client.execute(uri: "/v1/templates", method: .get, headers: Self.bearer(viewer)))
            #expect(list["templates"] as? [String] == ["pool-final"])
            // Only a designer (or an admin) writes.
            let forbidden = try await client.execute(uri: "/v1/templates/pool-final", method: .put, headers: Self.bearer(viewer), body: ByteBuffer(bytes: swimming))
            #expect(forbidden.status == .forbidden)
        }
    }

    @Test(arguments: [
        (#"{"name":"x","version":"1","elements":[]}"#, "$.elements"),
        (#"{"name":"x","elements":[]}"#, "$.version"),
        (#"{"name":"x","version":"1","elements":[],"colour":"red"}"#, "$.colour"),
        ("not json", "$"),
    ])
    func anInvalidTemplateIsRefusedNamingItsPathAndNothingIsStored(body: String, path: String) async throws {
        let designer = designer
        try await withRouter { client in
            for uri in ["/v1/templates/broken", "/v1/templates/validate"] {
                let response = try await client.execute(uri: uri, method: uri.hasSuffix("validate") ? .post : .put, headers: Self.bearer(designer), body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableContent, "\(uri)")
                let error = try #require(try Self.json(response)["error"] as? [String: Any])
                #expect(error["code"] as? String == "invalid_template")
                #expect((error["details"] as? [String: String])?["path"] == path)
            }
        }
        #expect(try await store.templateNames().isEmpty)
    }

    @Test func validatingAGoodTemplateStoresNothing() async throws {
        let (designer, swimming) = (designer, swimming)
        try await withRouter { client in
            let response = try await client.execute(uri: "/v1/templates/validate", method: .post, headers: Self.bearer(designer), body: ByteBuffer(bytes: swimming))
            #expect(response.status == .ok)
            #expect(try Self.json(response)["valid"] as? Bool == true)
        }
        #expect(try await store.templateNames().isEmpty)
    }

    @Test(arguments: ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "Swimming", "-x", "a.json", String(repeating: "a", count: 65), "a%00b"])
    func aNameThatIsNotPlainIsRefused(name: String) async throws {
        let (designer, swimming) = (designer, swimming)
        try await withRouter { client in
            let response = try await client.execute(uri: "/v1/templates/\(name)", method: .put, headers: Self.bearer(designer), body: ByteBuffer(bytes: swimming))
            #expect(response.status == .badRequest || response.status == .notFound, "\(name): \(response.status)")
        }
        #expect(try await store.templateNames().isEmpty)
    }

    @Test func aTemplateOverOneMegabyteIsRefused() async throws {
        let designer = designer
        try await withRouter { client in
            let response = try await client.execute(
                uri: "/v1/templates/huge", method: .put, headers: Self.bearer(designer), body: ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            )
            #expect(response.status == .contentTooLarge)
        }
    }
}
