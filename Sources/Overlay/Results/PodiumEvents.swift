public import Foundation

/// A timing event pushed by a timing system on Podium's low-latency path (JSON, see
/// docs/podium-events.schema.json): one thing that happened, stamped with venue UTC to the millisecond.
public struct TimingEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The start signal.
        case start
        /// A reaction off the blocks; the race time is nil when only the UTC was sent.
        case reaction(RaceTime?)
        /// An intermediate at `distance` metres.
        case split(distance: Int, time: RaceTime?)
        /// A touch / finish.
        case finish(RaceTime?)
        /// DNS, DNF, DSQ; nil clears a mark.
        case status(CompetitorStatus?)
        /// The finish order of the lane awaits (true) or no longer awaits (false) the photo finish.
        case photoFinish(pending: Bool)
    }

    /// The sender's identifier: the same id twice is the same event.
    public let id: String
    /// Lane, for everything but the start.
    public let lane: Int?
    /// Venue UTC the event happened.
    public let utc: UTCInstant
    /// What happened.
    public let kind: Kind
}

/// One JSON document of timing events for a unit.
public struct TimingEventBatch: Sendable, Hashable {
    /// The unit the events belong to.
    public let unit: UnitCode
    /// `P` production or `T` test.
    public let feedFlag: String
    /// The events in the order sent.
    public let events: [TimingEvent]

    /// The format name a document must declare.
    public static let formatName = "podium-events"

    /// Parses and validates a document; errors name the JSON path and why.
    public static func parse(_ data: Data) throws(TimingEventError) -> TimingEventBatch {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TimingEventError(path: "$", reason: "not valid JSON")
        }
        guard case .object(let fields) = root else { throw TimingEventError(path: "$", reason: "must be an object") }
        try rejectUnknown(fields, allowed: ["format", "version", "unit", "feed", "events"], at: "$")
        guard fields["format"] == .string(formatName) else {
            throw TimingEventError(path: "$.format", reason: "must be \"\(formatName)\"")
        }
        guard fields["version"] == .integer(1) else { throw TimingEventError(path: "$.version", reason: "must be 1") }
        guard case .string(let unitText) = fields["unit"], let unit = UnitCode(unitText) else {
            throw TimingEventError(path: "$.unit", reason: "must be a 34-character RSC")
        }
        var feed = "P"
        if let value = fields["feed"] {
            guard case .string(let flag) = value, flag == "P" || flag == "T" else {
                throw TimingEventError(path: "$.feed", reason: "must be \"P\" or \"T\"")
            }
            feed = flag
        }
        guard case .array(let items) = fields["events"], !items.isEmpty else {
            throw TimingEventError(path: "$.events", reason: "must be a non-empty array")
        }
        var events: [TimingEvent] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let event = try parseEvent(item, at: "$.events[\(index)]")
            guard seen.insert(event.id).inserted else {
                throw TimingEventError(path: "$.events[\(index)].id", reason: "\"\(event.id)\" appears twice in this document")
            }
            events.append(event)
        }
        return TimingEventBatch(unit: unit, feedFlag: feed, events: events)
    }

    private static func rejectUnknown(_ fields: [String: JSONValue], allowed: Set<String>, at path: String) throws(TimingEventError) {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw TimingEventError(path: "\(path).\(unknown)", reason: "unknown field")
        }
    }

    private static func parseEvent(_ value: JSONValue, at path: String) throws(TimingEventError) -> TimingEvent {
        guard case .object(let fields) = value else { throw TimingEventError(path: path, reason: "must be an object") }
        guard case .string(let type) = fields["type"] else { throw TimingEventError(path: "\(path).type", reason: "is required") }
        let allowed: [String: Set<String>] = [
            "start": [], "reaction": ["lane", "time"], "split": ["lane", "distance", "time"], "finish": ["lane", "time"],
            "status": ["lane", "status"], "photoFinish": ["lane", "pending"],
        ]
        guard let extra = allowed[type] else {
            throw TimingEventError(path: "\(path).type", reason: "\"\(type)\" is not one of \(allowed.keys.sorted().joined(separator: ", "))")
        }
        try rejectUnknown(fields, allowed: extra.union(["id", "type", "utc"]), at: path)
        guard case .string(let id) = fields["id"], !id.isEmpty, id.count <= 128 else {
            throw TimingEventError(path: "\(path).id", reason: "must be a non-empty string of at most 128 characters")
        }
        guard case .string(let utcText) = fields["utc"], let utc = UTCInstant(iso8601: utcText) else {
            throw TimingEventError(path: "\(path).utc", reason: "must be an ISO 8601 date-time with a zone, such as \"2026-07-31T19:42:11.500Z\"")
        }
        func integer(_ name: String, minimum: Int64) throws(TimingEventError) -> Int {
            guard case .integer(let number) = fields[name], number >= minimum, number <= 100_000 else {
                throw TimingEventError(path: "\(path).\(name)", reason: "must be an integer of at least \(minimum)")
            }
            return Int(number)
        }
        func time() throws(TimingEventError) -> RaceTime? {
            guard let value = fields["time"] else { return nil }
            guard case .string(let text) = value, let time = RaceTime(parsing: text) else {
                throw TimingEventError(path: "\(path).time", reason: "must be a race time string such as \"8.31\" or \"1:47.92\"")
            }
            return time
        }
        let kind: TimingEvent.Kind
        switch type {
        case "start":
            kind = .start
        case "reaction":
            kind = .reaction(try time())
        case "split":
            kind = .split(distance: try integer("distance", minimum: 1), time: try time())
        case "finish":
            kind = .finish(try time())
        case "status":
            guard case .string(let text) = fields["status"], text == "OK" || CompetitorStatus(rawValue: text) != nil else {
                throw TimingEventError(path: "\(path).status", reason: "must be DNS, DNF, DSQ or OK")
            }
            kind = .status(CompetitorStatus(rawValue: text))
        default:
            guard case .bool(let pending) = fields["pending"] else {
                throw TimingEventError(path: "\(path).pending", reason: "must be true or false")
            }
            kind = .photoFinish(pending: pending)
        }
        return TimingEvent(id: id, lane: type == "start" ? nil : try integer("lane", minimum: 1), utc: utc, kind: kind)
    }
}

/// Why a timing-event document was refused: the JSON path of the bad field and why.
public struct TimingEventError: Error, Hashable, CustomStringConvertible {
    /// JSONPath of the offending value, e.g. `$.events[3].time`.
    public let path: String
    /// What is wrong with it.
    public let reason: String

    public var description: String { "\(path): \(reason)" }
}

