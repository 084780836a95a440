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

    /// The identity of the message across versions.
    public var key: ODFMessageKey {
        ODFMessageKey(
            competitionCode: competitionCode, documentCode: documentCode, documentType: documentType,
            documentSubtype: documentSubtype ?? ""
        )
    }
}

/// Identity of an ODF message apart from its version.
public struct ODFMessageKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let competitionCode: String
    public let documentCode: String
    public let documentType: String
    public let documentSubtype: String

    public static func < (lhs: ODFMessageKey, rhs: ODFMessageKey) -> Bool { lhs.description < rhs.description }

    public var description: String {
        "\(documentType)\(documentSubtype.isEmpty ? "" : "/\(documentSubtype)") \(documentCode) (\(competitionCode))"
    }
}

/// A parsed ODF 2 document: its header and what Podium reads from its body.
public struct ODFDocument: Sendable, Hashable {
    /// What the body holds, as far as Podium reads it.
    public enum Body: Sendable, Hashable {
        /// DT_PARTIC / DT_PARTIC_UPDATE: athletes.
        case participants([Athlete])
        /// DT_RESULT: the results of the unit named by the document code.
        case unitResults(UnitResults)
        /// A message with the key header and no `Competition` element: the earlier message is withdrawn.
        case withdrawn
        /// A message type Podium does not interpret yet; kept for the audit log only.
        case notInterpreted
    }

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
        guard let competition = root.child("Competition") else {
            return ODFDocument(header: header, body: .withdrawn)
        }
        switch header.documentType {
        case "DT_PARTIC", "DT_PARTIC_UPDATE":
            return ODFDocument(header: header, body: .participants(try parseParticipants(competition)))
        case "DT_RESULT":
            guard let unit = UnitCode(header.documentCode) else {
                throw ODFError(line: root.line, reason: "DocumentCode \"\(header.documentCode)\" is not a 34-character RSC")
            }
            return ODFDocument(header: header, body: .unitResults(try parseResults(competition, unit: unit, header: header)))
        default:
            return ODFDocument(header: header, body: .notInterpreted)
        }
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
        return ODFHeader(
            competitionCode: try required("CompetitionCode"), documentCode: try required("DocumentCode"),
            documentType: try required("DocumentType"), documentSubtype: subtype, version: version,
            resultStatus: root.attributes["ResultStatus"], feedFlag: feedFlag,
            date: root.attributes["Date"] ?? "", time: root.attributes["Time"] ?? ""
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
                organisation: participant.attributes["Organisation"] ?? ""
            ))
        }
        return athletes
    }

    private static func parseResults(_ competition: XMLNode, unit: UnitCode, header: ODFHeader) throws(ODFError) -> UnitResults {
        var startTime: UTCInstant?
        if let dateTime = competition.child("ExtendedInfos")?.child("UnitDateTime"), let text = dateTime.attributes["StartDate"] {
            guard let instant = UTCInstant(iso8601: text) else {
                throw ODFError(
                    line: dateTime.line,
                    reason: "UnitDateTime StartDate \"\(text)\" is not an ISO 8601 date-time with a zone offset"
                )
            }
            startTime = instant
        }
        var lanes: [LaneResult] = []
        var seenLanes: Set<Int> = []
        for result in competition.children(named: "Result") {
            let lane = try parseLane(result)
            guard seenLanes.insert(lane.lane).inserted else {
                throw ODFError(line: result.line, reason: "two Result elements have StartOrder \(lane.lane)")
            }
            lanes.append(lane)
        }
        return UnitResults(unit: unit, status: header.resultStatus, startTime: startTime, lanes: lanes)
    }

    private static func parseLane(_ result: XMLNode) throws(ODFError) -> LaneResult {
        func time(_ node: XMLNode, _ attribute: String) throws(ODFError) -> RaceTime? {
            guard let text = node.attributes[attribute], !text.isEmpty else { return nil }
            guard let value = RaceTime(parsing: text) else {
                throw ODFError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a race time")
            }
            return value
        }
        func integer(_ node: XMLNode, _ attribute: String) throws(ODFError) -> Int? {
            guard let text = node.attributes[attribute], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else {
                throw ODFError(line: node.line, reason: "\(node.name) \(attribute) \"\(text)\" is not a whole number")
            }
            return value
        }
        guard let lane = try integer(result, "StartOrder") else {
            throw ODFError(line: result.line, reason: "Result has no StartOrder (lane)")
        }
        guard let competitor = result.child("Competitor"), let code = competitor.attributes["Code"], !code.isEmpty else {
            throw ODFError(line: result.line, reason: "Result for lane \(lane) has no Competitor Code")
        }
        var described: Athlete?
        if let athlete = competitor.child("Composition")?.child("Athlete"), let description = athlete.child("Description") {
            described = Athlete(
                id: athlete.attributes["Code"] ?? code, givenName: description.attributes["GivenName"] ?? "",
                familyName: description.attributes["FamilyName"] ?? "",
                organisation: description.attributes["Organisation"] ?? competitor.attributes["Organisation"] ?? ""
            )
        }
        var reaction: RaceTime?
        var intermediates: [Intermediate] = []
        for extended in result.child("ExtendedResults")?.children(named: "ExtendedResult") ?? [] {
            switch extended.attributes["Code"] {
            case "REACT_TIME":
                reaction = try time(extended, "Value")
            case "INTERMEDIATE":
                guard let distance = try integer(extended, "Pos"), distance > 0 else {
                    throw ODFError(line: extended.line, reason: "INTERMEDIATE for lane \(lane) has no distance (Pos)")
                }
                guard let value = try time(extended, "Value") else {
                    throw ODFError(line: extended.line, reason: "INTERMEDIATE \(distance) for lane \(lane) has no Value")
                }
                intermediates.append(Intermediate(distance: distance, time: value, rank: try integer(extended, "Rank")))
            default:
                continue
            }
        }
        let records = (result.child("RecordIndicators")?.children(named: "RecordIndicator") ?? []).compactMap {
            $0.attributes["Code"]
        }
        return LaneResult(
            lane: lane, competitorCode: code, describedAthlete: described, reaction: reaction,
            intermediates: intermediates.sorted { $0.distance < $1.distance }, finish: try time(result, "Result"),
            rank: try integer(result, "Rank"), records: records
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
