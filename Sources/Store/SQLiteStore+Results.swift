import Foundation
import GRDB
import Overlay

/// The results feeds' audit log and the facts derived from it (`ResultsStore`).
extension SQLiteStore {
    public func append(_ document: FeedDocumentRecord, expectingNewest: Int64, replacingFactsWith facts: ((Int64) -> DerivedFacts)?) throws -> Int64 {
        // GRDB's write runs in an immediate transaction: the check and the insert hold the
        // database's one write lock together, so no other process's document falls between them.
        try pool.write { db in
            let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM feedDocument") ?? 0
            guard newest == expectingNewest else { throw AuditLogMovedOn(expected: expectingNewest, newest: newest) }
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

    public func feedDocuments(after id: Int64) throws -> [FeedDocumentRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM feedDocument WHERE id > ? ORDER BY id", arguments: [id]).map(SQLiteStore.feedDocument(from:))
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
}
