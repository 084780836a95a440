import Foundation
import GRDB
import Store
import TestSupport
import Testing

/// How the store's files are laid out: page size, and what closing leaves for the next opener.
struct StoreFileTests {
    let path: String

    init() throws {
        path = try Fixtures.scratchFolder("store-file").appendingPathComponent("podium.sqlite").path
    }

    func pageSize() throws -> Int {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0 }
    }

    @Test func aNewDatabaseHasSixteenKilobytePages() throws {
        _ = try SQLiteStore(path: path)
        #expect(try pageSize() == 16384)
    }

    @Test func anExistingDatabaseKeepsItsPageSize() async throws {
        // A database made before (SQLite's default 4 KiB pages) opens, migrates and works as it is.
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE older (x INTEGER)") }
        let store = try SQLiteStore(path: path)
        let job = try store.startJob(SQLiteStoreTests.job(), documents: [])
        let frames = (0..<10).map { SharedBytesTests.frame($0, lanes: SharedBytesTests.before) }
        try store.appendFrames(frames, toJob: job)
        #expect(try await store.frames(jobID: job, from: 0, to: 9, limit: 10) == frames)
        #expect(try pageSize() == 4096)
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
        let log = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(log > 0)
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.frames(jobID: job, from: 0, to: 499, limit: 500) == frames)
        #expect(try await reopened.job(id: job)?.state == "completed")
        // A checkpoint (the next writer's automatic one, or an explicit one) folds the log in.
        try await DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect(try await reopened.frames(jobID: job, from: 0, to: 499, limit: 500) == frames)
    }
}
