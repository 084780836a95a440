public import Foundation
public import Overlay
public import Store

/// What happened to one received document.
public struct Receipt: Sendable, Equatable, CustomStringConvertible {
    /// How it was taken.
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// Nothing new: the same bytes as stored document `of`, or content already known.
        case duplicate(of: Int64?)
        /// A higher version of the same ODF message is already current.
        case superseded(currentVersion: Int)
        /// Refused, with the reason; stored as rejected for the audit log.
        case rejected(String)
        /// A test-feed (`T`) document taken into the rehearsal ledger; production never reads it.
        case rehearsal
    }

    /// Where it came from.
    public let source: String
    /// The format it was read as.
    public let format: String
    /// The stored document id, when it was stored.
    public let documentID: Int64?
    /// How it was taken.
    public let outcome: Outcome
    /// What was read but left out, one line each (a Lenex record with no time, …).
    public let notes: [String]

    /// Creates a receipt.
    public init(source: String, format: String, documentID: Int64?, outcome: Outcome, notes: [String] = []) {
        self.source = source
        self.format = format
        self.documentID = documentID
        self.outcome = outcome
        self.notes = notes
    }

    /// One line for an operator: `accepted`, `duplicate`, `superseded` or `rejected` plus the reason.
    public var description: String {
        let id = documentID.map { " #\($0)" } ?? ""
        switch outcome {
        case .accepted: return "\(source): accepted (\(format))\(id)" + notes.map { "; \($0)" }.joined()
        case .duplicate(let original): return "\(source): duplicate (\(format))\(original.map { " of #\($0)" } ?? "")"
        case .superseded(let version): return "\(source): superseded (\(format)) by version \(version) already current\(id)"
        case .rejected(let reason): return "\(source): rejected\(id): \(reason)"
        case .rehearsal: return "\(source): rehearsal (\(format))\(id): a test-feed document, kept apart from production"
        }
    }
}

/// The results intake: takes received documents, keeps every one verbatim in the store's audit
/// log, applies the accepted ones to the results book and stores the derived facts with them.
///
/// Not thread-safe: one intake is owned by one task (the CLI, or an actor in the server).
public final class ResultsIntake {
    private let store: any ResultsStore
    private var ledger: ResultsLedger
    private var book: ResultsBook
    /// Stored document id of each accepted document, by what it is (for fact sources).
    private var documentIDs: [String: Int64] = [:]
    /// Stored document id by content hash: the duplicate check needs no database read.
    private var storedHashes: [String: Int64] = [:]
    /// Whether test-feed (`T`) documents are taken, into the rehearsal ledger.
    public let takesRehearsals: Bool
    /// The test-feed documents taken, with their receipt times: a ledger of its own.
    private var rehearsals = ResultsLedger(feedFlag: "T")
    /// The book of the test-feed documents.
    private var rehearsalBook = ResultsBook(feedFlag: "T")
    /// Why each rejected stored document was refused (`format: reason`), by its id: the same bytes
    /// again get the same answer, never an acknowledgement for a document that was not applied.
    private var rejections: [Int64: String] = [:]
    /// The newest document of the store's log this intake has taken (0: none): documents other
    /// nodes store come after it, and are taken before this intake stores one of its own.
    public private(set) var newestTaken: Int64 = 0
    /// How many times a document is tried again when other nodes keep storing documents
    /// between this intake's reading the log and its storing.
    static let attempts = 20

    /// Opens the intake over `store`, rebuilding the book from the documents it already holds.
    /// With `takesRehearsals`, test-feed (`T`) documents are kept in a rehearsal ledger of their
    /// own instead of being refused.
    public init(store: any ResultsStore, feedFlag: String = "P", takesRehearsals: Bool = false) throws {
        self.store = store
        self.takesRehearsals = takesRehearsals
        ledger = ResultsLedger(feedFlag: feedFlag)
        book = ResultsBook(feedFlag: feedFlag)
        for record in try store.feedDocuments() { take(record) }
    }

    /// Takes the documents other nodes of the store stored since this intake last read its log,
    /// as they were stored (their outcome and receipt time); returns how many.
    @discardableResult
    public func catchUp() throws -> Int {
        let records = try store.feedDocuments(after: newestTaken)
        for record in records { take(record) }
        return records.count
    }

