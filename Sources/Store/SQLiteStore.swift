public import Foundation
import CSQLite
import GRDB
import Overlay

/// Podium's SQLite store (WAL): jobs, their per-frame overlays, and every received document.
///
/// Writes are synchronous and made by the job that owns the data; reads for the API are async
/// and run on GRDB's own reader threads, never blocking Swift's cooperative pool.
public final class SQLiteStore: JobReading, KeyReading, TemplateStoring, ResultsStore {
    private let pool: DatabasePool
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
        return migrator
    }

    // MARK: - ResultsStore

    public func append(_ document: FeedDocumentRecord, replacingFactsWith facts: ((Int64) -> DerivedFacts)?) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO feedDocument (sha256, format, source, receivedUTC, bytes, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [document.sha256, document.format, document.source, document.receivedUTC, document.bytes, document.outcome, document.detail]
            )
            let id = db.lastInsertedRowID
            if let facts { try SQLiteStore.write(facts(id), into: db) }
            return id
        }
    }

    public func document(sha256: String) throws -> FeedDocumentRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM feedDocument WHERE sha256 = ?", arguments: [sha256]).map(SQLiteStore.feedDocument(from:))
        }
    }

    public func feedDocuments() throws -> [FeedDocumentRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM feedDocument ORDER BY id").map(SQLiteStore.feedDocument(from:))
        }
    }

    public func facts() throws -> DerivedFacts {
        try pool.read { db in
            var facts = DerivedFacts()
            func source(_ row: Row) -> FactSource { FactSource(documentID: row["sourceDocumentID"], reference: row["sourceReference"]) }
            facts.units = try Row.fetchAll(db, sql: "SELECT * FROM unit").map {
                .init(unit: $0["code"], status: $0["status"], startUTC: $0["startUTC"], source: source($0))
            }
            facts.athletes = try Row.fetchAll(db, sql: "SELECT * FROM athlete").map {
                .init(code: $0["code"], givenName: $0["givenName"], familyName: $0["familyName"], organisation: $0["organisation"],
                      gender: $0["gender"], birthDate: $0["birthDate"], source: source($0))
            }
            facts.startLists = try Row.fetchAll(db, sql: "SELECT * FROM startList").map {
                .init(unit: $0["unit"], lane: $0["lane"], competitorCode: $0["competitorCode"], legs: $0["legs"], source: source($0))
            }
            facts.timing = try Row.fetchAll(db, sql: "SELECT * FROM timingFact").map {
                .init(unit: $0["unit"], lane: $0["lane"], kind: $0["kind"], distance: $0["distance"], milliseconds: $0["milliseconds"],
                      happenedUTC: $0["happenedUTC"], value: $0["value"], source: source($0))
            }
            facts.records = try Row.fetchAll(db, sql: "SELECT * FROM record").map {
                .init(type: $0["type"], event: $0["event"], holder: $0["holder"], organisation: $0["organisation"],
                      milliseconds: $0["milliseconds"], date: $0["date"], splits: $0["splits"], source: source($0))
            }
            return facts.sorted()
        }
    }

    public func replaceFacts(with facts: DerivedFacts) throws {
        try pool.write { db in try SQLiteStore.write(facts, into: db) }
    }

    /// Replaces the derived rows of the facts' scope; runs inside the caller's transaction.
    private static func write(_ facts: DerivedFacts, into db: Database) throws {
        let scope = facts.scope
        if let units = scope.units {
            // Only the document's units: the cost does not grow with the meet.
            for table in ["startList", "timingFact"] {
                let delete = try db.cachedStatement(sql: "DELETE FROM \(table) WHERE unit = ?")
                for unit in units { try delete.execute(arguments: [unit]) }
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM unit WHERE code = ?")
            for unit in units { try delete.execute(arguments: [unit]) }
        } else {
            for table in ["unit", "startList", "timingFact"] { try db.cachedStatement(sql: "DELETE FROM \(table)").execute() }
        }
        if scope.athletes { try db.cachedStatement(sql: "DELETE FROM athlete").execute() }
        if scope.records { try db.cachedStatement(sql: "DELETE FROM record").execute() }
        // Cached statements: a document's facts are written on every accepted document.
        let units = try db.cachedStatement(sql: "INSERT INTO unit (code, status, startUTC, sourceDocumentID, sourceReference) VALUES (?, ?, ?, ?, ?)")
        for row in facts.units {
            try units.execute(arguments: [row.unit, row.status, row.startUTC, row.source.documentID, row.source.reference])
        }
        for row in facts.athletes {
            try db.execute(
                sql: """
                INSERT INTO athlete (code, givenName, familyName, organisation, gender, birthDate, sourceDocumentID, sourceReference)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [row.code, row.givenName, row.familyName, row.organisation, row.gender, row.birthDate, row.source.documentID, row.source.reference]
            )
        }
        let starts = try db.cachedStatement(
            sql: "INSERT INTO startList (unit, lane, competitorCode, legs, sourceDocumentID, sourceReference) VALUES (?, ?, ?, ?, ?, ?)"
        )
        for row in facts.startLists {
            try starts.execute(arguments: [row.unit, row.lane, row.competitorCode, row.legs, row.source.documentID, row.source.reference])
        }
        let timing = try db.cachedStatement(sql: """
            INSERT INTO timingFact (unit, lane, kind, distance, milliseconds, happenedUTC, value, sourceDocumentID, sourceReference)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for row in facts.timing {
            try timing.execute(arguments: [
                row.unit, row.lane, row.kind, row.distance, row.milliseconds, row.happenedUTC, row.value, row.source.documentID, row.source.reference,
            ])
        }
        for row in facts.records {
            try db.execute(
                sql: """
                INSERT INTO record (type, event, holder, organisation, milliseconds, date, splits, sourceDocumentID, sourceReference)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [row.type, row.event, row.holder, row.organisation, row.milliseconds, row.date, row.splits, row.source.documentID, row.source.reference]
            )
        }
    }

    private static func feedDocument(from row: Row) -> FeedDocumentRecord {
        FeedDocumentRecord(
            id: row["id"], sha256: row["sha256"], format: row["format"], source: row["source"], receivedUTC: row["receivedUTC"],
            bytes: row["bytes"], outcome: row["outcome"], detail: row["detail"]
        )
    }

    /// Records a new running job and the documents it was given; returns its id.
    public func startJob(_ job: JobDescription, documents: [ReceivedDocument]) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: """
                INSERT INTO job (createdUTC, input, output, unit, clockSource, frameRate, state, owner)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?)
                """,
                arguments: [job.createdUTC, job.input, job.output, job.unit, job.clockSource, job.frameRate, job.owner]
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

    /// Appends frames to a job, with corrections of its frames (each replacing an earlier one of
    /// the same frame), in one transaction; advances its frame count and sets its count of
    /// visibly corrected frames.
    public func appendFrames(_ frames: [StoredFrame], corrections: [StoredCorrection] = [], toJob jobID: Int64) throws {
        guard !frames.isEmpty || !corrections.isEmpty else { return }
        try pool.write { db in
            var parts = try SharedParts(db: db, jobID: jobID)
            if !frames.isEmpty {
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO frame (jobID, seq, pts, captureUTC, overlay, partID, partOffset, captureExact) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                )
                for frame in frames {
                    let (rest, part) = try parts.split(frame.overlayJSON, sharing: frame.sharedRange)
                    try statement.execute(arguments: [jobID, frame.seq, frame.pts, frame.captureUTC, rest, part?.id, part?.offset, frame.captureExact])
                }
                try db.execute(sql: "UPDATE job SET frames = frames + ? WHERE id = ?", arguments: [frames.count, jobID])
            }
            try SQLiteStore.insert(corrections, jobID: jobID, parts: &parts, into: db)
        }
        bell.ring(jobID: jobID)
    }

    private static func insert(_ corrections: [StoredCorrection], jobID: Int64, parts: inout SharedParts, into db: Database) throws {
        guard !corrections.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO correction (jobID, seq, overlay, dataVersion, visible, partID, partOffset) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        for correction in corrections {
            let (rest, part) = try parts.split(correction.overlayJSON, sharing: correction.sharedRange)
            try statement.execute(arguments: [jobID, correction.seq, rest, correction.dataVersion, correction.visible, part?.id, part?.offset])
        }
        try db.execute(
            sql: "UPDATE job SET corrections = (SELECT COUNT(*) FROM correction WHERE jobID = ? AND visible) WHERE id = ?", arguments: [jobID, jobID]
        )
    }

    /// Stores the job's run statistics (outputs, drops, latency) as JSON.
    public func recordStats(_ json: String, ofJob jobID: Int64) throws {
        try pool.write { db in try db.execute(sql: "UPDATE job SET stats = ? WHERE id = ?", arguments: [json, jobID]) }
    }

    /// Creates a key; returns its record and its secret, which is stored only as a digest.
    public func createKey(scope: APIScope, owner: String, createdUTC: String) throws -> (record: APIKeyRecord, secret: String) {
        let secret = APIKeySecret.generate()
        let id = try pool.write { db in
            try db.execute(
                sql: "INSERT INTO apiKey (secretDigest, scope, owner, createdUTC) VALUES (?, ?, ?, ?)",
                arguments: [Digests.sha256Hex(of: Array(secret.utf8)), scope.rawValue, owner, createdUTC]
            )
            return db.lastInsertedRowID
        }
        return (APIKeyRecord(id: id, scope: scope, owner: owner, createdUTC: createdUTC, revokedUTC: nil), secret)
    }

    /// Stores a key made elsewhere (a deployment's key file), as its digest; a key already known is left as it is.
    public func importKey(secret: String, scope: APIScope, owner: String, createdUTC: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO apiKey (secretDigest, scope, owner, createdUTC) VALUES (?, ?, ?, ?)",
                arguments: [Digests.sha256Hex(of: Array(secret.utf8)), scope.rawValue, owner, createdUTC]
            )
        }
    }

    /// Every key, oldest first (secrets are not stored).
    public func keys() throws -> [APIKeyRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM apiKey ORDER BY id").compactMap(SQLiteStore.key(from:))
        }
    }

    /// Revokes a key; false when there is no such live key.
    public func revokeKey(id: Int64, at revokedUTC: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE apiKey SET revokedUTC = ? WHERE id = ? AND revokedUTC IS NULL", arguments: [revokedUTC, id])
            return db.changesCount == 1
        }
    }

    public func key(forSecret secret: String) async throws -> APIKeyRecord? {
        guard APIKeySecret.isWellFormed(secret) else { return nil }
        let digest = Digests.sha256Hex(of: Array(secret.utf8))
        return try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM apiKey WHERE secretDigest = ? AND revokedUTC IS NULL", arguments: [digest])
                .flatMap(SQLiteStore.key(from:))
        }
    }

    private static func key(from row: Row) -> APIKeyRecord? {
        guard let scope = APIScope(rawValue: row["scope"]) else { return nil }
        return APIKeyRecord(id: row["id"], scope: scope, owner: row["owner"], createdUTC: row["createdUTC"], revokedUTC: row["revokedUTC"])
    }

    /// Stores a template under `name`, replacing one of that name; returns whether it replaced one.
    public func putTemplate(name: String, json: Data, updatedUTC: String, updatedBy: String) async throws -> Bool {
        try await pool.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM template WHERE name = ?", arguments: [name]) ?? false
            try db.execute(
                sql: "INSERT OR REPLACE INTO template (name, json, updatedUTC, updatedBy) VALUES (?, ?, ?, ?)",
                arguments: [name, json, updatedUTC, updatedBy]
            )
            return existed
        }
    }

    /// The template stored under `name`, as it was sent.
    public func template(name: String) async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT json FROM template WHERE name = ?", arguments: [name]) }
    }

    /// The names of the stored templates, in order.
    public func templateNames() async throws -> [String] {
        try await pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM template ORDER BY name") }
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

    public func seq(jobID: Int64, key: FrameKey, atOrAfter: Bool) async throws -> Int? {
        let column = switch key {
        case .pts: "pts"
        case .captureUTC: "captureUTC"
        }
        let sql = atOrAfter
            ? "SELECT min(seq) FROM frame WHERE jobID = ? AND \(column) >= ?"
            : "SELECT max(seq) FROM frame WHERE jobID = ? AND \(column) <= ?"
        return try await pool.read { db in
            let arguments: StatementArguments = switch key {
            case .pts(let pts): [jobID, pts]
            case .captureUTC(let utc): [jobID, utc]
            }
            return try Int.fetchOne(db, sql: sql, arguments: arguments)
        }
    }

    /// A job's frames as aired, from `from` in order, at most `limit`, with their exact capture
    /// instants; read on the caller's thread (a job correcting what it aired).
    public func airedFrames(jobID: Int64, from: Int, limit: Int) throws -> [StoredFrame] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT frame.seq, frame.pts, frame.captureUTC, frame.captureExact, frame.overlay, frame.partOffset, framePart.bytes AS part
                    FROM frame LEFT JOIN framePart ON framePart.jobID = frame.jobID AND framePart.id = frame.partID
                    WHERE frame.jobID = ? AND frame.seq >= ? ORDER BY frame.seq LIMIT ?
                    """,
                arguments: [jobID, from, limit]
            ).map { row in
                StoredFrame(seq: row["seq"], pts: row["pts"], captureUTC: row["captureUTC"], overlayJSON: SQLiteStore.wholeJSON(of: row), captureExact: row["captureExact"])
            }
        }
    }

    public func frames(jobID: Int64, from: Int, to: Int, limit: Int, asOf version: FrameVersion) async throws -> [StoredFrame] {
        // The aired frame, or (latest) its correction when it has one; either with its shared
        // bytes put back. A correction of the data version alone (an empty overlay) is the aired
        // frame with that version.
        let latest = version != .aired
        let chosen = { (column: String) in
            latest ? "CASE WHEN correction.seq IS NULL OR length(correction.overlay) = 0 THEN frame.\(column) ELSE correction.\(column) END" : "frame.\(column)"
        }
        let sql = """
            SELECT frame.seq, frame.pts, frame.captureUTC, \(chosen("overlay")) AS overlay, \(chosen("partOffset")) AS partOffset,
                framePart.bytes AS part, \(latest ? "CASE WHEN length(correction.overlay) = 0 THEN correction.dataVersion END" : "NULL") AS newVersion
            FROM frame
            \(latest ? "LEFT JOIN correction ON correction.jobID = frame.jobID AND correction.seq = frame.seq" : "")
            LEFT JOIN framePart ON framePart.jobID = frame.jobID AND framePart.id = \(chosen("partID"))
            WHERE frame.jobID = ? AND frame.seq BETWEEN ? AND ? ORDER BY frame.seq LIMIT ?
            """
        return try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: sql,
                arguments: [jobID, from, to, limit]
            ).map { row in
                StoredFrame(seq: row["seq"], pts: row["pts"], captureUTC: row["captureUTC"], overlayJSON: SQLiteStore.overlayJSON(of: row))
            }
        }
    }


    /// A frame row's whole JSON: its own bytes with the shared bytes put back, and the data
    /// version of a version-only correction put in.
    private static func overlayJSON(of row: Row) -> Data {
        let json = wholeJSON(of: row)
        guard let newVersion: String = row["newVersion"] else { return json }
        return FrameJSON.replacingDataVersion(in: [UInt8](json), with: newVersion).map { Data($0) } ?? json
    }

    private static func wholeJSON(of row: Row) -> Data {
        let rest: Data = row["overlay"]
        guard let part: Data = row["part"], let offset: Int = row["partOffset"], (0...rest.count).contains(offset) else { return rest }
        var json = Data(capacity: rest.count + part.count)
        json.append(rest[rest.startIndex..<rest.startIndex + offset])
        json.append(part)
        json.append(rest[(rest.startIndex + offset)...])
        return json
    }

    private static func job(from row: Row) -> JobRecord {
        JobRecord(
            id: row["id"],
            description: JobDescription(
                createdUTC: row["createdUTC"], input: row["input"], output: row["output"], unit: row["unit"],
                clockSource: row["clockSource"], frameRate: row["frameRate"], owner: row["owner"]
            ),
            state: row["state"], frames: row["frames"], failure: row["failure"], corrections: row["corrections"],
            stats: (row["stats"] as String?).map { Data($0.utf8) }
        )
    }
}

