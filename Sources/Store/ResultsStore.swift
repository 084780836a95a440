public import Foundation
import Synchronization

/// A results document as received by the feeds, kept verbatim for the audit log.
public struct FeedDocumentRecord: Sendable, Equatable {
    /// Store-assigned id, in order of receipt (0 before it is stored).
    public let id: Int64
    /// SHA-256 of the bytes, lower-case hex: the same bytes twice are the same document.
    public let sha256: String
    /// `odf`, `lenex`, `podium-events`, or `unknown` when it could not be recognised.
    public let format: String
    /// Where it came from: a file path, an endpoint, a feed name.
    public let source: String
    /// When it was received, ISO 8601 UTC with microseconds.
    public let receivedUTC: String
    /// The bytes as received (the `.lxf` archive itself for zipped Lenex).
    public let bytes: Data
    /// `applied`, `duplicate`, `superseded`, or `rejected`.
    public let outcome: String
    /// For a refused document, why; for a superseded one, by what.
    public let detail: String?

    /// Creates a record.
    public init(id: Int64 = 0, sha256: String, format: String, source: String, receivedUTC: String, bytes: Data, outcome: String, detail: String?) {
        self.id = id
        self.sha256 = sha256
        self.format = format
        self.source = source
        self.receivedUTC = receivedUTC
        self.bytes = bytes
        self.outcome = outcome
        self.detail = detail
    }

    /// The same record with its store id.
    public func with(id: Int64) -> FeedDocumentRecord {
        FeedDocumentRecord(id: id, sha256: sha256, format: format, source: source, receivedUTC: receivedUTC, bytes: bytes, outcome: outcome, detail: detail)
    }
}

/// What a derived fact came from: the stored document, and the ODF version or event id in it.
public struct FactSource: Sendable, Hashable {
    /// Id of the stored document.
    public let documentID: Int64
    /// `DT_RESULT v4`, `event e17`, `lenex`, …
    public let reference: String

    /// Creates a fact source.
    public init(documentID: Int64, reference: String) {
        self.documentID = documentID
        self.reference = reference
    }
}

/// Derived rows: what the current state of the feeds says, each row with its source.
public struct DerivedFacts: Sendable, Equatable {
    /// A unit's status and start.
    public struct UnitRow: Sendable, Hashable {
        public let unit: String
        public let status: String?
        public let startUTC: String?
        public let source: FactSource
        public init(unit: String, status: String?, startUTC: String?, source: FactSource) {
            self.unit = unit
            self.status = status
            self.startUTC = startUTC
            self.source = source
        }
    }

    /// An athlete.
    public struct AthleteRow: Sendable, Hashable {
        public let code: String
        public let givenName: String
        public let familyName: String
        public let organisation: String
        public let gender: String?
        public let birthDate: String?
        public let source: FactSource
        public init(code: String, givenName: String, familyName: String, organisation: String, gender: String?, birthDate: String?, source: FactSource) {
            self.code = code
            self.givenName = givenName
            self.familyName = familyName
            self.organisation = organisation
            self.gender = gender
            self.birthDate = birthDate
            self.source = source
        }
    }

    /// A lane of a start list.
    public struct StartRow: Sendable, Hashable {
        public let unit: String
        public let lane: Int
        public let competitorCode: String
        /// Relay legs' athlete codes, comma-separated; empty for an individual.
        public let legs: String
        public let source: FactSource
        public init(unit: String, lane: Int, competitorCode: String, legs: String, source: FactSource) {
            self.unit = unit
            self.lane = lane
            self.competitorCode = competitorCode
            self.legs = legs
            self.source = source
        }
    }

