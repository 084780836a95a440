import Foundation

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

    /// Validates an RSC: 34 characters, upper-case letters, digits and `-` only, a discipline of
    /// three letters or digits (`SWM`, and Paris 2024's `BK3`, `RU7`).
    public init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 34,
              scalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
              scalars[0..<3].allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
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
    /// Disqualified, as athletics writes it (shown as sent).
    case dq = "DQ"

    /// The marks each discipline's ODF data dictionary defines for `IRM` (docs/results-feeds.md);
    /// a discipline not listed takes every mark Podium knows.
    public static func marks(ofDiscipline discipline: String) -> [CompetitorStatus] {
        switch discipline {
        case "SWM", "OWS": [.dsq, .dns, .dnf]
        case "ATH": [.dq, .dsq, .dns, .dnf]
        default: allCases
        }
    }
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
    /// Scheduled end.
    public let end: UTCInstant?
    /// Venue code (`LC1`, `AQU`).
    public let venue: String?
    /// Venue name as the schedule gives it.
    public let venueName: String?
    /// The session the unit belongs to.
    public let session: String?
    /// Scheduled local date and time (`YYYY-MM-DDTHH:MM`) where the source gives no zone (Lenex).
    public let localStart: String?

    /// Creates a scheduled unit.
    public init(
        unit: UnitCode, status: String?, start: UTCInstant?, name: String?, end: UTCInstant? = nil, venue: String? = nil,
        venueName: String? = nil, session: String? = nil, localStart: String? = nil
    ) {
        self.localStart = localStart
        self.unit = unit
        self.status = status
        self.start = start
        self.name = name
        self.end = end
        self.venue = venue
        self.venueName = venueName
        self.session = session
    }
}

/// What race a record is of: the fields a record is matched to a unit by.
public struct RecordRace: Sendable, Hashable {
    /// Metres per swimmer (per leg for relays).
    public let distance: Int
    /// The stroke as RSCs write it: FR, BK, BR, BF, IM, MD (medley relay).
    public let stroke: String
    /// M, W or X (mixed).
    public let gender: String
    /// 1 for individual events.
    public let relayCount: Int
    /// LCM (50 m pool) or SCM (25 m); nil when the source does not say.
    public let course: String?
    /// Age group bounds; both nil for an open record.
    public let minimumAge: Int?
    public let maximumAge: Int?

    /// Creates the description of a race.
    public init(distance: Int, stroke: String, gender: String, relayCount: Int, course: String?, minimumAge: Int? = nil, maximumAge: Int? = nil) {
        self.distance = distance
        self.stroke = stroke
        self.gender = gender
        self.relayCount = relayCount
        self.course = course
        self.minimumAge = minimumAge
        self.maximumAge = maximumAge
    }

    /// The race a unit code names (`SWMM100MFR…`, `SWMW4X100MMD…`), without course or age group;
    /// nil when its event part is not `[nX]<metres>M<stroke>`.
    public init?(unit: UnitCode) {
        var event = Substring(unit.event)
        var relayCount = 1
        if let cross = event.firstIndex(of: "X"), let count = Int(event[..<cross]), event[..<cross].allSatisfy(\.isNumber) {
            relayCount = count
            event = event[event.index(after: cross)...]
        }
        let digits = event.prefix { $0.isNumber }
        guard let distance = Int(digits), event.dropFirst(digits.count).first == "M" else { return nil }
        let stroke = event.dropFirst(digits.count + 1).prefix(2)
        guard stroke.count == 2, stroke.allSatisfy({ $0.isLetter }) else { return nil }
        self.init(distance: distance, stroke: String(stroke), gender: unit.gender == "O" ? "X" : unit.gender, relayCount: relayCount, course: nil)
    }

