import Overlay
import Store

/// Turns a results book into the store's derived rows, each naming the document it came from.
struct FactsDeriver {
    let book: ResultsBook
    /// Stored document id by document identity (see `identities(of:)`).
    let documentIDs: [String: Int64]
    /// The document being stored, not yet in `documentIDs`: its identities and its new id.
    var newest: (identities: Set<String>, id: Int64)?

    /// The stored id of the document with `identity`: the first one stored wins.
    private func id(of identity: String) -> Int64 {
        if let id = documentIDs[identity] { return id }
        if let newest, newest.identities.contains(identity) { return newest.id }
        return 0
    }

    /// The part of the facts `document` can change, the book before it being `previous`. A
    /// result message changes its unit's rows (and those of the unit its previous version
    /// named), a participant message the athletes, a record message the records; schedule and
    /// team messages change no fact. Anything else is taken to change everything.
    static func scope(of document: ResultsDocument, before previous: ResultsBook) -> FactScope {
        switch document {
        case .events(let batch):
            return FactScope(units: [batch.unit.rawValue], athletes: false, records: false)
        case .lenex:
            return .everything
        case .odf(let odf):
            switch odf.header.documentType {
            case "DT_RESULT", "DT_RESULT_UPDATE":
                var units: Set<String> = []
                for body in [odf.body, previous.current[odf.header.key]?.body] {
                    if case .unitResults(let results) = body { units.insert(results.unit.rawValue) }
                }
                return FactScope(units: units, athletes: false, records: false)
            case "DT_PARTIC", "DT_PARTIC_UPDATE":
                return FactScope(units: [], athletes: true, records: false)
            case "DT_RECORD":
                return FactScope(units: [], athletes: false, records: true)
            case "DT_SCHEDULE", "DT_SCHEDULE_UPDATE", "DT_CURRENT", "DT_PARTIC_TEAMS":
                return FactScope(units: [], athletes: false, records: false)
            default:
                return .everything
            }
        }
    }

    /// What a document is, for finding its stored id: one identity per ODF message version,
    /// per timing event, per Lenex meet.
    static func identities(of document: ResultsDocument) -> [String] {
        switch document {
        case .odf(let odf): ["odf \(odf.header.key) v\(odf.header.version)"]
        case .events(let batch): batch.events.map { "event \(batch.unit) \($0.id)" }
        case .lenex(let lenex): ["lenex \(ResultsBook.lenexKey(of: lenex))"]
        }
    }

    private func source(_ header: ODFHeader) -> FactSource {
        FactSource(documentID: id(of: "odf \(header.key) v\(header.version)"), reference: "\(header.documentType) v\(header.version)")
    }

    private func source(event: TimingEvent, unit: UnitCode) -> FactSource {
        FactSource(documentID: id(of: "event \(unit) \(event.id)"), reference: "event \(event.id)")
    }

    private func lenexSource(_ key: String) -> FactSource {
        FactSource(documentID: id(of: "lenex \(key)"), reference: "lenex")
    }

    /// The facts of `scope` (by default every derived row).
    func facts(in scope: FactScope = .everything) -> DerivedFacts {
        var facts = DerivedFacts()
        facts.scope = scope
        if scope.athletes { appendAthletes(to: &facts) }
        if scope.records { appendRecords(to: &facts) }
        // A unit no longer in the book (its result message withdrawn) yields no rows: its old ones go.
        let units = scope.units.map { wanted in wanted.sorted().compactMap { UnitCode($0) } } ?? book.units
        for unit in units { appendFacts(of: unit, to: &facts) }
        return facts.sorted()
    }

    private func appendAthletes(to facts: inout DerivedFacts) {
        // Computed once: the book derives it from every participant message on each call.
        let odfAthletes = book.athletesWithSource
        for (code, entry) in odfAthletes {
            facts.athletes.append(.init(
                code: code, givenName: entry.athlete.givenName, familyName: entry.athlete.familyName,
                organisation: entry.athlete.organisation, gender: entry.athlete.gender, birthDate: entry.athlete.birthDate,
                source: source(entry.source)
            ))
        }
        for (code, entry) in book.lenexAthletes where odfAthletes[code] == nil {
            facts.athletes.append(.init(
                code: code, givenName: entry.athlete.givenName, familyName: entry.athlete.familyName,
                organisation: entry.athlete.organisation, gender: entry.athlete.gender, birthDate: entry.athlete.birthDate,
                source: lenexSource(entry.lenexKey)
            ))
        }
    }