/// The bytes a job's frames share (see `StoredFrame.sharedRange`), as one write transaction
/// stores them: a frame whose shared bytes equal one of the job's newest parts points at it;
/// otherwise they become the next part. (A few are kept: a batch can hold frames as they aired
/// and corrections with the final lanes, alternating between two parts.)
private struct SharedParts {
    /// Shared bytes shorter than this are stored with their frame.
    static let smallest = 64
    /// How many of the job's newest parts a frame is compared with.
    static let recentCount = 4

    private let db: Database
    private let jobID: Int64
    /// Newest first.
    private var recent: [(id: Int, bytes: Data)]
    private var lastID: Int

    init(db: Database, jobID: Int64) throws {
        self.db = db
        self.jobID = jobID
        // A batch usually goes on with the bytes the last one ended with.
        recent = try Row.fetchAll(db, sql: "SELECT id, bytes FROM framePart WHERE jobID = ? ORDER BY id DESC LIMIT ?", arguments: [jobID, Self.recentCount])
            .map { (id: $0["id"], bytes: $0["bytes"]) }
        lastID = recent.first?.id ?? 0
    }

    /// What to store of `json`: the whole of it, or the rest with the part its shared bytes went to.
    mutating func split(_ json: Data, sharing range: Range<Int>?) throws -> (rest: Data, part: (id: Int, offset: Int)?) {
        guard let range, range.count >= Self.smallest, range.lowerBound >= 0, range.upperBound <= json.count else { return (json, nil) }
        let shared = json[json.startIndex + range.lowerBound..<json.startIndex + range.upperBound]
        let id: Int
        if let found = recent.first(where: { $0.bytes == shared }) {
            id = found.id
        } else {
            lastID += 1
            id = lastID
            try db.execute(sql: "INSERT INTO framePart (jobID, id, bytes) VALUES (?, ?, ?)", arguments: [jobID, id, Data(shared)])
            recent.insert((id, Data(shared)), at: 0)
            if recent.count > Self.recentCount { recent.removeLast() }
        }
        var rest = Data(capacity: json.count - range.count)
        rest.append(json[json.startIndex..<shared.startIndex])
        rest.append(json[shared.endIndex...])
        return (rest, (id, range.lowerBound))
    }
}
