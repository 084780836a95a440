import Foundation
import GRDB
import Store
import TestSupport
import Testing

struct SQLiteStoreTests {
    let path: String

    init() throws {
        path = try Fixtures.scratchFolder("store").appendingPathComponent("nested/podium.sqlite").path
    }

    static func job(_ input: String = "clip.ts") -> JobDescription {
        JobDescription(createdUTC: "2026-07-31T19:40:00.000000Z", input: input, output: "out.ts", unit: "SWMM100MFR------------FNL-000100--", clockSource: "anchor", frameRate: "50")
    }

    static func frames(_ range: Range<Int>) -> [StoredFrame] {
        range.map { StoredFrame(seq: $0, pts: 129_600 + Int64($0) * 1800, captureUTC: "t\($0)", overlayJSON: Data(#"{"seq":\#($0)}"#.utf8)) }
    }

    @Test func aJobItsFramesAndItsDocumentsRoundTrip() async throws {
        let store = try SQLiteStore(path: path)
        let document = ReceivedDocument(source: "01.xml", format: "odf", receivedUTC: "2026-07-31T19:40:00.000000Z", bytes: Data("<OdfBody/>".utf8), outcome: "applied")
        let id = try store.startJob(Self.job(), documents: [document])
        try store.appendFrames(Self.frames(0..<250), toJob: id)
        try store.appendFrames(Self.frames(250..<600), toJob: id)
        #expect(try await store.job(id: id)?.state == "running")
        try store.finishJob(id, failure: nil)

        let job = try #require(try await store.job(id: id))
        #expect(job.frames == 600)
        #expect(job.state == "completed")
        #expect(job.failure == nil)
        #expect(try store.documents(ofJob: id) == [document])
        let page = try await store.frames(jobID: id, from: 490, to: 492, limit: 10)
        #expect(page == Array(Self.frames(490..<493)))
        #expect(try await store.frames(jobID: id, from: 0, to: 599, limit: 7).map(\.seq) == Array(0..<7))
        #expect(try await store.frames(jobID: id, from: 600, to: 700, limit: 10).isEmpty)
    }

    @Test func airedFramesComeBackWholeWithTheirExactCaptureInstants() throws {
        let store = try SQLiteStore(path: path)
        let id = try store.startJob(Self.job(), documents: [])
        // 59.94 fps: frame 1 starts 1001/60000 s after frame 0, which no microsecond count holds.
        let exact = "107363225396061001/60000"
        let lanes = #"{"lanes":[{"lane":4}]}"#
        let frames = [
            StoredFrame(seq: 0, pts: 0, captureUTC: "2026-07-31T19:42:19.800000Z", overlayJSON: Data(#"{"seq":0,\#(lanes.dropFirst())"#.utf8), sharedRange: 9..<29),
            StoredFrame(seq: 1, pts: 1501, captureUTC: "2026-07-31T19:42:19.816683Z", overlayJSON: Data(#"{"seq":1,\#(lanes.dropFirst())"#.utf8), sharedRange: 9..<29, captureExact: exact),
        ]
        try store.appendFrames(frames, toJob: id)
        let read = try store.airedFrames(jobID: id, from: 0, limit: 10)
        #expect(read == frames)
        #expect(read.map(\.captureExact) == [nil, exact])
        #expect(try store.airedFrames(jobID: id, from: 1, limit: 10).map(\.seq) == [1])
    }

    @Test func jobsListNewestFirstAndAFailureIsKept() async throws {
        let store = try SQLiteStore(path: path)
        let first = try store.startJob(Self.job("a.ts"), documents: [])
        let second = try store.startJob(Self.job("b.ts"), documents: [])
        try store.finishJob(second, failure: "reading a packet failed")
        let jobs = try await store.jobs()
        #expect(jobs.map(\.id) == [second, first])
        #expect(jobs.first?.state == "failed")
        #expect(jobs.first?.failure == "reading a packet failed")
        #expect(try await store.job(id: 999) == nil)
    }

    @Test func aFrameCannotBeRecordedTwice() throws {
        let store = try SQLiteStore(path: path)
        let id = try store.startJob(Self.job(), documents: [])
        try store.appendFrames(Self.frames(0..<3), toJob: id)
        #expect(throws: DatabaseError.self) { try store.appendFrames(Self.frames(2..<4), toJob: id) }
    }

    @Test func reopeningKeepsDataAndTheDatabaseRunsInWALMode() async throws {
        let id: Int64
        do {
            let store = try SQLiteStore(path: path)
            id = try store.startJob(Self.job(), documents: [])
            try store.appendFrames(Self.frames(0..<5), toJob: id)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.job(id: id)?.frames == 5)
        let queue = try DatabaseQueue(path: path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