    /// A timing fact: a reaction, a split, a finish or a status of one lane.
    public struct TimingRow: Sendable, Hashable {
        public let unit: String
        public let lane: Int
        /// `reaction`, `split`, `finish`, `status`, `photo`.
        public let kind: String
        /// Metres for a split, 0 otherwise.
        public let distance: Int
        /// Race time in milliseconds, when the fact is a time.
        public let milliseconds: Int64?
        /// Venue UTC it happened (start + race time), when the start is known.
        public let happenedUTC: String?
        /// For status and photo facts: the value (DSQ, pending, …).
        public let value: String?
        public let source: FactSource
        public init(unit: String, lane: Int, kind: String, distance: Int, milliseconds: Int64?, happenedUTC: String?, value: String?, source: FactSource) {
            self.unit = unit
            self.lane = lane
            self.kind = kind
            self.distance = distance
            self.milliseconds = milliseconds
            self.happenedUTC = happenedUTC
            self.value = value
            self.source = source
        }
    }

    /// A record in force.
    public struct RecordRow: Sendable, Hashable {
        public let type: String
        public let event: String
        public let holder: String
        public let organisation: String
        public let milliseconds: Int64
        public let date: String?
        /// Cumulative splits, `distance:milliseconds` comma-separated.
        public let splits: String
        public let source: FactSource
        public init(type: String, event: String, holder: String, organisation: String, milliseconds: Int64, date: String?, splits: String, source: FactSource) {
            self.type = type
            self.event = event
            self.holder = holder
            self.organisation = organisation
            self.milliseconds = milliseconds
            self.date = date
            self.splits = splits
            self.source = source
        }
    }

    public var units: [UnitRow] = []
    public var athletes: [AthleteRow] = []
    public var startLists: [StartRow] = []
    public var timing: [TimingRow] = []
    public var records: [RecordRow] = []
    /// What these facts stand for: everything, or only some units (their unit, start-list and
    /// timing rows), the athletes, the records. A store replaces exactly that part.
    public var scope: FactScope = .everything

    /// Creates an empty set of facts.
    public init() {}

    /// The same facts in a canonical order, so two derivations compare equal whatever order they were built in.
    public func sorted() -> DerivedFacts {
        var copy = self
        copy.units.sort { $0.unit < $1.unit }
        copy.athletes.sort { $0.code < $1.code }
        copy.startLists.sort { ($0.unit, $0.lane) < ($1.unit, $1.lane) }
        copy.timing.sort { ($0.unit, $0.lane, $0.kind, $0.distance) < ($1.unit, $1.lane, $1.kind, $1.distance) }
        copy.records.sort { ($0.type, $0.event, $0.milliseconds) < ($1.type, $1.event, $1.milliseconds) }
        return copy
    }
}

/// The part of the derived facts one document can change: replacing only that part keeps the
/// cost of a document independent of how many units the meet has.
public struct FactScope: Sendable, Hashable {
    /// The units whose unit, start-list and timing rows are replaced; nil for every unit.
    public var units: Set<String>?
    /// Whether the athletes are replaced.
    public var athletes: Bool
    /// Whether the records are replaced.
    public var records: Bool

    /// Creates a scope.
    public init(units: Set<String>?, athletes: Bool, records: Bool) {
        self.units = units
        self.athletes = athletes
        self.records = records
    }

    /// Every derived row.
    public static let everything = FactScope(units: nil, athletes: true, records: true)

    /// Whether the rows of `unit` are in the scope.
    public func covers(unit: String) -> Bool { units?.contains(unit) ?? true }

    /// `facts` with this scope's part replaced by `replacement`'s (which holds rows of this scope only).
    public func merge(_ replacement: DerivedFacts, into facts: DerivedFacts) -> DerivedFacts {
        var merged = facts
        merged.units = facts.units.filter { !covers(unit: $0.unit) } + replacement.units
        merged.startLists = facts.startLists.filter { !covers(unit: $0.unit) } + replacement.startLists
        merged.timing = facts.timing.filter { !covers(unit: $0.unit) } + replacement.timing
        if athletes { merged.athletes = replacement.athletes }
        if records { merged.records = replacement.records }
        merged.scope = .everything
        return merged.sorted()
    }
}

