import Foundation

/// A heat of a Lenex meet as a unit: Lenex has no RSC, so Podium gives each heat a stable
/// 34-character code of the same shape (docs/results-feeds.md, "Lenex races"):
///
/// ```
/// SWM W 200MFR----LX3FA2C1 FNL- 0012001-
/// │   │ │         │ │      │    └ event number (4 digits), heat number (3), "-"
/// │   │ │         │ │      └ round: FNL- SFNL HEAT TIM- FHT- QUAL SOFF ----
/// │   │ │         │ └ the meet: first 6 hex digits of SHA-256 of "name|city|first session date"
/// │   │ │         └ "LX": a Lenex-made code
/// │   │ └ event: [relays "4X"]<metres>M<stroke FR BK BR BF IM MD>, padded with "-" to 10
/// │   └ gender: M, W (Lenex F), X (mixed)
/// └ discipline: swimming
/// ```
public struct LenexRace: Sendable, Hashable {
    /// The heat's Podium unit code.
    public let unit: UnitCode
    /// Its results: lanes with athletes (or relay teams), reaction, splits, finish, status, heat rank.
    public let results: UnitResults
    /// The meet's course: LCM (50 m pool), SCM (25 m), …
    public let course: String?
    /// The event's age group when it is ranked in exactly one bounded group; nil for an open race.
    public let ageGroup: LenexAgeGroup?
    /// Scheduled local date and time of the heat, `YYYY-MM-DDTHH:MM` (Lenex carries no zone).
    public let scheduledLocal: String?
    /// Meet name and event number, for people.
    public let title: String
}

extension LenexDocument {
    /// Every heat with at least one placed result (a lane), as a race.
    ///
    /// Results without a lane, or whose heat is not in the event, cannot be placed on a frame and
    /// are left out. The start instant is not in Lenex: a Podium `start` timing event for the unit
    /// gives it (the ODF `UnitDateTime` of a Lenex-timed race).
    public var races: [LenexRace] {
        meets.flatMap(\.races)
    }

    /// Every athlete of every meet by Lenex `athleteid`, with licence as bib.
    public var athletes: [Athlete] {
        meets.flatMap { meet in meet.clubs.flatMap { club in club.athletes.map { $0.athlete(club: club) } } }
    }
}

extension LenexAthlete {
    /// The athlete as Podium's model has one; the club's nation (or code) is the organisation.
    func athlete(club: LenexClub) -> Athlete {
        Athlete(
            id: id, givenName: firstName, familyName: lastName, organisation: club.nation ?? club.code ?? club.name,
            gender: gender, birthDate: birthDate, bib: license
        )
    }
}

extension LenexMeet {
    /// The six hex digits that stand for this meet in its unit codes.
    var codeTag: String { String(Digests.sha256Hex(of: Array(identity.utf8)).prefix(6)).uppercased() }

