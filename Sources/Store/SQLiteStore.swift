import Foundation
import CSQLite
import GRDB
import Overlay

/// Podium's SQLite store (WAL): jobs, their per-frame overlays, and every received document.
///
/// Writes are synchronous and made by the job that owns the data; reads for the API are async
/// and run on GRDB's own reader threads, never blocking Swift's cooperative pool.
public final class SQLiteStore: JobReading, KeyReading, TemplateStoring, ResultsStore {
    let pool: DatabasePool
    /// Rung after every write that adds frames to a job or ends it.
    public let bell = FrameBell()

    /// Opens (creating when missing) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL with NORMAL: no fsync per commit (a job commits every 250 frames); a commit
            // survives Podium crashing, and a power cut can lose only the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The automatic checkpoint comes every 4,096 pages of log (16 MB of 4 KiB pages)
            // instead of every 1,000: a minute of a job's frames (about 5 MB) is written once, not also copied into
            // the database while the job runs; readers find the pages in the log all the same.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4096")
            // Closing leaves the log for the next writer's automatic checkpoint: a finished
            // `podium enrich` does not wait for its last pages to be copied into the database
            // (readers see them in the log all the same). Where the option is missing, closing
            // checkpoints as before.
            _ = podium_sqlite_skip_checkpoint_on_close(db.sqliteConnection)
        }
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
        migrator.registerMigration("v2: results feed log and derived facts") { db in
            try db.create(table: "feedDocument") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("sha256", .text).notNull().unique()
                table.column("format", .text).notNull()
                table.column("source", .text).notNull()
                table.column("receivedUTC", .text).notNull()
                table.column("bytes", .blob).notNull()
                table.column("outcome", .text).notNull()
                table.column("detail", .text)
            }
            try db.create(table: "unit") { table in
                table.primaryKey("code", .text)
                table.column("status", .text)
                table.column("startUTC", .text)
                table.column("sourceDocumentID", .integer).notNull()
                table.column("sourceReference", .text).notNull()
            }
            try db.create(table: "athlete") { table in
                table.primaryKey("code", .text)
                table.column("givenName", .text).notNull()
                table.column("familyName", .text).notNull()
                table.column("organisation", .text).notNull()
                table.column("gender", .text)
                table.column("birthDate", .text)
                table.column("sourceDocumentID", .integer).notNull()
                table.column("sourceReference", .text).notNull()
            }
            try db.create(table: "startList") { table in
                table.column("unit", .text).notNull()
                table.column("lane", .integer).notNull()
                table.column("competitorCode", .text).notNull()
                table.column("legs", .text).notNull()
                table.column("sourceDocumentID", .integer).notNull()
                table.column("sourceReference", .text).notNull()
                table.primaryKey(["unit", "lane"])
            }
            try db.create(table: "timingFact") { table in
                table.column("unit", .text).notNull()
                table.column("lane", .integer).notNull()
                table.column("kind", .text).notNull()
                table.column("distance", .integer).notNull()
                table.column("milliseconds", .integer)
                table.column("happenedUTC", .text)
                table.column("value", .text)
                table.column("sourceDocumentID", .integer).notNull()
                table.column("sourceReference", .text).notNull()
                table.primaryKey(["unit", "lane", "kind", "distance"])
            }
            try db.create(table: "record") { table in
                table.column("type", .text).notNull()
                table.column("event", .text).notNull()
                table.column("holder", .text).notNull()
                table.column("organisation", .text).notNull()
                table.column("milliseconds", .integer).notNull()
                table.column("date", .text)
                table.column("splits", .text).notNull()
                table.column("sourceDocumentID", .integer).notNull()
                table.column("sourceReference", .text).notNull()
            }
        }
        migrator.registerMigration("v3: corrections and output stats") { db in
            // What a frame should have shown once later documents arrived; the aired frame stays in `frame`.
            try db.create(table: "correction") { table in
                table.column("jobID", .integer).notNull().references("job", onDelete: .cascade)
                table.column("seq", .integer).notNull()
                table.column("overlay", .blob).notNull()
                table.column("dataVersion", .text)
                table.column("visible", .boolean).notNull()
                table.primaryKey(["jobID", "seq"])
            }
            try db.alter(table: "job") { table in
                table.add(column: "corrections", .integer).notNull().defaults(to: 0)
                table.add(column: "stats", .text)
            }
        }
        migrator.registerMigration("v4: API keys and job owners") { db in
            // Only the SHA-256 of a secret is stored: a copy of the database gives no working key.
            try db.create(table: "apiKey") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("secretDigest", .text).notNull().unique()
                table.column("scope", .text).notNull()
                table.column("owner", .text).notNull()
                table.column("createdUTC", .text).notNull()
                table.column("revokedUTC", .text)
            }
            try db.alter(table: "job") { table in
                table.add(column: "owner", .text)
            }
        }
        migrator.registerMigration("v5: templates") { db in
            // Designers' templates, as they sent them (validated before they are stored).
            try db.create(table: "template") { table in
                table.primaryKey("name", .text)
                table.column("json", .blob).notNull()
                table.column("updatedUTC", .text).notNull()
                table.column("updatedBy", .text).notNull()
            }
        }
        migrator.registerMigration("v6: frames share repeated bytes") { db in
            // A run of frames with the same lanes stores their bytes once; a frame (or a
            // correction) keeps the rest of its JSON and where the shared bytes go back in.
            try db.create(table: "framePart") { table in
                table.column("jobID", .integer).notNull().references("job", onDelete: .cascade)
                table.column("id", .integer).notNull()
                table.column("bytes", .blob).notNull()
                table.primaryKey(["jobID", "id"])
            }
            for name in ["frame", "correction"] {
                try db.alter(table: name) { table in
                    table.add(column: "partID", .integer)
                    table.add(column: "partOffset", .integer)
                }
            }
        }
        migrator.registerMigration("v7: exact capture instants") { db in
            try db.alter(table: "frame") { table in table.add(column: "captureExact", .text) }
        }
        migrator.registerMigration("v8: jobs listed by state and by owner") { db in
            // A page of one state's or one owner's jobs, newest first, reads only its own rows
            // (the id is the rowid, so each index is ordered by it within its key).
            try db.create(index: "jobByState", on: "job", columns: ["state", "id"])
            try db.create(index: "jobByOwner", on: "job", columns: ["owner", "id"])
        }
        migrator.registerMigration("v9: nodes") { db in
            try db.create(table: "node") { table in
                table.column("id", .text).primaryKey()
                table.column("name", .text).notNull()
                table.column("host", .text).notNull()
                table.column("process", .text).notNull()
                table.column("startedUTC", .text).notNull()
                table.column("heartbeatMicros", .integer).notNull()
                table.column("stoppedUTC", .text)
            }
            // The node that runs a job; nil for jobs recorded before nodes were.
            try db.alter(table: "job") { table in table.add(column: "node", .text) }
            // A job left running before nodes were has no heartbeat that could ever end it: the
            // Podium that ran it is taken to be gone (an upgrade stops the old processes).
            try db.execute(sql: """
                UPDATE job SET state = 'interrupted',
                    failure = 'interrupted: left running by a Podium that kept no heartbeat (found when the store was upgraded)'
                WHERE state = 'running'
                """)
        }
        return migrator
    }
}
