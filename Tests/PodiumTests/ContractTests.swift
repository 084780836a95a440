import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// docs/openapi.yaml is the API's contract: a valid OpenAPI 3.1 document, served by the server,
/// and exactly what the server answers: schemathesis with every check (a schema-valid request
/// accepted, a schema-violating one refused, every undeclared method 405, no server error, each
/// answer as documented) over a live server on loopback. The tools come from PyPI through
/// scripts/install-tools.sh.
@Suite(.serialized)
struct ContractTests {
    static let tools = Fixtures.root.appendingPathComponent(".build-tools/venv/bin")
    static let document = Fixtures.root.appendingPathComponent("docs/openapi.yaml")

    @Test func theContractIsAValidOpenAPI31Document() async throws {
        let result = try await Fixtures.run(Self.tools.appendingPathComponent("openapi-spec-validator").path, [Self.document.path])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(try String(contentsOf: Self.document, encoding: .utf8).hasPrefix("openapi: 3.1.0"))
    }

    @Test func aLiveServerServesItsContractAndAnswersNothingOutsideIt() async throws {
        let folder = try Fixtures.scratchFolder()
        let enrich = try await PodiumBinary.enrich(Fixtures.swim.appendingPathComponent("clip.ts").path, in: folder)
        try #require(enrich.status == 0, "\(enrich.err)")
        let database = folder.appendingPathComponent("podium.sqlite").path
        // An admin key reaches every operation, posting documents included.
        let key = try await Fixtures.run(PodiumBinary.path, ["keys", "create", "--scope", "admin", "--database", database]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try await ServeCommandTests.startServer(
            database: database, extra: [
                "--rate-limit", "100000", "--rate-burst", "100000", "--jobs-dir", folder.appendingPathComponent("jobs").path,
                "--ograf-graphics", Fixtures.root.appendingPathComponent("fixtures/ograf-graphics").path,
            ]
        )
        defer { if server.isRunning { server.terminate() } }

        try await withHTTPClient { client in
            let served = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/openapi.yaml"), timeout: .seconds(10))
            #expect(served.status == .ok)
            let body = try await served.body.collect(upTo: 1 << 20)
            #expect(Array(buffer: body) == Array(try Data(contentsOf: Self.document)))
        }

        // Every check schemathesis has, in every phase (stateful included), with the repository's
        // schemathesis.toml: what it adds and why is written there.
        let run = try await Fixtures.run(Self.tools.appendingPathComponent("schemathesis").path, [
            "--config-file", Fixtures.root.appendingPathComponent("schemathesis.toml").path,
            "run", "http://127.0.0.1:\(port)/openapi.yaml", "--header", "Authorization: Bearer \(key)",
            "--checks", "all", "--max-examples", "50", "--seed", "4242", "--request-timeout", "10",
            "--workers", "1", "--no-color",
        ])
        #expect(run.status == 0, "schemathesis:\n\(run.out.suffix(6000))\n\(run.err.suffix(2000))")
        // "N generated, N passed": at least 1,000 cases, each of them passed.
        let tally = try #require(run.out.firstMatch(of: /(\d+) generated, (\d+) passed/), "\(run.out.suffix(2000))")
        #expect(Int(tally.1)! >= 1000 && tally.1 == tally.2, "\(tally.0)")
        for phase in ["Coverage", "Fuzzing", "Stateful"] {
            #expect(run.out.contains("✅ \(phase)"), "\(phase) did not pass:\n\(run.out.suffix(3000))")
        }
    }
}
