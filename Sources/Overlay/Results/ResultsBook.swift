/// A results document of any format Podium reads.
public enum ResultsDocument: Sendable, Hashable {
    case odf(ODFDocument)
    case lenex(LenexDocument)
    case events(TimingEventBatch)

    /// `P` (production) or `T` (test) as the document says; Lenex has no flag and is production.
    public var feedFlag: String {
        switch self {
        case .odf(let document): document.header.feedFlag
        case .events(let batch): batch.feedFlag
        case .lenex: "P"
        }
    }

    /// `odf`, `lenex` or `podium-events`.
    public var format: String {
        switch self {
        case .odf: "odf"
        case .lenex: "lenex"
        case .events: "podium-events"
        }
    }
}

/// What the feeds have said, kept by each format's rules, and everything derived from it.
///
/// - ODF: a message is identified by its key header fields (`ODFMessageKey`); a higher `Version`
///   replaces the earlier message entirely, whatever the order documents arrive in; the same
///   version twice is a no-op when identical and a conflict otherwise; a message without
///   `Competition` withdraws the earlier one; `*_UPDATE` messages patch the full message with
///   what they contain, applied in generation order (only those generated after the full message).
/// - Podium timing events: an event is identified by unit and id; the same id twice is a no-op
///   when identical and a conflict otherwise.
/// - Lenex carries no version: a later file of the same meet replaces the earlier one.
/// - A test-feed (`T`) document never mixes with production (`P`).
public struct ResultsBook: Sendable {
    /// How a document was taken.
    public enum Outcome: Sendable, Equatable {
        /// It changed the current state (or is now the current version of its message).
        case applied
        /// Everything in it was already known, identically.
        case duplicate
        /// A higher version is already current; kept for the audit log only.
        case superseded(currentVersion: Int)
    }

    /// The feed flag this book accepts (`P` in production).
    public let feedFlag: String
    /// The current full message for each ODF message key.
    public private(set) var current: [ODFMessageKey: ODFDocument] = [:]
    /// `*_UPDATE` messages by key and version.
    public private(set) var updates: [ODFMessageKey: [Int: ODFDocument]] = [:]
    /// Timing events by unit and id.
    public private(set) var events: [UnitCode: [String: TimingEvent]] = [:]
    /// Lenex documents by meet identity.
    public private(set) var lenex: [String: LenexDocument] = [:]
    /// The heats of the Lenex meets as races, by their unit code (kept with the documents, so
    /// that reading a unit never re-reads a meet).
    public private(set) var lenexRaces: [UnitCode: LenexRace] = [:]
    /// The key of the Lenex document each race comes from.
    public private(set) var lenexRaceSources: [UnitCode: String] = [:]
    /// The athletes of the Lenex meets by `athleteid`, with the key of the document that named them.
    public private(set) var lenexAthletes: [String: (athlete: Athlete, lenexKey: String)] = [:]

    /// The keys of the current DT_RESULT messages by the unit they give results for: reading
    /// one unit's results looks at its own messages, not at every message of the meet.
    private var resultKeys: [UnitCode: Set<ODFMessageKey>] = [:]

    /// Creates an empty book accepting documents of `feedFlag`.
    public init(feedFlag: String = "P") { self.feedFlag = feedFlag }

    /// Takes a document by its format's rules. A refused document changes nothing.
    public mutating func accept(_ document: ResultsDocument) throws(ResultsBookError) -> Outcome {
        switch document {
        case .odf(let odf): return try accept(odf)
        case .events(let batch): return try accept(batch)
        case .lenex(let lenexDocument): return accept(lenexDocument)
        }
    }

