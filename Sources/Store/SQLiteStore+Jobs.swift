import Foundation
import GRDB
import Overlay

/// Job records: started, described, finished, listed and removed.
extension SQLiteStore {
    /// Records a new running job and the documents it was given; returns its id.
    public func startJob(_ job: JobDescription, documents: [ReceivedDocument]) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: """
                INSERT INTO job (createdUTC, input, output, unit, clockSource, frameRate, state, owner, node)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)
                """,
                arguments: [job.createdUTC, job.input, job.output, job.unit, job.clockSource, job.frameRate, job.owner, job.node]
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

    /// Stores the job's run statistics (outputs, drops, latency) as JSON.
    public func recordStats(_ json: String, ofJob jobID: Int64) throws {
        try pool.write { db in try db.execute(sql: "UPDATE job SET stats = ? WHERE id = ?", arguments: [json, jobID]) }
    }

    /// Marks a job completed, stopped (by its operator, before the input ended) or failed with the reason.
    public func finishJob(_ jobID: Int64, failure: String?, stopped: Bool = false) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE job SET state = ?, failure = ? WHERE id = ?",
                arguments: [failure != nil ? "failed" : stopped ? "stopped" : "completed", failure, jobID]
            )
        }
        bell.ring(jobID: jobID)
    }

    /// Removes a job with its frames, corrections and documents; false when there is no such job.
    public func deleteJob(_ jobID: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM job WHERE id = ?", arguments: [jobID])
            return db.changesCount > 0
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

    public func jobs(_ query: JobQuery) async throws -> [JobRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let before = query.before {
            conditions.append("id < ?")
            arguments += [before]
        }
        if let state = query.state {
            conditions.append("state = ?")
            arguments += [state]
        }
        if let owner = query.owner {
            conditions.append("owner = ?")
            arguments += [owner]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [Int64(clamping: max(0, query.limit))]
        let sql = "SELECT * FROM job \(filter) ORDER BY id DESC LIMIT ?"
        return try await pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(SQLiteStore.job(from:))
        }
    }

    public func job(id: Int64) async throws -> JobRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(SQLiteStore.job(from:))
        }
    }

    private static func job(from row: Row) -> JobRecord {
        JobRecord(
            id: row["id"],
            description: JobDescription(
                createdUTC: row["createdUTC"], input: row["input"], output: row["output"], unit: row["unit"],
                clockSource: row["clockSource"], frameRate: row["frameRate"], owner: row["owner"], node: row["node"]
            ),
            state: row["state"], frames: row["frames"], failure: row["failure"], corrections: row["corrections"],
            stats: (row["stats"] as String?).map { Data($0.utf8) }
        )
    }
}
