import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// docs/openapi.yaml is the API's contract: a valid OpenAPI 3.1 document, served by the server,
/// and what the server answers (schemathesis fuzzing a live server on loopback finds no server
/// error and no answer outside it). The tools come from PyPI through scripts/install-tools.sh.
@Suite(.serialized)
struct ContractTests {
    static let tools = Fixtures.root.appendingPathComponent(".build-tools/venv/bin")
    static let document = Fixtures.root.appendingPathComponent("docs/openapi.yaml")

    @Test func theContractIsAValidOpenAPI31Document() throws {
        let result = try Fixtures.run(Self.tools.appendingPathComponent("openapi-spec-validator").path, [Self.document.path])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(try String(contentsOf: Self.document, encoding: .utf8).hasPrefix("openapi: 3.1.0"))
    }

    @Test func aLiveServerServesItsContractAndAnswersNothingOutsideIt() async throws {
        let folder = try Fixtures.scratchFolder()
        let enrich = try PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder)
        try #require(enrich.status == 0, "\(enrich.err)")
        let database = folder.appendingPathComponent("podium.sqlite").path
        // An admin key reaches every operation, posting documents included.
        let key = try Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", "admin", "--database", database]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try ServeCommandTests.startServer(
            database: database, extra: ["--rate-limit", "100000", "--rate-burst", "100000", "--jobs-dir", folder.appendingPathComponent("jobs").path]
        )
        defer { if server.isRunning { server.terminate() } }

        try await withHTTPClient { client in
            let served = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/openapi.yaml"), timeout: .seconds(10))
            #expect(served.status == .ok)
            let body = try await served.body.collect(upTo: 1 << 20)
            #expect(Array(buffer: body) == Array(try Data(contentsOf: Self.document)))
        }

        let run = try Fixtures.run(Self.tools.appendingPathComponent("schemathesis").path, [
            "run", "http://127.0.0.1:\(port)/openapi.yaml", "--header", "Authorization: Bearer \(key)",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "40", "--seed", "20261129", "--request-timeout", "10",
            "--workers", "1", "--no-color",
        ])
        #expect(run.status == 0, "schemathesis:\n\(run.out.suffix(6000))\n\(run.err.suffix(2000))")
    }
}
