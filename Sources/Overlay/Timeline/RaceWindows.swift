/// A span of a race that viewer apps key on (the start list up, the race running, the result
/// unofficial, then official; a record set), with the first frame that shows it and, once known,
/// the first frame that no longer does. Podium's HLS writes each as an `EXT-X-DATERANGE` of class
/// `tv.podium.race` (wire-format.md).
public struct RaceWindow: Sendable, Hashable {
    /// Which span.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Before the start, while the lanes' athletes are known.
        case startList = "start-list"
        /// From the start signal to the first touch.
        case running
        /// From the first touch until the results are official.
        case unofficial
        /// From the frame that shows official results.
        case official
        /// From the frame that shows a lane's record until the unit leaves the screen.
        case record
    }

    /// Unique within the job: `status/KIND/UNIT`, `/LANE` for a record, and `/2`, `/3`… for a
    /// span that comes back (a touch taken back by the results system reopens `running`).
    public let id: String
    public let kind: Kind
    /// The unit (RSC).
    public let unit: String?
    /// The lane, for a record.
    public let lane: Int?
    /// The record types set (`WR`, `OR`), for a record.
    public let records: [String]
    /// The capture UTC of the first frame that shows it.
    public let start: UTCInstant

    /// Creates a window.
    public init(id: String, kind: Kind, unit: String?, lane: Int?, records: [String], start: UTCInstant) {
        self.id = id
        self.kind = kind
        self.unit = unit
        self.lane = lane
        self.records = records
        self.start = start
    }
}

/// A window opening or closing on a frame.
public enum RaceWindowEdge: Sendable, Hashable {
    case opens(RaceWindow)
    /// The window `id` ends at `at`: the capture start of the first frame that no longer shows it.
    case closes(id: String, at: UTCInstant)
}

/// Follows a job's frames in presentation order and says where each `RaceWindow` opens and closes.
public struct RaceWindowTracker: Sendable {
    /// The phase window open now (start list, running, unofficial, official), if any.
    private var phase: (kind: RaceWindow.Kind, unit: String?, id: String)?
    /// Record windows open now, by unit and lane.
    private var records: [RecordKey: String] = [:]
    /// How many windows each plain id has had, so an id is never used twice.
    private var used: [String: Int] = [:]

    private struct RecordKey: Hashable, Sendable {
        let unit: String?
        let lane: Int
    }

    /// A tracker that has seen nothing.
    public init() {}

    /// The phase a frame shows: nil before a start list is known.
    public static func phase(of overlay: FrameOverlay) -> RaceWindow.Kind? {
        switch overlay.clock.state {
        case .notStarted: overlay.lanes.contains { $0.athlete != nil } ? .startList : nil
        case .running: .running
        case .stopped, .final: overlay.resultStatus == "OFFICIAL" ? .official : .unofficial
        }
    }

    /// The windows that close and open on `overlay`, captured from `capture`: closings first.
    public mutating func edges(on overlay: FrameOverlay, at capture: UTCInstant) -> [RaceWindowEdge] {
        var edges: [RaceWindowEdge] = []
        let kind = Self.phase(of: overlay)
        if let open = phase, open.kind != kind || open.unit != overlay.unit {
            edges.append(.closes(id: open.id, at: capture))
            phase = nil
        }
        // A record stays while its unit is on screen.
        for (key, id) in records where key.unit != overlay.unit {
            edges.append(.closes(id: id, at: capture))
            records[key] = nil
        }
        if phase == nil, let kind {
            let window = opening(kind, unit: overlay.unit, at: capture)
            phase = (kind, overlay.unit, window.id)
            edges.append(.opens(window))
        }
        for lane in overlay.lanes {
            guard let finish = lane.finish, !finish.records.isEmpty else { continue }
            let key = RecordKey(unit: overlay.unit, lane: lane.lane)
            guard records[key] == nil else { continue }
            let window = opening(.record, unit: overlay.unit, lane: lane.lane, records: finish.records, at: capture)
            records[key] = window.id
            edges.append(.opens(window))
        }
        return edges
    }

    private mutating func opening(_ kind: RaceWindow.Kind, unit: String?, lane: Int? = nil, records: [String] = [], at capture: UTCInstant) -> RaceWindow {
        // `status/…`: apart from the race moments' ids (`record/UNIT/LANE`), as a playlist's ids must be.
        let plain = ["status", kind.rawValue, unit ?? "race", lane.map(String.init)].compactMap { $0 }.joined(separator: "/")
        let count = used[plain, default: 0] + 1
        used[plain] = count
        return RaceWindow(id: count == 1 ? plain : "\(plain)/\(count)", kind: kind, unit: unit, lane: lane, records: records, start: capture)
    }
}
