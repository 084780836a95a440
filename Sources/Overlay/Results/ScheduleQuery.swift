/// A question to the schedule: units starting in a window, of a discipline, at a venue.
public struct ScheduleQuery: Sendable, Hashable {
    /// Units starting at or after this instant.
    public var from: UTCInstant?
    /// Units starting before this instant.
    public var to: UTCInstant?
    /// Three-character discipline code (`SWM`, `BK3`).
    public var discipline: String?
    /// Venue code (`AQU`, `LC1`).
    public var venue: String?

    /// Creates a query; nil parts do not filter.
    public init(from: UTCInstant? = nil, to: UTCInstant? = nil, discipline: String? = nil, venue: String? = nil) {
        self.from = from
        self.to = to
        self.discipline = discipline
        self.venue = venue
    }

    /// The matching units by scheduled start, then code; a unit without a start matches only
    /// when no window is asked for, and comes last.
    public func units(in schedule: [UnitCode: ScheduledUnit]) -> [ScheduledUnit] {
        schedule.values.filter { unit in
            if let discipline, unit.unit.discipline != discipline { return false }
            if let venue, unit.venue != venue { return false }
            guard from != nil || to != nil else { return true }
            guard let start = unit.start else { return false }
            return (from.map { start >= $0 } ?? true) && (to.map { start < $0 } ?? true)
        }
        .sorted { left, right in
            switch (left.start, right.start) {
            case let (a?, b?) where a != b: a < b
            case (_?, nil): true
            case (nil, _?): false
            default: left.unit.rawValue < right.unit.rawValue
            }
        }
    }

    /// The unit running at `venue` at `instant`: the one whose scheduled start and end hold it;
    /// else the last to have started there by then, if it has no end. Cancelled units never.
    public static func unit(at venue: String, on instant: UTCInstant, in schedule: [UnitCode: ScheduledUnit]) -> ScheduledUnit? {
        let candidates = schedule.values.filter { $0.venue == venue && $0.status != "CANCELLED" && ($0.start.map { $0 <= instant } ?? false) }
        let running = candidates.filter { unit in unit.end.map { instant < $0 } ?? false }
        let pick = running.isEmpty ? candidates.filter { $0.end == nil } : running
        return pick.max { ($0.start!, $0.unit.rawValue) < ($1.start!, $1.unit.rawValue) }
    }
}