    private func appendRecords(to facts: inout DerivedFacts) {
        for entry in book.recordsWithSource {
            let recordSource = entry.source.map(source) ?? lenexSource(entry.lenexKey ?? "")
            facts.records.append(.init(
                type: entry.record.type, event: entry.record.event,
                holder: entry.record.holder.map { "\($0.givenName) \($0.familyName)" } ?? "",
                organisation: entry.record.holder?.organisation ?? "", milliseconds: entry.record.time.milliseconds,
                date: entry.record.date, splits: entry.record.splits.map { "\($0.distance):\($0.time.milliseconds)" }.joined(separator: ","),
                source: recordSource
            ))
        }
    }

    private func appendFacts(of unit: UnitCode, to facts: inout DerivedFacts) {
        guard let results = book.results(of: unit) else { return }
        let odf = book.odfResults(of: unit)
        let events = (book.events[unit] ?? [:]).values.sorted { ($0.utc, $0.id) < ($1.utc, $1.id) }
        let unitSource = odf.map { source($0.header) } ?? book.lenexRaceSources[unit].map(lenexSource)
            ?? events.last.map { source(event: $0, unit: unit) } ?? FactSource(documentID: 0, reference: "")
        facts.units.append(.init(unit: unit.rawValue, status: results.status, startUTC: results.startTime?.iso8601, source: unitSource))
        for lane in results.lanes {
            let odfLane = odf?.results.lanes.first { $0.lane == lane.lane }
            // A fact the ODF message states comes from it; anything else from the latest event that states it.
            func origin(_ fromODF: Bool, _ matches: (TimingEvent.Kind) -> Bool) -> FactSource {
                if fromODF, let odf { return source(odf.header) }
                if let event = events.last(where: { $0.lane == lane.lane && matches($0.kind) }) { return source(event: event, unit: unit) }
                return unitSource
            }
            func happened(_ time: RaceTime) -> String? { results.startTime?.advanced(by: time.seconds).iso8601 }
            if !lane.competitorCode.isEmpty {
                facts.startLists.append(.init(
                    unit: unit.rawValue, lane: lane.lane, competitorCode: lane.competitorCode,
                    legs: lane.legs.joined(separator: ","), source: origin(odfLane != nil) { _ in false }
                ))
            }
            if let reaction = lane.reaction {
                facts.timing.append(.init(
                    unit: unit.rawValue, lane: lane.lane, kind: "reaction", distance: 0, milliseconds: reaction.milliseconds,
                    happenedUTC: happened(reaction), value: nil,
                    source: origin(odfLane?.reaction != nil) { if case .reaction = $0 { true } else { false } }
                ))
            }
            for split in lane.intermediates {
                facts.timing.append(.init(
                    unit: unit.rawValue, lane: lane.lane, kind: "split", distance: split.distance, milliseconds: split.time.milliseconds,
                    happenedUTC: happened(split.time), value: split.rank.map(String.init),
                    source: origin(odfLane?.intermediates.contains { $0.distance == split.distance } == true) {
                        if case .split(let distance, _) = $0 { distance == split.distance } else { false }
                    }
                ))
            }
            if let finish = lane.finish {
                facts.timing.append(.init(
                    unit: unit.rawValue, lane: lane.lane, kind: "finish", distance: 0, milliseconds: finish.milliseconds,
                    happenedUTC: happened(finish), value: lane.rank.map(String.init),
                    source: origin(odfLane?.finish != nil) { if case .finish = $0 { true } else { false } }
                ))
            }
            if let status = lane.status {
                facts.timing.append(.init(
                    unit: unit.rawValue, lane: lane.lane, kind: "status", distance: 0, milliseconds: nil, happenedUTC: nil,
                    value: status.rawValue,
                    source: origin(odfLane?.status != nil) { if case .status = $0 { true } else { false } }
                ))
            }
            if lane.photoFinishPending {
                facts.timing.append(.init(
                    unit: unit.rawValue, lane: lane.lane, kind: "photo", distance: 0, milliseconds: nil, happenedUTC: nil,
                    value: "pending",
                    source: origin(odfLane?.photoFinishPending == true) { if case .photoFinish = $0 { true } else { false } }
                ))
            }
        }
    }
}