    /// A stored document into the books and ledgers, as its writer recorded it.
    private func take(_ record: FeedDocumentRecord) {
        newestTaken = max(newestTaken, record.id)
        storedHashes[record.sha256] = record.id
        guard record.outcome != "rejected" else {
            rejections[record.id] = "\(record.format): \(record.detail ?? "rejected")"
            return
        }
        guard let document = try? DocumentDecoder.decode(record.bytes), let received = UTCInstant(iso8601: record.receivedUTC) else { return }
        if record.outcome == "rehearsal" {
            _ = try? rehearsalBook.accept(document)
            rehearsals.append(document, receivedAt: received)
            return
        }
        _ = try? book.accept(document)
        ledger.append(document, receivedAt: received)
        remember(document, id: record.id)
    }

    /// Every document applied, a duplicate or superseded, with its receipt time.
    public var received: ResultsLedger { ledger }

    /// The current book (every accepted document).
    public var latest: ResultsBook { book }

    /// The book as it stood at wall time `wall`: what was known, and so on air, then.
    public func book(asKnownAt wall: UTCInstant) -> ResultsBook { ledger.book(asKnownAt: wall) }

    /// The test-feed documents taken, with their receipt times (empty unless rehearsals are taken).
    public var rehearsalLedger: ResultsLedger { rehearsals }

    /// The current book of the test feed.
    public var latestRehearsal: ResultsBook { rehearsalBook }

    /// A document read and hashed, not yet taken: what depends on its bytes alone, so it can be
    /// made for many documents at once, on any thread, ahead of the intake taking them one by
    /// one in order (`receive(_:source:receivedAt:)`).
    public struct Prepared: Sendable {
        let bytes: Data
        let hash: String
        let format: String
        let decoded: Result<ResultsDocument, DocumentError>

        /// Hashes, sniffs and decodes `bytes`.
        public init(_ bytes: Data) {
            self.bytes = bytes
            hash = Digests.sha256Hex(of: bytes)
            format = DocumentDecoder.sniff(bytes.prefix(4096)) ?? "unknown"
            decoded = Result { () throws(DocumentError) in try DocumentDecoder.decode(bytes) }
        }
    }

    /// Takes one received document. It is stored (with its outcome) before this returns, and
    /// an accepted document's derived facts are stored in the same transaction.
    @discardableResult
    public func receive(_ bytes: Data, source: String, receivedAt: UTCInstant) throws -> Receipt {
        try receive(Prepared(bytes), source: source, receivedAt: receivedAt)
    }

    /// Takes one document prepared beforehand, as `receive(_:source:receivedAt:)` takes its bytes.
    ///
    /// The document is judged (duplicate, superseded, applied) and its facts derived against
    /// the log as this intake has taken it. When other nodes of the store stored documents
    /// since, the store refuses this one (`AuditLogMovedOn`): the intake takes what it missed
    /// and judges the document again, so it is never judged against part of the log.
    @discardableResult
    public func receive(_ prepared: Prepared, source: String, receivedAt: UTCInstant) throws -> Receipt {
        var attempt = 1
        while true {
            do {
                return try take(prepared, source: source, receivedAt: receivedAt)
            } catch is AuditLogMovedOn where attempt < ResultsIntake.attempts {
                try catchUp()
                attempt += 1
            }
        }
    }

    /// Judges and stores one document against the log as this intake has taken it.
    private func take(_ prepared: Prepared, source: String, receivedAt: UTCInstant) throws -> Receipt {
        let arrival = Arrival(prepared: prepared, source: source, receivedAt: receivedAt)
        if let existing = storedHashes[prepared.hash] {
            if let reason = rejections[existing] {
                return Receipt(source: source, format: prepared.format, documentID: existing, outcome: .rejected(reason))
            }
            return Receipt(source: source, format: prepared.format, documentID: nil, outcome: .duplicate(of: existing))
        }
        let accepted: Accepted
        do throws(DocumentError) {
            accepted = try accept(prepared)
        } catch {
            let id = try write(arrival, "rejected", error.reason, format: error.format)
            rejections[id] = error.description
            return Receipt(source: source, format: error.format, documentID: id, outcome: .rejected(error.description))
        }
        return try record(accepted, arrival)
    }

