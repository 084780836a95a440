/// An athlete as the results system knows them.
public struct Athlete: Sendable, Hashable {
    /// The results system's athlete code.
    public let id: String
    /// Given name.
    public let givenName: String
    /// Family name (ODF writes it in capitals).
    public let familyName: String
    /// Organisation: the NOC or federation code.
    public let organisation: String
    /// `M`, `W` (ODF) or `M`, `F` (Lenex), as the source wrote it.
    public let gender: String?
    /// Date of birth, `YYYY-MM-DD`.
    public let birthDate: String?
    /// Bib or licence number.
    public let bib: String?
    /// Personal best in the event, when the source gives one.
    public let personalBest: RaceTime?

    /// Creates an athlete record.
    public init(
        id: String, givenName: String, familyName: String, organisation: String, gender: String? = nil,
        birthDate: String? = nil, bib: String? = nil, personalBest: RaceTime? = nil
    ) {
        self.id = id
        self.givenName = givenName
        self.familyName = familyName
        self.organisation = organisation
        self.gender = gender
        self.birthDate = birthDate
        self.bib = bib
        self.personalBest = personalBest
    }
}

/// A competition unit code (ODF RSC): 34 characters of discipline, gender, event, phase and unit.
public struct UnitCode: Sendable, Hashable, CustomStringConvertible {
    /// The full 34-character code.
    public let rawValue: String

    /// Validates an RSC: 34 characters, upper-case letters, digits and `-` only, a 3-letter discipline.
    public init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 34,
              scalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
              scalars[0..<3].allSatisfy({ ("A"..."Z").contains($0) })
        else { return nil }
        rawValue = text
    }

    /// Three-letter discipline, e.g. `SWM`.
    public var discipline: String { String(rawValue.prefix(3)) }
    /// Gender letter (M, W, X, O).
    public var gender: String { String(rawValue.dropFirst(3).prefix(1)) }
    /// The 18-character event part.
    public var event: String { String(rawValue.dropFirst(4).prefix(18)) }
    /// The 4-character phase part, e.g. `FNL-`.
    public var phase: String { String(rawValue.dropFirst(22).prefix(4)) }
    /// The 8-character unit part.
    public var unit: String { String(rawValue.dropFirst(26)) }

    public var description: String { rawValue }
}

/// One intermediate timing point of a lane: the distance reached and the cumulative time.
public struct Intermediate: Sendable, Hashable {
    /// Distance in metres from the start.
    public let distance: Int
    /// Cumulative time at that distance.
    public let time: RaceTime
    /// Rank at that point as the results system gave it, if it did.
    public let rank: Int?

    /// Creates an intermediate.
    public init(distance: Int, time: RaceTime, rank: Int?) {
        self.distance = distance
        self.time = time
        self.rank = rank
    }
}

/// An "invalid result mark": why a competitor has no valid time.
public enum CompetitorStatus: String, Sendable, Hashable, CaseIterable {
    /// Did not start.
    case dns = "DNS"
    /// Did not finish.
    case dnf = "DNF"
    /// Disqualified.
    case dsq = "DSQ"
}

/// What the results system says about one lane (start order) of a unit.
public struct LaneResult: Sendable, Hashable {
    /// Lane number (ODF StartOrder).
    public let lane: Int
    /// The competitor's code (an athlete, or a relay team).
    public let competitorCode: String
    /// Names carried in the result document itself, used when no participant message knows the athlete.
    public let describedAthlete: Athlete?
    /// Reaction time off the blocks.
    public let reaction: RaceTime?
    /// Intermediates in order of distance.
    public let intermediates: [Intermediate]
    /// Finish time, once known.
    public let finish: RaceTime?
    /// Final rank, once known.
    public let rank: Int?
    /// Record codes set with this finish (WR, OR, …).
    public let records: [String]
    /// DNS, DNF or DSQ.
    public let status: CompetitorStatus?
    /// The finish order awaits the photo finish.
    public let photoFinishPending: Bool
    /// For a relay: the athletes' codes in leg order. Empty for an individual.
    public let legs: [String]

    /// Creates a lane result.
    public init(
        lane: Int, competitorCode: String, describedAthlete: Athlete?, reaction: RaceTime?,
        intermediates: [Intermediate], finish: RaceTime?, rank: Int?, records: [String],
        status: CompetitorStatus? = nil, photoFinishPending: Bool = false, legs: [String] = []
    ) {
        self.lane = lane
        self.competitorCode = competitorCode
        self.describedAthlete = describedAthlete
        self.reaction = reaction
        self.intermediates = intermediates
        self.finish = finish
        self.rank = rank
        self.records = records
        self.status = status
        self.photoFinishPending = photoFinishPending
        self.legs = legs
    }
}

/// The results of one unit as of one document version.
public struct UnitResults: Sendable, Hashable {
    /// The unit.
    public let unit: UnitCode
    /// Result status (START_LIST, LIVE, INTERMEDIATE, UNOFFICIAL, OFFICIAL, PROTESTED, …).
    public let status: String?
    /// Venue UTC of the start signal, once the unit has started.
    public let startTime: UTCInstant?
    /// Lanes in lane order.
    public let lanes: [LaneResult]

    /// Creates unit results.
    public init(unit: UnitCode, status: String?, startTime: UTCInstant?, lanes: [LaneResult]) {
        self.unit = unit
        self.status = status
        self.startTime = startTime
        self.lanes = lanes.sorted { $0.lane < $1.lane }
    }
}

/// A relay or other team entry.
public struct Team: Sendable, Hashable {
    /// Team code.
    public let code: String
    /// Team name.
    public let name: String
    /// Organisation (NOC).
    public let organisation: String
    /// Member athlete codes in order.
    public let members: [String]

    /// Creates a team.
    public init(code: String, name: String, organisation: String, members: [String]) {
        self.code = code
        self.name = name
        self.organisation = organisation
        self.members = members
    }
}

/// A unit in the schedule.
public struct ScheduledUnit: Sendable, Hashable {
    /// The unit.
    public let unit: UnitCode
    /// Schedule status (SCHEDULED, GETTING_READY, RUNNING, FINISHED, CANCELLED, …).
    public let status: String?
    /// Scheduled start.
    public let start: UTCInstant?
    /// Description, e.g. "Men's 100m Freestyle Final".
    public let name: String?

    /// Creates a scheduled unit.
    public init(unit: UnitCode, status: String?, start: UTCInstant?, name: String?) {
        self.unit = unit
        self.status = status
        self.start = start
        self.name = name
    }
}

/// A record in force (world, Olympic, championship, …) with the splits the world-record line needs.
public struct RecordEntry: Sendable, Hashable {
    /// Record type: WR, OR, CR, ER, NR, …
    public let type: String
    /// The event it belongs to: an RSC event part for ODF (`100MFR------------` with its
    /// discipline and gender, e.g. `SWMM100MFR------------`), or Lenex's `distance stroke gender course`.
    public let event: String
    /// The holder.
    public let holder: Athlete?
    /// The record time.
    public let time: RaceTime
    /// When it was set, `YYYY-MM-DD`.
    public let date: String?
    /// Cumulative splits of the record swim, in distance order.
    public let splits: [Intermediate]

    /// Creates a record entry.
    public init(type: String, event: String, holder: Athlete?, time: RaceTime, date: String?, splits: [Intermediate]) {
        self.type = type
        self.event = event
        self.holder = holder
        self.time = time
        self.date = date
        self.splits = splits.sorted { $0.distance < $1.distance }
    }
}
