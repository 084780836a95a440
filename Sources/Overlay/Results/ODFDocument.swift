public import Foundation

/// The identifying header of an ODF 2 message (the attributes of `OdfBody`).
public struct ODFHeader: Sendable, Hashable {
    /// Competition code, e.g. `OG2026`.
    public let competitionCode: String
    /// Document code: an RSC for unit messages, a discipline code padded with `-` otherwise.
    public let documentCode: String
    /// Message type, e.g. `DT_RESULT`.
    public let documentType: String
    /// Optional subtype.
    public let documentSubtype: String?
    /// The message version; a higher version of the same message replaces the lower one entirely.
    public let version: Int
    /// Result status for result messages.
    public let resultStatus: String?
    /// `P` for production, `T` for test.
    public let feedFlag: String
    /// Generation date and time exactly as written (local venue date `YYYY-MM-DD`, time `hhmmssfff`).
    public let date: String
    /// See `date`.
    public let time: String
    /// Optional subcode (some disciplines split a message further).
    public let documentSubcode: String?
    /// The competition day the message belongs to.
    public let logicalDate: String?
    /// The system that sent it.
    public let source: String?

    /// Generation date and time as one sortable string (`YYYY-MM-DD hhmmssfff`).
    public var generated: String { "\(date) \(time)" }

    /// The identity of the message across versions.
    public var key: ODFMessageKey {
        ODFMessageKey(
            competitionCode: competitionCode, documentCode: documentCode, documentType: documentType,
            documentSubtype: documentSubtype ?? "", documentSubcode: documentSubcode ?? "", feedFlag: feedFlag
        )
    }
}

/// Identity of an ODF message apart from its version.
public struct ODFMessageKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let competitionCode: String
    public let documentCode: String
    public let documentType: String
    public let documentSubtype: String
    public let documentSubcode: String
    public let feedFlag: String

    public static func < (lhs: ODFMessageKey, rhs: ODFMessageKey) -> Bool { lhs.description < rhs.description }

    public var description: String {
        let subtype = documentSubtype.isEmpty ? "" : "/\(documentSubtype)"
        let subcode = documentSubcode.isEmpty ? "" : "/\(documentSubcode)"
        return "\(documentType)\(subtype)\(subcode) \(documentCode) (\(competitionCode), feed \(feedFlag))"
    }
}

/// A parsed ODF 2 document: its header and what Podium reads from its body.
public struct ODFDocument: Sendable, Hashable {
    /// What the body holds, as far as Podium reads it.
    public enum Body: Sendable, Hashable {
        /// DT_PARTIC (all athletes) or DT_PARTIC_UPDATE (only the athletes it names).
        case participants([Athlete])
        /// DT_PARTIC_TEAMS: relay and other teams.
        case teams([Team])
        /// DT_SCHEDULE (all units) or DT_SCHEDULE_UPDATE (only the units it names; `deleted` lists removed ones).
        case schedule([ScheduledUnit], deleted: [UnitCode])
        /// DT_CONFIG: configuration values by code.
        case configuration([String: String])
        /// DT_CURRENT: the units currently running.
        case current([UnitCode])
        /// DT_RESULT: the results of the unit named by the document code.
        case unitResults(UnitResults)
        /// DT_RECORD: records in force.
        case records([RecordEntry])
        /// A message with the key header and no `Competition` element: the earlier message is withdrawn.
        case withdrawn
    }

    /// The message types Podium reads; any other type is refused by name.
    public static let knownTypes: Set<String> = [
        "DT_PARTIC", "DT_PARTIC_UPDATE", "DT_PARTIC_TEAMS", "DT_SCHEDULE", "DT_SCHEDULE_UPDATE", "DT_CONFIG",
        "DT_RESULT", "DT_CURRENT", "DT_RECORD",
    ]

    /// The header.
    public let header: ODFHeader
    /// The interpreted body.
    public let body: Body