    /// A document as it came: its bytes (prepared), who sent it and when.
    private struct Arrival {
        let prepared: Prepared
        let source: String
        let receivedAt: UTCInstant
    }

    /// A document a book took, with what is needed to record it or take it back.
    private struct Accepted {
        let document: ResultsDocument
        let outcome: ResultsBook.Outcome
        /// A test-feed document, where rehearsals are taken, goes to the rehearsal book by the
        /// same rules; production's book never sees it.
        let rehearsing: Bool
        /// What the document changed in its book, put back if the store then fails.
        let checkpoint: ResultsBook.Checkpoint
        /// The part of the facts this document can change: only it is derived and replaced.
        let scope: FactScope
    }

    /// Decodes the document and applies it to its book in place (a copy of a meet's book per
    /// document cost more than everything else).
    private func accept(_ prepared: Prepared) throws(DocumentError) -> Accepted {
        let document = try prepared.decoded.get()
        let rehearsing = takesRehearsals && document.feedFlag == "T" && book.feedFlag != "T"
        let checkpoint = rehearsing ? rehearsalBook.checkpoint(for: document) : book.checkpoint(for: document)
        let scope = FactsDeriver.scope(of: document, before: book)
        do {
            let outcome = rehearsing ? try rehearsalBook.accept(document) : try book.accept(document)
            return Accepted(document: document, outcome: outcome, rehearsing: rehearsing, checkpoint: checkpoint, scope: scope)
        } catch .wrongFeed(let what, let flag, let expected) where flag == "T" {
            throw DocumentError(
                format: document.format,
                reason: "\(ResultsBookError.wrongFeed(what: what, flag: flag, expected: expected)) (test documents are kept, in a rehearsal ledger, only by a server started with --rehearsals)"
            )
        } catch {
            throw DocumentError(format: document.format, reason: error.description)
        }
    }

    /// Records a document a book took, by its outcome, in the audit log and the ledgers.
    private func record(_ accepted: Accepted, _ arrival: Arrival) throws -> Receipt {
        let (document, source, receivedAt) = (accepted.document, arrival.source, arrival.receivedAt)
        if accepted.rehearsing {
            let taken = switch accepted.outcome {
            case .applied: "applied"
            case .duplicate: "a duplicate"
            case .superseded(let version): "superseded by version \(version)"
            }
            let id = try storeOrUndo(accepted, arrival, "rehearsal", "test feed (T), \(taken) in the rehearsal ledger; not applied to production")
            rehearsals.append(document, receivedAt: receivedAt)
            return Receipt(source: source, format: document.format, documentID: id, outcome: .rehearsal)
        }
        switch accepted.outcome {
        case .applied:
            // The document's own facts name its id, which the store assigns inside the transaction.
            let (known, taken, scope) = (documentIDs, book, accepted.scope)
            let id = try storeOrUndo(accepted, arrival, "applied", nil) { id in
                FactsDeriver(book: taken, documentIDs: known, newest: (Set(FactsDeriver.identities(of: document)), id)).facts(in: scope)
            }
            ResultsIntake.remember(document, id: id, into: &documentIDs)
            ledger.append(document, receivedAt: receivedAt)
            var notes: [String] = []
            if case .lenex(let lenex) = document { notes = lenex.skipped }
            return Receipt(source: source, format: document.format, documentID: id, outcome: .accepted, notes: notes)
        case .duplicate:
            let id = try storeOrUndo(accepted, arrival, "duplicate", nil)
            ledger.append(document, receivedAt: receivedAt)
            return Receipt(source: source, format: document.format, documentID: id, outcome: .duplicate(of: nil))
        case .superseded(let version):
            let id = try storeOrUndo(accepted, arrival, "superseded", "version \(version) is current")
            ledger.append(document, receivedAt: receivedAt)
            return Receipt(source: source, format: document.format, documentID: id, outcome: .superseded(currentVersion: version))
        }
    }

