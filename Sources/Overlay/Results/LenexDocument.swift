public import Foundation

/// A Lenex 3 document (`.lef`; `.lxf` is the same zipped, unzipped at the edge): meets with their
/// sessions, events, heats, clubs, athletes, results, relays, and record lists.
public struct LenexDocument: Sendable, Hashable {
    /// The meets in the file.
    public let meets: [LenexMeet]
    /// Record lists (top level or inside meets), as records in force with their splits.
    public let records: [RecordEntry]
    /// What was read but left out, one line each (`line 40: RECORD 50 FLY has no time (NT): skipped`).
    public let skipped: [String]

    /// Creates a document.
    public init(meets: [LenexMeet], records: [RecordEntry], skipped: [String] = []) {
        self.meets = meets
        self.records = records
        self.skipped = skipped
    }

    /// Parses a Lenex 3 XML document; errors name the element, attribute and line.
    public static func parse(_ data: Data) throws(LenexError) -> LenexDocument {
        let root: XMLNode
        do {
            root = try XMLNode.parse(data)
        } catch {
            throw LenexError(line: error.line, reason: "malformed XML: \(error.reason)")
        }
        guard root.name == "LENEX" else {
            throw LenexError(line: root.line, reason: "root element is <\(root.name)>, expected <LENEX>")
        }
        guard let version = root.attributes["version"], version.hasPrefix("3") else {
            throw LenexError(line: root.line, reason: "LENEX version \"\(root.attributes["version"] ?? "")\" is not 3.x")
        }
        var meets: [LenexMeet] = []
        var records: [RecordEntry] = []
        var skipped: [String] = []
        for meet in root.child("MEETS")?.children(named: "MEET") ?? [] {
            meets.append(try parseMeet(meet))
            records += try parseRecordLists(meet.child("RECORDLISTS"), skipped: &skipped)
        }
        records += try parseRecordLists(root.child("RECORDLISTS"), skipped: &skipped)
        return LenexDocument(meets: meets, records: records, skipped: skipped)
    }

    private static func required(_ node: XMLNode, _ attribute: String) throws(LenexError) -> String {
        guard let value = node.attributes[attribute], !value.isEmpty else {
            throw LenexError(line: node.line, reason: "\(node.name) has no \(attribute) attribute")
        }
        return value
    }

    private static func integer(_ node: XMLNode, _ attribute: String, required isRequired: Bool = false) throws(LenexError) -> Int? {
        guard let text = node.attributes[attribute], !text.isEmpty else {
            if isRequired { throw LenexError(line: node.line, reason: "\(node.name) has no \(attribute) attribute") }
            return nil
        }
        guard let value = Int(text), value >= 0 else {
            throw LenexError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a whole number")
        }
        return value
    }

    /// `swimtime`: `HH:MM:SS.hh`; `NT` means no time.
    private static func swimTime(_ node: XMLNode, _ attribute: String = "swimtime") throws(LenexError) -> RaceTime? {
        guard let text = node.attributes[attribute], !text.isEmpty, text != "NT" else { return nil }
        guard let time = RaceTime(parsing: text) else {
            throw LenexError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a Lenex time (HH:MM:SS.hh)")
        }
        return time
    }