    /// Parses an ODF 2 document. Errors name the element, attribute and line that were wrong.
    public static func parse(_ data: Data) throws(ODFError) -> ODFDocument {
        let root: XMLNode
        do {
            root = try XMLNode.parse(data)
        } catch {
            throw ODFError(line: error.line, reason: "malformed XML: \(error.reason)")
        }
        guard root.name == "OdfBody" else {
            throw ODFError(line: root.line, reason: "root element is <\(root.name)>, expected <OdfBody>")
        }
        let header = try parseHeader(root)
        guard knownTypes.contains(header.documentType) else {
            throw ODFError(
                line: root.line,
                reason: "DocumentType \"\(header.documentType)\" is not one Podium reads (\(knownTypes.sorted().joined(separator: ", ")))"
            )
        }
        guard let competition = root.child("Competition") else {
            return ODFDocument(header: header, body: .withdrawn)
        }
        switch header.documentType {
        case "DT_PARTIC", "DT_PARTIC_UPDATE":
            return ODFDocument(header: header, body: .participants(try parseParticipants(competition)))
        case "DT_PARTIC_TEAMS":
            return ODFDocument(header: header, body: .teams(try parseTeams(competition)))
        case "DT_SCHEDULE", "DT_SCHEDULE_UPDATE":
            let (units, deleted) = try parseSchedule(competition)
            return ODFDocument(header: header, body: .schedule(units, deleted: deleted))
        case "DT_CONFIG":
            return ODFDocument(header: header, body: .configuration(parseConfiguration(competition)))
        case "DT_CURRENT":
            var units: [UnitCode] = []
            for node in competition.children(named: "Unit") { units.append(try unitCode(node)) }
            return ODFDocument(header: header, body: .current(units))
        case "DT_RECORD":
            return ODFDocument(header: header, body: .records(try parseRecords(competition)))
        default:
            guard let unit = UnitCode(header.documentCode) else {
                throw ODFError(line: root.line, reason: "DocumentCode \"\(header.documentCode)\" is not a 34-character RSC")
            }
            return ODFDocument(header: header, body: .unitResults(try parseResults(competition, unit: unit, header: header)))
        }
    }

    private static func unitCode(_ node: XMLNode) throws(ODFError) -> UnitCode {
        let text = node.attributes["Code"] ?? ""
        guard let code = UnitCode(text) else {
            throw ODFError(line: node.line, reason: "\(node.name) Code \"\(text)\" is not a 34-character RSC")
        }
        return code
    }

    private static func instant(_ node: XMLNode, _ attribute: String) throws(ODFError) -> UTCInstant? {
        guard let text = node.attributes[attribute], !text.isEmpty else { return nil }
        guard let instant = UTCInstant(iso8601: text) else {
            throw ODFError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not an ISO 8601 date-time with a zone offset")
        }
        return instant
    }

    private static func time(_ node: XMLNode, _ attribute: String) throws(ODFError) -> RaceTime? {
        guard let text = node.attributes[attribute], !text.isEmpty else { return nil }
        guard let value = RaceTime(parsing: text) else {
            throw ODFError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a race time")
        }
        return value
    }

