import Foundation
import GRDB
import Overlay

/// A job's frames as aired and their corrections: written in batches, read by range or key.
extension SQLiteStore {
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