    /// Stores the outcome; a store that fails leaves the book as it was before the document.
    private func storeOrUndo(
        _ accepted: Accepted, _ arrival: Arrival, _ outcome: String, _ detail: String?, facts: ((Int64) -> DerivedFacts)? = nil
    ) throws -> Int64 {
        do {
            return try write(arrival, outcome, detail, format: accepted.document.format, facts: facts)
        } catch {
            if accepted.rehearsing { rehearsalBook.restore(accepted.checkpoint) } else { book.restore(accepted.checkpoint) }
            throw error
        }
    }

    /// Stores the document with its outcome (and facts, when it changed the state) and remembers
    /// its hash. (Another process sharing the database that stored these bytes meanwhile makes
    /// the store's unique hash refuse them: an error, never a second copy.)
    private func write(_ arrival: Arrival, _ outcome: String, _ detail: String?, format: String, facts: ((Int64) -> DerivedFacts)? = nil) throws -> Int64 {
        let bytes = arrival.prepared.bytes
        // An oversized document is kept only up to the size limit (its hash is of the whole):
        // the audit log records what came, without letting one sender fill the disk.
        let kept = bytes.count > DocumentDecoder.maximumDocumentSize ? bytes.prefix(DocumentDecoder.maximumDocumentSize) : bytes
        let note = kept.count < bytes.count ? "; first \(kept.count) of \(bytes.count) bytes kept" : ""
        let record = FeedDocumentRecord(
            sha256: arrival.prepared.hash, format: format, source: arrival.source, receivedUTC: arrival.receivedAt.iso8601, bytes: Data(kept),
            outcome: outcome, detail: detail.map { $0 + note }
        )
        let id = try self.store.append(record, expectingNewest: newestTaken, replacingFactsWith: facts)
        storedHashes[arrival.prepared.hash] = id
        newestTaken = id
        return id
    }

    /// Rebuilds the derived facts from the raw log alone and compares them with the stored ones.
    /// With `repair`, the stored facts are replaced by the rebuilt ones.
    public func replay(repair: Bool) throws -> ReplayReport {
        var rebuilt = ResultsBook(feedFlag: book.feedFlag)
        var ids: [String: Int64] = [:]
        var documents = 0
        for record in try store.feedDocuments() where record.outcome == "applied" {
            let document = try DocumentDecoder.decode(record.bytes)
            _ = try rebuilt.accept(document)
            ResultsIntake.remember(document, id: record.id, into: &ids)
            documents += 1
        }
        let expected = FactsDeriver(book: rebuilt, documentIDs: ids).facts()
        let stored = try store.facts()
        let differences = ReplayReport.differences(stored: stored, rebuilt: expected)
        if repair, !differences.isEmpty { try store.replaceFacts(with: expected) }
        return ReplayReport(documents: documents, differences: differences)
    }

    private func remember(_ document: ResultsDocument, id: Int64) { ResultsIntake.remember(document, id: id, into: &documentIDs) }

    private static func remember(_ document: ResultsDocument, id: Int64, into ids: inout [String: Int64]) {
        for key in FactsDeriver.identities(of: document) where ids[key] == nil { ids[key] = id }
    }
}

/// What a replay found.
public struct ReplayReport: Sendable, Equatable {
    /// Applied documents replayed.
    public let documents: Int
    /// One line per difference between stored and rebuilt facts; empty when they agree.
    public let differences: [String]

    static func differences(stored: DerivedFacts, rebuilt: DerivedFacts) -> [String] {
        var lines: [String] = []
        func compare<Row: Hashable>(_ name: String, _ stored: [Row], _ rebuilt: [Row]) {
            let storedSet = Set(stored)
            let rebuiltSet = Set(rebuilt)
            for row in rebuilt where !storedSet.contains(row) { lines.append("\(name): missing from the store: \(row)") }
            for row in stored where !rebuiltSet.contains(row) { lines.append("\(name): stored but not derivable: \(row)") }
        }
        compare("unit", stored.units, rebuilt.units)
        compare("athlete", stored.athletes, rebuilt.athletes)
        compare("startList", stored.startLists, rebuilt.startLists)
        compare("timingFact", stored.timing, rebuilt.timing)
        compare("record", stored.records, rebuilt.records)
        return lines
    }
}
