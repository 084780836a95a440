import Foundation
import Hummingbird
import HummingbirdTesting
import Jobs
import Logging
import MediaFormats
import Overlay
import Pipeline
import Store
import Synchronization
import TestSupport
import Testing

/// What a server's jobs log: every line carries the job's id, so an operator reading the server's
/// log of many jobs can tell whose gap or failure a line reports.
struct JobLogTests {
    @Test func aServerJobLogsTheGapsOfADamagedInputWithItsID() async throws {
        // A copy of the swimming fixture whose clip lost packets in its middle: its frames are gaps.
        let fixtures = try Fixtures.scratchFolder("job-log-fixtures")
        let fixture = fixtures.appendingPathComponent("swim-100-free")
        try FileManager.default.copyItem(at: Fixtures.swim, to: fixture)
        let clip = fixture.appendingPathComponent("clip.ts")
        let bytes = Array(try Data(contentsOf: clip))
        var damaged: [UInt8] = []
        for packet in 0..<(bytes.count / 188) where !(2000..<2600).contains(packet) || packet % 3 != 0 {
            damaged += bytes[packet * 188..<(packet + 1) * 188]
        }
        try Data(damaged).write(to: clip)

        let logs = RecordedLogs()
        let server = try ServerUnderTest("job-log", fixtures: fixtures, logger: Logger(label: "podium.jobs", factory: { _ in logs.handler() }))
        let admin = try server.store.createKey(scope: .admin, owner: "ops", createdUTC: "2026-07-31T19:40:00.000000Z").secret
        try await server.serve { client in
            let created = try await client.execute(
                uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"input": "fixture:swim-100-free", "hls": {"segmentSeconds": 2}}"#)
            )
            try #require(created.status == .created, "\(String(buffer: created.body))")
            let id = try #require(try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any])["id"] as? Int
            let deadline = Date().addingTimeInterval(60)
            var record = try await server.store.job(id: Int64(try #require(id)))
            while record?.state == "running", Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                record = try await server.store.job(id: Int64(id!))
            }
            let stats = try #require(record?.stats.flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: Any] })
            let gaps = try #require(stats["gaps"] as? Int)
            #expect(gaps > 0, "the damaged clip should have gaps: \(stats)")
            let gapLines = logs.entries.filter { $0.message.hasPrefix("gap after frame ") }
            #expect(gapLines.count == gaps, "\(logs.entries.map(\.message))")
            #expect(gapLines.allSatisfy { $0.level == .warning && $0.metadata["job"] == "\(id!)" && $0.metadata["framesMissing"] != nil })
        }
    }

    @Test func aJobThatFailsAfterItStartedIsLoggedWithItsID() async throws {
        let folder = try Fixtures.scratchFolder("job-log-failure")
        let store = try SQLiteStore(path: folder.appendingPathComponent("podium.sqlite").path)
        let logs = RecordedLogs()
        // A file that is there but holds no media: the job is recorded, then fails opening it.
        let clip = folder.appendingPathComponent("not-a-clip.ts")
        try Data(String(repeating: "not a transport stream\n", count: 200).utf8).write(to: clip)
        var job = EnrichmentJob(
            input: clip.path, results: .folder(Fixtures.swim.appendingPathComponent("results").path),
            clock: ClockSettings(), outputs: [try OutputTarget(folder.appendingPathComponent("out.ts").path)], unit: nil, store: store
        )
        job.logger = Logger(label: "podium.jobs", factory: { _ in logs.handler() })
        let runner = JobRunner()
        let id = try await runner.start(job)
        let deadline = Date().addingTimeInterval(30)
        while runner.isRunning(id), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        await runner.stopAll()
        let record = try await store.job(id: id)
        let failure = try #require(logs.entries.first { $0.message.hasPrefix("job failed: ") }, "\(logs.entries.map(\.message)) \(String(describing: record))")
        #expect(failure.level == .error && failure.metadata["job"] == "\(id)")
        #expect(failure.message.contains("not-a-clip.ts"))
        #expect(record?.state == "failed")
    }
}

/// Log lines kept in memory, for a test to read.
final class RecordedLogs: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        /// The handler's metadata and the line's own, as text.
        let metadata: [String: String]
    }

    private let kept = Mutex<[Entry]>([])

    var entries: [Entry] { kept.withLock { $0 } }

    func handler() -> Handler { Handler(logs: self) }

    struct Handler: LogHandler {
        let logs: RecordedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            logs.kept.withLock { $0.append(Entry(level: event.level, message: event.message.description, metadata: all)) }
        }
    }
}