    /// Takes an ODF document by ODF's versioning rules.
    public mutating func accept(_ document: ODFDocument) throws(ResultsBookError) -> Outcome {
        let header = document.header
        guard header.feedFlag == feedFlag else {
            throw .wrongFeed(what: "\(header.key)", flag: header.feedFlag, expected: feedFlag)
        }
        if header.documentType.hasSuffix("_UPDATE") {
            if let existing = updates[header.key]?[header.version] {
                guard existing == document else { throw .conflictingVersion(what: "\(header.key)", version: header.version) }
                return .duplicate
            }
            updates[header.key, default: [:]][header.version] = document
            return .applied
        }
        if let existing = current[header.key] {
            if existing.header.version > header.version {
                return .superseded(currentVersion: existing.header.version)
            }
            if existing.header.version == header.version {
                guard existing == document else { throw .conflictingVersion(what: "\(header.key)", version: header.version) }
                return .duplicate
            }
        }
        if header.documentType == "DT_RESULT" {
            if case .unitResults(let replaced) = current[header.key]?.body {
                resultKeys[replaced.unit]?.remove(header.key)
                if resultKeys[replaced.unit]?.isEmpty == true { resultKeys[replaced.unit] = nil }
            }
            if case .unitResults(let results) = document.body { resultKeys[results.unit, default: []].insert(header.key) }
        }
        current[header.key] = document
        return .applied
    }

    private mutating func accept(_ batch: TimingEventBatch) throws(ResultsBookError) -> Outcome {
        guard batch.feedFlag == feedFlag else {
            throw .wrongFeed(what: "timing events for \(batch.unit)", flag: batch.feedFlag, expected: feedFlag)
        }
        let known = events[batch.unit] ?? [:]
        // Checked in full before anything is applied: a batch is taken whole or not at all.
        for event in batch.events {
            if let existing = known[event.id], existing != event { throw .conflictingEvent(unit: batch.unit, id: event.id) }
        }
        let fresh = batch.events.filter { known[$0.id] == nil }
        guard !fresh.isEmpty else { return .duplicate }
        for event in fresh { events[batch.unit, default: [:]][event.id] = event }
        return .applied
    }

    /// The key under which a Lenex document is kept: its meets' identities, or `records` for a
    /// file of record lists only.
    public static func lenexKey(of document: LenexDocument) -> String {
        let identity = document.meets.map(\.identity).joined(separator: "+")
        return identity.isEmpty ? "records" : identity
    }

    private mutating func accept(_ document: LenexDocument) -> Outcome {
        let key = ResultsBook.lenexKey(of: document)
        if lenex[key] == document { return .duplicate }
        lenex[key] = document
        // A later file of a meet replaces its races and athletes whole.
        lenexRaces = [:]
        lenexRaceSources = [:]
        lenexAthletes = [:]
        for key in lenex.keys.sorted() {
            for race in lenex[key]!.races {
                lenexRaces[race.unit] = race
                lenexRaceSources[race.unit] = key
            }
            for athlete in lenex[key]!.athletes where lenexAthletes[athlete.id] == nil { lenexAthletes[athlete.id] = (athlete, key) }
        }
        return .applied
    }

    /// What `accept(document)` can change, kept so the change can be undone without copying the
    /// book (a copy of a meet's thousands of messages per document cost more than the rest).
    public struct Checkpoint: Sendable {
        fileprivate enum Saved: Sendable {
            case odf(key: ODFMessageKey, current: ODFDocument?, updates: [Int: ODFDocument]?, resultKeys: [UnitCode: Set<ODFMessageKey>])
            case events(unit: UnitCode, events: [String: TimingEvent]?)
            case lenex(
                documents: [String: LenexDocument], races: [UnitCode: LenexRace], sources: [UnitCode: String],
                athletes: [String: (athlete: Athlete, lenexKey: String)]
            )
        }
        fileprivate let saved: Saved
    }

    /// The part of the book `document` can change, as it is now.
    public func checkpoint(for document: ResultsDocument) -> Checkpoint {
        switch document {
        case .odf(let odf):
            let key = odf.header.key
            var units: [UnitCode] = []
            for body in [odf.body, current[key]?.body] { if case .unitResults(let results) = body { units.append(results.unit) } }
            var keys: [UnitCode: Set<ODFMessageKey>] = [:]
            for unit in units { keys[unit] = resultKeys[unit] ?? [] }
            return Checkpoint(saved: .odf(key: key, current: current[key], updates: updates[key], resultKeys: keys))
        case .events(let batch):
            return Checkpoint(saved: .events(unit: batch.unit, events: events[batch.unit]))
        case .lenex:
            return Checkpoint(saved: .lenex(documents: lenex, races: lenexRaces, sources: lenexRaceSources, athletes: lenexAthletes))
        }
    }

