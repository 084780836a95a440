import Foundation
import GRDB
import Store
import TestSupport
import Testing

/// What the store leaves in its write-ahead log, while a job runs and once it has closed.
struct StoreFileTests {
    let path: String

    init() throws {
        path = try Fixtures.scratchFolder("store-file").appendingPathComponent("podium.sqlite").path
    }

    func logSize() throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
    }

    /// A job's frames are written to the log once: about 6 MB of them are not copied into the
    /// database while the job runs (SQLite's default would have folded them in at 4 MB).
    @Test func aJobsFramesStayInTheLogUntilSixteenMegabytes() async throws {
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let filler = String(repeating: "x", count: 1000)
        let frames = (0..<6000).map { seq in
            StoredFrame(seq: seq, pts: Int64(seq), captureUTC: "t\(seq)", overlayJSON: Data(#"{"seq":\#(seq),"text":"\#(filler)"}"#.utf8))
        }
        for batch in stride(from: 0, to: frames.count, by: 250) {
            try store.appendFrames(Array(frames[batch..<batch + 250]), toJob: job)
        }
        #expect(try logSize() > 6_000_000)
        #expect(try await store.frames(jobID: job, from: 0, to: 5999, limit: 6000) == frames)
    }

    @Test func closingLeavesTheLogAndTheNextOpenerReadsEverything() async throws {
        let frames = (0..<500).map { SharedBytesTests.frame($0, lanes: $0 < 250 ? SharedBytesTests.before : SharedBytesTests.after) }
        var job: Int64 = 0
        do {
            let store = try SQLiteStore(path: path)
            job = try store.startJob(SQLiteStoreTests.job(), documents: [])
            try store.appendFrames(Array(frames[0..<250]), toJob: job)
            try store.appendFrames(Array(frames[250...]), toJob: job)
            try store.finishJob(job, failure: nil)
        }
        // The store is closed: its last commits are still in the write-ahead log, not copied
        // into the database file (closing does not wait for that).
        #expect(try logSize() > 0)
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.frames(jobID: job, from: 0, to: 499, limit: 500) == frames)
        #expect(try await reopened.job(id: job)?.state == "completed")
        // A checkpoint (the next writer's automatic one, or an explicit one) folds the log in.
        try await DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect(try await reopened.frames(jobID: job, from: 0, to: 499, limit: 500) == frames)
    }
}