    private static func integer(_ node: XMLNode, _ attribute: String) throws(ODFError) -> Int? {
        guard let text = node.attributes[attribute], !text.isEmpty else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw ODFError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a whole number")
        }
        return value
    }

    private static func athlete(_ node: XMLNode, fallbackCode: String, fallbackOrganisation: String?) -> Athlete {
        let description = node.child("Description")
        return Athlete(
            id: node.attributes["Code"] ?? fallbackCode, givenName: description?.attributes["GivenName"] ?? "",
            familyName: description?.attributes["FamilyName"] ?? "",
            organisation: description?.attributes["Organisation"] ?? fallbackOrganisation ?? "",
            gender: description?.attributes["Gender"], birthDate: description?.attributes["BirthDate"]
        )
    }

    private static func parseTeams(_ competition: XMLNode) throws(ODFError) -> [Team] {
        var teams: [Team] = []
        for team in competition.children(named: "Team") {
            guard let code = team.attributes["Code"], !code.isEmpty else {
                throw ODFError(line: team.line, reason: "Team has no Code attribute")
            }
            let members = (team.child("Composition")?.children(named: "Athlete") ?? [])
                .sorted { (Int($0.attributes["Order"] ?? "") ?? 0) < (Int($1.attributes["Order"] ?? "") ?? 0) }
                .compactMap { $0.attributes["Code"] }
            teams.append(Team(code: code, name: team.attributes["Name"] ?? "", organisation: team.attributes["Organisation"] ?? "", members: members))
        }
        return teams
    }

    private static func parseSchedule(_ competition: XMLNode) throws(ODFError) -> ([ScheduledUnit], [UnitCode]) {
        var venueNames: [String: String] = [:]
        for session in competition.children(named: "Session") {
            if let venue = session.attributes["Venue"], let name = session.attributes["VenueName"] { venueNames[venue] = name }
        }
        var units: [ScheduledUnit] = []
        var deleted: [UnitCode] = []
        for node in competition.children(named: "Unit") {
            let code = try unitCode(node)
            if node.attributes["ModificationIndicator"] == "D" {
                deleted.append(code)
                continue
            }
            let name = node.children(named: "ItemName").first { $0.attributes["Language"] == "ENG" } ?? node.child("ItemName")
            let venue = node.attributes["Venue"].flatMap { $0.isEmpty ? nil : $0 }
            units.append(ScheduledUnit(
                unit: code, status: node.attributes["ScheduleStatus"], start: try instant(node, "StartDate"),
                name: name?.attributes["Value"], end: try instant(node, "EndDate"), venue: venue,
                venueName: node.child("VenueDescription")?.attributes["VenueName"] ?? venue.flatMap { venueNames[$0] },
                session: node.attributes["SessionCode"]
            ))
        }
        return (units, deleted)
    }

    private static func parseConfiguration(_ competition: XMLNode) -> [String: String] {
        var values: [String: String] = [:]
        func walk(_ node: XMLNode) {
            if let code = node.attributes["Code"], let value = node.attributes["Value"] { values[code] = value }
            node.children.forEach(walk)
        }
        competition.children.forEach(walk)
        return values
    }

    private static func parseRecords(_ competition: XMLNode) throws(ODFError) -> [RecordEntry] {
        var records: [RecordEntry] = []
        for record in competition.children(named: "Record") {
            guard let event = record.attributes["Code"], !event.isEmpty else {
                throw ODFError(line: record.line, reason: "Record has no Code (the event) attribute")
            }
            for type in record.children(named: "RecordType") {
                guard let typeCode = type.attributes["Code"], !typeCode.isEmpty else {
                    throw ODFError(line: type.line, reason: "RecordType has no Code attribute")
                }
                for data in type.children(named: "RecordData") where data.attributes["Current"] != "false" {
                    guard let result = try time(data, "Result") else {
                        throw ODFError(line: data.line, reason: "RecordData for \(typeCode) \(event) has no Result")
                    }
                    let competitor = data.child("Competitor")
                    let holder = (competitor?.child("Composition")?.child("Athlete")).map {
                        athlete($0, fallbackCode: competitor?.attributes["Code"] ?? "", fallbackOrganisation: competitor?.attributes["Organisation"])
                    }
                    var splits: [Intermediate] = []
                    for split in data.children(named: "ExtendedRecordData") where split.attributes["Code"] == "INTERMEDIATE" {
                        guard let distance = try integer(split, "Pos"), distance > 0, let value = try time(split, "Value") else {
                            throw ODFError(line: split.line, reason: "ExtendedRecordData INTERMEDIATE needs Pos (metres) and Value (time)")
                        }
                        splits.append(Intermediate(distance: distance, time: value, rank: nil))
                    }
                    records.append(RecordEntry(type: typeCode, event: event, holder: holder, time: result, date: data.attributes["Date"], splits: splits))
                }
            }
        }
        return records
    }

    private static func parseHeader(_ root: XMLNode) throws(ODFError) -> ODFHeader {
        func required(_ name: String) throws(ODFError) -> String {
            guard let value = root.attributes[name], !value.isEmpty else {
                throw ODFError(line: root.line, reason: "OdfBody has no \(name) attribute")
            }
            return value
        }
        let versionText = try required("Version")
        guard let version = Int(versionText), version >= 1 else {
            throw ODFError(line: root.line, reason: "OdfBody Version \"\(versionText)\" is not a positive integer")
        }
        let feedFlag = try required("FeedFlag")
        guard feedFlag == "P" || feedFlag == "T" else {
            throw ODFError(line: root.line, reason: "OdfBody FeedFlag \"\(feedFlag)\" must be P or T")
        }
        let subtype = root.attributes["DocumentSubtype"].flatMap { $0.isEmpty ? nil : $0 }
        func optional(_ name: String) -> String? { root.attributes[name].flatMap { $0.isEmpty ? nil : $0 } }
        return ODFHeader(
            competitionCode: try required("CompetitionCode"), documentCode: try required("DocumentCode"),
            documentType: try required("DocumentType"), documentSubtype: subtype, version: version,
            resultStatus: optional("ResultStatus"), feedFlag: feedFlag,
            date: root.attributes["Date"] ?? "", time: root.attributes["Time"] ?? "",
            documentSubcode: optional("DocumentSubcode"), logicalDate: optional("LogicalDate"), source: optional("Source")
        )
    }

    private static func parseParticipants(_ competition: XMLNode) throws(ODFError) -> [Athlete] {
        var athletes: [Athlete] = []
        for participant in competition.children(named: "Participant") {
            guard let code = participant.attributes["Code"], !code.isEmpty else {
                throw ODFError(line: participant.line, reason: "Participant has no Code attribute")
            }
            athletes.append(Athlete(
                id: code, givenName: participant.attributes["GivenName"] ?? "",
                familyName: participant.attributes["FamilyName"] ?? "",
                organisation: participant.attributes["Organisation"] ?? "",
                gender: participant.attributes["Gender"], birthDate: participant.attributes["BirthDate"],
                bib: participant.attributes["Bib"]
            ))
        }
        return athletes
    }

    private static func parseResults(_ competition: XMLNode, unit: UnitCode, header: ODFHeader) throws(ODFError) -> UnitResults {
        var startTime: UTCInstant?
        if let dateTime = competition.child("ExtendedInfos")?.child("UnitDateTime") {
            startTime = try instant(dateTime, "StartDate")
        }
        let points = try intermediatePoints(competition)
        var lanes: [LaneResult] = []
        var seenLanes: Set<Int> = []
        for result in competition.children(named: "Result") {
            let lane = try parseLane(result, unit: unit, points: points)
            guard seenLanes.insert(lane.lane).inserted else {
                throw ODFError(line: result.line, reason: "two Result elements have StartOrder \(lane.lane)")
            }
            lanes.append(lane)
        }
        return UnitResults(unit: unit, status: header.resultStatus, startTime: startTime, lanes: lanes)
    }

    /// What an intermediate's `Pos` stands for: a distance in metres, or the finish.
    enum IntermediatePoint: Hashable {
        case metres(Int)
        case finish
    }

    /// The unit's intermediate points: `ExtendedInfos/ExtendedInfo Type="UI" Code="INTERMEDIATE"`
    /// maps each `Pos` (an index) to its distance (`400`, `5000`, `5km`) or to `Finish`.
    static func intermediatePoints(_ competition: XMLNode) throws(ODFError) -> [String: IntermediatePoint] {
        var points: [String: IntermediatePoint] = [:]
        for info in competition.child("ExtendedInfos")?.children(named: "ExtendedInfo") ?? []
        where info.attributes["Code"] == "INTERMEDIATE" && (info.attributes["Type"] ?? "UI") == "UI" {
            guard let position = info.attributes["Pos"], !position.isEmpty else {
                throw ODFError(line: info.line, reason: "ExtendedInfo INTERMEDIATE has no Pos")
            }
            let value = info.attributes["Value"] ?? ""
            guard let point = intermediatePoint(value) else {
                throw ODFError(line: info.line, reason: "ExtendedInfo INTERMEDIATE Pos \(position) Value \"\(value)\" is neither a distance (400, 400m, 5km) nor Finish")
            }
            points[position] = point
        }
        return points
    }

    /// `400`, `400m`, `5km`, `5 km` or `Finish`.
    static func intermediatePoint(_ text: String) -> IntermediatePoint? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value == "finish" || value == "f" { return .finish }
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 6, let number = Int(digits), number > 0 else { return nil }
        switch value.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "m": return .metres(number)
        case "km", "k": return .metres(number * 1000)
        default: return nil
        }
    }

    /// Where a lane's intermediate `Pos` is: the unit's own table first, then the discipline's
    /// rule (swimming splits every 50 m), `F` the finish. Nil when neither knows it.
    static func point(of position: String, in points: [String: IntermediatePoint], discipline: String) -> IntermediatePoint? {
        if let point = points[position] { return point }
        if position == "F" { return .finish }
        guard discipline == "SWM", let index = Int(position), index > 0, index < 1000 else { return nil }
        return .metres(index * 50)
    }

    /// The photo-finish codes of each discipline's dictionary.
    static func photoFinishCodes(ofDiscipline discipline: String) -> Set<String> {
        discipline == "ATH" ? ["PHOTO", "PHOTO_FINISH"] : ["PHOTO_FINISH"]
    }

    private static func parseLane(_ result: XMLNode, unit: UnitCode, points: [String: IntermediatePoint]) throws(ODFError) -> LaneResult {
        guard let lane = try integer(result, "StartOrder") else {
            throw ODFError(line: result.line, reason: "Result has no StartOrder (lane)")
        }
        guard let competitor = result.child("Competitor"), let code = competitor.attributes["Code"], !code.isEmpty else {
            throw ODFError(line: result.line, reason: "Result for lane \(lane) has no Competitor Code")
        }
        let members = (competitor.child("Composition")?.children(named: "Athlete") ?? [])
            .sorted { (Int($0.attributes["Order"] ?? "") ?? 0) < (Int($1.attributes["Order"] ?? "") ?? 0) }
        let isTeam = competitor.attributes["Type"] == "T"
        let described = isTeam ? nil : members.first.map {
            athlete($0, fallbackCode: code, fallbackOrganisation: competitor.attributes["Organisation"])
        }
        var reaction: RaceTime?
        var photoFinish = false
        var intermediates: [Intermediate] = []
        var finishFromIntermediate: RaceTime?
        let photoCodes = photoFinishCodes(ofDiscipline: unit.discipline)
        for extended in result.child("ExtendedResults")?.children(named: "ExtendedResult") ?? [] {
            let code = extended.attributes["Code"] ?? ""
            if photoCodes.contains(code) {
                photoFinish = ["Y", "1", "TRUE"].contains((extended.attributes["Value"] ?? "Y").uppercased())
                continue
            }
            switch code {
            case "REACT_TIME":
                reaction = try time(extended, "Value")
            case "INTERMEDIATE":
                let position = extended.attributes["Pos"] ?? ""
                guard !position.isEmpty else {
                    throw ODFError(line: extended.line, reason: "INTERMEDIATE for lane \(lane) has no Pos")
                }
                guard let point = point(of: position, in: points, discipline: unit.discipline) else {
                    throw ODFError(
                        line: extended.line,
                        reason: "INTERMEDIATE Pos \"\(position)\" for lane \(lane) has no distance: the unit has no ExtendedInfo UI/INTERMEDIATE Pos=\"\(position)\" and \(unit.discipline) has no rule for it"
                    )
                }
                guard let value = try time(extended, "Value") else {
                    throw ODFError(line: extended.line, reason: "INTERMEDIATE Pos \(position) for lane \(lane) has no Value")
                }
                switch point {
                case .finish: finishFromIntermediate = value
                case .metres(let distance): intermediates.append(Intermediate(distance: distance, time: value, rank: try integer(extended, "Rank")))
                }
            default:
                continue
            }
        }
        var status: CompetitorStatus?
        if let irm = result.attributes["IRM"], !irm.isEmpty {
            let marks = CompetitorStatus.marks(ofDiscipline: unit.discipline)
            guard let mark = CompetitorStatus(rawValue: irm), marks.contains(mark) else {
                throw ODFError(
                    line: result.line,
                    reason: "Result IRM \"\(irm)\" for lane \(lane) is not one of \(unit.discipline)'s marks (\(marks.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            status = mark
        }
        let records = (result.child("RecordIndicators")?.children(named: "RecordIndicator") ?? []).compactMap {
            $0.attributes["Code"]
        }
        return LaneResult(
            lane: lane, competitorCode: code, describedAthlete: described, reaction: reaction,
            intermediates: intermediates.sorted { $0.distance < $1.distance }, finish: try time(result, "Result") ?? finishFromIntermediate,
            rank: try integer(result, "Rank"), records: records, status: status, photoFinishPending: photoFinish,
            legs: isTeam ? members.compactMap { $0.attributes["Code"] } : []
        )
    }
}

/// Why an ODF document was refused: the line and a reason naming the element or attribute.
public struct ODFError: Error, Hashable, CustomStringConvertible {
    /// Line in the document.
    public let line: Int
    /// What was wrong.
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}