    /// Puts back what `checkpoint` saved: the book as it was before the document it was taken for.
    public mutating func restore(_ checkpoint: Checkpoint) {
        switch checkpoint.saved {
        case let .odf(key, saved, savedUpdates, keys):
            current[key] = saved
            updates[key] = savedUpdates
            for (unit, set) in keys { resultKeys[unit] = set.isEmpty ? nil : set }
        case let .events(unit, saved):
            events[unit] = saved
        case let .lenex(documents, races, sources, athletes):
            (lenex, lenexRaces, lenexRaceSources, lenexAthletes) = (documents, races, sources, athletes)
        }
    }

    // MARK: - Derived state

    /// Full ODF messages of `type` that are current (not withdrawn), in key order.
    private func currentDocuments(ofType type: String) -> [ODFDocument] {
        current.keys.sorted().filter { $0.documentType == type }.compactMap { current[$0] }.filter { $0.body != .withdrawn }
    }

    /// `*_UPDATE` messages of `type` generated after `base`, in generation then version order.
    private func updateDocuments(ofType type: String, after base: String) -> [ODFDocument] {
        updates.filter { $0.key.documentType == type }.flatMap(\.value.values)
            .filter { $0.header.generated >= base }
            .sorted { ($0.header.generated, $0.header.version) < ($1.header.generated, $1.header.version) }
    }

    /// Every athlete known from participant messages and their updates, and from Lenex meets
    /// (an ODF participant wins where both name the same code), by code.
    public var athletes: [String: Athlete] {
        var byCode = lenexAthletes.mapValues(\.athlete)
        for (code, entry) in athletesWithSource { byCode[code] = entry.athlete }
        return byCode
    }

    /// Every athlete with the header of the message that last said something about them.
    public var athletesWithSource: [String: (athlete: Athlete, source: ODFHeader)] {
        var byCode: [String: (athlete: Athlete, source: ODFHeader)] = [:]
        let bases = currentDocuments(ofType: "DT_PARTIC")
        let baseGenerated = bases.map(\.header.generated).max() ?? ""
        for document in bases + updateDocuments(ofType: "DT_PARTIC_UPDATE", after: baseGenerated) {
            if case .participants(let list) = document.body {
                for athlete in list { byCode[athlete.id] = (athlete, document.header) }
            }
        }
        return byCode
    }

    /// The current ODF result message of `unit`, without timing events.
    public func odfResults(of unit: UnitCode) -> (results: UnitResults, header: ODFHeader)? {
        for key in (resultKeys[unit] ?? []).sorted() {
            if let document = current[key], case .unitResults(let results) = document.body, results.unit == unit { return (results, document.header) }
        }
        return nil
    }

    /// Records in force with where each came from: an ODF header, or nil for a Lenex record list.
    public var recordsWithSource: [(record: RecordEntry, source: ODFHeader?, lenexKey: String?)] {
        var list: [(record: RecordEntry, source: ODFHeader?, lenexKey: String?)] = []
        for document in currentDocuments(ofType: "DT_RECORD") {
            if case .records(let records) = document.body { list += records.map { ($0, document.header, nil) } }
        }
        for key in lenex.keys.sorted() { list += lenex[key]!.records.map { ($0, nil, key) } }
        return list
    }

    /// Teams by code.
    public var teams: [String: Team] {
        var byCode: [String: Team] = [:]
        for document in currentDocuments(ofType: "DT_PARTIC_TEAMS") {
            if case .teams(let list) = document.body { for team in list { byCode[team.code] = team } }
        }
        return byCode
    }

