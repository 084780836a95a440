import Foundation
import GRDB

/// Podium's SQLite store (WAL): jobs, their per-frame overlays, and every received document.
///
/// Writes are synchronous and made by the job that owns the data; reads for the API are async
/// and run on GRDB's own reader threads, never blocking Swift's cooperative pool.
public final class SQLiteStore: JobReading {
    private let pool: DatabasePool

    /// Opens (creating when missing) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteStore.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs, frames, documents") { db in
            try db.create(table: "job") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("createdUTC", .text).notNull()
                table.column("input", .text).notNull()
                table.column("output", .text).notNull()
                table.column("unit", .text)
                table.column("clockSource", .text).notNull()
                table.column("frameRate", .text).notNull()
                table.column("state", .text).notNull()
                table.column("frames", .integer).notNull().defaults(to: 0)
                table.column("failure", .text)
            }
            try db.create(table: "frame") { table in
                table.column("jobID", .integer).notNull().references("job", onDelete: .cascade)
                table.column("seq", .integer).notNull()
                table.column("pts", .integer).notNull()
                table.column("captureUTC", .text).notNull()
                table.column("overlay", .blob).notNull()
                table.primaryKey(["jobID", "seq"])
            }
            try db.create(table: "document") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("jobID", .integer).references("job", onDelete: .cascade)
                table.column("source", .text).notNull()
                table.column("format", .text).notNull()
                table.column("receivedUTC", .text)
                table.column("bytes", .blob).notNull()
                table.column("outcome", .text).notNull()
            }
        }
        return migrator
    }

    /// Records a new running job and the documents it was given; returns its id.
    public func startJob(_ job: JobDescription, documents: [ReceivedDocument]) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: """
                INSERT INTO job (createdUTC, input, output, unit, clockSource, frameRate, state)
                VALUES (?, ?, ?, ?, ?, ?, 'running')
                """,
                arguments: [job.createdUTC, job.input, job.output, job.unit, job.clockSource, job.frameRate]
            )
            let id = db.lastInsertedRowID
            for document in documents {
                try db.execute(
                    sql: "INSERT INTO document (jobID, source, format, receivedUTC, bytes, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [id, document.source, document.format, document.receivedUTC, document.bytes, document.outcome]
                )
            }
            return id
        }
    }

    /// Appends frames to a job in one transaction and advances its frame count.
    public func appendFrames(_ frames: [StoredFrame], toJob jobID: Int64) throws {
        guard !frames.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO frame (jobID, seq, pts, captureUTC, overlay) VALUES (?, ?, ?, ?, ?)"
            )
            for frame in frames {
                try statement.execute(arguments: [jobID, frame.seq, frame.pts, frame.captureUTC, frame.overlayJSON])
            }
            try db.execute(sql: "UPDATE job SET frames = frames + ? WHERE id = ?", arguments: [frames.count, jobID])
        }
    }

    /// Marks a job completed, or failed with the reason.
    public func finishJob(_ jobID: Int64, failure: String?) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE job SET state = ?, failure = ? WHERE id = ?",
                arguments: [failure == nil ? "completed" : "failed", failure, jobID]
            )
        }
    }

    /// Documents recorded for a job, in the order received.
    public func documents(ofJob jobID: Int64) throws -> [ReceivedDocument] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM document WHERE jobID = ? ORDER BY id", arguments: [jobID]).map { row in
                ReceivedDocument(
                    source: row["source"], format: row["format"], receivedUTC: row["receivedUTC"], bytes: row["bytes"],
                    outcome: row["outcome"]
                )
            }
        }
    }

    public func jobs() async throws -> [JobRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job ORDER BY id DESC").map(SQLiteStore.job(from:))
        }
    }

    public func job(id: Int64) async throws -> JobRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(SQLiteStore.job(from:))
        }
    }

    public func frames(jobID: Int64, from: Int, to: Int, limit: Int) async throws -> [StoredFrame] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, pts, captureUTC, overlay FROM frame WHERE jobID = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?",
                arguments: [jobID, from, to, limit]
            ).map { row in
                StoredFrame(seq: row["seq"], pts: row["pts"], captureUTC: row["captureUTC"], overlayJSON: row["overlay"])
            }
        }
    }

    private static func job(from row: Row) -> JobRecord {
        JobRecord(
            id: row["id"],
            description: JobDescription(
                createdUTC: row["createdUTC"], input: row["input"], output: row["output"], unit: row["unit"],
                clockSource: row["clockSource"], frameRate: row["frameRate"]
            ),
            state: row["state"], frames: row["frames"], failure: row["failure"]
        )
    }
}