    /// `reactiontime`: Lenex writes hundredths with a sign (`+14` is 0.14 s); some exporters write
    /// seconds (`+0.70`). A digit string without a point is hundredths, with a point seconds.
    static func reactionTime(_ text: String) -> RaceTime? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("+") { body = body.dropFirst() }
        guard !body.isEmpty else { return nil }
        if body.contains(".") { return RaceTime(parsing: String(body)) }
        guard body.count <= 4, body.allSatisfy({ $0.isASCII && $0.isNumber }), let hundredths = Int64(body) else { return nil }
        return RaceTime(milliseconds: hundredths * 10)
    }

    private static func reaction(_ node: XMLNode) throws(LenexError) -> RaceTime? {
        guard let text = node.attributes["reactiontime"], !text.isEmpty else { return nil }
        guard let time = reactionTime(text) else {
            throw LenexError(line: node.line, reason: "\(node.name) reactiontime \"\(text)\" is neither hundredths (+14) nor seconds (+0.70)")
        }
        return time
    }

    private static func splits(_ node: XMLNode) throws(LenexError) -> [Intermediate] {
        var result: [Intermediate] = []
        for split in node.child("SPLITS")?.children(named: "SPLIT") ?? [] {
            guard let distance = try integer(split, "distance", required: true), distance > 0,
                  let time = try swimTime(split)
            else { throw LenexError(line: split.line, reason: "SPLIT needs a distance and a swimtime") }
            result.append(Intermediate(distance: distance, time: time, rank: nil))
        }
        return result.sorted { $0.distance < $1.distance }
    }

    private static func result(_ node: XMLNode) throws(LenexError) -> LenexResult {
        LenexResult(
            id: try required(node, "resultid"), eventID: try required(node, "eventid"), heatID: node.attributes["heatid"],
            lane: try integer(node, "lane"), time: try swimTime(node), reaction: try reaction(node),
            splits: try splits(node), status: node.attributes["status"].flatMap { $0.isEmpty ? nil : $0 },
            place: try integer(node, "place"),
            relayLegs: try (node.child("RELAYPOSITIONS")?.children(named: "RELAYPOSITION") ?? []).map { position throws(LenexError) in
                LenexRelayLeg(
                    number: try integer(position, "number", required: true)!, athleteID: position.attributes["athleteid"],
                    reaction: try reaction(position)
                )
            }
        )
    }

    private static func parseMeet(_ meet: XMLNode) throws(LenexError) -> LenexMeet {
        var events: [LenexEvent] = []
        for session in meet.child("SESSIONS")?.children(named: "SESSION") ?? [] {
            for event in session.child("EVENTS")?.children(named: "EVENT") ?? [] {
                guard let style = event.child("SWIMSTYLE") else {
                    throw LenexError(line: event.line, reason: "EVENT \(event.attributes["eventid"] ?? "?") has no SWIMSTYLE")
                }
                var heats: [LenexHeat] = []
                for heat in event.child("HEATS")?.children(named: "HEAT") ?? [] {
                    heats.append(LenexHeat(
                        id: try required(heat, "heatid"), number: try integer(heat, "number"),
                        daytime: heat.attributes["daytime"], status: heat.attributes["status"]
                    ))
                }
                let ageGroups = try (event.child("AGEGROUPS")?.children(named: "AGEGROUP") ?? []).map { group throws(LenexError) in
                    try ageGroup(group)
                }
                events.append(LenexEvent(
                    id: try required(event, "eventid"), number: try integer(event, "number"), gender: event.attributes["gender"],
                    round: event.attributes["round"], sessionDate: session.attributes["date"],
                    distance: try integer(style, "distance", required: true)!, stroke: try required(style, "stroke"),
                    relayCount: try integer(style, "relaycount") ?? 1,
                    heats: heats, daytime: event.attributes["daytime"] ?? session.attributes["daytime"], ageGroups: ageGroups
                ))
            }
        }
        var clubs: [LenexClub] = []
        for club in meet.child("CLUBS")?.children(named: "CLUB") ?? [] {
            var athletes: [LenexAthlete] = []
            for athlete in club.child("ATHLETES")?.children(named: "ATHLETE") ?? [] {
                let results = try (athlete.child("RESULTS")?.children(named: "RESULT") ?? []).map { node throws(LenexError) in try result(node) }
                athletes.append(LenexAthlete(
                    id: try required(athlete, "athleteid"), firstName: try required(athlete, "firstname"),
                    lastName: try required(athlete, "lastname"), gender: athlete.attributes["gender"],
                    birthDate: athlete.attributes["birthdate"], license: athlete.attributes["license"], results: results
                ))
            }
            var relays: [LenexRelay] = []
            for relay in club.child("RELAYS")?.children(named: "RELAY") ?? [] {
                let results = try (relay.child("RESULTS")?.children(named: "RESULT") ?? []).map { node throws(LenexError) in try result(node) }
                relays.append(LenexRelay(number: try integer(relay, "number") ?? 1, gender: relay.attributes["gender"], results: results))
            }
            clubs.append(LenexClub(
                name: try required(club, "name"), code: club.attributes["code"], nation: club.attributes["nation"],
                athletes: athletes, relays: relays
            ))
        }
        return LenexMeet(
            name: try required(meet, "name"), city: meet.attributes["city"] ?? "", nation: meet.attributes["nation"],
            course: meet.attributes["course"], events: events, clubs: clubs
        )
    }

    /// An age group: `agemin`/`agemax` of -1 mean open at that end.
    private static func ageGroup(_ node: XMLNode) throws(LenexError) -> LenexAgeGroup {
        func bound(_ name: String) throws(LenexError) -> Int? {
            guard let text = node.attributes[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= -1 else {
                throw LenexError(line: node.line, reason: "AGEGROUP \(name) \"\(text)\" is not a whole number (-1 for open)")
            }
            return value < 0 ? nil : value
        }
        return LenexAgeGroup(minimum: try bound("agemin"), maximum: try bound("agemax"), name: node.attributes["name"])
    }

    private static func parseRecordLists(_ lists: XMLNode?, skipped: inout [String]) throws(LenexError) -> [RecordEntry] {
        var records: [RecordEntry] = []
        for list in lists?.children(named: "RECORDLIST") ?? [] {
            let type = list.attributes["type"].flatMap { $0.isEmpty ? nil : $0 } ?? list.attributes["name"] ?? "RECORD"
            let ages = try list.child("AGEGROUP").map { group throws(LenexError) in try ageGroup(group) }
            for record in list.child("RECORDS")?.children(named: "RECORD") ?? [] {
                guard let style = record.child("SWIMSTYLE") else {
                    throw LenexError(line: record.line, reason: "RECORD has no SWIMSTYLE")
                }
                let distance = try integer(style, "distance", required: true)!
                let stroke = try required(style, "stroke")
                let relayCount = try integer(style, "relaycount") ?? 1
                guard let time = try swimTime(record) else {
                    // Lenex allows NT ("no time") for a record not yet set: nothing to show.
                    let what = relayCount > 1 ? "\(relayCount)x\(distance) \(stroke)" : "\(distance) \(stroke)"
                    let missing = record.attributes["swimtime"] == "NT" ? "has no time (NT)" : "has no swimtime"
                    skipped.append("line \(record.line): \(type) RECORD \(what) \(missing): skipped")
                    continue
                }
                let course = list.attributes["course"].flatMap { $0.isEmpty ? nil : $0 }
                let gender = list.attributes["gender"].flatMap { $0.isEmpty ? nil : $0 }
                let event = [
                    relayCount > 1 ? "\(relayCount)x\(distance)" : "\(distance)", stroke, gender ?? "", course ?? "",
                    ages.flatMap { $0.isOpen ? nil : $0.label } ?? "",
                ].joined(separator: " ")
                let holder = record.child("ATHLETE").map { athlete in
                    Athlete(
                        id: athlete.attributes["license"] ?? athlete.attributes["athleteid"] ?? "",
                        givenName: athlete.attributes["firstname"] ?? "", familyName: athlete.attributes["lastname"] ?? "",
                        organisation: athlete.child("CLUB")?.attributes["nation"] ?? athlete.attributes["nation"] ?? "",
                        gender: athlete.attributes["gender"], birthDate: athlete.attributes["birthdate"]
                    )
                }
                let race = RecordRace(
                    distance: distance, stroke: RecordRace.strokeCode(lenex: stroke, relayCount: relayCount),
                    gender: RecordRace.gender(lenex: gender), relayCount: relayCount, course: course,
                    minimumAge: ages?.minimum, maximumAge: ages?.maximum
                )
                records.append(RecordEntry(
                    type: type, event: event.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "  ", with: " "),
                    holder: holder ?? relayHolder(record), time: time,
                    date: record.child("MEETINFO")?.attributes["date"], splits: try splits(record), race: race
                ))
            }
        }
        return records
    }
}