    /// The schedule: full messages patched by their updates.
    /// Lenex heats are in it too, with their scheduled local time (`localStart`; Lenex has no zone).
    public var schedule: [UnitCode: ScheduledUnit] {
        var byUnit: [UnitCode: ScheduledUnit] = [:]
        for (code, race) in lenexRaces {
            byUnit[code] = ScheduledUnit(
                unit: code, status: race.results.status == "START_LIST" ? "SCHEDULED" : "FINISHED", start: nil, name: race.title,
                localStart: race.scheduledLocal
            )
        }
        let bases = currentDocuments(ofType: "DT_SCHEDULE")
        for document in bases {
            if case .schedule(let units, _) = document.body { for unit in units { byUnit[unit.unit] = unit } }
        }
        for document in updateDocuments(ofType: "DT_SCHEDULE_UPDATE", after: bases.map(\.header.generated).max() ?? "") {
            guard case .schedule(let units, let deleted) = document.body else { continue }
            for unit in units { byUnit[unit.unit] = unit }
            for unit in deleted { byUnit[unit] = nil }
        }
        return byUnit
    }

    /// Units the latest DT_CURRENT names as running.
    public var currentUnits: [UnitCode] {
        currentDocuments(ofType: "DT_CURRENT").flatMap { document -> [UnitCode] in
            if case .current(let units) = document.body { return units }
            return []
        }
    }

    /// Records in force: from DT_RECORD and from Lenex record lists.
    public var records: [RecordEntry] { recordsWithSource.map(\.record) }

    /// The units with results (ODF results, Lenex heats or timing events), in code order.
    public var units: [UnitCode] {
        Set(events.keys).union(lenexRaces.keys).union(resultKeys.keys).sorted { $0.rawValue < $1.rawValue }
    }

    /// The current results of `unit`: the ODF result message, with timing events filling in what it
    /// does not say yet (ODF, the official record, wins where both speak).
    public func results(of unit: UnitCode) -> UnitResults? {
        let base = odfResults(of: unit)?.results ?? lenexRaces[unit]?.results
        guard let unitEvents = events[unit], !unitEvents.isEmpty else { return base }
        return EventMerge(unit: unit, events: Array(unitEvents.values)).merged(into: base)
    }

    /// The course a unit is swum in: a Lenex meet's own (`LCM`, `SCM`); ODF swimming units are
    /// long course (the Games' pools); nil where nothing says.
    public func course(of unit: UnitCode) -> String? {
        if let race = lenexRaces[unit] { return race.course }
        return unit.discipline == "SWM" ? "LCM" : nil
    }

    /// The records in force for `unit`'s race: same event, gender and relay count, its course,
    /// and its age group (an open race shows open records only).
    public func records(for unit: UnitCode) -> [RecordEntry] {
        let course = course(of: unit)
        let ages = lenexRaces[unit]?.ageGroup.map { (minimum: $0.minimum, maximum: $0.maximum) }
        return records.filter { $0.belongs(to: unit, course: course, ages: ages) }
    }
}

/// Folds a unit's timing events into its results.
private struct EventMerge {
    let unit: UnitCode
    let events: [TimingEvent]

    /// Events in the order they happened (ties by id, so the fold never depends on arrival).
    private var ordered: [TimingEvent] { events.sorted { ($0.utc, $0.id) < ($1.utc, $1.id) } }