    /// The race a Lenex record's event text names: `100 FREE M LCM`, `4x100 MEDLEY F SCM 13-14`.
    public init?(lenexEvent text: String) {
        let parts = text.split(separator: " ").map(String.init)
        guard parts.count >= 2 else { return nil }
        var relayCount = 1
        var distanceText = Substring(parts[0])
        if let cross = distanceText.firstIndex(where: { $0 == "x" || $0 == "X" }), let count = Int(distanceText[..<cross]) {
            relayCount = count
            distanceText = distanceText[distanceText.index(after: cross)...]
        }
        guard let distance = Int(distanceText) else { return nil }
        let gender = parts.count > 2 ? parts[2] : nil
        let course = parts.count > 3 ? parts[3] : nil
        var ages: (Int?, Int?) = (nil, nil)
        if parts.count > 4, let dash = parts[4].firstIndex(of: "-") {
            ages = (Int(parts[4][..<dash]), Int(parts[4][parts[4].index(after: dash)...]))
        }
        self.init(
            distance: distance, stroke: RecordRace.strokeCode(lenex: parts[1], relayCount: relayCount),
            gender: RecordRace.gender(lenex: gender), relayCount: relayCount, course: course, minimumAge: ages.0, maximumAge: ages.1
        )
    }

    /// The RSC stroke of a Lenex `stroke`: FREE FR, BACK BK, BREAST BR, FLY BF, MEDLEY IM (MD for relays).
    public static func strokeCode(lenex stroke: String, relayCount: Int) -> String {
        switch stroke {
        case "FREE": "FR"
        case "BACK": "BK"
        case "BREAST": "BR"
        case "FLY": "BF"
        case "MEDLEY": relayCount > 1 ? "MD" : "IM"
        default: String(stroke.prefix(2)).padding(toLength: 2, withPad: "X", startingAt: 0)
        }
    }

    /// The RSC gender of a Lenex gender: M, F → W, X or A (all) → X.
    public static func gender(lenex gender: String?) -> String {
        switch gender {
        case "M": "M"
        case "F", "W": "W"
        default: "X"
        }
    }

    /// Whether a record of this race counts for `race` run in `course` by `ages` (nil: open):
    /// same distance, stroke, gender and relay count; the same course when both are known; the
    /// same age group, and an open race only open records.
    public func counts(for race: RecordRace, course: String?, ages: (minimum: Int?, maximum: Int?)?) -> Bool {
        guard distance == race.distance, stroke == race.stroke, gender == race.gender, relayCount == race.relayCount else { return false }
        if let mine = self.course, let theirs = course, mine != theirs { return false }
        return minimumAge == ages?.minimum && maximumAge == ages?.maximum
    }
}

/// A record in force (world, Olympic, championship, …) with the splits the world-record line needs.
public struct RecordEntry: Sendable, Hashable {
    /// Record type: WR, OR, CR, ER, NR, …
    public let type: String
    /// The event it belongs to: an RSC event part for ODF (`100MFR------------` with its
    /// discipline and gender, e.g. `SWMM100MFR------------`), or Lenex's `distance stroke gender course [ages]`.
    public let event: String
    /// The holder.
    public let holder: Athlete?
    /// The record time.
    public let time: RaceTime
    /// When it was set, `YYYY-MM-DD`.
    public let date: String?
    /// Cumulative splits of the record swim, in distance order.
    public let splits: [Intermediate]
    /// The race it is a record of, as a Lenex record list describes it (nil for ODF records, which
    /// name their event by RSC).
    public let race: RecordRace?

    /// Creates a record entry.
    public init(type: String, event: String, holder: Athlete?, time: RaceTime, date: String?, splits: [Intermediate], race: RecordRace? = nil) {
        self.type = type
        self.event = event
        self.holder = holder
        self.time = time
        self.date = date
        self.splits = splits.sorted { $0.distance < $1.distance }
        self.race = race
    }

    /// Whether this record is one of `unit`'s race, run in `course` (nil: not known) by an age
    /// group (nil: open). An ODF record names the RSC's first 22 characters.
    public func belongs(to unit: UnitCode, course: String?, ages: (minimum: Int?, maximum: Int?)? = nil) -> Bool {
        if race == nil, event.count == 22 { return unit.rawValue.hasPrefix(event) }
        guard let race = race ?? RecordRace(lenexEvent: event), let unitRace = RecordRace(unit: unit) else { return false }
        return race.counts(for: unitRace, course: course, ages: ages)
    }
}