extension LenexDocument {
    /// A relay record's holder: the relay's club (or nation) as the organisation.
    fileprivate static func relayHolder(_ record: XMLNode) -> Athlete? {
        guard let relay = record.child("RELAY") else { return nil }
        let club = relay.child("CLUB")
        let name = relay.attributes["name"] ?? club?.attributes["name"] ?? ""
        return Athlete(id: "", givenName: "", familyName: name, organisation: club?.attributes["nation"] ?? club?.attributes["code"] ?? "")
    }
}

/// A heat of an event.
public struct LenexHeat: Sendable, Hashable {
    public let id: String
    public let number: Int?
    /// Scheduled local time of day, `HH:MM` (Lenex carries no zone).
    public let daytime: String?
    /// SEEDED, INOFFICIAL, OFFICIAL.
    public let status: String?
}

/// An age group of an event or a record list; nil bounds are open.
public struct LenexAgeGroup: Sendable, Hashable {
    public let minimum: Int?
    public let maximum: Int?
    public let name: String?

    /// Open at both ends: every age.
    public var isOpen: Bool { minimum == nil && maximum == nil }
    /// `13-14`, `19+`, `-12`.
    public var label: String { "\(minimum.map(String.init) ?? "")-\(maximum.map(String.init) ?? "")" }
}

