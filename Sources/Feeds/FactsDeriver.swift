import Overlay
import Store

/// Turns a results book into the store's derived rows, each naming the document it came from.
struct FactsDeriver {
    let book: ResultsBook
    /// Stored document id by document identity (see `identities(of:)`).
    let documentIDs: [String: Int64]

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
        FactSource(documentID: documentIDs["odf \(header.key) v\(header.version)"] ?? 0, reference: "\(header.documentType) v\(header.version)")
    }

    private func source(event: TimingEvent, unit: UnitCode) -> FactSource {
        FactSource(documentID: documentIDs["event \(unit) \(event.id)"] ?? 0, reference: "event \(event.id)")
    }

    private func lenexSource(_ key: String) -> FactSource {
        FactSource(documentID: documentIDs["lenex \(key)"] ?? 0, reference: "lenex")
    }

    func facts() -> DerivedFacts {
        var facts = DerivedFacts()
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
        for unit in book.units {
            guard let results = book.results(of: unit) else { continue }
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
        return facts.sorted()
    }
}