    func merged(into odf: UnitResults?) -> UnitResults {
        // A recalled start is followed by another: the last start signal is the race's.
        let start = odf?.startTime ?? ordered.last { $0.kind == .start }?.utc
        func raceTime(_ given: RaceTime?, at utc: UTCInstant) -> RaceTime? {
            if let given { return given }
            guard let start, start <= utc else { return nil }
            return RaceTime(elapsed: utc.seconds(since: start))
        }
        var lanes: [Int: LaneResult] = [:]
        for lane in odf?.lanes ?? [] { lanes[lane.lane] = lane }
        var byLane: [Int: [TimingEvent]] = [:]
        for event in ordered { if let lane = event.lane { byLane[lane, default: []].append(event) } }
        for (lane, laneEvents) in byLane {
            let base = lanes[lane]
            var reaction = base?.reaction
            var intermediates = Dictionary(uniqueKeysWithValues: (base?.intermediates ?? []).map { ($0.distance, $0) })
            var finish = base?.finish
            var status = base?.status
            var photo = base?.photoFinishPending ?? false
            for event in laneEvents {
                switch event.kind {
                case .start:
                    break
                case .reaction(let time):
                    if base?.reaction == nil { reaction = raceTime(time, at: event.utc) ?? reaction }
                case .split(let distance, let time):
                    if base?.intermediates.contains(where: { $0.distance == distance }) != true, let value = raceTime(time, at: event.utc) {
                        intermediates[distance] = Intermediate(distance: distance, time: value, rank: nil)
                    }
                case .finish(let time):
                    if base?.finish == nil { finish = raceTime(time, at: event.utc) ?? finish }
                case .status(let mark):
                    if base?.status == nil { status = mark }
                case .photoFinish(let pending):
                    if base == nil || base?.photoFinishPending == false { photo = pending }
                }
            }
            lanes[lane] = LaneResult(
                lane: lane, competitorCode: base?.competitorCode ?? "", describedAthlete: base?.describedAthlete,
                reaction: reaction, intermediates: intermediates.values.sorted { $0.distance < $1.distance }, finish: finish,
                rank: base?.rank, records: base?.records ?? [], status: status, photoFinishPending: photo, legs: base?.legs ?? []
            )
        }
        return UnitResults(unit: unit, status: odf?.status ?? "LIVE", startTime: start, lanes: Array(lanes.values))
    }
}

/// Why a results document was refused by the book.
public enum ResultsBookError: Error, Equatable, CustomStringConvertible {
    /// A test document offered to a production book or the reverse.
    case wrongFeed(what: String, flag: String, expected: String)
    /// The same version of a message arrived with different content.
    case conflictingVersion(what: String, version: Int)
    /// A timing event id arrived again with different content.
    case conflictingEvent(unit: UnitCode, id: String)

    public var description: String {
        switch self {
        case let .wrongFeed(what, flag, expected):
            "\(what) has feed flag \(flag) but this feed takes \(expected) only"
        case let .conflictingVersion(what, version):
            "\(what) version \(version) arrived again with different content"
        case let .conflictingEvent(unit, id):
            "timing event \(id) of \(unit) arrived again with different content"
        }
    }
}

/// Every accepted document with the UTC it was received: the state of the feeds as known at
/// any wall time W is the fold of the documents received by W.
public struct ResultsLedger: Sendable {
    /// One accepted document.
    public struct Entry: Sendable, Hashable {
        /// Arrival order, to order documents received at the same instant.
        public let sequence: Int
        /// When it was received.
        public let receivedAt: UTCInstant
        /// The document.
        public let document: ResultsDocument

        /// Creates an entry.
        public init(sequence: Int, receivedAt: UTCInstant, document: ResultsDocument) {
            self.sequence = sequence
            self.receivedAt = receivedAt
            self.document = document
        }
    }

    /// The feed flag of the book it builds.
    public let feedFlag: String
    /// Accepted documents.
    public private(set) var entries: [Entry] = []

    /// Creates an empty ledger.
    public init(feedFlag: String = "P") { self.feedFlag = feedFlag }

    /// Records an accepted document.
    public mutating func append(_ document: ResultsDocument, receivedAt: UTCInstant) {
        entries.append(Entry(sequence: entries.count, receivedAt: receivedAt, document: document))
    }

    /// The book as it stood at wall time `wall` (documents received at or before it), or with
    /// every document when `wall` is nil ("latest").
    public func book(asKnownAt wall: UTCInstant? = nil) -> ResultsBook {
        var book = ResultsBook(feedFlag: feedFlag)
        let known = entries.filter { wall == nil || $0.receivedAt <= wall! }
            .sorted { ($0.receivedAt, $0.sequence) < ($1.receivedAt, $1.sequence) }
        // Every entry was accepted once; refusals cannot arise from a subset of accepted documents.
        for entry in known { _ = try? book.accept(entry.document) }
        return book
    }
}