/// A meet in a Lenex file.
public struct LenexMeet: Sendable, Hashable {
    public let name: String
    public let city: String
    public let nation: String?
    /// `LCM` (50 m pool), `SCM` (25 m), …
    public let course: String?
    public let events: [LenexEvent]
    public let clubs: [LenexClub]

    /// What identifies a meet across files: a later file of the same meet replaces the earlier one.
    public var identity: String { "\(name)|\(city)|\(events.first?.sessionDate ?? "")" }
}

/// An event of a meet.
public struct LenexEvent: Sendable, Hashable {
    public let id: String
    public let number: Int?
    public let gender: String?
    /// TIM, FHT, FIN, SEM, QUA, PRE, …
    public let round: String?
    public let sessionDate: String?
    /// Metres per swimmer.
    public let distance: Int
    /// FREE, BACK, BREAST, FLY, MEDLEY, …
    public let stroke: String
    /// 1 for individual events.
    public let relayCount: Int
    public let heats: [LenexHeat]
    /// Scheduled local time of day of the event (or its session).
    public let daytime: String?
    /// The age groups the event is ranked in.
    public let ageGroups: [LenexAgeGroup]
}

/// A club (or national team) with its athletes and relays.
public struct LenexClub: Sendable, Hashable {
    public let name: String
    public let code: String?
    public let nation: String?
    public let athletes: [LenexAthlete]
    public let relays: [LenexRelay]
}

/// An athlete with their results.
public struct LenexAthlete: Sendable, Hashable {
    public let id: String
    public let firstName: String
    public let lastName: String
    public let gender: String?
    public let birthDate: String?
    public let license: String?
    public let results: [LenexResult]
}

/// One swim: time, reaction, cumulative splits, status.
public struct LenexResult: Sendable, Hashable {
    public let id: String
    public let eventID: String
    public let heatID: String?
    public let lane: Int?
    public let time: RaceTime?
    public let reaction: RaceTime?
    public let splits: [Intermediate]
    /// DSQ, DNS, DNF, EXH, WDR, … when not a valid swim.
    public let status: String?
    public let place: Int?
    /// For relays: the legs in order.
    public let relayLegs: [LenexRelayLeg]
}

/// A relay team of a club.
public struct LenexRelay: Sendable, Hashable {
    public let number: Int
    public let gender: String?
    public let results: [LenexResult]
}

/// One leg of a relay swim.
public struct LenexRelayLeg: Sendable, Hashable {
    public let number: Int
    public let athleteID: String?
    public let reaction: RaceTime?
}

/// Why a Lenex document was refused: the line and a reason naming the element or attribute.
public struct LenexError: Error, Hashable, CustomStringConvertible {
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}