/// The results feeds' persistence: the verbatim audit log and the derived facts.
///
/// `append` stores a document and replaces the derived facts in one transaction, so a crash
/// loses nothing that was reported stored. Implementations: `SQLiteStore`, `InMemoryResultsStore`.
///
/// Several processes (the nodes of one store) may take documents into the same log. Each derives
/// facts from every document before its own, so `append` stores a document only if the log
/// still ends where its writer last read it (`expectingNewest`); otherwise it throws
/// `AuditLogMovedOn`, and the writer reads what it missed (`feedDocuments(after:)`) and tries again.
public protocol ResultsStore: Sendable {
    /// Stores a received document and, when it changed the state, replaces the part of the
    /// derived facts that `facts` returns for the document's new id (its `scope`), in one
    /// transaction; returns the id. Throws `AuditLogMovedOn` when the newest stored document is
    /// not `expectingNewest` (0: none), storing nothing.
    func append(_ document: FeedDocumentRecord, expectingNewest: Int64, replacingFactsWith facts: ((Int64) -> DerivedFacts)?) throws -> Int64
    /// The stored document with these bytes' hash, if any.
    func document(sha256: String) throws -> FeedDocumentRecord?
    /// Every stored document in order of receipt (id order).
    func feedDocuments() throws -> [FeedDocumentRecord]
    /// The stored documents with an id above `id`, in order.
    func feedDocuments(after id: Int64) throws -> [FeedDocumentRecord]
    /// The derived facts as stored.
    func facts() throws -> DerivedFacts
    /// Replaces the derived facts (used by replay to repair).
    func replaceFacts(with facts: DerivedFacts) throws
}

/// The audit log holds documents its writer has not read: another node stored them meanwhile.
public struct AuditLogMovedOn: Error, Equatable {
    /// The id the writer expected to be the newest.
    public let expected: Int64
    /// The newest id stored.
    public let newest: Int64
}

/// The same bytes were offered for storage twice (the SQLite store's unique constraint says the same).
public struct DuplicateDocument: Error, Equatable {
    /// The content hash.
    public let sha256: String
}

/// A results store in memory, with the same contract as the SQLite one; for tests and tools.
public final class InMemoryResultsStore: ResultsStore, Sendable {
    private let contents = Mutex<(documents: [FeedDocumentRecord], derived: DerivedFacts)>(([], DerivedFacts()))

    /// Creates an empty store.
    public init() {}

    public func append(_ document: FeedDocumentRecord, expectingNewest: Int64, replacingFactsWith facts: ((Int64) -> DerivedFacts)?) throws -> Int64 {
        try contents.withLock { contents in
            let newest = contents.documents.last?.id ?? 0
            guard newest == expectingNewest else { throw AuditLogMovedOn(expected: expectingNewest, newest: newest) }
            guard !contents.documents.contains(where: { $0.sha256 == document.sha256 }) else { throw DuplicateDocument(sha256: document.sha256) }
            let stored = document.with(id: Int64(contents.documents.count + 1))
            contents.documents.append(stored)
            if let facts {
                let replacement = facts(stored.id)
                contents.derived = replacement.scope.merge(replacement, into: contents.derived)
            }
            return stored.id
        }
    }

    public func document(sha256: String) throws -> FeedDocumentRecord? {
        contents.withLock { $0.documents.first { $0.sha256 == sha256 } }
    }

    public func feedDocuments() throws -> [FeedDocumentRecord] { contents.withLock { $0.documents } }

    public func feedDocuments(after id: Int64) throws -> [FeedDocumentRecord] { contents.withLock { $0.documents.filter { $0.id > id } } }

    public func facts() throws -> DerivedFacts { contents.withLock { $0.derived } }

    public func replaceFacts(with facts: DerivedFacts) throws { contents.withLock { $0.derived = facts.sorted() } }
}