    /// The heats of the meet as races (see `LenexRace`).
    var races: [LenexRace] {
        // Every result of the meet by event and heat: athletes' and relays'.
        var entries: [String: [(result: LenexResult, competitor: String, athlete: Athlete?, legs: [String])]] = [:]
        for club in clubs {
            for athlete in club.athletes {
                let person = athlete.athlete(club: club)
                for result in athlete.results {
                    entries["\(result.eventID)|\(result.heatID ?? "")", default: []].append((result, athlete.id, person, []))
                }
            }
            for relay in club.relays {
                let team = "\(club.code ?? club.name) \(relay.number)"
                for result in relay.results {
                    let legs = result.relayLegs.sorted { $0.number < $1.number }.compactMap(\.athleteID)
                    entries["\(result.eventID)|\(result.heatID ?? "")", default: []].append((result, team, nil, legs))
                }
            }
        }
        var races: [LenexRace] = []
        for event in events {
            // An event with one heat may leave heatid off its results.
            let heats = event.heats.isEmpty ? [LenexHeat(id: "", number: 1, daytime: event.daytime, status: nil)] : event.heats
            for (index, heat) in heats.enumerated() {
                var rows = entries["\(event.id)|\(heat.id)"] ?? []
                if heats.count == 1, !heat.id.isEmpty { rows += entries["\(event.id)|"] ?? [] }
                let placed = rows.filter { $0.result.lane != nil }
                guard !placed.isEmpty, let unit = unitCode(event: event, heatNumber: heat.number ?? index + 1) else { continue }
                let lanes = LenexMeet.lanes(placed)
                let timed = lanes.contains { $0.finish != nil }
                let status: String = switch heat.status {
                case "OFFICIAL": "OFFICIAL"
                case "INOFFICIAL": "UNOFFICIAL"
                case "SEEDED": "START_LIST"
                default: timed ? "OFFICIAL" : "START_LIST"
                }
                let bounded = event.ageGroups.filter { !$0.isOpen }
                races.append(LenexRace(
                    unit: unit, results: UnitResults(unit: unit, status: status, startTime: nil, lanes: lanes), course: course,
                    ageGroup: event.ageGroups.count == 1 && bounded.count == 1 ? bounded[0] : nil,
                    scheduledLocal: (heat.daytime ?? event.daytime).flatMap { time in event.sessionDate.map { "\($0)T\(time)" } },
                    title: "\(name), event \(event.number.map(String.init) ?? event.id), heat \(heat.number ?? index + 1)"
                ))
            }
        }
        return races
    }

    /// The Podium unit code of a heat; nil when the event cannot be written as one (a distance
    /// of more than five digits).
    func unitCode(event: LenexEvent, heatNumber: Int) -> UnitCode? {
        let stroke = RecordRace.strokeCode(lenex: event.stroke, relayCount: event.relayCount)
        let base = (event.relayCount > 1 ? "\(event.relayCount)X" : "") + "\(event.distance)M\(stroke)"
        guard base.count <= 10 else { return nil }
        let round: String = switch event.round {
        case "FIN": "FNL-"
        case "SEM": "SFNL"
        case "PRE": "HEAT"
        case "TIM": "TIM-"
        case "FHT": "FHT-"
        case "QUA": "QUAL"
        case "SOP", "SOS", "SOQ": "SOFF"
        default: "----"
        }
        let number = (event.number ?? Int(event.id) ?? 0) % 10_000
        let digits = { (value: Int, width: Int) in String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        let text = "SWM" + RecordRace.gender(lenex: event.gender) + base.padding(toLength: 10, withPad: "-", startingAt: 0)
            + "LX" + codeTag + round + digits(number, 4) + digits(heatNumber % 1000, 3) + "-"
        return UnitCode(text)
    }

    /// The lanes of a heat, ranked within it by finish time (ties share a rank); marked swims
    /// (DSQ, DNS, DNF, withdrawn) have no rank.
    static func lanes(_ rows: [(result: LenexResult, competitor: String, athlete: Athlete?, legs: [String])]) -> [LaneResult] {
        let finishes = rows.compactMap { row -> RaceTime? in status(row.result.status) == nil ? row.result.time : nil }
        var seen: Set<Int> = []
        return rows.compactMap { row in
            guard let lane = row.result.lane, seen.insert(lane).inserted else { return nil }
            let mark = status(row.result.status)
            let finish = mark == nil ? row.result.time : nil
            return LaneResult(
                lane: lane, competitorCode: row.competitor, describedAthlete: row.athlete,
                reaction: row.result.reaction ?? row.result.relayLegs.min { $0.number < $1.number }?.reaction,
                intermediates: row.result.splits.filter { row.result.time == nil || $0.time < row.result.time! },
                finish: finish, rank: finish.map { time in 1 + finishes.filter { $0 < time }.count },
                records: [], status: mark, legs: row.legs
            )
        }
    }

    /// Lenex result statuses as marks: DSQ; DNS, WDR (withdrawn) and SICK did not start; DNF.
    /// EXH (exhibition) is a valid swim.
    static func status(_ text: String?) -> CompetitorStatus? {
        switch text {
        case "DSQ": .dsq
        case "DNS", "WDR", "SICK": .dns
        case "DNF": .dnf
        default: nil
        }
    }
}
