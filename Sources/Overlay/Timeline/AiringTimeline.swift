/// The results of one unit as they stood when each frame went out, and as they stand now.
///
/// A live job computes a frame's overlay when the frame leaves the look-ahead buffer: with the
/// documents received by then ("aired"). Documents received later change what the frame should
/// have shown; that difference is a correction, recorded next to what aired and never written
/// into what was already sent. Replaying a recording with receipt times gives the same answer
/// with the frame's capture time plus latency and look-ahead standing in for the wall clock.
public struct AiringTimeline: Sendable {
    /// The unit overlaid.
    public let unit: UnitCode
    /// Metres per length, for the world-record line.
    public let poolLength: Int
    private var ledger: ResultsLedger
    /// Entries in the order they became known: by receipt time, then arrival.
    private var known: [ResultsLedger.Entry]
    /// Timelines already built, by how many of `known` they fold.
    private var timelines: [Int: RaceTimeline] = [:]

    /// An airing of `unit` from `ledger`.
    public init(ledger: ResultsLedger, unit: UnitCode, poolLength: Int = 50) {
        self.unit = unit
        self.poolLength = poolLength
        self.ledger = ledger
        known = ledger.entries.sorted { ($0.receivedAt, $0.sequence) < ($1.receivedAt, $1.sequence) }
    }

    /// Takes a document received during the job.
    public mutating func receive(_ document: ResultsDocument, at receivedAt: UTCInstant) {
        ledger.append(document, receivedAt: receivedAt)
        let entry = ledger.entries[ledger.entries.count - 1]
        let position = known.firstIndex { ($0.receivedAt, $0.sequence) > (entry.receivedAt, entry.sequence) } ?? known.count
        known.insert(entry, at: position)
        // Timelines folding entries past the insertion point no longer describe a prefix.
        timelines = timelines.filter { $0.key <= position }
    }

    /// How many documents are known.
    public var documentCount: Int { known.count }

    /// How many documents were received by `wall` (all of them when nil): timelines with the same count are the same.
    public func knownCount(at wall: UTCInstant?) -> Int {
        wall.map { wall in known.firstIndex { $0.receivedAt > wall } ?? known.count } ?? known.count
    }

    /// The unit's timeline with the documents received by `wall` (all of them when nil).
    public mutating func timeline(knownAt wall: UTCInstant?) -> RaceTimeline {
        timeline(knowing: knownCount(at: wall))
    }

    /// The unit's timeline with the first `count` documents in order of receipt (see `knownCount(at:)`).
    public mutating func timeline(knowing count: Int) -> RaceTimeline {
        let count = min(max(0, count), known.count)
        if let cached = timelines[count] { return cached }
        var book = ResultsBook(feedFlag: ledger.feedFlag)
        // Every entry was accepted once; a prefix of accepted documents cannot be refused.
        for entry in known.prefix(count) { _ = try? book.accept(entry.document) }
        let timeline = RaceTimeline(book: book, unit: unit, poolLength: poolLength)
            ?? RaceTimeline(results: UnitResults(unit: unit, status: nil, startTime: nil, lanes: []), athletes: [:], records: book.records, poolLength: poolLength)
        timelines[count] = timeline
        return timeline
    }
}

/// A coarse moment of a race worth marking in a playlist or a rundown: the start, the first
/// touch, a new record, the race complete. Found by comparing consecutive frames' overlays, so it
/// is placed on the first frame that shows it.
public struct RaceMarker: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable {
        case start, firstFinish = "first-finish", record, complete
    }

    /// Unique within the job: kind, unit and lane when there is one.
    public let id: String
    /// What happened.
    public let kind: Kind
    /// The capture UTC of the first frame that shows it.
    public let at: UTCInstant
    /// The unit.
    public let unit: String?
    /// The lane, for a record.
    public let lane: Int?
    /// The record types set (`WR`, `OR`), for a record.
    public let records: [String]
}

/// Finds `RaceMarker`s in a run of frame overlays, in presentation order.
public struct RaceMarkerDetector: Sendable {
    /// What makes a marker's id, kept as it is: a frame is checked against it without building the id's text.
    private struct Seen: Hashable, Sendable {
        let kind: RaceMarker.Kind
        let unit: String
        let lane: Int?
    }

    private var seen: Set<Seen> = []

    /// A detector that has seen nothing.
    public init() {}

    /// The markers that first show on `overlay`.
    public mutating func markers(on overlay: FrameOverlay, at capture: UTCInstant) -> [RaceMarker] {
        var found: [RaceMarker] = []
        let unit = overlay.unit ?? "race"
        func mark(_ kind: RaceMarker.Kind, lane: Int? = nil, records: [String] = []) {
            guard seen.insert(Seen(kind: kind, unit: unit, lane: lane)).inserted else { return }
            let id = [kind.rawValue, unit, lane.map(String.init)].compactMap { $0 }.joined(separator: "/")
            found.append(RaceMarker(id: id, kind: kind, at: capture, unit: overlay.unit, lane: lane, records: records))
        }
        switch overlay.clock.state {
        case .notStarted: break
        case .running: mark(.start)
        case .stopped: mark(.start); mark(.firstFinish)
        case .final: mark(.start); mark(.firstFinish); mark(.complete)
        }
        for lane in overlay.lanes {
            if let finish = lane.finish, !finish.records.isEmpty { mark(.record, lane: lane.lane, records: finish.records) }
        }
        return found
    }
}
